// 开始巡河: the patrol recorder. Every fix is written to IndexedDB as it
// arrives (a reload, a crash or a dead battery loses at most the last one)
// and the page offers to continue an unfinished recording; fixes worse than
// 50 m are dropped; the screen wake lock is held while the page is visible;
// time away from the page (or paused) starts a new stretch, drawn apart, not
// joined by a straight line. Findings are recorded at the current point with
// photos; 结束巡河 opens the checklist and files the log through the offline
// outbox with the recording's Idempotency-Key.
import * as outbox from './outbox.js';
import { t } from './app.js';

const app = document.getElementById('patrol-app');
const DB_NAME = 'gridsafe-patrol';
const MAX_SIDE = 2048;

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore('recordings', { keyPath: 'id' });
      db.createObjectStore('fixes', { autoIncrement: true }).createIndex('rec', 'rec');
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function run(stores, mode, work) {
  return openDb().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(stores, mode);
    const out = work(tx);
    tx.oncomplete = () => { db.close(); resolve(out && 'result' in out ? out.result : undefined); };
    tx.onerror = () => { db.close(); reject(tx.error); };
    tx.onabort = () => { db.close(); reject(tx.error); };
  }));
}

const saveRecording = (rec) => run(['recordings'], 'readwrite', (tx) => tx.objectStore('recordings').put(rec));
const addFix = (fix) => run(['fixes'], 'readwrite', (tx) => tx.objectStore('fixes').add(fix));
const unfinished = () => run(['recordings'], 'readonly', (tx) => tx.objectStore('recordings').getAll())
  .then((all) => (all || []).sort((a, b) => b.startedAt - a.startedAt)[0] || null);
const fixesOf = (id) => run(['fixes'], 'readonly', (tx) => tx.objectStore('fixes').index('rec').getAll(id))
  .then((all) => (all || []).sort((a, b) => a.t - b.t));
function forget(id) {
  return run(['recordings', 'fixes'], 'readwrite', (tx) => {
    tx.objectStore('recordings').delete(id);
    const index = tx.objectStore('fixes').index('rec');
    index.openKeyCursor(IDBKeyRange.only(id)).onsuccess = (e) => {
      const cursor = e.target.result;
      if (cursor) { tx.objectStore('fixes').delete(cursor.primaryKey); cursor.continue(); }
    };
  });
}

function metres(a, b) {
  const r = 6371008.8, rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}

function stretches(fixes) {
  const out = [];
  let last = null;
  for (const f of fixes) {
    if (!last || f.seg !== last.seg) out.push([]);
    out[out.length - 1].push(f);
    last = f;
  }
  return out;
}

function distance(fixes) {
  let m = 0;
  for (const s of stretches(fixes)) for (let i = 1; i < s.length; i++) m += metres(s[i - 1], s[i]);
  return m;
}

function rfc3339(ms) {
  // China time, as the town's documents print it.
  const d = new Date(ms + 8 * 3600 * 1000);
  return d.toISOString().slice(0, 19) + '+08:00';
}

function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

function downscale(file) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    const url = URL.createObjectURL(file);
    img.onload = () => {
      const scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
      const canvas = document.createElement('canvas');
      canvas.width = Math.round(img.naturalWidth * scale);
      canvas.height = Math.round(img.naturalHeight * scale);
      canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(url);
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob'))), 'image/jpeg', 0.85);
    };
    img.onerror = () => { URL.revokeObjectURL(url); reject(new Error('not an image')); };
    img.src = url;
  });
}

if (app && window.indexedDB) {
  const $ = (id) => document.getElementById(id);
  const choices = JSON.parse($('patrol-choices').textContent || '[]');
  const maxAccuracy = Number(app.dataset.maxAccuracy) || 50;
  const sections = ['patrol-setup', 'patrol-resume', 'patrol-recording', 'patrol-finding', 'patrol-finish', 'patrol-done'];
  const show = (id) => { for (const s of sections) $(s).hidden = s !== id; };
  const state = $('patrol-state');
  const riverSelect = $('patrol-river');
  const reachSelect = $('patrol-reach');

  let rec = null; // the recording's metadata (IndexedDB 'recordings')
  let fixes = []; // its fixes, in time order
  let watch = null;
  let wakeLock = null;
  let timer = null;
  let lastAccuracy = null;
  let map = null;
  let lines = null;
  let here = null;
  let findingMarkers = null;

  function syncReaches() {
    for (const option of reachSelect.options) {
      if (!option.value) continue;
      option.hidden = option.dataset.river !== riverSelect.value;
      option.disabled = option.hidden;
    }
    if (reachSelect.selectedOptions[0] && reachSelect.selectedOptions[0].disabled) reachSelect.value = '';
  }
  riverSelect.addEventListener('change', syncReaches);
  syncReaches();

  function say(text, quality) { state.textContent = text; state.dataset.quality = quality || ''; }

  function drawMap() {
    if (!window.L || map) return;
    map = L.map($('patrol-map'), { attributionControl: false }).setView([36.62, 118.53], 13);
    const tiles = document.body.dataset.tileUrl;
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
    lines = L.layerGroup().addTo(map);
    findingMarkers = L.layerGroup().addTo(map);
    fetch(`/api/v1/rivers/${encodeURIComponent(rec.river)}`).then((r) => (r.ok ? r.json() : null)).then((river) => {
      if (!river) return;
      const layer = L.geoJSON(river.reaches, {
        style: (f) => ({ color: f.properties.code === rec.reach ? '#0b5cad' : '#7aa7d6', weight: f.properties.code === rec.reach ? 6 : 4, opacity: 0.7 }),
      }).addTo(map);
      layer.bringToBack();
      if (!fixes.length) map.fitBounds(layer.getBounds());
    }).catch(() => {});
  }

  function redraw() {
    $('stat-distance').textContent = `${(distance(fixes) / 1000).toFixed(2)} km`;
    $('stat-fixes').textContent = String(fixes.length);
    $('stat-accuracy').textContent = lastAccuracy === null ? '—' : `${lastAccuracy} m`;
    if (!map) return;
    lines.clearLayers();
    for (const s of stretches(fixes)) {
      L.polyline(s.map((f) => [f.lat, f.lon]), { color: '#b3261e', weight: 4 }).addTo(lines);
    }
    const last = fixes[fixes.length - 1];
    if (last) {
      if (!here) here = L.circleMarker([last.lat, last.lon], { radius: 7, color: '#fff', weight: 2, fillColor: '#b3261e', fillOpacity: 1 }).addTo(map);
      here.setLatLng([last.lat, last.lon]);
      if (!map.getBounds().contains(here.getLatLng())) map.panTo(here.getLatLng());
    }
    findingMarkers.clearLayers();
    const list = $('patrol-findings');
    list.replaceChildren();
    for (const f of rec.findings) {
      L.circleMarker([f.lat, f.lon], { radius: 8, color: '#b3261e', weight: 3, fillOpacity: 0.3 }).addTo(findingMarkers);
      const li = document.createElement('li');
      li.textContent = t('patrol.finding_saved', { title: `${f.type} · ${f.title}` });
      list.appendChild(li);
    }
  }

  function tick() {
    const start = fixes.length ? fixes[0].t : rec.startedAt;
    $('stat-duration').textContent = clock(Date.now() - start);
  }

  async function holdScreen() {
    if (!('wakeLock' in navigator)) { say(t('patrol.no_wake_lock'), 'poor'); return; }
    try {
      wakeLock = await navigator.wakeLock.request('screen');
    } catch (e) { wakeLock = null; }
  }

  async function newStretch() {
    rec.seg = (rec.seg || 0) + 1;
    await saveRecording(rec);
  }

  function onFix(pos) {
    if (!rec || rec.paused) return;
    const accuracy = Math.round(pos.coords.accuracy);
    lastAccuracy = accuracy;
    if (accuracy > maxAccuracy) { say(t('patrol.dropped', { m: accuracy }), 'poor'); redraw(); return; }
    const fix = { rec: rec.id, seg: rec.seg || 0, t: pos.timestamp || Date.now(), lon: pos.coords.longitude, lat: pos.coords.latitude, acc: accuracy };
    const last = fixes[fixes.length - 1];
    if (last && (fix.t <= last.t || (last.lon === fix.lon && last.lat === fix.lat && last.seg === fix.seg))) return;
    fixes.push(fix);
    addFix(fix).catch(() => {});
    say(t('patrol.recording', { m: accuracy }), 'good');
    redraw();
  }

  function startWatching() {
    if (watch !== null || !navigator.geolocation) return;
    say(t('patrol.waiting_gps'), 'fair');
    watch = navigator.geolocation.watchPosition(onFix, () => say(t('patrol.denied'), 'denied'),
      { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 });
  }

  function stopWatching() {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
  }

  async function record() {
    show('patrol-recording');
    drawMap();
    redraw();
    $('patrol-pause').textContent = rec.paused ? t('patrol.resume_button') : t('patrol.pause');
    if (rec.paused) { say(t('patrol.paused'), 'fair'); } else { startWatching(); await holdScreen(); }
    clearInterval(timer);
    timer = setInterval(tick, 1000);
    tick();
  }

  document.addEventListener('visibilitychange', async () => {
    if (!rec || $('patrol-recording').hidden) return;
    if (document.visibilityState === 'visible') {
      // Whatever happened while away was not recorded: a new stretch.
      await newStretch();
      if (!rec.paused) { startWatching(); await holdScreen(); }
    }
  });

  $('patrol-start').disabled = false;
  $('patrol-start').addEventListener('click', async () => {
    const choice = choices.find((c) => c.river === riverSelect.value) || choices[0];
    rec = {
      id: (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : app.dataset.key, river: choice.river, riverName: choice.name, reach: reachSelect.value || null,
      startedAt: Date.now(), seg: 0, paused: false, findings: [],
    };
    fixes = [];
    await saveRecording(rec);
    await record();
  });

  $('patrol-pause').addEventListener('click', async () => {
    rec.paused = !rec.paused;
    if (rec.paused) { stopWatching(); if (wakeLock) wakeLock.release().catch(() => {}); } else { rec.seg = (rec.seg || 0) + 1; }
    await saveRecording(rec);
    await record();
  });

  // --- findings -------------------------------------------------------------
  $('patrol-finding-open').addEventListener('click', () => {
    $('finding-error').hidden = true;
    show('patrol-finding');
  });
  $('finding-cancel').addEventListener('click', () => record());
  $('patrol-finding').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = (text) => { $('finding-error').textContent = text; $('finding-error').hidden = false; };
    const last = fixes[fixes.length - 1];
    if (!last) { error(t('patrol.no_fix_yet')); return; }
    const files = [...$('finding-photos').files];
    if (!files.length) { error(t('patrol.need_photo')); return; }
    let photos;
    try { photos = await Promise.all(files.map(downscale)); } catch (err) { error(t('report.photo_too_big', { msg: err.message })); return; }
    rec.findings.push({
      type: $('finding-type').value, title: $('finding-title').value.trim(),
      description: $('finding-description').value.trim(), lon: last.lon, lat: last.lat, photos,
    });
    await saveRecording(rec);
    $('patrol-finding').reset();
    await record();
  });

  // --- finishing and filing ---------------------------------------------------
  function openChecklist() {
    for (const f of rec.findings) {
      const box = document.querySelector(`fieldset.check-item[data-type="${f.type}"]`);
      if (!box) continue;
      box.querySelector('input[value=finding]').checked = true;
      const note = box.querySelector('input[type=text]');
      if (!note.value) note.value = f.title;
    }
    $('patrol-error').hidden = true;
    show('patrol-finish');
  }
  $('patrol-end').addEventListener('click', openChecklist);
  $('patrol-back').addEventListener('click', () => record());

  $('patrol-finish').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = (text) => { $('patrol-error').textContent = text; $('patrol-error').hidden = false; };
    if (fixes.length < 2) { error(t('patrol.too_few')); return; }
    stopWatching();
    clearInterval(timer);
    if (wakeLock) wakeLock.release().catch(() => {});
    const checklist = [...document.querySelectorAll('#patrol-finish fieldset.check-item')].map((box) => {
      const note = box.querySelector('input[type=text]').value.trim();
      return { type: box.dataset.type, status: box.querySelector('input[type=radio]:checked').value, note: note || null };
    });
    const json = {
      river: rec.river,
      started_at: rfc3339(fixes[0].t),
      ended_at: rfc3339(fixes[fixes.length - 1].t),
      track: {
        type: 'Feature',
        geometry: { type: 'LineString', coordinates: fixes.map((f) => [Number(f.lon.toFixed(7)), Number(f.lat.toFixed(7))]) },
        properties: { times: fixes.map((f) => Math.floor(f.t / 1000)) },
      },
      checklist,
      findings: rec.findings.map(({ type, title, description, lon, lat }) => ({ type, title, description, lon, lat })),
      notes: $('patrol-notes').value.trim() || null,
    };
    // Into the outbox first; the recording is forgotten only once the outbox holds it.
    await outbox.put({ key: rec.id, kind: 'patrol', json, photos: [], findingPhotos: rec.findings.map((f) => f.photos) });
    const key = rec.id;
    await forget(key);
    rec = null;
    const outcomes = await outbox.flush(true);
    const mine = outcomes.find((o) => o.key === key);
    $('patrol-done-text').textContent = mine && mine.filed ? t('patrol.filed', { code: mine.filed }) : (mine && mine.error ? mine.error.message : t('patrol.queued'));
    show('patrol-done');
  });

  // --- logs the server refused ------------------------------------------------
  // A refused log stays in the outbox (nothing is lost); it can be sent again
  // once the cause is fixed (a login, an assignment) or deleted on purpose.
  async function showRefused() {
    const box = $('patrol-refused');
    const refused = (await outbox.all()).filter((i) => i.kind === 'patrol' && i.error);
    box.replaceChildren();
    box.hidden = !refused.length;
    for (const item of refused) {
      const p = document.createElement('p');
      p.className = 'form-error';
      p.textContent = `${item.json.river} ${item.json.started_at.slice(0, 16).replace('T', ' ')}：${item.error.message}`;
      const again = document.createElement('button');
      again.type = 'button';
      again.textContent = t('patrol.send_again');
      again.addEventListener('click', async () => { item.error = null; item.nextAt = 0; await outbox.put(item); await outbox.flush(true); showRefused(); });
      const drop = document.createElement('button');
      drop.type = 'button';
      drop.className = 'link';
      drop.textContent = t('patrol.delete');
      drop.addEventListener('click', async () => { if (window.confirm(t('patrol.confirm_discard'))) { await outbox.remove(item.key); showRefused(); } });
      box.append(p, again, drop);
    }
  }
  showRefused().catch(() => {});
  document.addEventListener('gridsafe:outbox', () => showRefused().catch(() => {}));

  // --- an unfinished recording ---------------------------------------------------
  unfinished().then(async (found) => {
    if (!found) return;
    rec = found;
    fixes = await fixesOf(rec.id);
    const start = new Date(rec.startedAt);
    $('patrol-resume-text').textContent = t('patrol.resume', {
      river: rec.riverName || rec.river, start: `${start.toLocaleDateString()} ${start.toLocaleTimeString()}`, n: fixes.length,
    });
    show('patrol-resume');
  }).catch(() => {});
  $('patrol-continue').addEventListener('click', async () => { await newStretch(); await record(); });
  $('patrol-finish-old').addEventListener('click', openChecklist);
  $('patrol-discard').addEventListener('click', async () => {
    if (!window.confirm(t('patrol.confirm_discard'))) return;
    await forget(rec.id);
    rec = null;
    fixes = [];
    show('patrol-setup');
  });
}
