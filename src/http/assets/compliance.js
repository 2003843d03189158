// The compliance page: the reaches of the listed rivers on a map, each
// coloured by the share of it that the month's valid patrols covered. The
// shares come from the page (`data-coverage`); the list above is complete
// without this script.
const box = document.querySelector('.coverage-map[data-coverage]');
if (box && window.L) {
  const shares = JSON.parse(box.dataset.coverage || '{}');
  const rivers = (box.dataset.rivers || '').split(' ').filter(Boolean);
  // The same bands as the server's `compliance::band` and the legend's swatches.
  const colour = (s) => (s >= 0.8 ? '#1b7f3b' : s >= 0.5 ? '#d99a00' : s > 0 ? '#e0662a' : '#b3261e');
  const map = L.map(box, { attributionControl: false, scrollWheelZoom: false }).setView([36.7, 118.6], 12);
  const tiles = document.body.dataset.tileUrl;
  if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
  const bounds = L.latLngBounds([]);
  Promise.all(rivers.map((code) => fetch('/api/v1/rivers/' + encodeURIComponent(code))
    .then((r) => (r.ok ? r.json() : null)).catch(() => null)))
    .then((found) => {
      found.forEach((river) => {
        if (!river || !river.reaches) return;
        const layer = L.geoJSON(river.reaches, {
          filter: (f) => f.properties && f.properties.code in shares,
          style: (f) => ({ color: colour(shares[f.properties.code]), weight: 7, opacity: 0.9 }),
          onEachFeature: (f, l) => {
            const label = document.createElement('span');
            const p = f.properties;
            label.textContent = (p.grid_name || p.code) + ' ' + Math.round(shares[p.code] * 100) + '%';
            l.bindTooltip(label, { sticky: true });
          },
        }).addTo(map);
        if (layer.getBounds().isValid()) bounds.extend(layer.getBounds());
      });
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    });
}
