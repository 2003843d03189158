// A patrol log's track drawn over its river's reaches, split where the fixes
// are further apart than the gap threshold (time the recorder was away is a
// gap, not a straight line); and a river page's reaches. Leaflet, no base
// tiles unless the town configured them.
const box = document.querySelector('#patrol-track[data-patrol], #river-map[data-river]');

function reachesLayer(map, river, highlight) {
  return fetch(`/api/v1/rivers/${encodeURIComponent(river)}`).then((r) => (r.ok ? r.json() : null)).then((body) => {
    if (!body) return null;
    return L.geoJSON(body.reaches, {
      style: (f) => ({ color: highlight.has(f.properties.code) ? '#0b5cad' : '#7aa7d6', weight: highlight.has(f.properties.code) ? 6 : 4, opacity: 0.75 }),
      onEachFeature: (f, layer) => layer.bindTooltip(`${f.properties.grid_name || ''} ${f.properties.code}`),
    }).addTo(map);
  });
}

function stretches(coordinates, times, gapS) {
  const out = [[]];
  coordinates.forEach((c, i) => {
    if (i > 0 && times && times[i] - times[i - 1] > gapS) out.push([]);
    out[out.length - 1].push([c[1], c[0]]);
  });
  return out.filter((s) => s.length);
}

if (box && window.L) {
  const map = L.map(box, { attributionControl: false }).setView([36.62, 118.53], 12);
  const tiles = document.body.dataset.tileUrl;
  if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
  const river = box.dataset.river;
  if (box.dataset.patrol) {
    fetch(`/api/v1/patrols/${encodeURIComponent(box.dataset.patrol)}`).then((r) => (r.ok ? r.json() : null)).then(async (log) => {
      if (!log) return;
      const touched = new Set((log.reaches || []).map((r) => r.code));
      await reachesLayer(map, river, touched).catch(() => null);
      const gapS = Number(box.dataset.gapS) || 120;
      const parts = stretches(log.track.coordinates || [], log.times, gapS);
      const track = L.featureGroup(parts.map((s) => L.polyline(s, { color: '#b3261e', weight: 4 }))).addTo(map);
      if (parts.length) {
        L.circleMarker(parts[0][0], { radius: 6, color: '#1b7f3b', fillOpacity: 1 }).addTo(map);
        const end = parts[parts.length - 1];
        L.circleMarker(end[end.length - 1], { radius: 6, color: '#14202b', fillOpacity: 1 }).addTo(map);
        map.fitBounds(track.getBounds(), { padding: [20, 20] });
      }
    }).catch(() => {});
  } else {
    reachesLayer(map, river, new Set()).then((layer) => { if (layer) map.fitBounds(layer.getBounds()); }).catch(() => {});
  }
}
