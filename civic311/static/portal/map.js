// Leaflet maps (served from the app, tiles from the city's own tile server). Optional everywhere:
// the address field and the list below the map carry the same information.
(function () {
  "use strict";
  if (!window.L) { return; }
  function center(el) {
    try { return JSON.parse(el.getAttribute("data-center")); } catch (e) { return [0, 0]; }
  }
  // The city's attribution is plain text; Leaflet shows attributions as HTML, so escape it first.
  function asHtml(text) {
    var box = document.createElement("span");
    box.textContent = text || "";
    return box.innerHTML;
  }
  function base(el, options) {
    var map = L.map(el, L.extend({ scrollWheelZoom: false }, options || {})).setView(center(el), 14);
    L.tileLayer(el.getAttribute("data-tiles"), {
      maxZoom: 19, attribution: asHtml(el.getAttribute("data-attribution"))
    }).addTo(map);
    return map;
  }

  var pick = document.getElementById("pick-map");
  if (pick) {
    var map = base(pick);
    var lat = document.getElementById("lat");
    var lng = document.getElementById("lng");
    var marker = null;
    var place = function (latlng, pan) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { keyboard: true }).addTo(map); }
      lat.value = latlng.lat.toFixed(6);
      lng.value = latlng.lng.toFixed(6);
      if (pan) { map.panTo(latlng); }
    };
    if (lat.value && lng.value) { place(L.latLng(parseFloat(lat.value), parseFloat(lng.value)), true); }
    map.on("click", function (e) { place(e.latlng, false); });
    document.addEventListener("civic311:location", function (e) { place(L.latLng(e.detail.lat, e.detail.lng), true); });
  }

  // The review step: where the report will be placed (a pin, a location or a typed address found on
  // the city's map). Read-only; the text next to it says the same for those who cannot see it.
  var review = document.getElementById("review-map");
  if (review) {
    // Not a tab stop of its own: the review is read with the keyboard through its text and links.
    var rmap = base(review, { keyboard: false, zoomControl: false, dragging: false, touchZoom: false,
                              doubleClickZoom: false, boxZoom: false });
    var point = JSON.parse(review.getAttribute("data-point") || "null");
    if (point) { L.marker(point, { keyboard: false, interactive: false }).addTo(rmap); rmap.setView(point, 17); }
  }

  var list = document.getElementById("list-map");
  var data = document.getElementById("map-points");
  if (list && data) {
    var lmap = base(list);
    var points = JSON.parse(data.textContent || "[]");
    var bounds = [];
    points.forEach(function (p) {
      var m = L.marker([p.lat, p.long]).addTo(lmap);
      var a = document.createElement("a");
      a.href = "/requests/" + encodeURIComponent(p.service_request_id);
      a.textContent = p.service_request_id + ": " + p.service_name + " (" + p.status_words + ")";
      m.bindPopup(a);
      bounds.push([p.lat, p.long]);
    });
    if (bounds.length) { lmap.fitBounds(bounds, { maxZoom: 16, padding: [20, 20] }); }
  }
})();
