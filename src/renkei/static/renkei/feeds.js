// The import run page: poll the progress endpoint until the run has finished.
(function () {
  "use strict";
  var box = document.getElementById("feeds-run");
  if (!box || box.dataset.finished === "1") { return; }
  var url = box.dataset.progressUrl;
  function show(data) {
    box.querySelectorAll("[data-field]").forEach(function (el) {
      var value = data[el.dataset.field];
      if (value === undefined || value === null) { return; }
      if (el.tagName === "PROGRESS") { el.value = value; el.textContent = value + "%"; }
      else { el.textContent = value; }
      if (el.dataset.field === "message") { el.hidden = !value; }
    });
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        show(data);
        if (data.finished) { window.location.reload(); } else { window.setTimeout(poll, 1500); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
