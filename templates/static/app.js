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
