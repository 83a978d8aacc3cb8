// The request's pin on a map, when Leaflet is served locally and the city has a tile server.
// Without tiles (or without JS) the coordinates and the address stay on the page.
(function () {
  var el = document.getElementById("request-map");
  if (!el || typeof L === "undefined") { return; }
  var lat = parseFloat(el.dataset.lat), lng = parseFloat(el.dataset.lng);
  if (isNaN(lat) || isNaN(lng)) { return; }
  var map = L.map(el).setView([lat, lng], 17);
  if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map); }
  L.marker([lat, lng]).addTo(map);
})();
