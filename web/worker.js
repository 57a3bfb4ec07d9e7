// The engine worker's bootstrap (the page's EngineWorker::start runs it):
// imports the engine's own wasm module (web/worker), calls its entry, and
// keeps the page's messages until then.
// It answers the page's {tooltune: 'hello'} with 'ready', or 'failed' and why.
// Its performance marks are read by tests/e2e/phases.mjs.
const early = [];
self.onmessage = (event) => early.push(event);
let failed = null;
try {
  const engine = await import("./tooltune_web_worker.js");
  performance.mark("tooltune-worker-imported");
  await engine.default();
  performance.mark("tooltune-worker-compiled");
  engine.tooltune_engine_worker();
} catch (error) {
  failed = String((error && error.stack) || error);
}
// Installed by the entry (tooltune_worker::worker::serve_with_buffers).
const serve = self.onmessage;
self.onmessage = (event) => {
  if (event.data && event.data.tooltune === "hello") {
    self.postMessage(failed === null ? { tooltune: "ready" } : { tooltune: "failed", message: failed });
  } else if (failed === null) {
    serve(event);
  }
};
for (const event of early) self.onmessage(event);
