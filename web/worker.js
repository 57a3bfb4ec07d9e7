// The engine worker's bootstrap (the page's EngineWorker::start runs it):
// imports the engine's own wasm module (web/worker), calls its entry, and
// keeps the page's messages until then.
// It answers the page's {tooltune: 'hello'} with 'ready', or 'failed' and why.
// Its performance marks are read by tests/e2e/phases.mjs.
// A module whose one function returns f32x4.relaxed_madd of three zero
// vectors: valid only where the browser has relaxed SIMD.
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
  0x03, 0x02, 0x01, 0x00, // functions: one, of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code: one body of 59 bytes, no locals
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...new Array(16).fill(0)]), // v128.const 0, three times
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0x0b, // end
]);
const early = [];
self.onmessage = (event) => early.push(event);
let failed = null;
try {
  const engine = await import("./tooltune_web_worker.js");
  performance.mark("tooltune-worker-imported");
  // Relaxed SIMD: the engine's matrix kernels use fused multiply-adds
  // (f32x4.relaxed_madd) where the browser has them; elsewhere the same
  // module lowered to plain SIMD (scripts/build-web.sh). ?simd=plain asks for
  // the plain one anyway (the page's localStorage["tooltune.simd"]).
  const relaxed = new URL(self.location.href).searchParams.get("simd") !== "plain"
    && WebAssembly.validate(RELAXED_PROBE);
  self.tooltune_simd = relaxed ? "relaxed" : "plain";
  const module = relaxed ? "tooltune_web_worker_bg.wasm" : "tooltune_web_worker_plain_bg.wasm";
  await engine.default({ module_or_path: new URL(module, import.meta.url) });
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
