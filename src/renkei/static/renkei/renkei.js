/* Progressive enhancement only: every page works without it. */
"use strict";

// The chosen-audience lists matter only when "chosen organisations and people" is selected.
function setUpAudience(form) {
  const chosen = form.querySelector(".audience-chosen");
  if (!chosen) return;
  const update = () => {
    const mode = form.querySelector("input[name=audience_mode]:checked");
    chosen.hidden = !(mode && mode.value === "chosen");
  };
  form.addEventListener("change", update);
  update();
}

// Ask before irreversible buttons (leave a community, remove a member).
function setUpConfirm(form) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-audience]").forEach(setUpAudience);
  document.querySelectorAll("form[data-confirm]").forEach(setUpConfirm);
});
