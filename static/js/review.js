// Review queue keyboard: 1-9 choose an answer, B blank, N next question, Enter saves typed text;
// on a page to identify, R sets it aside (not a form, or to scan again).
// Progressive enhancement only: without this file every decision is a plain form post.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-review-form]");
  if (!form) {
    return;
  }
  const keys = document.querySelector("[data-review-keys]");
  if (keys) {
    keys.hidden = false; // the keyboard help is only true when this script runs
  }
  const first = form.querySelector("[data-review-focus]");
  if (first && !document.querySelector("[data-focus-on-load]")) {
    first.focus(); // the sheet number of a page to identify (an error summary takes focus first)
  }
  const text = form.querySelector("[data-review-text]");
  if (text) {
    text.focus();
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }
  const press = (element) => {
    if (element.type === "checkbox") {
      element.checked = !element.checked;
      element.focus();
    } else {
      element.click();
    }
  };
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) && target.type !== "checkbox");
    if (typing || event.altKey || event.ctrlKey || event.metaKey || event.isComposing) {
      return;
    }
    if (/^[1-9]$/.test(event.key)) {
      const choice = form.querySelector(`[data-review-choice="${event.key}"]`);
      if (choice) {
        event.preventDefault();
        press(choice);
      }
    } else if (event.key === "b" || event.key === "B") {
      const blank = form.querySelector("[data-review-blank]");
      if (blank) {
        event.preventDefault();
        blank.click();
      }
    } else if (event.key === "r" || event.key === "R") {
      const rescan = form.querySelector("[data-review-rescan]");
      if (rescan) {
        event.preventDefault();
        rescan.click();
      }
    } else if (event.key === "n" || event.key === "N") {
      const next = document.querySelector("[data-review-next]");
      if (next) {
        event.preventDefault();
        window.location.assign(next.href);
      }
    } else if (event.key === "Enter" && target instanceof HTMLInputElement && target.type === "checkbox") {
      event.preventDefault();
      form.requestSubmit();
    }
  });
});
