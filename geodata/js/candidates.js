// The candidate events of one article: a circle each, a dashed line from a movement's origin.
// Put into the page verbatim by geodata.maps._KcmCandidates (never compiled as a template); Python replaces the
// placeholders of the map's variable and of the JSON data (tooltips already escaped) once each.
(function () {
  var P = __KCM_PAYLOAD__;
  var map = __KCM_MAP__;
  for (var i = 0; i < P.lat.length; i++) {
    var ll = [P.lat[i], P.lon[i]];
    L.circleMarker(ll, {radius: 8, color: P.color[i], fill: true, fillOpacity: 0.8}).bindTooltip(P.tip[i]).addTo(map);
    if (P.olat[i] !== null && P.olon[i] !== null) {
      L.polyline([[P.olat[i], P.olon[i]], ll], {color: P.color[i], weight: 2, dashArray: "6"}).addTo(map);
    }
  }
})();
