// Vendo's service worker: caches the app shell (stylesheet, scripts,
// icons) so the shop opens fast and installs as an app, and keeps an
// offline page to show when the network is gone. Static URLs carry a
// version (?v=hash), so a cached entry is never stale: a new release asks
// for new URLs. Pages and downloads always go to the network: prices,
// carts and links must be current.
const CACHE = "vendo-shell-v3";
const OFFLINE = "/offline";

// The offline page and what it links (stylesheet, scripts, icons), fetched
// without cookies so no visitor's data is kept.
async function keepOfflinePage() {
  const cache = await caches.open(CACHE);
  const resp = await fetch(OFFLINE, { credentials: "omit", cache: "no-store" });
  if (!resp.ok) return;
  const html = await resp.clone().text();
  await cache.put(OFFLINE, resp);
  const assets = [...html.matchAll(/(?:href|src)="(\/static\/[^"]+\?v=[^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, "&"));
  await Promise.all(assets.map((u) => cache.match(u).then((hit) => hit || cache.add(u)).catch(() => {})));
}

self.addEventListener("install", (event) => {
  event.waitUntil(keepOfflinePage().catch(() => {}).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (req.mode === "navigate") {
    // A page: always from the network; the offline page when there is none.
    event.respondWith(fetch(req).catch(() => caches.match(OFFLINE).then((hit) => hit || Response.error())));
    return;
  }
  if (!url.pathname.startsWith("/static/") || !url.searchParams.has("v")) return;
  event.respondWith(
    caches.open(CACHE).then((cache) =>
      cache.match(req).then((hit) => {
        if (hit) return hit;
        return fetch(req).then((resp) => {
          if (resp.ok) cache.put(req, resp.clone());
          return resp;
        });
      })
    )
  );
});
