// Pli's Web Worker entry point: a module worker, started by web/src/bridge.rs from the URL
// boot.js puts in window.PLI_WORKER_URL. It holds the unlocked keys (web/src/worker/).
// A template: `cargo xtask web` replaces each {{…}} with a content-hashed file name or its
// SRI hash, then hashes this file too.

import init, { start_sealer, start_worker } from "./{{GLUE}}";

// The page may post requests before the WebAssembly module is ready: keep them, and
// replay them once start_worker() has installed its handler, so that none is lost.
const early = [];
const keep = (event) => early.push(event);
self.addEventListener("message", keep);

try {
  if (self.name === "pli-sealer") {
    // A sealing helper of the worker's pool (web/src/worker/pool.rs): its first message
    // is the module, compiled already; the runs to seal follow.
    while (early.length === 0) {
      await new Promise((resolve) => self.addEventListener("message", resolve, { once: true }));
    }
    const module = early.shift().data.module;
    // Only the module the keys' worker compiled (never a fetch of the default URL,
    // which would carry no integrity value).
    if (!(module instanceof WebAssembly.Module)) throw new Error("no module to seal with");
    await init({ module_or_path: module });
    start_sealer();
  } else {
    const wasm = await fetch(new URL("./{{WASM}}", import.meta.url), {
      integrity: "{{WASM_SRI}}",
    });
    await init({ module_or_path: wasm });
    start_worker();
  }
  self.removeEventListener("message", keep);
  for (const event of early) {
    self.dispatchEvent(new MessageEvent("message", { data: event.data, ports: [...event.ports] }));
  }
} catch (error) {
  // A sealing helper that cannot start fails where its worker sees it (its `error`
  // event): the runs sent to it fail, and no more are sent to it.
  if (self.name === "pli-sealer") throw error;
  // Answer every request with an error (web/src/protocol/, WorkerError) so that the
  // page reports it instead of waiting forever.
  console.error("Pli worker: cannot start", error);
  const fail = (event) => {
    const id = event.data && event.data.id;
    if (typeof id === "number" && event.data.kind === "request") {
      const detail = `the worker cannot start: ${error}`;
      self.postMessage({ id, kind: "err", data: JSON.stringify({ code: "internal", detail }) });
    }
  };
  self.removeEventListener("message", keep);
  self.addEventListener("message", fail);
  early.forEach(fail);
}
