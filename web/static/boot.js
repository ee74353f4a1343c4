// Pli's page entry point, loaded by index.html with Subresource Integrity. A template:
// `cargo xtask web` replaces each {{…}} with a content-hashed file name (next to this one,
// under /assets/) or its SRI hash, then hashes this file too.
//
// It checks that the browser can check what it loads, loads the login page's WebAssembly
// module, the door, tells the interface where the worker script is, how to load the whole
// interface and how to load the password-strength estimator, registers the service
// worker, and mounts the door. Once the keys are unlocked, or for a one-time link, the
// door asks to enter (window.pliEnter): the whole interface's module is loaded, the door
// steps aside and hands over the worker it started, and the interface starts with it
// (web/src/door.rs). A visit to a one-time link's address starts the whole interface
// without the door.
//
// Every module is loaded by loadModule, each file checked against its SRI hash: its glue
// through a modulepreload link (import() carries no integrity: the browser keeps the
// module it checked in its module map, and import() takes it from there; a module that
// failed the check is not run, and the import fails), its wasm through fetch. The link is
// added once per module: the browser fires nothing for a second one naming a module it
// already holds. Nothing is imported statically, so that nothing runs before the check
// below, and a module that fails is reported on the page.

// Read by web/src/bridge.rs when it starts the module worker (web/static/worker.js).
window.PLI_WORKER_URL = new URL("./{{WORKER}}", import.meta.url).href;

// The glue of each module whose modulepreload link was added, and its outcome.
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
          // A later call adds a new link (a browser that keeps the failure in its module
          // map fails that one too).
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

// Loads a module and instantiates it. The wasm is fetched once the glue is checked and
// imported, not beside it: fetched at once, the whole interface's module slowed the log-in
// it is fetched during (`cargo xtask bench login`, 10,011 log entries: 3.29 s twice,
// against 2.70 s in this order), its compiling competing with the worker's on two cores.
async function loadModule(glueName, glueIntegrity, wasmName, wasmIntegrity) {
  const glue = new URL(`./${glueName}`, import.meta.url).href;
  await preload(glue, glueIntegrity);
  const module = await import(glue);
  const wasm = fetch(new URL(`./${wasmName}`, import.meta.url), { integrity: wasmIntegrity });
  await module.default({ module_or_path: wasm });
  return module;
}

// Read by web/src/strength.rs, where a password is chosen: loads the password-strength
// estimator (crates/pli-strength, zxcvbn: a WebAssembly module of its own, too large for
// every page to fetch) the first time it is called, and gives back the same promise of
// its exports ever after (a failed load is tried again on the next call).
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

// A status line while a module loads (the page is otherwise empty until one runs).
function showLoading() {
  const status = document.createElement("p");
  status.className = "loading";
  status.setAttribute("role", "status");
  status.textContent = "Chargement de Pli…";
  document.body.append(status);
  return status;
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

// The whole interface's module, loaded once: never a second instance. Asked for by the
// door as soon as it starts a log-in (pliPrepare), so that it loads while the worker
// derives the keys; started by pliEnter.
let app;
function loadApp() {
  app ??= loadModule("{{APP_GLUE}}", "{{APP_GLUE_SRI}}", "{{APP_WASM}}", "{{APP_WASM_SRI}}");
  return app;
}

window.pliPrepare = () => {
  // A failure is pliEnter's to report.
  loadApp().catch(() => {});
};

// The door's module, once loaded.
let door;

// Called by the door (web/src/door.rs) once, when the whole interface is to take over:
// after a log-in (`entered`: the focus then moves to the page's heading) or for a
// one-time link. The module loads while the door stays; then the door steps aside and
// hands over its worker. A module that cannot be loaded or checked never runs: the door
// stays, and the page says Pli could not start (a reload starts again).
let entering;
window.pliEnter = (entered) => {
  entering ??= loadApp()
    .then((whole) => {
      const worker = door?.stop_door();
      whole.start_app(worker, entered);
    })
    .catch(cannotStart);
  return entering;
};

// A one-time link's page is the whole interface's: such a visit skips the door (the
// door would step aside for it anyway, once loaded).
const ONE_TIME_LINK = /^#\/(setup|invitation)\//;

const loading = showLoading();
try {
  // Every module is checked through a modulepreload link before import() runs it: a
  // browser that ignores such links (Safari before 17, Firefox before 115) could run a
  // changed glue, or never load one, so it is told now, before anything is typed.
  if (!document.createElement("link").relList?.supports?.("modulepreload")) {
    throw new Error("this browser does not support <link rel=modulepreload>");
  }
  if ("serviceWorker" in navigator) {
    // Scope "/__download/": the service worker answers the download navigations and
    // controls no page, so that the app's requests (a send's parts) never go through it
    // (web/static/sw.js says what that cost). A registration of before, with scope "/",
    // is removed: the pages it still controls are released at their next load. (Scope
    // "/" was registered until 7 December 2026. Keep this: a registration does not expire
    // in Chromium, so a browser that comes back years later still holds it, and would be
    // controlled by it again without this.)
    navigator.serviceWorker
      .register("/sw.js", { scope: "/__download/" })
      .catch((error) => console.warn("Pli: service worker not registered", error));
    navigator.serviceWorker
      .getRegistrations()
      .then((registrations) =>
        Promise.all(
          registrations
            .filter((registration) => registration.scope === `${location.origin}/`)
            .map((registration) => registration.unregister()),
        ),
      )
      .catch((error) => console.warn("Pli: older service worker not removed", error));
  }
  if (ONE_TIME_LINK.test(location.hash)) {
    const whole = await loadApp();
    loading.remove();
    whole.start_app(undefined, false);
  } else {
    door = await loadModule(
      "{{DOOR_GLUE}}",
      "{{DOOR_GLUE_SRI}}",
      "{{DOOR_WASM}}",
      "{{DOOR_WASM_SRI}}",
    );
    loading.remove();
    door.start_door();
  }
} catch (error) {
  loading.remove();
  cannotStart(error);
}
