//! Fixtures, the checks both test modules run, and an event-loop watch that
//! works on the page and in a worker alike.

use serde::{Deserialize, Serialize};
use tooltune_engine::LlamaForCausalLM;
use tooltune_engine::burn::tensor::Device;
use tooltune_engine::decode::{GenerateConfig, generate_async};
use tooltune_engine::lora::LoraSettings;
use tooltune_engine::train::{self, MaskedExample, TrainConfig, Trainer, Tuning};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

const CONFIG: &[u8] = include_bytes!("../../../../tests/fixtures/hf/llama-gqa/config.json");
const WEIGHTS: &[u8] = include_bytes!("../../../../tests/fixtures/hf/llama-gqa/model.safetensors");
const EXPECTED: &[u8] = include_bytes!("../../../../tests/fixtures/hf/llama-gqa/expected.json");

/// Tolerance on logits, the fixture's `suggested_tolerance`.
pub const LOGITS_TOL: f32 = 1e-4;
/// LoRA training steps per backend.
pub const STEPS: usize = 5;
/// AdamW learning rate.
const LR: f64 = 1e-2;
/// Seed of the LoRA factors' initialisation.
const SEED: u64 = 17;
/// WebGPU's loss curve may differ from the CPU's by this much (f32, other
/// summation orders, five steps apart).
#[cfg(feature = "wgpu")]
pub const CURVE_TOL: f32 = 1e-3;

/// One prompt of `expected.json` (the fields used here).
#[derive(Deserialize)]
struct ExpectedPrompt {
    input_ids: Vec<u32>,
    logits: Vec<Vec<f32>>,
    greedy_new_ids: Vec<u32>,
}

/// `expected.json`, written by transformers (`make_fixtures.py`).
#[derive(Deserialize)]
struct Expected {
    prompts: Vec<ExpectedPrompt>,
}

fn expected() -> Expected {
    serde_json::from_slice(EXPECTED).expect("expected.json parses")
}

fn load(device: &Device) -> LlamaForCausalLM {
    LlamaForCausalLM::from_hf_bytes(CONFIG, WEIGHTS, device).expect("fixture model loads")
}

/// The two backends under test.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub enum Backend {
    /// burn-flex in wasm, single-threaded.
    Cpu,
    /// burn-wgpu on `navigator.gpu`.
    #[cfg(feature = "wgpu")]
    WebGpu,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu (flex)",
            #[cfg(feature = "wgpu")]
            Backend::WebGpu => "webgpu",
        }
    }

    pub async fn device(self) -> Device {
        tooltune_engine_browser::init();
        match self {
            Backend::Cpu => Device::flex(),
            #[cfg(feature = "wgpu")]
            Backend::WebGpu => {
                let start = now_ms();
                let device = tooltune_engine_browser::webgpu()
                    .await
                    .expect("WebGPU initialises (Chromium needs --enable-unsafe-webgpu)");
                say(format!(
                    "webgpu: device ready in {:.0} ms",
                    now_ms() - start
                ));
                device
            }
        }
    }
}

/// The page's request to the test worker.
#[derive(Serialize, Deserialize)]
pub enum Request {
    /// Run [`check`] on this backend.
    Check(Backend),
}

/// The test worker's messages to the page.
#[derive(Serialize, Deserialize)]
pub enum Reply {
    /// A progress line, logged by the page.
    Log(String),
    /// The result of [`check`].
    Checked(Report),
}

/// What [`check`] measured; the page asserts on it.
#[derive(Serialize, Deserialize)]
pub struct Report {
    /// Largest |logits - transformers| over the fixture prompts.
    pub max_logit_error: f32,
    /// The loss before each LoRA step.
    pub losses: Vec<f32>,
    /// The same training on the CPU fallback (only for WebGPU), to compare.
    pub cpu_losses: Option<Vec<f32>>,
    /// Longest stretch the checking thread's own event loop was blocked.
    pub longest_block_ms: f64,
}

thread_local! {
    static IN_WORKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks this instance as the test worker: [`say`] posts to the page.
pub fn running_in_worker() {
    IN_WORKER.with(|w| w.set(true));
}

/// Logs a line: on the page directly, from the worker through the page.
pub fn say(line: String) {
    if IN_WORKER.with(|w| w.get()) {
        let reply = serde_json::to_string(&Reply::Log(line)).expect("a log line serialises");
        tooltune_engine_browser::worker::post(&reply).expect("the page is listening");
    } else {
        wasm_bindgen_test::console_log!("{line}");
    }
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn eval_js(code: &str) -> JsValue {
    js_sys::eval(code).unwrap_or_else(|e| panic!("evaluating `{code}`: {e:?}"))
}

/// Lets the thread run its queued tasks (timers, messages, rendering).
async fn next_task() {
    let promise = eval_js("new Promise(resolve => setTimeout(resolve, 0))");
    JsFuture::from(js_sys::Promise::from(promise))
        .await
        .expect("setTimeout resolves");
}

/// Starts (once per thread) or resets the event-loop watch: a 5 ms timer
/// that records the longest gap between its ticks, i.e. the longest the
/// thread could not run a task (plus up to a timer period).
pub fn watch_event_loop() {
    eval_js(
        "if (!globalThis.tooltuneWatch) {
           globalThis.tooltuneWatch = { last: performance.now(), max: 0 };
           setInterval(() => {
             const w = globalThis.tooltuneWatch, now = performance.now();
             w.max = Math.max(w.max, now - w.last);
             w.last = now;
           }, 5);
         }
         globalThis.tooltuneWatch.last = performance.now();
         globalThis.tooltuneWatch.max = 0;",
    );
}

/// The longest this thread's event loop was blocked since
/// [`watch_event_loop`], in ms.
pub async fn longest_block_ms() -> f64 {
    next_task().await;
    eval_js("globalThis.tooltuneWatch.max")
        .as_f64()
        .expect("a number")
}

/// Largest |logits - transformers| over both fixture prompts; checks that
/// greedy decoding (KV cache, awaited reads) gives transformers' tokens.
pub async fn max_logit_error(device: &Device) -> f32 {
    let model = load(device);
    let mut worst = 0.0f32;
    for p in expected().prompts {
        next_task().await;
        let got = model.logits_async(&p.input_ids).await.expect("forward");
        assert_eq!(got.len(), p.logits.len(), "positions");
        for (g, w) in got.iter().zip(&p.logits) {
            assert_eq!(g.len(), w.len(), "vocabulary");
            for (a, b) in g.iter().zip(w) {
                worst = worst.max((a - b).abs());
            }
        }
        next_task().await;
        let config = GenerateConfig::greedy(p.greedy_new_ids.len());
        let out = generate_async(&model, &p.input_ids, &config, &mut ())
            .await
            .expect("greedy decoding");
        assert_eq!(out.tokens, p.greedy_new_ids, "greedy tokens");
    }
    worst
}

/// LoRA (r = 4, alpha = 8 on q_proj and v_proj, seeded PEFT-style init)
/// trained for [`STEPS`] steps on next-token prediction over one fixed
/// sequence (the first fixture prompt, every token trained); the loss
/// before each step.
///
/// The loop is the engine's own [`Trainer`] (what `tooltune train` and the
/// page run), one `step_async` at a time (the loss read awaited: a
/// synchronous read panics on WebGPU): AdamW, cosine schedule from `LR`
/// without warmup, one epoch per step.
pub async fn lora_losses(device: &Device) -> Vec<f32> {
    let ids = expected().prompts.swap_remove(0).input_ids;
    let example = MaskedExample {
        at: "llama-gqa prompt 0".into(),
        text: String::new(),
        offsets: vec![(0, 0); ids.len()],
        trained: vec![true; ids.len()],
        ids,
    };
    let config = TrainConfig {
        lr: LR,
        epochs: STEPS,
        batch_size: 1,
        warmup_ratio: 0.0,
        seed: SEED,
        tuning: Tuning::Lora(LoraSettings::new(4, 8.0, &["q_proj", "v_proj"])),
        ..TrainConfig::default()
    };
    let model = train::prepare(load(device), &config.tuning, SEED).expect("LoRA attaches");
    let mut trainer = Trainer::new(model, vec![example], 0, &config).expect("starts");
    assert_eq!(trainer.total_steps(), STEPS);
    let mut losses = Vec::with_capacity(STEPS);
    loop {
        next_task().await;
        let start = now_ms();
        let Some(log) = trainer.step_async().await.expect("a step") else {
            break;
        };
        say(format!(
            "  step {}: loss {:.5} ({:.0} ms)",
            log.step,
            log.loss,
            now_ms() - start
        ));
        losses.push(log.loss);
    }
    assert!(trainer.stopped().is_none(), "a non-finite loss");
    losses
}

pub fn assert_falls(backend: &str, losses: &[f32]) {
    assert!(
        losses.iter().all(|l| l.is_finite()),
        "{backend}: non-finite loss {losses:?}"
    );
    assert!(
        losses.windows(2).all(|w| w[1] < w[0]),
        "{backend}: the loss does not fall at every step: {losses:?}"
    );
    assert!(
        losses[STEPS - 1] < 0.9 * losses[0],
        "{backend}: the loss fell less than 10%: {losses:?}"
    );
}

/// Everything on one backend: logits and greedy tokens, LoRA training and,
/// on WebGPU, the same training on the CPU to compare the curves. Greedy
/// mismatches panic here; the rest is asserted by the caller on the report.
pub async fn check(backend: Backend) -> Report {
    watch_event_loop();
    let device = backend.device().await;
    let start = now_ms();
    let max_logit_error = max_logit_error(&device).await;
    say(format!(
        "{}: max |logits - transformers| = {max_logit_error:.3e} ({:.0} ms)",
        backend.name(),
        now_ms() - start
    ));
    say(format!("{}: LoRA r=4 on q,v, lr {LR}", backend.name()));
    let losses = lora_losses(&device).await;
    say(format!("{}: losses {losses:?}", backend.name()));
    let cpu_losses = match backend {
        Backend::Cpu => None,
        #[cfg(feature = "wgpu")]
        Backend::WebGpu => {
            say("cpu (flex), for comparison:".into());
            Some(lora_losses(&Backend::Cpu.device().await).await)
        }
    };
    Report {
        max_logit_error,
        losses,
        cpu_losses,
        longest_block_ms: longest_block_ms().await,
    }
}
