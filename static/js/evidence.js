// Evidence pages: poll processing state without a full reload, and drag-and-drop
// onto file fields. External file (CSP: no inline scripts); does nothing without
// the data attributes below, and the page works without it.
(function () {
  "use strict";

  function pollStatus(box) {
    var url = box.getAttribute("data-status-url");
    var delay = 1000;
    var maxDelay = 10000;
    var deadline = Date.now() + 15 * 60 * 1000;

    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (status) {
          // Server-rendered, escaped HTML of this same site: no script in it.
          box.innerHTML = status.html;
          box.setAttribute("data-pending", status.is_pending ? "1" : "0");
          if (status.is_pending && Date.now() < deadline) {
            delay = Math.min(delay * 1.5, maxDelay);
            window.setTimeout(tick, delay);
          }
        })
        .catch(function () {
          if (Date.now() < deadline) { window.setTimeout(tick, maxDelay); }
        });
    }
    window.setTimeout(tick, delay);
  }

  function dropzone(zone) {
    var input = zone.querySelector("input[type=file]");
    var nameBox = zone.querySelector("[data-dropzone-name]");
    if (!input) { return; }
    function show() {
      if (nameBox) {
        nameBox.textContent = input.files && input.files.length ? "Selected: " + input.files[0].name : "";
      }
    }
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("over");
      });
    });
    ["dragleave", "dragend"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("over");
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
    input.addEventListener("change", show);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-status-url]").forEach(function (box) {
      if (box.getAttribute("data-pending") === "1") { pollStatus(box); }
    });
    document.querySelectorAll("[data-dropzone]").forEach(dropzone);
  });
})();
