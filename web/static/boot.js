// Pli's page entry point, loaded by index.html with Subresource Integrity. A template:
// `cargo xtask web` replaces each {{…}} with a content-hashed file name (next to this one,
// under /assets/) or its SRI hash, then hashes this file too.
//
// It loads the WebAssembly module (checked against its SRI hash), tells the app where the
// worker script is and how to load the password-strength estimator, registers the service
// worker, and mounts the interface.

import init, { start_app } from "./{{GLUE}}";

// Read by web/src/bridge.rs when it starts the module worker (web/static/worker.js).
window.PLI_WORKER_URL = new URL("./{{WORKER}}", import.meta.url).href;

// Read by web/src/strength.rs, where a password is chosen: loads the password-strength
// estimator (crates/pli-strength, zxcvbn: a WebAssembly module of its own, too large for
// every page to fetch) the first time it is called, and gives back the same promise of
// its exports ever after (a failed load is tried again on the next call).
//
// import() carries no integrity, so the glue is first fetched by a modulepreload link
// that does, as index.html does for the app's glue: the browser keeps the module it
// checked in its module map, and import() takes it from there (a module that failed the
// check is not run, and the import fails). The link is added once: the browser fires
// nothing for a second one naming a module it already holds. The wasm is fetched with
// its own SRI hash.
const strengthGlue = new URL("./{{STRENGTH_GLUE}}", import.meta.url).href;
let strengthPreload;
let strength;
window.pliStrength = () => {
  strength ??= loadStrength().catch((error) => {
    strength = undefined;
    throw error;
  });
  return strength;
};

function preloadStrength() {
  strengthPreload ??= new Promise((resolve, reject) => {
    const link = document.createElement("link");
    link.rel = "modulepreload";
    link.integrity = "{{STRENGTH_GLUE_SRI}}";
    link.href = strengthGlue;
    link.addEventListener("load", resolve);
    link.addEventListener("error", () => reject(new Error(`cannot load ${strengthGlue}`)));
    document.head.append(link);
  });
  return strengthPreload;
}

async function loadStrength() {
  await preloadStrength();
  const estimator = await import(strengthGlue);
  const wasm = fetch(new URL("./{{STRENGTH_WASM}}", import.meta.url), {
    integrity: "{{STRENGTH_WASM_SRI}}",
  });
  await estimator.default({ module_or_path: wasm });
  return estimator;
}

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
