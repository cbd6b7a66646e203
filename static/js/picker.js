// A filter box over long multi-selects (data-picker="label"): type to narrow the
// options, selected ones always stay. External file (CSP: no inline scripts); the
// select works as is without it.
(function () {
  "use strict";

  function attach(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-filter";
    box.placeholder = select.getAttribute("data-picker");
    box.setAttribute("aria-label", select.getAttribute("data-picker"));
    box.setAttribute("aria-controls", select.id);
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLowerCase();
      Array.prototype.forEach.call(select.options, function (option) {
        var match = !needle || option.selected ||
          option.text.toLowerCase().indexOf(needle) !== -1;
        option.hidden = !match;
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        var visible = Array.prototype.some.call(group.children, function (o) { return !o.hidden; });
        group.hidden = !visible;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-picker]"), attach);
  });
})();
