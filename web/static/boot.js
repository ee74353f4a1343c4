// Pli's page entry point, loaded by index.html with Subresource Integrity. A template:
// `cargo xtask web` replaces each {{…}} with a content-hashed file name (next to this one,
// under /assets/) or its SRI hash, then hashes this file too.
//
// It loads the login page's WebAssembly module, the door (checked against its SRI hash),
// tells the interface where the worker script is, how to load the whole interface and how
// to load the password-strength estimator, registers the service worker, and mounts the
// door. Once the keys are unlocked, or for a one-time link, the door asks to enter
// (window.pliEnter): the whole interface's module is loaded, the door steps aside and
// hands over the worker it started, and the interface starts with it (web/src/door.rs).
// A visit to a one-time link's address starts the whole interface without the door.

import init, { start_door, stop_door } from "./{{DOOR_GLUE}}";

// Read by web/src/bridge.rs when it starts the module worker (web/static/worker.js).
window.PLI_WORKER_URL = new URL("./{{WORKER}}", import.meta.url).href;

// Read by web/src/strength.rs, where a password is chosen: loads the password-strength
// estimator (crates/pli-strength, zxcvbn: a WebAssembly module of its own, too large for
// every page to fetch) the first time it is called, and gives back the same promise of
// its exports ever after (a failed load is tried again on the next call).
//
// import() carries no integrity, so loadModule first has the glue fetched by a
// modulepreload link that does, as index.html does for the door's glue: the browser keeps
// the module it checked in its module map, and import() takes it from there (a module
// that failed the check is not run, and the import fails). The link is added once: the
// browser fires nothing for a second one naming a module it already holds. The wasm is
// fetched with its own SRI hash. The whole interface's module is loaded the same way.
let strength;
window.pliStrength = () => {
  strength ??= loadModule(
    "{{STRENGTH_GLUE}}",
    "{{STRENGTH_GLUE_SRI}}",
    "{{STRENGTH_WASM}}",
    "{{STRENGTH_WASM_SRI}}",
  ).catch((error) => {
    strength = undefined;
    throw error;
  });
  return strength;
};

// The modules whose glue was checked by a modulepreload link (index.html's for the door).
const preloads = new Map();

function preload(glue, integrity) {
  if (!preloads.has(glue)) {
    preloads.set(
      glue,
      new Promise((resolve, reject) => {
        const link = document.createElement("link");
        link.rel = "modulepreload";
        link.integrity = integrity;
        link.href = glue;
        link.addEventListener("load", resolve);
        link.addEventListener("error", () => {
          // A later call may try again (the browser fires nothing for a second link
          // naming a module it already holds, but it holds none that failed).
          preloads.delete(glue);
          link.remove();
          reject(new Error(`cannot load ${glue}`));
        });
        document.head.append(link);
      }),
    );
  }
  return preloads.get(glue);
}

// Imports a module loaded after the first: its glue checked through a modulepreload link
// (import() carries no integrity), its wasm fetched with its own SRI hash.
async function loadModule(glueName, glueIntegrity, wasmName, wasmIntegrity) {
  const glue = new URL(`./${glueName}`, import.meta.url).href;
  await preload(glue, glueIntegrity);
  const module = await import(glue);
  const wasm = fetch(new URL(`./${wasmName}`, import.meta.url), { integrity: wasmIntegrity });
  await module.default({ module_or_path: wasm });
  return module;
}

function cannotStart(error) {
  console.error("Pli: cannot start", error);
  const message = document.createElement("p");
  message.setAttribute("role", "alert");
  message.textContent =
    "Pli n’a pas pu démarrer. Rechargez la page ; si le problème persiste, utilisez une " +
    "version récente de Firefox, Chromium, Edge ou Safari.";
  document.body.append(message);
}

// The whole interface's module, loaded once (and tried again on the next call if it
// failed): never a second instance.
let app;
function loadApp() {
  app ??= loadModule("{{APP_GLUE}}", "{{APP_GLUE_SRI}}", "{{APP_WASM}}", "{{APP_WASM_SRI}}").catch(
    (error) => {
      app = undefined;
      throw error;
    },
  );
  return app;
}

// Called by the door when it starts the worker, at a log-in: the module loads while the
// worker derives the keys. Nothing runs it yet; a failure is pliEnter's to report.
window.pliPrepare = () => {
  loadApp().catch(() => {});
};

// How long one attempt at loading the whole interface may take before it counts as
// failed (a network that drops the request without an answer).
const ATTEMPT_MS = 30_000;

function withinTime(promise) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ATTEMPT_MS / 1000} s`)), ATTEMPT_MS);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// Loads the whole interface (a second attempt if the first fails or takes too long), then
// starts it: in the door's place if the door runs (it steps aside and hands over its
// worker), or alone.
async function enter(entered, fromDoor) {
  let whole;
  try {
    whole = await withinTime(loadApp());
  } catch (error) {
    console.warn("Pli: the interface did not load, trying again", error);
    whole = await withinTime(loadApp());
  }
  const worker = fromDoor ? stop_door() : undefined;
  whole.start_app(worker, entered);
}

// Called by the door (web/src/door.rs) once, when the whole interface is to take over:
// after a log-in (`entered`: the focus then moves to the page's heading) or for a
// one-time link. The module loads while the door stays; then the door steps aside and
// hands over its worker. A module that cannot be loaded or checked never runs: the door
// stays, and the page says Pli could not start.
let entering;
window.pliEnter = (entered) => {
  entering ??= enter(entered, true).catch((error) => {
    entering = undefined;
    cannotStart(error);
  });
  return entering;
};

// A one-time link's page is the whole interface's: such a visit skips the door (the
// door would step aside for it anyway, once loaded).
const ONE_TIME_LINK = /^#\/(setup|invitation)\//;

try {
  // Every module after the door is checked through a modulepreload link before import()
  // runs it (loadModule): a browser that ignores such links (Safari before 17, Firefox
  // before 115) could never load one, so it is told now, before anything is typed.
  if (!document.createElement("link").relList?.supports?.("modulepreload")) {
    throw new Error("this browser does not support <link rel=modulepreload>");
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker
      .register("/sw.js", { scope: "/" })
      .catch((error) => console.warn("Pli: service worker not registered", error));
  }
  if (ONE_TIME_LINK.test(location.hash)) {
    await enter(false, false);
  } else {
    const wasm = await fetch(new URL("./{{DOOR_WASM}}", import.meta.url), {
      integrity: "{{DOOR_WASM_SRI}}",
    });
    await init({ module_or_path: wasm });
    start_door();
  }
} catch (error) {
  cannotStart(error);
}
