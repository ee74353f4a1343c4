// Pli's page entry point, loaded by index.html with Subresource Integrity. A template:
// `cargo xtask web` replaces each {{…}} with a content-hashed file name (next to this one,
// under /assets/) or its SRI hash, then hashes this file too.
//
// It loads the WebAssembly module (checked against its SRI hash), tells the app where the
// worker script is, registers the service worker, and mounts the interface.

import init, { start_app } from "./{{GLUE}}";

// Read by web/src/bridge.rs when it starts the module worker (web/static/worker.js).
window.PLI_WORKER_URL = new URL("./{{WORKER}}", import.meta.url).href;

try {
  const wasm = await fetch(new URL("./{{WASM}}", import.meta.url), {
    integrity: "{{WASM_SRI}}",
  });
  await init({ module_or_path: wasm });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker
      .register("/sw.js", { scope: "/" })
      .catch((error) => console.warn("Pli: service worker not registered", error));
  }
  start_app();
} catch (error) {
  console.error("Pli: cannot start", error);
  const message = document.createElement("p");
  message.setAttribute("role", "alert");
  message.textContent =
    "Pli n’a pas pu démarrer. Rechargez la page ; si le problème persiste, utilisez une " +
    "version récente de Firefox, Chromium, Edge ou Safari.";
  document.body.append(message);
}
