//! The engine in a dedicated worker, as the app runs it: the page spawns an
//! `EngineWorker` on this same test module, asks it to run `common::check`
//! on one backend, logs its progress, asserts on its report, and asserts
//! that its own event loop was never blocked longer than the backend's limit
//! ([`Backend::page_block_limit_ms`]) meanwhile. The worker's own longest
//! block (a whole first WebGPU step, kernel compilation included) is logged,
//! not asserted: it depends on the machine and the build.

use tooltune_engine_browser::EngineWorker;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

use crate::common::{
    Backend, LOGITS_TOL, Reply, Report, Request, assert_falls, check, longest_block_ms, now_ms,
    running_in_worker, watch_event_loop,
};

impl Backend {
    /// The longest the page's event loop may be blocked (the 5 ms timer's
    /// longest gap) while the worker loads, checks and trains. Measured on a
    /// 2-core machine, debug build, other builds running (load 3-4.5):
    ///
    /// | backend | engine in the worker | same, 2 extra busy loops (load 6) | engine on the page |
    /// |---|---|---|---|
    /// | CPU (flex) | 9-14 ms | 13 ms | 167-694 ms |
    /// | WebGPU (SwiftShader) | 15-158 ms | 176 ms | ~11 s (first step) |
    ///
    /// The page does almost nothing meanwhile (~3 % of a core); its WebGPU
    /// gaps are waits for a core: SwiftShader runs in Chromium's GPU process,
    /// whose main thread (nice -8 when run as root) takes ~75 % of one of
    /// the two cores. Each limit sits well above the first column and below
    /// the last.
    pub fn page_block_limit_ms(self) -> f64 {
        match self {
            Backend::Cpu => 100.0,
            #[cfg(feature = "wgpu")]
            Backend::WebGpu => 500.0,
        }
    }
}

/// wasm-bindgen-test-runner's name for the test module's JavaScript glue.
const GLUE: &str = "wasm-bindgen-test.js";
/// The worker's entry point, exported below.
const ENTRY: &str = "tooltune_browser_test_worker";

/// The worker's entry: serves [`Request`]s, one [`Reply::Checked`] each.
#[wasm_bindgen]
pub fn tooltune_browser_test_worker() {
    running_in_worker();
    tooltune_engine_browser::worker::serve(|text| {
        let Request::Check(backend) = serde_json::from_str(&text).expect("a request");
        wasm_bindgen_futures::spawn_local(async move {
            let reply = Reply::Checked(check(backend).await);
            let reply = serde_json::to_string(&reply).expect("the report serialises");
            tooltune_engine_browser::worker::post(&reply).expect("the page is listening");
        });
    });
}

/// Runs [`check`] on `backend` in a new worker; returns its report and the
/// page's longest event-loop block meanwhile.
async fn check_in_worker(backend: Backend) -> (Report, f64) {
    tooltune_engine_browser::init();
    let start = now_ms();
    let worker = EngineWorker::spawn(GLUE, ENTRY)
        .await
        .expect("the engine worker starts");
    console_log!(
        "{} in a worker: started in {:.0} ms",
        backend.name(),
        now_ms() - start
    );
    // Watched from here: under the runner, `new Worker` itself takes up to
    // ~75 ms of the page (its console relay rereads the worker's script with
    // a synchronous request); the browser's own constructor takes ~0.1 ms.
    watch_event_loop();
    let request = serde_json::to_string(&Request::Check(backend)).expect("serialises");
    worker.send(&request).expect("the worker listens");
    let report = loop {
        let text = worker
            .recv()
            .await
            .unwrap_or_else(|e| panic!("{} in a worker: {e}", backend.name()));
        match serde_json::from_str(&text).expect("a reply") {
            Reply::Log(line) => console_log!("[worker] {line}"),
            Reply::Checked(report) => break report,
        }
    };
    let page_block = longest_block_ms().await;
    console_log!(
        "{} in a worker: {:.0} ms in all; longest event-loop block: page {page_block:.0} ms, \
         worker {:.0} ms",
        backend.name(),
        now_ms() - start,
        report.longest_block_ms
    );
    (report, page_block)
}

fn assert_page_free(backend: Backend, page_block: f64) {
    let limit = backend.page_block_limit_ms();
    assert!(
        page_block < limit,
        "{}: the page's event loop was blocked for {page_block:.0} ms while the worker ran \
         (limit {limit} ms)",
        backend.name()
    );
}

#[wasm_bindgen_test]
async fn cpu_in_a_worker_matches_transformers_trains_and_leaves_the_page_free() {
    let (report, page_block) = check_in_worker(Backend::Cpu).await;
    assert!(
        report.max_logit_error < LOGITS_TOL,
        "cpu: max abs logit error {}",
        report.max_logit_error
    );
    assert_falls("cpu", &report.losses);
    assert_page_free(Backend::Cpu, page_block);
}

#[cfg(feature = "wgpu")]
#[wasm_bindgen_test]
async fn webgpu_in_a_worker_matches_transformers_trains_and_leaves_the_page_free() {
    let (report, page_block) = check_in_worker(Backend::WebGpu).await;
    assert!(
        report.max_logit_error < LOGITS_TOL,
        "webgpu: max abs logit error {}",
        report.max_logit_error
    );
    assert_falls("webgpu", &report.losses);
    let cpu = report.cpu_losses.as_deref().expect("the CPU curve");
    let gap = report
        .losses
        .iter()
        .zip(cpu)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    console_log!("webgpu: max |loss - cpu loss| = {gap:.3e}");
    assert!(
        gap < crate::common::CURVE_TOL,
        "webgpu {:?} vs cpu {cpu:?}",
        report.losses
    );
    assert_page_free(Backend::WebGpu, page_block);
}
