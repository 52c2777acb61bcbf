// Evaluation pages: add rows to a scenario's step table; confirm deletions.
(function () {
  "use strict";
  function setUpSteps() {
    var table = document.querySelector("[data-steps]");
    var button = document.querySelector("[data-add-step]");
    var total = document.querySelector("input[name='steps-TOTAL_FORMS']");
    if (!table || !button || !total) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var rows = table.querySelectorAll("[data-step-row]");
      var last = rows[rows.length - 1];
      var index = parseInt(total.value, 10);
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) {
        input.name = input.name.replace(/steps-\d+-/, "steps-" + index + "-");
        if (input.id) { input.id = input.id.replace(/steps-\d+-/, "steps-" + index + "-"); }
        input.value = input.name.endsWith("-order") ? String(index + 1) : "";
      });
      copy.querySelectorAll(".errorlist").forEach(function (e) { e.remove(); });
      last.parentNode.appendChild(copy);
      total.value = String(index + 1);
    });
  }
  function setUpConfirm() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { setUpSteps(); setUpConfirm(); });
}());
