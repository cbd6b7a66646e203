// Annotating an image: Annotorious (vendored, static/vendor) draws rectangles and
// polygons on the display copy, a click marks a point; the shape is scaled to the
// ORIGINAL's pixels and posted to the JSON API with the CSRF token. The image's
// rectangles and polygons are loaded into Annotorious too: selecting one (or its
// "Change" button) opens the form on it, its shape can be dragged, and saving goes
// through Annotorious' updateAnnotation event to PATCH the same API.
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
  var editing = null; // {id, annotation (Annotorious' copy, or null for a point)}
  var movedTarget = null;
  var anno = null;
  var tool = "rect";
  var URN = "urn:provenance:annotation:";

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

  // A selector in the original's pixels, in the display copy's (null: a point,
  // which Annotorious does not draw).
  function toDisplay(selector) {
    var k = scale();
    var value = selector.value || "";
    if (selector.type === "FragmentSelector") {
      var n = value.replace(/^xywh=(pixel:)?/, "").split(",").map(Number);
      return { type: "FragmentSelector", conformsTo: "http://www.w3.org/TR/media-frags/",
               value: "xywh=pixel:" + n.map(function (v) { return round(v / k); }).join(",") };
    }
    var m = value.match(/<polygon points=["']([^"']*)["']/);
    if (!m) return null;
    var nums = m[1].trim().split(/[\s,]+/).map(Number);
    var pairs = [];
    for (var i = 0; i + 1 < nums.length; i += 2) {
      pairs.push(round(nums[i] / k) + "," + round(nums[i + 1] / k));
    }
    return { type: "SvgSelector", value: '<svg><polygon points="' + pairs.join(" ") + '"/></svg>' };
  }

  function fieldsOf(button) {
    return { label: button.dataset.editLabel, note: button.dataset.editNote, count: button.dataset.editCount };
  }
  function setTitle(text) { form.querySelector("[data-form-title]").textContent = text; }

  function showEdit(id, annotation) {
    var button = document.querySelector('[data-edit="' + id + '"]');
    if (!button) return;
    var f = fieldsOf(button);
    pending = null;
    editing = { id: id, annotation: annotation };
    movedTarget = null;
    form.hidden = false;
    setTitle("Change annotation");
    form.querySelector("[data-shape-summary]").textContent = annotation
      ? "Drag the shape or its corners to change it, or change its text."
      : "Change its label, count or note.";
    form.elements.label.value = f.label;
    form.elements.note.value = f.note;
    form.elements.count.value = f.count;
    form.querySelector("[data-error]").textContent = "";
    // Selected on the image: keep the image in view, its shape may be dragged.
    form.elements.label.focus({ preventScroll: Boolean(annotation) });
  }

  function showForm(shape) {
    pending = shape;
    editing = null;
    setTitle("New annotation");
    form.hidden = false;
    form.querySelector("[data-shape-summary]").textContent =
      shape.shape + ": " + shape.points.map(function (p) { return p.join(","); }).join(" ") +
      " (original pixels)";
    form.querySelector("[data-error]").textContent = "";
    form.elements.label.focus();
  }
  function hideForm() {
    pending = null;
    editing = null;
    movedTarget = null;
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

  function selectorOf(target) {
    var selector = target.selector;
    return Array.isArray(selector) ? selector[0] : selector;
  }

  function loadExisting() {
    fetch(stage.dataset.api, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.json() : { items: [] };
    }).then(function (page) {
      var shown = [];
      (page.items || []).forEach(function (a) {
        var selector = toDisplay(a.target.selector);
        if (selector) shown.push({ "@context": a["@context"], id: a.id, type: "Annotation",
                                   body: a.body, target: { selector: selector } });
      });
      anno.setAnnotations(shown);
    });
  }

  function start() {
    anno = window.Annotorious.init({ image: img, disableEditor: true });
    anno.on("createSelection", function (selection) {
      showForm(toOriginal(selectorOf(selection.target)));
    });
    anno.on("selectAnnotation", function (annotation) {
      showEdit(String(annotation.id).replace(URN, ""), annotation);
    });
    anno.on("changeSelectionTarget", function (target) {
      if (editing) movedTarget = target;
      else if (pending && pending.shape !== "point") pending = toOriginal(selectorOf(target));
    });
    // A change saved through Annotorious: the same annotations API, PATCHed.
    anno.on("updateAnnotation", function (annotation) {
      var body = textFields();
      if (movedTarget) {
        var shape = toOriginal(selectorOf(annotation.target));
        body.shape = shape.shape;
        body.points = shape.points;
      }
      send("PATCH", stage.dataset.api + String(annotation.id).replace(URN, "") + "/", body);
    });
    document.querySelectorAll("[data-edit]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () {
        var id = b.dataset.edit;
        // Text only; to change the shape too, select it on the image.
        if (anno) anno.cancelSelected();
        showEdit(id, null);
      });
    });
    loadExisting();
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

  function textFields() {
    var count = form.elements.count.value;
    return {
      label: form.elements.label.value,
      note: form.elements.note.value,
      count: count === "" ? null : Number(count)
    };
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (editing && editing.annotation) {
      var changed = Object.assign({}, editing.annotation,
                                  movedTarget ? { target: movedTarget } : {});
      anno.updateSelected(changed, true); // fires updateAnnotation
      return;
    }
    if (editing) {
      send("PATCH", stage.dataset.api + editing.id + "/", textFields());
      return;
    }
    if (!pending) return;
    var body = textFields();
    body.shape = pending.shape;
    body.points = pending.points;
    send("POST", stage.dataset.api, body);
  });

  function send(method, url, body) {
    fetch(url, {
      method: method,
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
      // Annotorious off before the reload: while the page unloads the image has no
      // on-screen size, and a selection's handles would be sized by it (Infinity).
      if (anno) anno.destroy();
      anno = null;
      window.location.assign(window.location.pathname + "?highlight=" + id + "#a" + id);
    }).catch(function () {
      form.querySelector("[data-error]").textContent = "Not saved: the server did not answer.";
    });
  }
  form.querySelector("[data-cancel]").addEventListener("click", hideForm);

  if (img.complete && img.naturalWidth) start();
  else img.addEventListener("load", start);
})();
