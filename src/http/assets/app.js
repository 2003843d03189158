// Every page: the outbox line ("N 条待上传"), flushing it on load, when the
// network returns and on the button, and the service worker that keeps the
// app shell for use without signal.
import * as outbox from './outbox.js';

const strings = JSON.parse(document.getElementById('gs-strings').textContent || '{}');

/** A catalogue string with {name} placeholders filled. */
export function t(key, args) {
  let text = strings[key] || key;
  for (const [name, value] of Object.entries(args || {})) text = text.replace(`{${name}}`, value);
  return text;
}

async function showStatus() {
  const line = document.getElementById('outbox-status');
  if (!line || !window.indexedDB) return;
  let items = [];
  try { items = await outbox.all(); } catch (e) { return; }
  const failed = items.filter((i) => i.error);
  const waiting = items.length - failed.length;
  const text = line.querySelector('.outbox-text');
  const parts = [];
  if (waiting) parts.push(t('outbox.pending', { n: waiting }));
  if (failed.length) parts.push(t('outbox.failed', { n: failed.length }));
  text.textContent = parts.join(' · ');
  line.hidden = items.length === 0;
  let link = line.querySelector('a.outbox-open');
  if (failed.length) {
    if (!link) {
      link = document.createElement('a');
      link.className = 'outbox-open';
      line.appendChild(document.createTextNode(' '));
      line.appendChild(link);
    }
    link.href = failed[0].kind === 'patrol' ? '/patrol' : `/report?draft=${encodeURIComponent(failed[0].key)}`;
    link.textContent = t('outbox.open');
  } else if (link) {
    link.remove();
  }
}

function flushSoon(force) {
  if (document.body.dataset.signedIn !== 'true' || !window.indexedDB) return;
  outbox.flush(force).catch(() => {});
}

document.addEventListener('gridsafe:outbox', showStatus);
window.addEventListener('online', () => flushSoon(true));
const button = document.getElementById('outbox-flush');
if (button) button.addEventListener('click', () => flushSoon(true));
showStatus();
flushSoon(false);

if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
}

// Logging out on a shared phone: forget the cached pages (the outbox of
// unsent reports stays: it is the town's record, not the session's).
const logout = document.querySelector('form[action="/logout"]');
if (logout && window.caches) {
  logout.addEventListener('submit', () => {
    caches.keys().then((keys) => keys.forEach((k) => caches.delete(k))).catch(() => {});
  });
}
