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
  // A file input marked data-pdf takes a PDF (its first bytes say "%PDF-") of at most
  // data-max-bytes; anything else is refused in the browser before it is sent (and again on the
  // server, which trusts none of this).
  function pdfInputs() {
    document.querySelectorAll("input[type=file][data-pdf]").forEach(function (input) {
      input.addEventListener("change", function () {
        input.setCustomValidity("");
        var file = input.files && input.files[0];
        if (!file) { return; }
        var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
        var refuse = function (attribute) {
          input.setCustomValidity(input.getAttribute(attribute));
          input.reportValidity();
        };
        if (limit && file.size > limit) { refuse("data-message-size"); return; }
        file.slice(0, 5).arrayBuffer().then(function (buffer) {
          var head = String.fromCharCode.apply(null, new Uint8Array(buffer));
          if (head !== "%PDF-") { refuse("data-message-type"); }
        });
      });
    });
  }
  // Evidence (data-evidence): a PDF, JPEG or PNG by its first bytes, of at most data-max-bytes;
  // refused in the browser before the upload (and again on the server).
  var SIGNATURES = [[0x25, 0x50, 0x44, 0x46, 0x2d], [0xff, 0xd8, 0xff], [0x89, 0x50, 0x4e, 0x47]];
  function evidenceInputs() {
    document.querySelectorAll("input[type=file][data-evidence]").forEach(function (input) {
      input.addEventListener("change", function () {
        input.setCustomValidity("");
        var file = input.files && input.files[0];
        if (!file) { return; }
        var refuse = function (attribute) {
          input.setCustomValidity(input.getAttribute(attribute));
          input.reportValidity();
        };
        var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
        if (limit && file.size > limit) { refuse("data-message-size"); return; }
        file.slice(0, 5).arrayBuffer().then(function (buffer) {
          var head = new Uint8Array(buffer);
          var known = SIGNATURES.some(function (signature) {
            return signature.every(function (byte, index) { return head[index] === byte; });
          });
          if (!known) { refuse("data-message-type"); }
        });
      });
    });
  }
  // On a phone the header's menu folds behind a button; without this script it stays open.
  function menu() {
    var button = document.querySelector(".menu-toggle");
    var header = document.getElementById("top");
    if (!button || !header) { return; }
    header.classList.add("folding");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = header.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    counters(); selectAll(); pdfInputs(); evidenceInputs(); menu();
  });
})();
