// The offline outbox (UI.md): a report is stored in IndexedDB (its JSON and
// its photo blobs) with the Idempotency-Key made when its draft was created,
// sent one at a time with backoff, and removed only after the server answered
// 200/201. Plain ES module, no build step.

const DB_NAME = 'gridsafe';
const STORE = 'outbox';
const MAX_BACKOFF_MS = 10 * 60 * 1000;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'key' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function tx(mode, work) {
  return open().then((db) => new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const result = work(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); resolve(result && 'result' in result ? result.result : undefined); };
    t.onerror = () => { db.close(); reject(t.error); };
    t.onabort = () => { db.close(); reject(t.error); };
  }));
}

/** Every queued item, oldest first. */
export function all() {
  return tx('readonly', (s) => s.getAll()).then((items) => (items || []).sort((a, b) => a.created - b.created));
}

/**
 * Queues (or replaces) an item: {key, json, photos: [Blob]}, or a patrol log
 * {key, kind: 'patrol', json, photos: [], findingPhotos: [[Blob]]}.
 */
export function put(item) {
  const stored = Object.assign({ created: Date.now(), attempts: 0, nextAt: 0, error: null }, item);
  return tx('readwrite', (s) => s.put(stored));
}

/** One item by key. */
export function get(key) {
  return tx('readonly', (s) => s.get(key));
}

/** Removes an item (after the server has it, or when reopened as a draft). */
export function remove(key) {
  return tx('readwrite', (s) => s.delete(key));
}

/** The CSRF token of the current session: from the page, or fresh from the server. */
async function csrfToken(refresh) {
  if (!refresh && document.body.dataset.csrf) return document.body.dataset.csrf;
  const response = await fetch('/api/v1/me', { credentials: 'same-origin' });
  if (!response.ok) throw Object.assign(new Error('not signed in'), { status: response.status });
  const me = await response.json();
  document.body.dataset.csrf = me.csrf_token;
  return me.csrf_token;
}

async function upload(blobs, token) {
  const ids = [];
  for (const blob of blobs || []) {
    const body = new FormData();
    body.append('file', blob, 'photo.jpg');
    const r = await fetch('/api/v1/media', { method: 'POST', body, headers: { 'X-CSRF-Token': token }, credentials: 'same-origin' });
    if (r.status !== 200 && r.status !== 201) return { refused: r };
    ids.push((await r.json()).id);
  }
  return { ids };
}

// What each kind of item is filed as: a hazard report (its photos on the
// case) or a patrol log (each finding's photos on that finding).
async function send(item, token) {
  const json = Object.assign({}, item.json);
  const photos = await upload(item.photos, token);
  if (photos.refused) return photos.refused;
  json.photos = photos.ids;
  if (item.kind === 'patrol') {
    json.findings = (json.findings || []).map((f) => Object.assign({}, f));
    for (const [i, blobs] of (item.findingPhotos || []).entries()) {
      const done = await upload(blobs, token);
      if (done.refused) return done.refused;
      json.findings[i].photos = done.ids;
    }
  }
  return fetch(item.kind === 'patrol' ? '/api/v1/patrols' : '/api/v1/cases', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': item.key, 'X-CSRF-Token': token },
    body: JSON.stringify(json),
  });
}

let flushing = null;

/**
 * Sends what waits, one item at a time. Resolves to a list of outcomes
 * {key, filed: number} or {key, error: {message, field}} for what was decided.
 */
export function flush(force) {
  if (flushing) return flushing;
  flushing = (async () => {
    const outcomes = [];
    let token;
    try { token = await csrfToken(false); } catch (e) { return outcomes; }
    for (const item of await all()) {
      if (item.error || (!force && item.nextAt > Date.now())) continue;
      let response;
      try {
        response = await send(item, token);
        if (response.status === 403) {
          token = await csrfToken(true);
          response = await send(item, token);
        }
      } catch (e) {
        await backoff(item);
        break; // offline: the rest waits too
      }
      if (response.status === 200 || response.status === 201) {
        const body = await response.json();
        await remove(item.key);
        outcomes.push({ key: item.key, filed: body.number || body.code });
      } else if (response.status === 401) {
        break; // signed out: keep everything until the person logs in again
      } else if (response.status >= 500 || response.status === 429 || response.status === 408) {
        await backoff(item);
        break;
      } else {
        const body = await response.json().catch(() => ({}));
        const e = body.error || {};
        const lang = document.body.dataset.lang;
        const message = lang === 'en' ? (e.message_en || e.message) : e.message;
        item.error = { message: message || String(response.status), field: (e.details || {}).field || null };
        await put(item);
        outcomes.push({ key: item.key, error: item.error });
      }
    }
    return outcomes;
  })().finally(() => { flushing = null; document.dispatchEvent(new CustomEvent('gridsafe:outbox')); });
  return flushing;
}

async function backoff(item) {
  item.attempts = (item.attempts || 0) + 1;
  item.nextAt = Date.now() + Math.min(MAX_BACKOFF_MS, 2000 * 2 ** item.attempts);
  await put(item);
}
