/* Small enhancements; every page works without this file. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    // After a refused form, take keyboard and screen-reader users to the list of
    // problems; each entry links to its field.
    var summary = document.querySelector(".error-summary[role=alert]");
    if (summary) {
      summary.setAttribute("tabindex", "-1");
      summary.focus();
    }
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
  // After htmx adds rows or results, move focus to what appeared so keyboard and
  // screen-reader users are not left on a removed element.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) { return; }
    var focus = target.querySelector("[data-focus-after-swap]");
    if (focus) { focus.focus(); }
  });
})();
