// The service worker: keeps the app shell (the report form, the patrol
// recorder, home, and the
// assets) so the form opens with no signal. Pages are fetched from the
// network first and fall back to the last copy; hashed assets never change,
// so they come from the cache first. API calls are never cached.
const SHELL = "__SHELL_ASSETS__";
const CACHE = 'gridsafe-__VERSION__';
const PAGES = ['/report', '/patrol', '/'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then(async (cache) => {
    await cache.addAll(SHELL);
    for (const page of PAGES) {
      try {
        const response = await fetch(page, { credentials: 'same-origin' });
        if (response.ok && !response.redirected) await cache.put(page, response);
      } catch (e) { /* offline at install: cached on the next visit */ }
    }
  }).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode === 'navigate' && PAGES.includes(url.pathname)) {
    event.respondWith(fetch(request).then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
      }
      return response;
    }).catch(() => caches.match(url.pathname).then((hit) => hit || Response.error())));
  }
});
