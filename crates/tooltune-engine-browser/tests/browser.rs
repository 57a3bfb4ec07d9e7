//! The engine in headless Chromium (wasm32), on the CPU fallback (burn-flex,
//! single-threaded) and on WebGPU (SwiftShader without a GPU): the
//! `llama-gqa` fixture loads from bytes, its logits match transformers'
//! within 1e-4 and its greedy continuation is transformers', and five LoRA
//! training steps lower the loss (the same curve on both backends).
//!
//! Every tensor read is awaited (`into_data_async`): a synchronous read
//! panics on WebGPU. The WebGPU device is initialised once per page and
//! cached, since a second `init_async` fails. Each test logs the longest
//! stretch the page's event loop was blocked (a 5 ms JavaScript timer's
//! longest gap), reported, not asserted: it depends on the machine.

#![cfg(target_arch = "wasm32")]

#[cfg(feature = "wgpu")]
use std::cell::RefCell;

use serde::Deserialize;
use tooltune_engine::LlamaForCausalLM;
use tooltune_engine::burn::module::Module;
use tooltune_engine::burn::optim::{AdamWConfig, GradientsParams};
use tooltune_engine::burn::tensor::Device;
use tooltune_engine::decode::{GenerateConfig, generate_async};
use tooltune_engine::lora::LoraSettings;
use tooltune_engine::readback::read_f32_async;
use tooltune_engine::train::{self, MaskedExample, Tuning, batch::Batch, step::masked_loss};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const CONFIG: &[u8] = include_bytes!("../../../tests/fixtures/hf/llama-gqa/config.json");
const WEIGHTS: &[u8] = include_bytes!("../../../tests/fixtures/hf/llama-gqa/model.safetensors");
const EXPECTED: &[u8] = include_bytes!("../../../tests/fixtures/hf/llama-gqa/expected.json");

/// Tolerance on logits, the fixture's `suggested_tolerance`.
const LOGITS_TOL: f32 = 1e-4;
/// LoRA training steps per backend.
const STEPS: usize = 5;
/// AdamW learning rate.
const LR: f64 = 1e-2;
/// Seed of the LoRA factors' initialisation.
const SEED: u64 = 17;
/// WebGPU's loss curve may differ from the CPU's by this much (f32, other
/// summation orders, five steps apart).
const CURVE_TOL: f32 = 1e-3;

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

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn eval_js(code: &str) -> JsValue {
    js_sys::eval(code).unwrap_or_else(|e| panic!("evaluating `{code}`: {e:?}"))
}

/// Lets the browser run its queued tasks (timers, rendering) before going on.
async fn next_task() {
    let promise = eval_js("new Promise(resolve => setTimeout(resolve, 0))");
    JsFuture::from(js_sys::Promise::from(promise))
        .await
        .expect("setTimeout resolves");
}

/// Starts (once per page) or resets the event-loop watch: a 5 ms timer that
/// records the longest gap between its ticks.
fn watch_event_loop() {
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

/// The longest the event loop was blocked since [`watch_event_loop`], in ms.
async fn longest_block_ms() -> f64 {
    next_task().await;
    eval_js("globalThis.tooltuneWatch.max")
        .as_f64()
        .expect("a number")
}

#[cfg(feature = "wgpu")]
thread_local! {
    static WEBGPU: RefCell<Option<Device>> = const { RefCell::new(None) };
}

/// The page's WebGPU device, initialised on first use.
#[cfg(feature = "wgpu")]
async fn webgpu() -> Device {
    if let Some(device) = WEBGPU.with(|d| d.borrow().clone()) {
        return device;
    }
    let start = now_ms();
    let device = Device::wgpu_options()
        .init_async()
        .await
        .expect("WebGPU initialises (Chromium needs --enable-unsafe-webgpu)");
    console_log!("webgpu: device ready in {:.0} ms", now_ms() - start);
    WEBGPU.with(|d| *d.borrow_mut() = Some(device.clone()));
    device
}

/// Largest |logits - transformers| over both fixture prompts; checks that
/// greedy decoding (KV cache, awaited reads) gives transformers' tokens.
async fn max_logit_error(device: &Device) -> f32 {
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
/// trained with AdamW for [`STEPS`] steps on next-token prediction over one
/// fixed sequence (the first fixture prompt, every token trained); the loss
/// before each step.
///
/// The engine's `train::step::train_step` reads the loss synchronously, which
/// panics on WebGPU, so the step is spelled out here around the engine's own
/// batch and masked loss, with an awaited read.
async fn lora_losses(device: &Device) -> Vec<f32> {
    let ids = expected().prompts.swap_remove(0).input_ids;
    let example = MaskedExample {
        at: "llama-gqa prompt 0".into(),
        text: String::new(),
        offsets: vec![(0, 0); ids.len()],
        trained: vec![true; ids.len()],
        ids,
    };
    let batch = Batch::new(&[&example], 0);
    let lora = Tuning::Lora(LoraSettings::new(4, 8.0, &["q_proj", "v_proj"]));
    let model = train::prepare(load(device), &lora, SEED).expect("LoRA attaches");
    let train_device = device.clone().autodiff();
    let mut model = model.fork(&train_device).train();
    let mut optim = AdamWConfig::new().init();
    let mut losses = Vec::with_capacity(STEPS);
    for step in 1..=STEPS {
        next_task().await;
        // Three phases, timed apart: the synchronous ones block the page.
        let t0 = now_ms();
        let loss = masked_loss(&model, &batch, &train_device);
        let t1 = now_ms();
        let value = read_f32_async(loss.clone()).await.expect("loss reads")[0];
        let t2 = now_ms();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(LR, model, grads);
        console_log!(
            "  step {step}: loss {value:.5} (forward {:.0} ms, awaited read {:.0} ms, \
             backward + AdamW {:.0} ms)",
            t1 - t0,
            t2 - t1,
            now_ms() - t2
        );
        losses.push(value);
    }
    losses
}

fn assert_falls(backend: &str, losses: &[f32]) {
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

#[wasm_bindgen_test]
async fn cpu_logits_and_greedy_match_transformers() {
    watch_event_loop();
    let start = now_ms();
    let worst = max_logit_error(&Device::flex()).await;
    console_log!(
        "cpu (flex): max |logits - transformers| = {worst:.3e} ({:.0} ms)",
        now_ms() - start
    );
    assert!(worst < LOGITS_TOL, "cpu: max abs logit error {worst}");
    console_log!(
        "cpu (flex): longest event-loop block {:.0} ms",
        longest_block_ms().await
    );
}

#[wasm_bindgen_test]
async fn cpu_lora_training_lowers_the_loss() {
    watch_event_loop();
    console_log!("cpu (flex): LoRA r=4 on q,v, lr {LR}");
    let losses = lora_losses(&Device::flex()).await;
    console_log!("cpu (flex): losses {losses:?}");
    assert_falls("cpu", &losses);
    console_log!(
        "cpu (flex): longest event-loop block {:.0} ms",
        longest_block_ms().await
    );
}

#[cfg(feature = "wgpu")]
#[wasm_bindgen_test]
async fn webgpu_logits_and_greedy_match_transformers() {
    watch_event_loop();
    let device = webgpu().await;
    let start = now_ms();
    let worst = max_logit_error(&device).await;
    console_log!(
        "webgpu: max |logits - transformers| = {worst:.3e} ({:.0} ms)",
        now_ms() - start
    );
    assert!(worst < LOGITS_TOL, "webgpu: max abs logit error {worst}");
    console_log!(
        "webgpu: longest event-loop block {:.0} ms",
        longest_block_ms().await
    );
}

#[cfg(feature = "wgpu")]
#[wasm_bindgen_test]
async fn webgpu_lora_training_lowers_the_loss() {
    watch_event_loop();
    let device = webgpu().await;
    console_log!("webgpu: LoRA r=4 on q,v, lr {LR}");
    let losses = lora_losses(&device).await;
    console_log!("webgpu: losses {losses:?}");
    assert_falls("webgpu", &losses);
    let cpu = lora_losses(&Device::flex()).await;
    let gap = losses
        .iter()
        .zip(&cpu)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    console_log!("webgpu: max |loss - cpu loss| = {gap:.3e}");
    assert!(gap < CURVE_TOL, "webgpu {losses:?} vs cpu {cpu:?}");
    console_log!(
        "webgpu: longest event-loop block {:.0} ms",
        longest_block_ms().await
    );
}
