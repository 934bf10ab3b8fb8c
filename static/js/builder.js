// The survey builder with htmx: after a part of the page is swapped, put keyboard focus back
// where the person was working and tell screen readers what changed. Progressive enhancement
// only: without JavaScript every action is a plain form post that reloads the page.
"use strict";

(() => {
  let lastFocusedId = "";

  document.addEventListener("htmx:beforeRequest", () => {
    const active = document.activeElement;
    lastFocusedId = active && active.id ? active.id : "";
  });

  document.addEventListener("htmx:afterSettle", () => {
    const list = document.getElementById("question-list");
    const live = document.getElementById("builder-status");
    // An inserted editor or error summary asks for focus itself.
    let target = document.querySelector("[data-focus-on-load]");
    if (target) {
      target.removeAttribute("data-focus-on-load");
    } else if (list && list.dataset.focus) {
      target = document.getElementById(list.dataset.focus) || document.getElementById(list.dataset.focusFallback || "");
      delete list.dataset.focus;
    } else if (lastFocusedId) {
      // The same control in the new markup (ids are stable), e.g. "Move up" pressed twice.
      target = document.getElementById(lastFocusedId);
    }
    if (list && live && list.dataset.status) {
      // Emptied first, so that the same message twice in a row is announced twice.
      const message = list.dataset.status;
      delete list.dataset.status;
      live.textContent = "";
      window.setTimeout(() => { live.textContent = message; }, 50);
    }
    lastFocusedId = "";
    if (target) {
      target.focus();
    }
  });
})();
