// Lianfang service worker: keeps the app shell, the wasm, the JS and the CSS so that the
// self-check opens with no network. The version below is a hash of the built files, set by the
// server: a new deploy is a new version, with a cache of its own.
//
// A new version never takes over pages that run the old one: it waits until the person chooses
// to reload (the page offers it), or until every page of the old one is closed. A page is never
// served a chunk of one build and the core of another.
const VERSION = '__VERSION__';
const CACHE = 'lianfang-' + VERSION;
// The pages kept for offline use, the site's icons and manifest, and every built file: the
// app's core and each page's chunk (listed by the server from the site's pkg folder).
const PRECACHE = ['/check', '/login'].concat(__SITE_FILES__, __BUILT_FILES__);

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { credentials: 'same-origin' }))))
      // The first version on this device has no pages to disturb: it takes over at once.
      .then(() => (self.registration.active ? undefined : self.skipWaiting())),
  );
});

// Sessions signed out on this device whose end the server has not confirmed yet: the handles a
// page handed over at sign-out (DESIGN §7). Kept in a cache of their own, which outlives
// versions, and sent to /api/sessions/end before any other request leaves the device, so a
// sign-out made offline ends that session at the next connection, before a page could be
// rendered for it.
const SIGN_OUTS = 'sign-outs';
const SIGN_OUTS_URL = '/__sign-outs';
let signOuts = null; // null: not read yet
// (Read without opening the cache, which would create it on every device.)
const signOutsRead = caches.match(SIGN_OUTS_URL, { cacheName: SIGN_OUTS })
  .then((r) => (r ? r.json() : []))
  .catch(() => [])
  .then((list) => { signOuts = Array.isArray(list) ? list : []; });

async function keepSignOuts() {
  const cache = await caches.open(SIGN_OUTS);
  await cache.put(SIGN_OUTS_URL, new Response(JSON.stringify(signOuts), { headers: { 'Content-Type': 'application/json' } }));
}

// Ends the waiting sessions; the list shrinks only by what the server confirmed.
async function endSignOuts() {
  await signOutsRead;
  if (signOuts.length === 0) return;
  const sent = signOuts.slice(0, 50);
  try {
    const response = await fetch('/api/sessions/end', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sessions: sent }),
    });
    // A refused list (malformed) would be refused forever: it is dropped like an answered one.
    if (response.ok || response.status === 400) {
      signOuts = signOuts.filter((h) => !sent.includes(h));
      await keepSignOuts();
    }
  } catch (_) {
    // Offline: they wait for the next request.
  }
}

self.addEventListener('message', (event) => {
  const data = event.data || {};
  // The person chose 立即更新 on a page.
  if (data.type === 'lianfang-update') self.skipWaiting();
  if (data.type === 'lianfang-sign-out' && typeof data.handle === 'string') {
    event.waitUntil(signOutsRead.then(async () => {
      if (!signOuts.includes(data.handle)) signOuts.push(data.handle);
      await keepSignOuts();
      await endSignOuts();
    }));
  }
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('lianfang-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// What an offline visit to a page that needs the network sees, instead of another page.
function needsNetwork(path) {
  const safe = path.replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
  const body = `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>需要联网 · 廉防</title><link rel="stylesheet" href="/pkg/lianfang.css"></head>
<body><main id="main" class="page narrow">
<h1>此页需要联网</h1>
<p>本设备目前没有网络，“${safe}”不能离线打开。联网后刷新本页即可。</p>
<p>岗位自查可以离线填报，联网后自动同步；待您审核的和您最近打开的排查表也存于本机，可以离线查看：</p>
<p><a class="button" href="/check">打开岗位自查</a></p>
</main></body></html>`;
  return new Response(body, { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' } });
}

// Pages: the network when there is one (fresh data, fresh login state); offline, the kept
// self-check and sign-in, which work from local data, and for any other page a plain "needs the
// network" page (never a different page in its place).
function page(request, url) {
  return fetch(request).catch(async () => {
    const cache = await caches.open(CACHE);
    if (url.pathname === '/login') {
      // The kept page was rendered for a bare /login; its hydration must see the same URL.
      if (url.search) return Response.redirect('/login', 302);
      const login = await cache.match('/login');
      if (login) return login;
    }
    if (url.pathname === '/check') {
      const shell = await cache.match('/check');
      if (shell) return shell;
    }
    // A sheet: the copy this device keeps (the user's own, those awaiting them, those they
    // opened lately), read in the self-check, which says it is offline and as of when.
    const sheet = url.pathname.match(/^\/posts\/(\d+)$/);
    if (sheet && (await cache.match('/check'))) return Response.redirect('/check?post=' + sheet[1], 302);
    return needsNetwork(url.pathname);
  });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // A session signed out here is ended before this request (which may carry its cookie) goes.
  const waiting = signOuts === null || signOuts.length > 0;
  if (waiting && url.pathname !== '/api/sessions/end' && (request.mode === 'navigate' || url.pathname.startsWith('/api/'))) {
    const page_ = request.mode === 'navigate' && request.method === 'GET';
    event.respondWith(endSignOuts().then(() => (page_ ? page(request, url) : fetch(request))));
    return;
  }
  if (request.method !== 'GET') return;
  // Data always goes to the network; the app keeps its own copy in local storage.
  if (url.pathname.startsWith('/api/') || url.pathname === '/sw.js') return;

  if (request.mode === 'navigate') {
    event.respondWith(page(request, url));
    return;
  }

  // Built files: from this version's cache, else the network (and keep it).
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
