// Pli's service worker, served unhashed at /sw.js (never cached) and registered by
// boot.js with scope "/__download/": it controls no page of the app, only the download
// navigations. Registered with scope "/" (until 7 December 2026) it controlled the pages
// and their workers, and every request they made was dispatched to its fetch handler
// below, which let it through: each such request's body (a send's 16 MiB parts) then
// waited for this worker's next full collection, which nothing brought on while a send
// ran: sending 1 GiB grew the renderer by 1.27 GiB and took 16.0–16.2 s, against
// +0.30 GiB and 14.0–14.8 s now (`cargo xtask bench web`, Chromium 156). Routing those
// requests to the network (the Static Routing API) spared the events, not the memory.
//
// It exists for one job: answering requests under /__download/ so that a file decrypted in
// the browser can be handed to the browser's own download manager as a stream, without
// holding the whole file in memory. It caches nothing and leaves every other request to
// the network: the app must always be the one the relay serves now, with its Subresource
// Integrity hashes.
//
// Streaming downloads (web/src/pages/exchange/save/ is the page's side):
//   self.PLI_DOWNLOADS maps a download id (the path segment after /__download/) to a
//   function (request) => Response | Promise<Response>. An unknown id (a page that
//   navigated after this worker was restarted, or one left open across a deploy) gets a
//   204 No Content: the browser then stays on the page, which reports that the download
//   did not start, rather than replacing the app with an error page.
//
//   The page posts {type: "pli-download", id, name, size} with two MessagePorts, then
//   navigates to /__download/<id>. The first port stays with the page: this worker
//   answers {type: "ready", version: 2} on it once the id is registered (version 2: the
//   second port is read; a page that finds no version, from an older service worker
//   still active, forwards the chunks on the first port itself), "started" when it
//   answers the navigation (once) with an attachment whose body is a ReadableStream,
//   "closed" once the stream ended whole, and "expired" if the browser never asked for
//   the download. The second port goes on to the page's
//   decrypting worker (web/src/worker/download.rs), which sends on it {type: "chunk",
//   bytes} (an ArrayBuffer of decrypted file, in order, transferred), then {type: "done"}
//   (the whole file verified: the stream ends) or {type: "abort"} (decryption or
//   verification failed, or the person cancelled: the stream errors, so the browser marks
//   the download failed instead of presenting a partial file); this worker answers it
//   {type: "ack", bytes} when its stream wants more (backpressure: the decrypting worker
//   sends no more than its window unacknowledged). "abort" may come on the first port
//   too, and {type: "cancelled"} (the person cancelled the download in the browser) goes
//   out on both. A page that sends one port only gets everything on it. The page also
//   posts {type: "pli-keepalive"} every few seconds: each message keeps this worker alive
//   while it streams.

"use strict";

const DOWNLOAD_PREFIX = "/__download/";

/** @type {Map<string, (request: Request) => Response | Promise<Response>>} */
self.PLI_DOWNLOADS = new Map();

// Bytes a download's stream holds before it stops acknowledging (the page's decrypting
// worker holds at most its own window more).
const STREAM_HIGH_WATER = 1024 * 1024;
// How long a registered download waits for the browser to ask for it.
const DOWNLOAD_TTL_MS = 60 * 1000;
// Every chunk arrives transferred from the decrypting worker, so this worker allocates
// almost nothing itself, and V8 (Chromium 148) then never collects the chunks the
// download manager has read: saving 1 GiB grew the renderer by 1,049 MiB, the whole file
// (`cargo xtask bench web`). A throwaway array of a quarter of the bytes received (16 KiB
// of JavaScript heap per 64 KiB of file) keeps V8's young generation turning over, and
// each scavenge frees the chunks read since the last one: +112 to +130 MiB for 1 GiB.
// With the decrypting worker reading the download into one reused buffer (a BYOB reader:
// web/src/worker/io.rs) and sending its chunks here directly: +34 MiB for 1 GiB, +44 MiB
// for 2 GiB, and +571 MiB for 1 GiB without these arrays (all measured on 6 December
// 2026, Chromium 148). On Chromium 156 (7 December): +100 to +125 MiB for 2 GiB, and
// +285 to +300 MiB without them; denser arrays did not help there (README). Nothing is
// read from them; each is garbage once the next is made.
const SCRATCH_EVERY = 64 * 1024;
// Elements: 16 KiB of small integers, under V8's large-object size, so that the array is
// made in the young generation (a larger one would go to the large-object space and
// trigger no scavenge: measured, +238 MiB).
const SCRATCH_LENGTH = 4 * 1024;
// The latest scratch array, kept in a global so that no compiler drops its allocation.
let scratch = null;

self.addEventListener("message", (event) => {
  const data = event.data;
  if (!data || typeof data !== "object") {
    return;
  }
  if (data.type === "pli-keepalive") {
    return; // receiving it was the point
  }
  const port = event.ports && event.ports[0];
  const chunks = (event.ports && event.ports[1]) || port;
  if (
    data.type !== "pli-download" ||
    !port ||
    typeof data.id !== "string" ||
    !/^[A-Za-z0-9-]{16,64}$/.test(data.id) ||
    self.PLI_DOWNLOADS.has(data.id)
  ) {
    return;
  }
  prepareDownload(data.id, String(data.name || ""), Number(data.size), port, chunks);
});

/** Registers download `id`, told about on `port`, its bytes streamed from `chunks`. */
function prepareDownload(id, name, size, port, chunks) {
  let controller = null;
  let owed = 0; // bytes enqueued but not acknowledged yet
  let sinceScratch = 0; // bytes received since the last scratch array
  let finished = false;

  const finish = () => {
    finished = true;
    clearTimeout(expiry);
    if (self.PLI_DOWNLOADS.get(id) === respond) {
      self.PLI_DOWNLOADS.delete(id);
    }
  };
  // Acknowledge what the stream took, as long as it wants more.
  const settle = () => {
    if (!finished && owed > 0 && controller.desiredSize > 0) {
      chunks.postMessage({ type: "ack", bytes: owed });
      owed = 0;
    }
  };

  const stream = new ReadableStream(
    {
      start(c) {
        controller = c;
      },
      pull() {
        settle();
      },
      cancel() {
        if (!finished) {
          finish();
          port.postMessage({ type: "cancelled" });
          if (chunks !== port) {
            chunks.postMessage({ type: "cancelled" });
          }
        }
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: STREAM_HIGH_WATER }),
  );

  const onMessage = (event) => {
    const message = event.data || {};
    if (finished) {
      return;
    }
    if (message.type === "chunk" && message.bytes instanceof ArrayBuffer && event.target === chunks) {
      owed += message.bytes.byteLength;
      controller.enqueue(new Uint8Array(message.bytes));
      sinceScratch += message.bytes.byteLength;
      while (sinceScratch >= SCRATCH_EVERY) {
        sinceScratch -= SCRATCH_EVERY;
        scratch = new Array(SCRATCH_LENGTH).fill(0);
      }
      settle();
    } else if (message.type === "done" && event.target === chunks) {
      finish();
      controller.close();
      port.postMessage({ type: "closed" });
    } else if (message.type === "abort") {
      finish();
      controller.error(new Error("Pli: the file did not decrypt or verify"));
    }
  };
  port.onmessage = onMessage;
  if (chunks !== port) {
    chunks.onmessage = onMessage;
  }

  const headers = new Headers({
    "content-type": "application/octet-stream",
    "content-disposition": contentDisposition(name),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  if (Number.isSafeInteger(size) && size >= 0) {
    headers.set("content-length", String(size));
  }
  const respond = () => {
    self.PLI_DOWNLOADS.delete(id); // once
    clearTimeout(expiry);
    port.postMessage({ type: "started" });
    return new Response(stream, { status: 200, headers });
  };
  const expiry = setTimeout(() => {
    if (self.PLI_DOWNLOADS.get(id) === respond) {
      self.PLI_DOWNLOADS.delete(id);
      finished = true;
      port.postMessage({ type: "expired" });
    }
  }, DOWNLOAD_TTL_MS);

  self.PLI_DOWNLOADS.set(id, respond);
  port.postMessage({ type: "ready", version: 2 });
}

/** `attachment` with the name (already made safe by the page) in RFC 6266 form. */
function contentDisposition(name) {
  const clean = name.replace(/[\u0000-\u001f\u007f"\\/]/g, "_") || "fichier";
  const ascii = clean.replace(/[^\x20-\x7e]/g, "_").replace(/[%;]/g, "_");
  const encoded = encodeURIComponent(clean).replace(
    /['()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

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
  let id;
  try {
    id = decodeURIComponent(url.pathname.slice(DOWNLOAD_PREFIX.length));
  } catch {
    id = null; // a malformed escape: no download of ours
  }
  const download = id === null ? undefined : self.PLI_DOWNLOADS.get(id);
  event.respondWith(download ? download(event.request) : new Response(null, { status: 204 }));
});
