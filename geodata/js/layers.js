// The map's layers: fills the layer groups from compact arrays, and adds the legend and the "as of" box.
// Put into the page verbatim by geodata.maps._KcmLayers (never compiled as a template). Python replaces the
// placeholders once each: the map's variable, the layer groups and, last, the JSON data (every string in it
// already escaped). S is the string table, T the labels.
(function () {
  var P = __KCM_PAYLOAD__;
  var map = __KCM_MAP__;
  var S = P.S, T = P.L, g = __KCM_GROUPS__, names = [];
  if (!document.getElementById("kcm-css")) {
    var st = document.createElement("style"); st.id = "kcm-css"; st.textContent = P.css;
    document.head.appendChild(st);
  }
  function box(pos, markup) {
    var c = L.control({position: pos}); c.onAdd = function () {
      var d = document.createElement("div"); d.innerHTML = markup;
      L.DomEvent.disableClickPropagation(d); return d.firstChild;
    };
    c.addTo(map);
  }
  box("topright", P.asof);
  if (P.legend) { box("bottomleft", P.legend); }
  function row(k, v) { return v ? "<tr><th>" + T[k] + "</th><td dir=\"auto\">" + v + "</td></tr>" : ""; }
  function popup(r) {
    var place = [S[r[3]], S[r[4]]].filter(Boolean).join(" / ");
    var ctl = (S[r[6]] || S[r[7]]) ? (S[r[6]] || "?") + " → " + (S[r[7]] || "?") : "";
    var src = S[r[9]];
    if (S[r[10]]) {
      src = "<a href=\"" + S[r[10]] + "\" target=\"_blank\" rel=\"noopener noreferrer\">" + (src || S[r[10]]) + "</a>";
    }
    return "<div class=\"kcm-pop\" dir=\"" + P.dir + "\"><b>" + S[r[12]] + "</b><table>" +
      row("date", S[r[0]] + (S[r[1]] ? " (" + T.precision + ": " + S[r[1]] + ")" : "")) +
      row("type", S[r[2]]) + row("place", place) + row("as_written", S[r[5]]) + row("controller", ctl) +
      row("summary", S[r[8]]) + row("source", src) + row("status", S[r[11]]) + "</table></div>";
  }
  function tip(r) {
    var written = S[r[5]] && S[r[5]] !== S[r[3]] && S[r[5]] !== S[r[4]] ? " (" + S[r[5]] + ")" : "";
    return "<b>" + S[r[0]] + "</b> · " + S[r[2]] + " · <span dir=\"auto\">" + S[r[3]] + written + "</span>";
  }
  // Outlines, areas and front lines: plain data; every string goes into the page with textContent.
  function textBox(lines) {
    var d = document.createElement("div"); d.dir = "auto";
    lines.forEach(function (t, i) { var s = document.createElement(i ? "div" : "b"); s.textContent = t; d.appendChild(s); });
    return d;
  }
  function pane(name, z, quiet) {
    var p = map.getPane(name) || map.createPane(name); p.style.zIndex = z;
    if (quiet) { p.style.pointerEvents = "none"; }
    return p;
  }
  if (P.base) {
    pane("kcmBase", 250, true); pane("kcmBaseLabels", 260, true);
    if (!P.tiles) { map.getContainer().style.background = "#dde7ee"; }
    L.geoJSON(P.base, {pane: "kcmBase", interactive: false, renderer: L.svg({pane: "kcmBase"}),
      style: function (f) {
        var p = f.properties;
        if (p.kind === "country") {
          return {className: "kcm-country", color: "#6f6a60", weight: 1.3, fillColor: p.code === "IQ" ? "#f8f6f0" : "#e9e5da",
            fillOpacity: P.tiles ? 0 : 1};
        }
        return {className: "kcm-governorate", color: "#8f8a80", weight: 0.8, dashArray: "5 4", fill: false};
      }}).addTo(map);
    P.base.features.forEach(function (f) {
      var p = f.properties, el = document.createElement("span");
      el.textContent = (P.dir === "rtl" && p.name_ar) ? p.name_ar : p.name;
      L.marker([p.label[1], p.label[0]], {pane: "kcmBaseLabels", interactive: false, keyboard: false,
        icon: L.divIcon({className: "kcm-base-label kcm-base-" + p.kind, iconSize: [0, 0], html: el})}).addTo(map);
    });
  }
  function hatch(renderer) {
    var svg = renderer._container, ns = "http://www.w3.org/2000/svg";
    if (!svg || svg.querySelector("#kcm-hatch")) { return; }
    var defs = document.createElementNS(ns, "defs"), pat = document.createElementNS(ns, "pattern");
    var bar = document.createElementNS(ns, "rect");
    pat.setAttribute("id", "kcm-hatch"); pat.setAttribute("patternUnits", "userSpaceOnUse");
    pat.setAttribute("width", "8"); pat.setAttribute("height", "8"); pat.setAttribute("patternTransform", "rotate(45)");
    bar.setAttribute("width", "3"); bar.setAttribute("height", "8"); bar.setAttribute("fill", P.contested);
    pat.appendChild(bar); defs.appendChild(pat); svg.insertBefore(defs, svg.firstChild);
  }
  if (P.areas && g.areas) {
    pane("kcmAreas", 350);
    var areaRenderer = L.svg({pane: "kcmAreas"});
    L.geoJSON(P.areas, {pane: "kcmAreas", renderer: areaRenderer,
      style: function (f) {
        var p = f.properties;
        return {className: "kcm-area", color: p.c, weight: 1, opacity: 0.8, fillColor: p.x ? "url(#kcm-hatch)" : p.c,
          fillOpacity: p.x ? 0.8 : 0.3};
      },
      onEachFeature: function (f, layer) { layer.bindTooltip(textBox(f.properties.t), {sticky: true}); }
    }).addTo(g.areas);
    hatch(areaRenderer);
    map.on("overlayadd", function () { hatch(areaRenderer); });
  }
  if (P.fronts && g.fronts) {
    L.geoJSON(P.fronts, {interactive: false, style: {className: "kcm-front-halo", color: "#fff", weight: 7, opacity: 0.9}})
      .addTo(g.fronts);
    L.geoJSON(P.fronts, {style: {className: "kcm-front", color: "#5b0f1f", weight: 3, dashArray: "10 6"},
      onEachFeature: function (f, layer) { layer.bindTooltip(textBox(f.properties.t), {sticky: true}); }
    }).addTo(g.fronts);
  }
  // Symbols at one place are spread on a small ring (in screen pixels, kept on zoom) so that none hides another.
  var spots = {};
  function atSpot(ll, marker, isEvent) {
    var k = ll[0].toFixed(4) + "," + ll[1].toFixed(4), s = spots[k] || (spots[k] = {ll: ll, ev: [], ctl: false});
    if (isEvent) { s.ev.push(marker); } else { s.ctl = true; }
  }
  function spread() {
    Object.keys(spots).forEach(function (k) {
      var s = spots[k], n = s.ev.length;
      if (!n || (n === 1 && !s.ctl)) { return; }
      var c = map.latLngToLayerPoint(s.ll), r = 13 + Math.max(0, n - 6) * 2.5;
      s.ev.forEach(function (m, i) {
        var a = 2 * Math.PI * i / n - Math.PI / 2;
        m.setLatLng(map.layerPointToLatLng(c.add(L.point(r * Math.cos(a), r * Math.sin(a)))));
      });
    });
  }
  map.on("zoomend viewreset", spread);
  if (P.ctl && g.control) {
    var fc = g.control, c = P.ctl;
    for (var i = 0; i < c.lat.length; i++) {
      var ll = [c.lat[i], c.lon[i]];
      var m = L.circleMarker(ll, {radius: 9, color: "#222", weight: 1.5, fillColor: c.c[i], fillOpacity: 0.9,
        className: "kcm-place"});
      m.bindTooltip(S[c.tip[i]]); m.bindPopup(S[c.tip[i]]); m.addTo(fc); atSpot(ll, m, false);
      if (c.x[i]) {
        var ring = L.circleMarker(ll, {radius: 14, color: P.contested, weight: 3, dashArray: "4 3", fill: false});
        ring.bindTooltip(S[c.tip[i]]); ring.addTo(fc);
      }
      if (S[c.n[i]]) {
        var nm = L.marker(ll, {interactive: false, keyboard: false, rank: c.rank[i], icon: L.divIcon({
          className: "kcm-name", iconSize: [0, 0], html: "<span dir=\"" + P.dir + "\">" + S[c.n[i]] + "</span>"})});
        nm.addTo(fc); names.push(nm);
      }
    }
    // Place names never overlap: towns first, then sites; a name that would cover a kept one is hidden.
    names.sort(function (a, b) { return a.options.rank - b.options.rank; });
    var declutter = function () {
      var kept = [];
      names.forEach(function (nm) {
        var el = nm.getElement(); if (!el || !el.firstChild) { return; }
        el.style.visibility = "visible";
        var r = el.firstChild.getBoundingClientRect();
        var hit = kept.some(function (k) {
          return r.left < k.right + 2 && r.right > k.left - 2 && r.top < k.bottom + 1 && r.bottom > k.top - 1;
        });
        if (hit) { el.style.visibility = "hidden"; } else { kept.push(r); }
      });
    };
    map.on("zoomend moveend overlayadd", declutter); map.whenReady(function () { setTimeout(declutter, 0); });
  }
  if (P.ev && g.events) {
    var fe = g.events, e = P.ev;
    for (var j = 0; j < e.lat.length; j++) {
      if (e.lat[j] === null || e.lon[j] === null) { continue; }
      var r = e.r[j];
      var mk = L.circleMarker([e.lat[j], e.lon[j]], {radius: 6, color: "#222", weight: 1, fillColor: P.types[e.k[j]],
        fillOpacity: 0.85, dashArray: r[13] ? "2 2" : null, className: "kcm-event"});
      mk.bindTooltip(tip(r)); mk.bindPopup(popup(r), {maxWidth: 340}); mk.addTo(fe); atSpot([e.lat[j], e.lon[j]], mk, true);
    }
  }
  if (P.agg && g.events) {
    var fa = g.events, a = P.agg, cv = L.canvas(), mx = Math.max.apply(null, a.n.concat([1]));
    for (var q = 0; q < a.n.length; q++) {
      var op = 0.25 + 0.65 * Math.log(1 + a.n[q]) / Math.log(1 + mx);
      var rc = L.rectangle([[a.lat[q], a.lon[q]], [a.lat[q] + a.cell, a.lon[q] + a.cell]],
        {renderer: cv, weight: 0.5, color: "#333", fillColor: P.aggColor, fillOpacity: op});
      rc.bindTooltip(S[a.tip[q]]); rc.addTo(fa);
    }
  }
  function arrow(la0, lo0, la1, lo1) {
    var k = Math.cos(la1 * Math.PI / 180) || 1, dx = (lo1 - lo0) * k, dy = la1 - la0;
    var len = Math.sqrt(dx * dx + dy * dy); if (!len) { return null; }
    var s = Math.min(0.06, len * 0.25), ux = dx / len, uy = dy / len;
    var bx = lo1 * k - ux * s, by = la1 - uy * s, w = s * 0.5;
    return [[la1, lo1], [by + ux * w, (bx - uy * w) / k], [by - ux * w, (bx + uy * w) / k]];
  }
  function line(fg, la0, lo0, la1, lo1, weight, html, popupHtml) {
    var pl = L.polyline([[la0, lo0], [la1, lo1]], {color: P.moveColor, weight: weight, opacity: 0.85});
    pl.bindTooltip(html); if (popupHtml) { pl.bindPopup(popupHtml, {maxWidth: 340}); } pl.addTo(fg);
    var tri = arrow(la0, lo0, la1, lo1);
    if (tri) {
      var pg = L.polygon(tri, {color: P.moveColor, weight: 1, fillColor: P.moveColor, fillOpacity: 1});
      pg.bindTooltip(html); pg.addTo(fg);
    }
  }
  if (P.mv && g.movements) {
    var fm = g.movements, v = P.mv;
    for (var t = 0; t < v.e.length; t++) {
      var rr = P.ev.r[v.e[t]];
      line(fm, v.lat0[t], v.lon0[t], v.lat1[t], v.lon1[t], 3, tip(rr), popup(rr));
    }
  }
  if (P.mvagg && g.movements) {
    var fp = g.movements, w = P.mvagg, top = Math.max.apply(null, w.n.concat([1]));
    for (var u = 0; u < w.n.length; u++) {
      line(fp, w.lat0[u], w.lon0[u], w.lat1[u], w.lon1[u], 2 + 6 * Math.sqrt(w.n[u] / top), S[w.tip[u]], null);
    }
  }
  if (P.ch && g.changes) {
    var fh = g.changes, h = P.ch;
    for (var z = 0; z < h.lat.length; z++) {
      var hm = L.circleMarker([h.lat[z], h.lon[z]], {radius: 18, color: P.changeColor, weight: 4, fill: false,
        className: "kcm-change"});
      hm.bindTooltip(S[h.tip[z]]); hm.bindPopup(S[h.tip[z]]); hm.addTo(fh);
    }
  }
  map.whenReady(spread);
})();
