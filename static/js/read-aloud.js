// Read-aloud (朗读): speaks the question, its help and its choices with the browser's own
// speech synthesis, in the page's language. The button stays hidden where there is none.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  if (!("speechSynthesis" in window) || typeof SpeechSynthesisUtterance === "undefined") {
    return;
  }
  const lang = document.documentElement.lang || "zh-Hans";
  const voiceLang = lang.toLowerCase().startsWith("zh") ? "zh-CN" : lang;
  document.querySelectorAll("[data-read-aloud]").forEach((button) => {
    const form = button.closest("form") || document;
    button.closest(".read-aloud").hidden = false;
    button.addEventListener("click", () => {
      window.speechSynthesis.cancel();
      const parts = Array.from(form.querySelectorAll("[data-speak]"), (el) => el.textContent.trim());
      const utterance = new SpeechSynthesisUtterance(parts.filter(Boolean).join("。 "));
      utterance.lang = voiceLang;
      utterance.rate = 0.85; // a little slower than usual: older listeners first
      window.speechSynthesis.speak(utterance);
    });
  });
});
