// Lianfang service worker: keeps the app shell, the wasm, the JS and the CSS so that the
// self-check opens with no network. The version below is a hash of the built files, set by the
// server: a new deploy is a new version, which replaces the old cache.
const VERSION = '__VERSION__';
const CACHE = 'lianfang-' + VERSION;
// The pages kept for offline use, and every built file: the app's core and each page's chunk
// (listed by the server from the site's pkg folder).
const PRECACHE = ['/check', '/login', '/favicon.svg', '/manifest.webmanifest', '/icon-192.png', '/icon-512.png']
  .concat(__BUILT_FILES__);

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { credentials: 'same-origin' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('lianfang-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  // Data always goes to the network; the app keeps its own copy in local storage.
  if (url.pathname.startsWith('/api/') || url.pathname === '/sw.js') return;

  if (request.mode === 'navigate') {
    // Pages: the network when there is one (fresh data, fresh login state); offline, the kept
    // shell. Every offline page is the self-check, which works from local data.
    event.respondWith(
      fetch(request).catch(async () => {
        const cache = await caches.open(CACHE);
        if (url.pathname === '/login') {
          // The kept page was rendered for a bare /login; its hydration must see the same URL.
          if (url.search) return Response.redirect('/login', 302);
          const login = await cache.match('/login');
          if (login) return login;
        }
        const shell = await cache.match('/check');
        if (!shell) return Response.error();
        return url.pathname === '/check' ? shell : Response.redirect('/check', 302);
      }),
    );
    return;
  }

  // Built files: from the cache, else the network (and keep it).
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(request);
      if (hit) return hit;
      const response = await fetch(request);
      if (response.ok && url.pathname.startsWith('/pkg/')) cache.put(request, response.clone());
      return response;
    }),
  );
});
