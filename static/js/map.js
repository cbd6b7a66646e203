// Interactive maps (Leaflet 1.9.4, vendored): tracks, dark periods, port calls,
// places, photos and scene footprints over an offline Natural Earth land layer.
// No tile server and nothing fetched but this site's own static land file.
// External file (CSP: no inline script); the data comes from a json_script block
// named by data-map-data. Progressive enhancement: the server-drawn SVG inside
// .geo-map stays for readers without JavaScript, and is hidden once the map runs.
(function () {
  "use strict";

  // Okabe-Ito, as the server-drawn SVG (evidence/ais/draw.py PALETTE).
  var PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000"];
  var LAND = "#e4dfd3";
  var LAND_EDGE = "#b9b09a";
  var SCENE = "#E69F00";
  var PHOTO = "#CC79A7";
  var landCache = {};

  function loadLand(url) {
    if (!landCache[url]) {
      landCache[url] = fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      });
    }
    return landCache[url];
  }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value == null ? "" : String(value);
    return span.innerHTML;
  }

  function day(iso) { return iso ? iso.slice(0, 16).replace("T", " ") : "—"; }

  function popup(p) {
    var head = p.vessel || p.name || p.title || "";
    var lines = ["<strong>" + text(head) + "</strong>"];
    if (p.feature === "track") { lines.push(text(day(p.start) + " – " + day(p.end) + " UTC")); }
    if (p.feature === "dark_period") {
      lines.push("Dark " + text(p.hours) + " h: " + text(day(p.start)) + " – " + text(day(p.end)) + " UTC");
    }
    if (p.feature === "port_call") { lines.push(text("At " + p.port + ": " + day(p.start) + " – " + day(p.end))); }
    if (p.feature === "scene") {
      lines.push(text([p.provider, p.platform, p.sensor].filter(Boolean).join(" · ")));
      if (p.start) { lines.push(text("Acquired " + day(p.start) + " UTC")); }
    }
    if (p.note) { lines.push(text(p.note)); }
    if (p.is_synthetic) { lines.push("<em>Synthetic data</em>"); }
    var url = p.url || (p.extract_id ? "/evidence/" + p.extract_id + "/ais/" : "");
    if (url && url.charAt(0) === "/") { lines.push('<a href="' + text(url) + '">Open</a>'); }
    return lines.join("<br>");
  }

  function colourFor(colours, p) {
    var key = p.extract_id + ":" + p.mmsi;
    if (!(key in colours)) { colours[key] = PALETTE[Object.keys(colours).length % PALETTE.length]; }
    return colours[key];
  }

  // A track cut to the points at or before `until` (seconds), lines kept apart.
  function trackUntil(feature, until) {
    var times = feature.properties.times;
    if (until == null || !times) { return feature.geometry.coordinates; }
    var out = [];
    feature.geometry.coordinates.forEach(function (line, i) {
      var kept = line.filter(function (_, j) { return times[i][j] <= until; });
      if (kept.length) { out.push(kept.length === 1 ? [kept[0], kept[0]] : kept); }
    });
    return out;
  }

  function seconds(iso) { return iso ? Date.parse(iso) / 1000 : null; }

  function build(box) {
    if (box.getAttribute("data-map-ready")) { return; }
    var source = document.getElementById(box.getAttribute("data-map-data"));
    if (!source || typeof window.L === "undefined") { return; }
    box.setAttribute("data-map-ready", "1");
    var data = JSON.parse(source.textContent);
    var canvas = document.createElement("div");
    canvas.className = "geo-map-canvas";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", box.getAttribute("data-map-label") || "Map");
    box.insertBefore(canvas, box.firstChild);
    box.classList.add("has-map");

    var L = window.L;
    var map = L.map(canvas, { zoomSnap: 0.25, preferCanvas: false, worldCopyJump: false });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Land: Natural Earth (public domain)");
    map.createPane("land");
    map.getPane("land").style.zIndex = 250;
    var bbox = data.bbox;
    var fitting = false;
    var moved = false;
    function fit() {
      fitting = true;
      if (bbox) {
        var pad = Math.max(0.05, 0.08 * Math.max(bbox[2] - bbox[0], bbox[3] - bbox[1]));
        map.fitBounds([[bbox[1] - pad, bbox[0] - pad], [bbox[3] + pad, bbox[2] + pad]], { animate: false });
      } else {
        map.setView([42.5, 131], 6, { animate: false });
      }
      fitting = false;
    }
    fit();
    // Until the reader pans or zooms, a resize (a phone turned) fits the data again.
    map.on("movestart", function () { if (!fitting) { moved = true; } });
    map.on("resize", function () { if (!moved) { fit(); } });
    L.control.scale({ imperial: false }).addTo(map);

    var landUrl = box.getAttribute("data-land-url");
    if (landUrl) {
      loadLand(landUrl).then(function (land) {
        L.geoJSON(land, {
          pane: "land", interactive: false,
          style: { color: LAND_EDGE, weight: 0.6, fillColor: LAND, fillOpacity: 1 }
        }).addTo(map);
        box.setAttribute("data-land-ready", "1");
      }).catch(function () { box.setAttribute("data-land-ready", "error"); });
    }

    var colours = {};
    var layer = L.layerGroup().addTo(map);
    function draw(until) {
      layer.clearLayers();
      data.features.forEach(function (f) {
        var p = f.properties;
        var start = seconds(p.start);
        if (until != null && start != null && start > until) { return; }
        if (p.feature === "track") {
          var c = colourFor(colours, p);
          L.polyline(trackUntil(f, until).map(function (line) {
            return line.map(function (xy) { return [xy[1], xy[0]]; });
          }), { color: c, weight: 3, opacity: 1 }).bindPopup(popup(p)).addTo(layer);
        } else if (p.feature === "dark_period") {
          // White under the dashes: a dark period stays visible where another
          // passage's solid line runs along the same route.
          var xy = f.geometry.coordinates;
          var ends = [[xy[0][1], xy[0][0]], [xy[1][1], xy[1][0]]];
          L.polyline(ends, { color: "#ffffff", weight: 5, opacity: 1, interactive: false }).addTo(layer);
          L.polyline(ends, {
            color: colourFor(colours, p), weight: 3, dashArray: "8 6", opacity: 1,
            lineCap: "butt", className: "dark-period"
          }).bindPopup(popup(p)).addTo(layer);
        } else if (p.feature === "port_call") {
          var pt = f.geometry.coordinates;
          L.circleMarker([pt[1], pt[0]], {
            radius: 9, color: colourFor(colours, p), weight: 2, fill: false
          }).bindPopup(popup(p)).addTo(layer);
        } else if (p.feature === "scene") {
          L.geoJSON(f, { style: { color: SCENE, weight: 2, fillOpacity: 0.12 } })
            .bindPopup(popup(p)).addTo(layer);
        } else if (f.geometry.type === "Point") {
          var q = f.geometry.coordinates;
          var photo = p.feature === "photo";
          L.circleMarker([q[1], q[0]], {
            radius: photo ? 6 : 5, color: "#222", weight: 1,
            fillColor: photo ? PHOTO : "#222", fillOpacity: 1
          }).bindTooltip(text(p.name), { permanent: !photo, direction: "auto", className: "map-label" })
            .bindPopup(popup(p)).addTo(layer);
        }
      });
    }
    draw(null);
    timeControl(box, data, draw);
    window.provenanceMaps = window.provenanceMaps || [];
    window.provenanceMaps.push(map);
    box.setAttribute("data-map-drawn", "1");
  }

  // A range input over the data's time span; tied to the page's as-of form
  // (data-as-of-input names its date field): moving it shows what had happened
  // by then and fills the form, whose "Show" asks the server for that as-of view.
  function timeControl(box, data, draw) {
    if (!box.hasAttribute("data-time-control") || !data.time_span) { return; }
    var from = seconds(data.time_span[0]);
    var to = seconds(data.time_span[1]);
    if (from == null || to == null || to <= from) { return; }
    var wrap = document.createElement("div");
    wrap.className = "map-time";
    var label = document.createElement("label");
    label.textContent = "Show what had happened by ";
    var out = document.createElement("output");
    var range = document.createElement("input");
    range.type = "range";
    range.min = String(Math.floor(from / 86400));
    range.max = String(Math.ceil(to / 86400));
    range.step = "1";
    var start = data.as_of ? seconds(data.as_of) : to;
    range.value = String(Math.ceil(start / 86400));
    range.setAttribute("aria-label", "Date shown on the map");
    label.appendChild(out);
    wrap.appendChild(label);
    wrap.appendChild(range);
    box.appendChild(wrap);
    var asOf = document.getElementById(box.getAttribute("data-as-of-input") || "");
    function update(fromInput) {
      var dayEnd = (Number(range.value) + 1) * 86400 - 1;
      var iso = new Date(dayEnd * 1000).toISOString().slice(0, 10);
      out.textContent = iso;
      if (asOf && fromInput) { asOf.value = iso; }
      draw(dayEnd);
    }
    range.addEventListener("input", function () { update(true); });
    update(false);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".geo-map[data-map-data]"), build);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  // The AIS page swaps its results in when processing ends (#processing, by
  // evidence.js): map them too. Only that box is watched, not the map's own DOM.
  var swapped = document.getElementById("processing");
  if (swapped && typeof MutationObserver !== "undefined") {
    new MutationObserver(start).observe(swapped, { childList: true });
  }
})();
