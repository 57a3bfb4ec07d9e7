// The engine worker's bootstrap (the page's EngineWorker::start runs it):
// imports the engine's wasm module (web/worker), calls its entry, and keeps
// the page's messages until then.
// It answers the page's {tooltune: 'hello'} with 'ready', or 'failed' and why.
// Its performance marks are read by tests/e2e/phases.mjs.
//
// Two builds of the engine: the single-threaded one (WebGPU and the CPU), and,
// under threads/, the multi-threaded CPU one, whose rayon pool is one Web
// Worker per core over shared memory. The second needs a cross-origin isolated
// page (scripts/serve.py sends the headers) and has no WebGPU. Where it runs,
// a model load that wants WebGPU (chosen by hand, or `auto` on a hardware
// adapter) goes to the single-threaded build, imported then, and the messages
// after it too; a load on the CPU comes back to the threaded one.
const early = [];
self.onmessage = (event) => early.push(event);

/** Imports an engine build, starts it, and returns its message handler. */
async function start(path, threads) {
  const engine = await import(path);
  performance.mark("tooltune-worker-imported");
  await engine.default();
  if (threads) await engine.initThreadPool(Math.max(1, navigator.hardwareConcurrency || 1));
  performance.mark("tooltune-worker-compiled");
  const outer = self.onmessage;
  engine.tooltune_engine_worker(); // installs its handler as self.onmessage
  const serve = self.onmessage;
  self.onmessage = outer;
  return { engine, serve };
}

let failed = null;
let threaded = null; // the multi-threaded build, when this page can run it
let single = null; // the single-threaded build, once imported
let current = null;
try {
  if (self.crossOriginIsolated && typeof SharedArrayBuffer === "function") {
    threaded = await start("./threads/tooltune_web_worker.js", true).catch((error) => {
      console.warn("tooltune: no multi-threaded engine, using one thread:", error);
      return null;
    });
  }
  if (threaded === null) single = await start("./tooltune_web_worker.js", false);
  current = threaded ?? single;
} catch (error) {
  failed = String((error && error.stack) || error);
}

/** The build a model load belongs on (only asked when both can run). */
async function buildFor(text) {
  const { backend = "auto" } = JSON.parse(text);
  const webgpu = backend === "webgpu" || (backend === "auto" && (await threaded.engine.tooltune_hardware_webgpu()));
  if (!webgpu) return threaded;
  single ??= await start("./tooltune_web_worker.js", false);
  return single;
}

// Messages are handled in order; only a model load can wait (for the import).
let queue = Promise.resolve();
function route(event) {
  const data = event.data;
  if (data && data.tooltune === "hello") {
    self.postMessage(failed === null ? { tooltune: "ready" } : { tooltune: "failed", message: failed });
    return;
  }
  if (failed !== null) return;
  const text = typeof data === "string" ? data : data && data.tooltune === "message" ? data.text : null;
  if (threaded !== null && typeof text === "string" && text.startsWith('{"kind":"load_model"')) {
    queue = queue
      .then(async () => {
        current = await buildFor(text);
        current.serve(event);
      })
      .catch((error) => self.postMessage({ tooltune: "failed", message: String((error && error.stack) || error) }));
  } else {
    queue = queue.then(() => current.serve(event));
  }
}
self.onmessage = route;
for (const event of early) route(event);
