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
    if (summary) {
      summary.addEventListener("click", followSummaryLink);
      summary.focus();
    } else {
      focusLanding();
    }
  });

  // The label or legend a citizen needs to see with the input: a legend when the input
  // is one of a group (radios, date parts) and the legend still fits on screen with it.
  function questionOf(input) {
    var fieldset = input.closest("fieldset");
    var legend = fieldset && fieldset.querySelector("legend");
    var label = document.querySelector('label[for="' + input.id + '"]');
    if (legend && (!label || input.type === "radio" || input.type === "checkbox")) {
      var gap = input.getBoundingClientRect().top - legend.getBoundingClientRect().top;
      if (gap < window.innerHeight / 2) return legend;
    }
    return label || legend;
  }

  // An error-summary link on this page: show the question's label, then focus the input
  // (the browser alone would scroll the input to the top and hide its label).
  function followSummaryLink(event) {
    var link = event.target.closest("a");
    var href = link && link.getAttribute("href");
    if (!href || href.charAt(0) !== "#") return;
    var input = document.getElementById(href.slice(1));
    if (!input) return;
    event.preventDefault();
    focusQuestion(input);
  }

  // Show an input with its question and focus it.
  function focusQuestion(input) {
    (questionOf(input) || input).scrollIntoView();
    input.focus({ preventScroll: true });
  }

  // A fragment names where to land: the item after "add" or "remove", the answer a review
  // page's "Ändern" link changes. Focus it, so a screen reader announces it (without JS
  // the fragment still scrolls there).
  function focusLanding() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (!target) return;
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) focusQuestion(target);
    else target.focus();
  }
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
