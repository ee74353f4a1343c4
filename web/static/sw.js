// Pli's service worker, served unhashed at /sw.js (never cached) and registered by
// boot.js with scope "/".
//
// It exists for one job: answering requests under /__download/ so that a file decrypted in
// the browser can be handed to the browser's own download manager as a stream, without
// holding the whole file in memory. It caches nothing and leaves every other request to
// the network: the app must always be the one the relay serves now, with its Subresource
// Integrity hashes.
//
// Hook for the streaming downloads (not implemented yet):
//   self.PLI_DOWNLOADS maps a download id (the path segment after /__download/) to a
//   function (request) => Response | Promise<Response>. The implementation adds entries
//   (for example when the page posts a "message" carrying a MessagePort to read the
//   plaintext from) and removes each entry once its download has started. An unknown id
//   gets a 404.

"use strict";

const DOWNLOAD_PREFIX = "/__download/";

/** @type {Map<string, (request: Request) => Response | Promise<Response>>} */
self.PLI_DOWNLOADS = new Map();

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(DOWNLOAD_PREFIX)) {
    return; // not ours: the browser fetches it as if there were no service worker
  }
  const id = decodeURIComponent(url.pathname.slice(DOWNLOAD_PREFIX.length));
  const download = self.PLI_DOWNLOADS.get(id);
  event.respondWith(
    download
      ? download(event.request)
      : new Response("Ce téléchargement n’existe pas ou a expiré.", {
          status: 404,
          headers: { "content-type": "text/plain; charset=utf-8" },
        }),
  );
});
