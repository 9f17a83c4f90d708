// Progressive touches only: every page works without this file. CSP forbids inline script.
(function () {
  "use strict";
  function counters() {
    document.querySelectorAll("[data-counter]").forEach(function (input) {
      var limit = parseInt(input.getAttribute("data-counter"), 10);
      var output = document.getElementById(input.id + "-count");
      if (!output) { return; }
      var update = function () {
        var used = Array.from(input.value).length;
        output.textContent = used + " / " + limit;
        output.classList.toggle("over", used > limit);
      };
      input.addEventListener("input", update);
      update();
    });
  }
  function selectAll() {
    var master = document.getElementById("select-all");
    if (!master) { return; }
    master.addEventListener("change", function () {
      document.querySelectorAll('input[name="selected"]').forEach(function (box) {
        box.checked = master.checked;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { counters(); selectAll(); });
})();
