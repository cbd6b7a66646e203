// Name suggestions for the shared subject and tag filters (input[data-suggest]):
// as one types, the team's matching entity or tag names fill the input's
// <datalist> from /search/suggest/?field=&q= (JSON, the member's team only).
// External file (CSP: no inline scripts); the input works as a plain text box
// without it, and a name typed in full is resolved the same way.
(function () {
  "use strict";

  var DELAY_MS = 150;

  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-suggest-url");
    var field = input.getAttribute("data-suggest");
    var timer = null;
    var asked = "";
    if (!list || !url) { return; }

    function fill(items) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      items.forEach(function (item) {
        var option = document.createElement("option");
        option.value = item.value;
        if (item.label !== item.value) { option.label = item.label; }
        list.appendChild(option);
      });
    }

    function ask() {
      var q = input.value.trim();
      if (q === asked) { return; }
      asked = q;
      if (!q) { fill([]); return; }
      var target = url + "?field=" + encodeURIComponent(field) + "&q=" + encodeURIComponent(q);
      fetch(target, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (input.value.trim() === q) { fill(data.results || []); } })
        .catch(function () { fill([]); });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), attach);
  });
})();
