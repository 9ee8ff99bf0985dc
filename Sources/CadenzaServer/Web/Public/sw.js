// Cadenza's service worker: keeps the app shell (the page, its modules, styles and icons) so the
// app opens without a network; the API, media and everything else stay online-only. The shell is
// fetched from the network first (files carry no version, so the newest always wins) and the
// cached copy is used only when the server cannot be reached.
const CACHE = 'cadenza-shell-v1';
const SHELL = ['/', '/app/style.css', '/app/main.js', '/app/router.js', '/app/store.js', '/app/api.js', '/app/html.js',
  '/app/player.js', '/app/format.js', '/app/components.js', '/app/plays.js', '/app/rating.js', '/app/icons.svg',
  '/app/views/home.js', '/app/views/login.js', '/app/icons/icon.svg', '/app/manifest.webmanifest'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
    // The page's own request starts while the worker boots, not after.
    .then(() => self.registration.navigationPreload?.enable())
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  const shell = url.pathname === '/' || url.pathname.startsWith('/app/');
  if (!shell) return;   // the API, media, shares: straight to the network
  const network = request.mode === 'navigate' ? Promise.resolve(event.preloadResponse).then((preloaded) => preloaded || fetch(request)) : fetch(request);
  event.respondWith(network.then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(url.pathname === '/' ? '/' : request, copy));
    }
    return response;
  }).catch(() => caches.match(url.pathname === '/' ? '/' : request).then((hit) => hit || Response.error())));
});
