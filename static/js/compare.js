// The swipe: the first image is clipped to the left of the slider's value.
(function () {
  "use strict";
  var range = document.getElementById("swipe-range");
  var over = document.querySelector("[data-swipe-over]");
  if (!range || !over) return;
  function update() {
    over.style.clipPath = "inset(0 " + (100 - Number(range.value)) + "% 0 0)";
  }
  range.addEventListener("input", update);
  update();
})();
