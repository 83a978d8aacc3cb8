// Settings > Zones: draw the uploaded zones on a Leaflet map (the list below works without it).
(function () {
  var el = document.getElementById('zones-map');
  if (!window.L || !el) { if (el) { el.hidden = true; } return; }
  var map = L.map(el, {attributionControl: false});
  var names = JSON.parse(el.dataset.names), layers = [];
  JSON.parse(el.dataset.zones).forEach(function (g, i) {
    // A string tooltip is inserted as HTML; the name comes from an uploaded file, so give it as text.
    var label = document.createElement('span');
    label.textContent = names[i];
    layers.push(L.geoJSON(g).bindTooltip(label).addTo(map));
  });
  map.fitBounds(L.featureGroup(layers).getBounds());
})();
