// 上报隐患 with JavaScript: GPS with its accuracy in metres and words, a pin
// to drag, the village shown live, categories of the chosen kind, possible
// duplicates, photos downscaled to at most 2048 px, enterprises nearest
// first, and filing through the offline outbox with the draft's key.
import * as outbox from './outbox.js';
import { t } from './app.js';

const form = document.getElementById('report-form');
const MAX_SIDE = 2048;
const GOOD_M = 30;

if (form) {
  const $ = (id) => document.getElementById(id);
  const lon = $('lon');
  const lat = $('lat');
  const status = $('gps-status');
  const photosInput = $('photos');
  const previews = $('photo-previews');
  const category = $('category');
  const enterprise = $('enterprise_id');
  const duplicates = $('duplicates');
  const criterionBox = $('criterion-box');
  // The key is made when the draft is created: a page from the offline cache
  // must not reuse the key the server put in it.
  let key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : form.dataset.key;
  let photos = []; // downscaled Blobs
  let marker = null;
  let map = null;
  let watch = null;

  const say = (template, m) => { status.textContent = status.dataset[template].replace('{m}', m); status.dataset.quality = template; };

  // --- kind → categories, grade → criterion --------------------------------
  function kind() { const c = form.querySelector('input[name=kind]:checked'); return c ? c.value : ''; }
  function grade() { const c = form.querySelector('input[name=grade]:checked'); return c ? c.value : ''; }
  function syncChoices() {
    for (const group of category.querySelectorAll('optgroup')) {
      const show = group.dataset.kind === kind();
      group.hidden = !show;
      group.disabled = !show;
    }
    const chosen = category.selectedOptions[0];
    if (chosen && chosen.dataset.kind && chosen.dataset.kind !== kind()) category.value = '';
    criterionBox.hidden = grade() !== 'major';
    $('criterion').required = grade() === 'major';
  }
  form.addEventListener('change', (e) => {
    if (e.target.name === 'kind' || e.target.name === 'grade') syncChoices();
    if (e.target === category) checkDuplicates();
  });
  syncChoices();

  // --- position -----------------------------------------------------------
  let locateTimer = null;
  function setPoint(lo, la, fromGps) {
    lon.value = lo.toFixed(6);
    lat.value = la.toFixed(6);
    if (map) {
      const p = [la, lo];
      if (!marker) {
        marker = L.marker(p, { draggable: true, autoPan: true }).addTo(map);
        marker.on('dragend', () => {
          stopGps();
          const q = marker.getLatLng();
          setPoint(q.lng, q.lat, false);
        });
      } else {
        marker.setLatLng(p);
      }
      if (fromGps) map.setView(p, Math.max(map.getZoom(), 16));
    }
    clearTimeout(locateTimer);
    locateTimer = setTimeout(() => { showVillage(); checkDuplicates(); orderEnterprises(); }, 300);
  }

  async function showVillage() {
    const line = $('village-line');
    try {
      const r = await fetch(`/api/v1/locate?lon=${lon.value}&lat=${lat.value}`);
      const body = await r.json();
      line.textContent = r.ok
        ? status.dataset.village.replace('{name}', [body.village, body.community].filter(Boolean).map((g) => g.name).join(' · '))
        : status.dataset.outside;
    } catch (e) { line.textContent = ''; }
  }

  function stopGps() { if (watch !== null) { navigator.geolocation.clearWatch(watch); watch = null; } }

  function startGps() {
    if (!navigator.geolocation) { say('denied', ''); return; }
    say('waiting', '…');
    let best = Infinity;
    watch = navigator.geolocation.watchPosition((pos) => {
      const m = Math.round(pos.coords.accuracy);
      if (m > best) return;
      best = m;
      say(m <= GOOD_M ? 'good' : (m <= 100 ? 'fair' : 'poor'), m);
      if (m > GOOD_M) status.textContent = status.dataset.waiting.replace('{m}', m) + ' · ' + status.textContent;
      setPoint(pos.coords.longitude, pos.coords.latitude, true);
      if (m <= GOOD_M) { say('good', m); stopGps(); }
    }, () => { say('denied', ''); stopGps(); $('gps-again').hidden = false; },
    { enableHighAccuracy: true, maximumAge: 10000, timeout: 60000 });
    $('gps-again').hidden = false;
  }
  $('gps-again').addEventListener('click', () => { stopGps(); startGps(); });

  const box = $('report-map');
  if (window.L && box) {
    map = L.map(box, { attributionControl: false }).setView([36.62, 118.53], 12);
    const tiles = document.body.dataset.tileUrl;
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
    fetch('/api/v1/grids?level=village').then((r) => (r.ok ? r.json() : null)).then((grids) => {
      if (!grids) return;
      const layer = L.geoJSON(grids, { style: { color: '#0b5cad', weight: 1, fillOpacity: 0.04 }, interactive: false }).addTo(map);
      if (!lon.value) map.fitBounds(layer.getBounds());
    }).catch(() => {});
    map.on('click', (e) => { stopGps(); setPoint(e.latlng.lng, e.latlng.lat, false); });
  }
  for (const input of [lon, lat]) {
    input.addEventListener('change', () => {
      const lo = Number(lon.value), la = Number(lat.value);
      if (lon.value && lat.value && Number.isFinite(lo) && Number.isFinite(la)) { stopGps(); setPoint(lo, la, true); }
    });
  }
  if (lon.value && lat.value) setPoint(Number(lon.value), Number(lat.value), true); else startGps();

  // --- duplicates and enterprises -----------------------------------------------
  async function checkDuplicates() {
    duplicates.hidden = true;
    if (!lon.value || !lat.value || !category.value) return;
    try {
      const r = await fetch(`/api/v1/cases/nearby?lon=${lon.value}&lat=${lat.value}&category=${encodeURIComponent(category.value)}`);
      if (!r.ok) return;
      const { items } = await r.json();
      duplicates.replaceChildren();
      if (!items.length) return;
      const p = document.createElement('p');
      p.textContent = duplicates.dataset.title;
      duplicates.appendChild(p);
      const list = document.createElement('ul');
      for (const c of items) {
        const li = document.createElement('li');
        const a = document.createElement('a');
        a.href = `/cases/${encodeURIComponent(c.number)}`;
        a.textContent = `${c.number} ${c.title}（${c.distance_m} m）`;
        li.appendChild(a);
        list.appendChild(li);
      }
      duplicates.appendChild(list);
      duplicates.hidden = false;
    } catch (e) { /* offline: no check */ }
  }

  function orderEnterprises() {
    const lo = Number(lon.value), la = Number(lat.value);
    const options = [...enterprise.options].filter((o) => o.value);
    const d = (o) => Math.hypot((Number(o.dataset.lon) - lo) * Math.cos(la * Math.PI / 180), Number(o.dataset.lat) - la);
    options.sort((a, b) => d(a) - d(b));
    for (const o of options) enterprise.appendChild(o);
  }

  // --- photos -------------------------------------------------------------
  async function downscale(file) {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob'))), 'image/jpeg', 0.85));
  }

  function showPreviews() {
    previews.replaceChildren();
    for (const blob of photos) {
      const img = document.createElement('img');
      img.src = URL.createObjectURL(blob);
      img.alt = '';
      previews.appendChild(img);
    }
  }

  photosInput.addEventListener('change', async () => {
    const files = [...photosInput.files];
    status.dataset.previous = status.textContent;
    for (const file of files) {
      try { photos.push(await downscale(file)); } catch (e) { showError('photos', t('report.photo_too_big', { msg: e.message })); }
    }
    photosInput.value = '';
    showPreviews();
  });

  // --- errors next to fields ---------------------------------------------------
  function clearErrors() {
    for (const el of form.querySelectorAll('.field-error.js, .form-error.js')) el.remove();
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  }
  function showError(field, message) {
    const p = document.createElement('p');
    p.setAttribute('role', 'alert');
    const name = field === 'point' ? 'lon' : field;
    const input = name && form.querySelector(`[name="${name}"]`);
    if (input) {
      p.className = 'field-error js';
      input.setAttribute('aria-invalid', 'true');
      (input.closest('.pair, .choices') || input).after(p);
      input.focus({ preventScroll: false });
    } else {
      p.className = 'form-error js';
      form.prepend(p);
      p.scrollIntoView();
    }
    p.textContent = message;
  }

  // --- a draft reopened from the outbox ----------------------------------------------
  const draft = new URLSearchParams(location.search).get('draft');
  if (draft) {
    outbox.get(draft).then((item) => {
      if (!item) return;
      key = item.key;
      const j = item.json;
      for (const name of ['title', 'description', 'criterion', 'category', 'enterprise_id']) {
        const el = form.querySelector(`[name="${name}"]`);
        if (el && j[name] != null) el.value = j[name];
      }
      for (const name of ['kind', 'grade']) {
        const el = form.querySelector(`input[name="${name}"][value="${j[name]}"]`);
        if (el) el.checked = true;
      }
      syncChoices();
      category.value = j.category || '';
      stopGps();
      setPoint(j.lon, j.lat, true);
      photos = item.photos || [];
      showPreviews();
      if (item.error) showError(item.error.field, item.error.message);
    });
  }

  // --- submit through the outbox --------------------------------------------------
  form.addEventListener('submit', async (event) => {
    if (!window.indexedDB) return; // the plain form still works
    event.preventDefault();
    clearErrors();
    const data = new FormData(form);
    const json = {
      kind: data.get('kind') || '',
      category: data.get('category') || '',
      grade: data.get('grade') || '',
      title: data.get('title') || '',
      description: data.get('description') || '',
      lon: Number(data.get('lon')),
      lat: Number(data.get('lat')),
    };
    if (data.get('criterion')) json.criterion = data.get('criterion');
    if (data.get('enterprise_id')) json.enterprise_id = Number(data.get('enterprise_id'));
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await outbox.put({ key, json, photos });
      const outcomes = await outbox.flush(true);
      const mine = outcomes.find((o) => o.key === key);
      if (mine && mine.filed) {
        location.href = `/cases/${encodeURIComponent(mine.filed)}`;
        return;
      }
      if (mine && mine.error) {
        await outbox.remove(key); // corrected here, sent again with the same key
        showError(mine.error.field, mine.error.message);
        return;
      }
      // Not sent (no signal): it waits in the outbox; a new draft starts.
      location.href = '/?queued=1';
    } finally {
      button.disabled = false;
    }
  });
}
