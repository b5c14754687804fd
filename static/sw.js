// Vendo's service worker: caches the app shell (stylesheet, scripts,
// icons) so the shop opens fast and installs as an app. Static URLs carry a
// version (?v=hash), so a cached entry is never stale: a new release asks
// for new URLs. Pages and downloads always go to the network: prices,
// carts and links must be current.
const CACHE = "vendo-shell-v2";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/static/") || !url.searchParams.has("v")) {
    return;
  }
  event.respondWith(
    caches.open(CACHE).then((cache) =>
      cache.match(event.request).then((hit) => {
        if (hit) return hit;
        return fetch(event.request).then((resp) => {
          if (resp.ok) cache.put(event.request, resp.clone());
          return resp;
        });
      })
    )
  );
});
