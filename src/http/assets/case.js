// The case page: a small map of the case's point (Leaflet, no base tiles
// unless the town configured them).
const box = document.querySelector('.minimap[data-lon]');
if (box && window.L) {
  const point = [Number(box.dataset.lat), Number(box.dataset.lon)];
  const map = L.map(box, { zoomControl: false, attributionControl: false, dragging: false, scrollWheelZoom: false })
    .setView(point, 15);
  const tiles = document.body.dataset.tileUrl;
  if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
  L.circleMarker(point, { radius: 9, color: '#b3261e', weight: 3, fillOpacity: 0.6 }).addTo(map);
  fetch('/api/v1/grids?level=village').then((r) => (r.ok ? r.json() : null)).then((grids) => {
    if (grids) L.geoJSON(grids, { style: { color: '#0b5cad', weight: 1, fillOpacity: 0.03 }, interactive: false }).addTo(map);
  }).catch(() => {});
}

// `/cases/N#dispatch` (from the office's queue) opens that action's form.
const wanted = location.hash && document.getElementById(location.hash.slice(1));
if (wanted && wanted.tagName === 'DETAILS') {
  wanted.open = true;
  wanted.scrollIntoView();
}
