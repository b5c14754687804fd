// Vendo's service worker: caches the app shell (stylesheet, scripts, icons)
// so the shop opens fast and installs as an app. Pages and downloads always
// go to the network: prices, carts and links must be current.
const CACHE = "vendo-shell-v1";
const SHELL = ["/static/css/app.css", "/static/js/htmx-2.0.11.min.js", "/static/js/vendo.js", "/static/img/favicon.svg", "/static/img/icon-192.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/static/")) {
    return;
  }
  event.respondWith(
    caches.match(event.request, { ignoreSearch: true }).then((hit) => hit || fetch(event.request))
  );
});
