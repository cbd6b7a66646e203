// Annotating an image: Annotorious (vendored, static/vendor) draws rectangles and
// polygons on the display copy, a click marks a point; the shape is scaled to the
// ORIGINAL's pixels and posted to the JSON API with the CSRF token.
(function () {
  "use strict";
  var stage = document.getElementById("annotate-stage");
  var img = document.getElementById("annotate-image");
  var form = document.getElementById("annotate-form");
  var tools = document.getElementById("annotate-tools");
  if (!stage || !img || !form || !window.Annotorious) return;
  var width = Number(stage.dataset.width);
  var height = Number(stage.dataset.height);
  var pending = null;
  var anno = null;
  var tool = "rect";

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function scale() { return width / (img.naturalWidth || width); }
  function round(v) { return Math.round(v * 100) / 100; }
  function clamp(v, max) { return Math.min(Math.max(v, 0), max); }

  // A selector in the display copy's pixels, as {shape, points} in the original's.
  function toOriginal(selector) {
    var k = scale();
    var value = selector.value || "";
    if (selector.type === "FragmentSelector") {
      var n = value.replace(/^xywh=(pixel:)?/, "").split(",").map(Number);
      return {
        shape: "rectangle",
        points: [[clamp(round(n[0] * k), width), clamp(round(n[1] * k), height)],
                 [clamp(round((n[0] + n[2]) * k), width), clamp(round((n[1] + n[3]) * k), height)]]
      };
    }
    var m = value.match(/points=["']([^"']*)["']/);
    var nums = m ? m[1].trim().split(/[\s,]+/).map(Number) : [];
    var points = [];
    for (var i = 0; i + 1 < nums.length; i += 2) {
      points.push([clamp(round(nums[i] * k), width), clamp(round(nums[i + 1] * k), height)]);
    }
    return { shape: "polygon", points: points };
  }

  function showForm(shape) {
    pending = shape;
    form.hidden = false;
    form.querySelector("[data-shape-summary]").textContent =
      shape.shape + ": " + shape.points.map(function (p) { return p.join(","); }).join(" ") +
      " (original pixels)";
    form.querySelector("[data-error]").textContent = "";
    form.elements.label.focus();
  }
  function hideForm() {
    pending = null;
    form.hidden = true;
    if (anno) anno.cancelSelected();
  }

  function setTool(name) {
    tool = name;
    tools.querySelectorAll("[data-tool]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.tool === name ? "true" : "false");
    });
    var help = tools.querySelector("[data-tool-help]");
    help.textContent = {
      rect: "Drag on the image to draw a rectangle.",
      polygon: "Click each corner; double-click to close the polygon.",
      point: "Click on the image to mark a point."
    }[name];
    if (anno) {
      anno.readOnly = name === "point";
      if (name !== "point") anno.setDrawingTool(name);
    }
  }

  function start() {
    anno = window.Annotorious.init({ image: img, disableEditor: true });
    anno.on("createSelection", function (selection) {
      var selector = selection.target.selector;
      if (Array.isArray(selector)) selector = selector[0];
      showForm(toOriginal(selector));
    });
    tools.hidden = false;
    tools.addEventListener("click", function (e) {
      var b = e.target.closest("[data-tool]");
      if (b) setTool(b.dataset.tool);
    });
    stage.addEventListener("click", function (e) {
      if (tool !== "point") return;
      var r = img.getBoundingClientRect();
      var x = clamp(round((e.clientX - r.left) / r.width * width), width);
      var y = clamp(round((e.clientY - r.top) / r.height * height), height);
      showForm({ shape: "point", points: [[x, y]] });
    });
    setTool("rect");
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!pending) return;
    var count = form.elements.count.value;
    var body = {
      label: form.elements.label.value,
      note: form.elements.note.value,
      count: count === "" ? null : Number(count),
      shape: pending.shape,
      points: pending.points
    };
    fetch(stage.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (!res.ok) {
        var d = res.data || {};
        var msg = Object.keys(d).map(function (k) {
          return k + ": " + [].concat(d[k]).join(" ");
        }).join("; ");
        form.querySelector("[data-error]").textContent = msg || "Not saved.";
        return;
      }
      var id = String(res.data.id).split(":").pop();
      window.location.assign(window.location.pathname + "?highlight=" + id + "#a" + id);
    }).catch(function () {
      form.querySelector("[data-error]").textContent = "Not saved: the server did not answer.";
    });
  });
  form.querySelector("[data-cancel]").addEventListener("click", hideForm);

  if (img.complete && img.naturalWidth) start();
  else img.addEventListener("load", start);
})();
