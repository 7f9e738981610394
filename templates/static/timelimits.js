// Issue 15: the time-limit warning (progressive: without this the step page states the
// time and has its own "extend" button). A few minutes before the draft expires a modal
// dialog opens; "extend" is a submit button of the step form, so what was typed is saved.
(function () {
  "use strict";
  function setUp() {
    var limit = document.getElementById("time-limit");
    var dialog = document.getElementById("time-limit-dialog");
    if (!limit || !dialog || typeof dialog.showModal !== "function") return;
    var expiresIn = parseInt(limit.getAttribute("data-expires-in"), 10);
    var warnBefore = parseInt(limit.getAttribute("data-warn-before"), 10);
    if (!(expiresIn >= 0) || !(warnBefore > 0)) return;
    var returnTo = null;
    function open() {
      if (dialog.open) return;
      returnTo = document.activeElement;
      dialog.showModal();
      var extend = dialog.querySelector("[data-extend]");
      if (extend) extend.focus();
    }
    function close() {
      if (dialog.open) dialog.close();
    }
    // Escape does what "close and carry on" does: nothing typed is lost, focus goes back.
    dialog.addEventListener("close", function () {
      if (returnTo && typeof returnTo.focus === "function") returnTo.focus();
    });
    var stay = dialog.querySelector("[data-stay]");
    if (stay) stay.addEventListener("click", close);
    // Relative to when the page arrived, so the visitor's clock does not matter.
    var delayMs = Math.max(0, (expiresIn - warnBefore) * 1000);
    window.setTimeout(open, delayMs);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
// The resume link (`/{state}/fortsetzen#SECRET`): the fragment never reaches the server by
// itself; post it, and take it out of the address bar and history first.
(function () {
  "use strict";
  function resume() {
    var form = document.querySelector("[data-resume-form]");
    var secret = window.location.hash.replace(/^#/, "");
    if (!form || !secret || form.querySelector(".field-error")) return;
    window.history.replaceState(null, "", window.location.pathname);
    form.elements.code.value = decodeURIComponent(secret);
    form.submit();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", resume);
  } else {
    resume();
  }
})();
