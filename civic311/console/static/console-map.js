// The request's pin on a map, when Leaflet is served locally and the city has a tile server.
// Without tiles (or without JS) the coordinates and the address stay on the page.
(function () {
  var el = document.getElementById("request-map");
  if (!el || typeof L === "undefined") { return; }
  var lat = parseFloat(el.dataset.lat), lng = parseFloat(el.dataset.lng);
  if (isNaN(lat) || isNaN(lng)) { return; }
  var map = L.map(el).setView([lat, lng], 17);
  if (el.dataset.tiles) {
    // The city's attribution is plain text; Leaflet shows attributions as HTML, so escape it first.
    var box = document.createElement("span");
    box.textContent = el.dataset.attribution || "";
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: box.innerHTML }).addTo(map);
  }
  L.marker([lat, lng]).addTo(map);
})();
