// Progressive enhancement only: every page works without this file.
// Live character counters for textareas that carry data-maxlength.
(function () {
  "use strict";
  function attach(area) {
    var max = parseInt(area.getAttribute("data-maxlength"), 10);
    var out = document.getElementById(area.id + "-count");
    if (!max || !out) return;
    var lang = document.documentElement.lang;
    function update() {
      var left = max - area.value.length;
      out.textContent = lang === "en"
        ? (left >= 0 ? left + " characters remaining" : -left + " characters too many")
        : (left >= 0 ? "Noch " + left + " Zeichen" : -left + " Zeichen zu viel");
      out.className = left < 0 ? "char-count over" : "char-count";
    }
    area.addEventListener("input", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var areas = document.querySelectorAll("textarea[data-maxlength]");
    for (var i = 0; i < areas.length; i++) attach(areas[i]);
    var printButton = document.querySelector("[data-print]");
    if (printButton) {
      printButton.hidden = false;
      printButton.addEventListener("click", function () { window.print(); });
    }
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  });
})();

// Conditional reveal (GOV.UK): a question under a radio or checkbox answer is hidden until
// that answer is chosen. The server renders every question visible, so without this
// script all of them show, each labelled "(nur wenn …)".
(function () {
  "use strict";
  function sync(inputs) {
    for (var i = 0; i < inputs.length; i++) {
      var box = document.getElementById(inputs[i].getAttribute("aria-controls"));
      if (!box) continue;
      // No aria-expanded: ARIA allows it on neither radios nor checkboxes (GOV.UK Frontend
      // dropped it for that reason); `hidden` takes the question out of the a11y tree.
      box.hidden = !inputs[i].checked;
      // Required once it applies, and announced so only then.
      var required = box.querySelectorAll("[data-required-when-shown]");
      for (var k = 0; k < required.length; k++) {
        if (box.hidden) required[k].removeAttribute("aria-required");
        else required[k].setAttribute("aria-required", "true");
      }
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("input[data-aria-controls]");
    if (!inputs.length) return;
    for (var i = 0; i < inputs.length; i++) {
      var id = inputs[i].getAttribute("data-aria-controls");
      inputs[i].setAttribute("aria-controls", id);
      inputs[i].removeAttribute("data-aria-controls");
      // Once revealed under its answer, the question needs no "(nur wenn …)".
      var notes = document.getElementById(id).querySelectorAll(".only-if");
      for (var k = 0; k < notes.length; k++) notes[k].hidden = true;
    }
    sync(inputs);
    // A radio that gets unchecked fires no event, so every change re-syncs them all.
    document.addEventListener("change", function (e) {
      if (e.target.matches && e.target.matches("input[type=radio], input[type=checkbox]")) sync(inputs);
    });
  });
})();
