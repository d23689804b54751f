// Copy buttons of the cloud-setup steps: a button with data-copy puts its value on the clipboard.
(function () {
  "use strict";

  function done(button, text) {
    const label = button.textContent;
    button.textContent = text;
    window.setTimeout(function () { button.textContent = label; }, 1500);
  }

  // Without the Clipboard API (a page served over plain http), select the shown value so the
  // person can copy it with the keyboard.
  function select(button) {
    const shown = button.parentElement && button.parentElement.querySelector(".setup-text, code");
    if (!shown) { return false; }
    const range = document.createRange();
    range.selectNodeContents(shown);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return true;
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-copy]");
    if (!button) { return; }
    const value = button.dataset.copy;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(
        function () { done(button, "Copied"); },
        function () { if (select(button)) { done(button, "Selected"); } }
      );
    } else if (select(button)) {
      done(button, "Selected");
    }
  });
}());
