//! Training on the fixture model: the same seed gives the same loss curve,
//! a NaN loss stops training and keeps the last good adapter, gradient
//! accumulation gives the loss of the unsplit batch, LoRA trains only the
//! adapter factors.

use tooltune_engine::EngineError;
use tooltune_engine::burn::module::{Module, ModuleVisitor, Param};
use tooltune_engine::burn::tensor::Tensor;
use tooltune_engine::chat::ChatTemplate;
use tooltune_engine::lora::{LoraSettings, load_peft_adapter, save_peft_adapter};
use tooltune_engine::train::{self, MaskedExample, TrainConfig, Tuning, mask_example};

use tooltune_engine::burn::tensor::Device;

use crate::common::{device, load_model, load_model_on, max_diff, read_jsonl, tokenizer};

fn tiny_data() -> Vec<MaskedExample> {
    let cities = [
        "Paris", "Rome", "Oslo", "Lima", "Kyiv", "Bern", "Doha", "Riga",
    ];
    let jsonl: String = cities
        .iter()
        .map(|c| {
            format!(
                "{{\"messages\": [{{\"role\": \"user\", \"content\": \"Weather in {c}?\"}}, \
                 {{\"role\": \"assistant\", \"content\": \"{{\\\"tool\\\": \\\"get_weather\\\", \
                 \\\"arguments\\\": {{\\\"city\\\": \\\"{c}\\\"}}}}\"}}]}}\n"
            )
        })
        .collect();
    let tok = tokenizer("llama-gqa");
    let template = ChatTemplate::builtin();
    read_jsonl(&jsonl)
        .iter()
        .map(|e| mask_example(&template, &tok, e).expect("masks"))
        .collect()
}

pub(crate) fn config(seed: u64) -> TrainConfig {
    TrainConfig {
        lr: 1e-2,
        epochs: 2,
        batch_size: 4,
        seed,
        tuning: Tuning::Lora(LoraSettings::new(4, 8.0, &["q_proj", "v_proj"])),
        ..TrainConfig::default()
    }
}

fn losses(seed: u64, cfg: &TrainConfig) -> Vec<f32> {
    losses_on(seed, cfg, &device())
}

/// The loss of every step of training the fixture model on `device`.
pub(crate) fn losses_on(seed: u64, cfg: &TrainConfig, device: &Device) -> Vec<f32> {
    steps_on(seed, cfg, device).iter().map(|s| s.loss).collect()
}

/// Every step's log of training the fixture model.
fn steps(seed: u64, cfg: &TrainConfig) -> Vec<train::StepLog> {
    steps_on(seed, cfg, &device())
}

fn steps_on(seed: u64, cfg: &TrainConfig, device: &Device) -> Vec<train::StepLog> {
    let model =
        train::prepare(load_model_on("llama-gqa", device), &cfg.tuning, seed).expect("adapters");
    let out = train::train(model, &tiny_data(), 0, cfg, None, &mut ()).expect("trains");
    assert!(out.stopped.is_none());
    out.steps
}

#[test]
fn same_seed_same_loss_curve() {
    let a = losses(7, &config(7));
    let b = losses(7, &config(7));
    let c = losses(8, &config(8));
    assert_eq!(a.len(), 4);
    assert_eq!(a, b, "same seed, same curve");
    assert_ne!(a, c, "another seed, another curve");
    // B = 0 at the start, so the first loss is the fixture model's own on
    // seed 7's first batch (7.0800); four steps later it has fallen.
    assert!((a[0] - 7.0800).abs() < 1e-3, "{a:?}");
    assert!(a[3] < a[0] - 0.1, "{a:?}");
}

/// The data-parallel step (one shard per rayon thread, see `train::step`)
/// gives the one-thread loss curve: the same losses and, through them, the
/// same updates (tolerance: float summation order).
#[cfg(feature = "cpu")]
#[test]
fn sharded_step_gives_the_one_thread_curve() {
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| losses(5, &config(5)))
    };
    let (one, two, three) = (on(1), on(2), on(3));
    assert_eq!(one.len(), 4);
    for other in [&two, &three] {
        for (a, b) in one.iter().zip(other.iter()) {
            assert!((a - b).abs() < 1e-5, "{one:?} vs {other:?}");
        }
    }
    assert!(one[3] < one[0] - 0.1, "{one:?}");
}

/// With LoRA dropout the step still runs one shard per thread, and each
/// row's masks come from its own seed: two runs on two threads give the
/// same curve, one and three threads the same curve up to summation order,
/// and it differs from the curve without dropout.
#[cfg(feature = "cpu")]
#[test]
fn dropout_runs_sharded_and_reproducibly() {
    let with_dropout = |p: f64| TrainConfig {
        tuning: Tuning::Lora(LoraSettings::new(4, 8.0, &["q_proj", "v_proj"]).with_dropout(p)),
        ..config(9)
    };
    let on = |threads: usize, p: f64| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| losses(9, &with_dropout(p)))
    };
    let (a, b, plain) = (on(2, 0.3), on(2, 0.3), on(2, 0.0));
    assert_eq!(a, b, "same seed, same curve with dropout on two threads");
    for other in [on(1, 0.3), on(3, 0.3)] {
        for (x, y) in a.iter().zip(&other) {
            assert!((x - y).abs() < 1e-5, "{a:?} vs {other:?}");
        }
    }
    assert_ne!(a, plain, "dropout changes the curve");
    assert_eq!(a[0], plain[0], "B = 0: the first loss has no adapter path");
    assert!(a[3] < a[0] - 0.1, "{a:?}");
}

/// An activation budget too small for any shard cuts every shard into
/// one-row pieces (`train::memory`), run one after another: the same loss
/// curve as the uncut steps, with LoRA dropout (seeded per row) and in a
/// full fine-tune, on one thread and on two.
#[cfg(feature = "cpu")]
#[test]
fn an_activation_budget_gives_the_unbudgeted_curve() {
    let lora = TrainConfig {
        tuning: Tuning::Lora(LoraSettings::new(4, 8.0, &["q_proj", "v_proj"]).with_dropout(0.3)),
        ..config(4)
    };
    let full = TrainConfig {
        lr: 1e-3,
        tuning: Tuning::Full,
        ..config(4)
    };
    for cfg in [lora, full] {
        for threads in [1, 2] {
            let on = |budget: Option<u64>| {
                let cfg = TrainConfig {
                    activation_budget: budget,
                    ..cfg.clone()
                };
                let steps = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("pool")
                    .install(|| steps(4, &cfg));
                let extra: Vec<usize> = steps.iter().map(|s| s.extra_passes).collect();
                (steps.iter().map(|s| s.loss).collect::<Vec<f32>>(), extra)
            };
            let ((whole, none), (pieces, extra)) = (on(None), on(Some(1)));
            // Steps of four rows, a shard per thread: one pass per row
            // instead of one per shard.
            assert_eq!(none, vec![0; 4]);
            assert_eq!(extra, vec![4 - threads; 4]);
            assert_eq!(whole.len(), 4);
            for (a, b) in whole.iter().zip(&pieces) {
                assert!((a - b).abs() < 1e-5, "{whole:?} vs {pieces:?}");
            }
            assert!(whole[3] < whole[0] - 0.1, "{whole:?}");
        }
    }
}

#[test]
fn grad_accum_gives_the_unsplit_first_loss() {
    let whole = losses(
        3,
        &TrainConfig {
            batch_size: 8,
            ..config(3)
        },
    );
    let split = losses(
        3,
        &TrainConfig {
            batch_size: 4,
            grad_accum: 2,
            ..config(3)
        },
    );
    assert_eq!((whole.len(), split.len()), (2, 2));
    assert!((whole[0] - split[0]).abs() < 1e-5, "{whole:?} vs {split:?}");
    assert!((whole[1] - split[1]).abs() < 1e-4, "{whole:?} vs {split:?}");
}

/// Every float parameter's stored value by module path, adapter factors
/// left out; `Param::base`, so an attached adapter is not folded in.
#[derive(Default)]
struct BaseWeights {
    path: Vec<String>,
    values: Vec<(String, Vec<f32>)>,
    /// Only the adapter factors instead.
    adapters: bool,
}

impl ModuleVisitor for BaseWeights {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let key = self.path.join(".");
        if key.contains(".lora.") == self.adapters {
            let data = param.base().into_data();
            self.values
                .push((key, data.try_to_vec::<f32>().expect("f32")));
        }
    }
}

fn base_weights(model: &tooltune_engine::LlamaForCausalLM) -> Vec<(String, Vec<f32>)> {
    let mut v = BaseWeights::default();
    model.visit(&mut v);
    v.values
}

fn adapter_weights(model: &tooltune_engine::LlamaForCausalLM) -> Vec<(String, Vec<f32>)> {
    let mut v = BaseWeights {
        adapters: true,
        ..Default::default()
    };
    model.visit(&mut v);
    v.values
}

#[test]
fn lora_trains_only_adapters_and_saves_them() {
    let cfg = config(1);
    let settings = LoraSettings::new(4, 8.0, &["q_proj", "v_proj"]);
    let model = train::prepare(load_model("llama-gqa"), &cfg.tuning, 1).expect("adapters");
    let before = save_peft_adapter(&model).expect("saves");
    let out = train::train(model, &tiny_data(), 0, &cfg, None, &mut ()).expect("trains");
    let after = save_peft_adapter(&out.model).expect("saves");
    assert_ne!(before, after, "the adapter changed");

    // The base weights after training are the file's, bit for bit.
    let file = base_weights(&load_model("llama-gqa"));
    let trained = base_weights(&out.model);
    assert!(file.len() > 10, "{} tensors", file.len());
    assert_eq!(
        file.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        trained.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    for ((key, want), (_, got)) in file.iter().zip(&trained) {
        assert!(want == got, "{key} changed in training");
    }

    // The file's base plus the saved adapter, reloaded, is the trained model.
    let (reloaded, _) = load_peft_adapter(
        load_model("llama-gqa"),
        &settings.to_peft_config_json(None),
        &after,
    )
    .expect("loads");
    let (fresh, _) = load_peft_adapter(
        load_model("llama-gqa"),
        &settings.to_peft_config_json(None),
        &before,
    )
    .expect("loads");
    let ids = &tiny_data()[3].ids;
    let want = out.model.logits(ids).expect("forward");
    let got = reloaded.logits(ids).expect("forward");
    let worst = max_diff(&want, &got);
    assert!(
        worst < 1e-5,
        "reloaded adapter: max |logits diff| = {worst:.3e}"
    );
    // ... and the adapter matters: the untrained one gives other logits.
    let moved = max_diff(&want, &fresh.logits(ids).expect("forward"));
    assert!(
        moved > 1e-2,
        "training moved the logits by only {moved:.3e}"
    );
}

#[test]
fn nan_loss_stops_and_keeps_the_last_good_adapter() {
    let settings = LoraSettings::new(4, 8.0, &["q_proj"]);
    let model = load_model("llama-gqa");
    let mut bytes = train::fresh_adapter(&model, &settings, 0).expect("adapter");
    // Poison every float of the adapter: A = NaN, so delta = NaN.
    let (header, data) = {
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        (8 + n, bytes.len())
    };
    for chunk in bytes[header..data].chunks_mut(4) {
        chunk.copy_from_slice(&f32::NAN.to_le_bytes());
    }
    let (model, _) =
        load_peft_adapter(model, &settings.to_peft_config_json(None), &bytes).expect("loads");
    let cfg = TrainConfig {
        tuning: Tuning::Lora(settings),
        ..config(0)
    };
    let out = train::train(model, &tiny_data(), 0, &cfg, None, &mut ()).expect("returns");
    assert!(out.steps.is_empty());
    let err = out.stopped.expect("stopped");
    assert!(
        matches!(err, EngineError::NonFiniteLoss { step: 1, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("NaN at step 1; training stopped"),
        "{err}"
    );
    // The adapter handed back is the one training started from.
    assert_eq!(save_peft_adapter(&out.model).expect("saves"), bytes);
}

#[test]
fn lora_dropout_is_unbiased_and_only_acts_while_training() {
    use tooltune_engine::burn::tensor::{Distribution, Tensor};
    use tooltune_engine::lora::{Dropout, project};
    let settings = LoraSettings::new(4, 8.0, &["q_proj"]);
    let model = train::prepare(load_model("llama-gqa"), &Tuning::Lora(settings.clone()), 5)
        .expect("adapters");
    // Give B non-zero values so the adapter matters.
    let mut bytes = save_peft_adapter(&model).expect("saves");
    let header = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    for chunk in bytes[header..].chunks_mut(4) {
        if chunk == [0; 4] {
            chunk.copy_from_slice(&0.05f32.to_le_bytes());
        }
    }
    let (model, _) = load_peft_adapter(
        load_model("llama-gqa"),
        &settings.to_peft_config_json(None),
        &bytes,
    )
    .expect("loads");
    let q = &model.model.layers[0].self_attn.q_proj;
    let x = Tensor::<2>::random([3, 64], Distribution::Normal(0.0, 1.0), &model.device());
    let plain = tooltune_engine::llama::read_f32(q.forward(x.clone())).expect("read");
    // Off autodiff (inference): no dropout at all, and the unmerged PEFT
    // form equals Burn's merged `x (W + s A B)` up to rounding.
    let half = |seed| Dropout {
        p: 0.5,
        seed,
        first_row: 0,
    };
    let same = tooltune_engine::llama::read_f32(project(q, x.clone(), half(1))).expect("read");
    let no_dropout =
        tooltune_engine::llama::read_f32(project(q, x.clone(), Dropout::NONE)).expect("read");
    assert_eq!(same, no_dropout);
    let merged_gap = same
        .iter()
        .zip(&plain)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(merged_gap < 1e-5, "unmerged vs merged: {merged_gap}");
    // On autodiff: each draw differs from the undropped output, and the mean
    // over draws is the plain output.
    let ad = model.device().autodiff();
    let q_ad = model.clone().fork(&ad).model.layers[0]
        .self_attn
        .q_proj
        .clone();
    let x_ad = Tensor::<2>::from_data(x.to_data(), &ad);
    let draws = 400;
    let mut mean = vec![0.0f32; plain.len()];
    let mut differs = 0;
    for seed in 0..draws {
        let y = project(&q_ad, x_ad.clone(), half(seed as u64));
        let y = tooltune_engine::llama::read_f32(y).expect("read");
        differs += usize::from(y != no_dropout);
        mean.iter_mut()
            .zip(&y)
            .for_each(|(m, v)| *m += v / draws as f32);
    }
    assert_eq!(differs, draws);
    let scale = plain.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    let worst = mean
        .iter()
        .zip(&plain)
        .map(|(m, p)| (m - p).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 0.1 * scale, "mean off by {worst} (scale {scale})");
}

/// The steps after which a run of 8 rows in batches of 4 (2 steps an
/// epoch) over `epochs` epochs evaluates.
fn eval_points(epochs: usize, every_epochs: usize, every_steps: Option<usize>) -> Vec<usize> {
    let cfg = TrainConfig {
        epochs,
        eval_every_epochs: every_epochs,
        eval_every: every_steps,
        ..config(0)
    };
    let model = train::prepare(load_model("llama-gqa"), &cfg.tuning, 0).expect("adapters");
    let mut trainer = train::Trainer::new(model, tiny_data(), 0, &cfg).expect("starts");
    let mut due = Vec::new();
    while let Some(log) = trainer.step().expect("steps") {
        let step = log.step;
        if trainer.eval_due() {
            due.push(step);
        }
    }
    due
}

/// Evaluations come at the end of every epoch, of every k-th epoch, or
/// every k steps, and always after the last step.
#[test]
fn evaluation_points_follow_the_cadence() {
    assert_eq!(eval_points(3, 1, None), [2, 4, 6]);
    assert_eq!(eval_points(5, 2, None), [4, 8, 10]);
    assert_eq!(eval_points(4, 2, None), [4, 8]);
    assert_eq!(eval_points(3, 2, Some(4)), [4, 6]);
    let bad = TrainConfig {
        eval_every_epochs: 0,
        ..config(0)
    };
    let err = bad.check().expect_err("0 epochs between evaluations");
    assert!(err.to_string().contains("eval_every_epochs"), "{err}");
}

/// A run picked up from a checkpoint (the adapter after step k, then
/// `Trainer::skip_to(k)`) takes step k+1 on the unbroken run's batch, from
/// its weights, at its learning rate: the same loss. Later steps differ a
/// little (the resumed run starts with fresh AdamW moments).
#[test]
fn a_resumed_run_goes_on_where_the_checkpoint_was() {
    let cfg = config(3);
    let Tuning::Lora(settings) = &cfg.tuning else {
        unreachable!()
    };
    let data = tiny_data();
    let model = train::prepare(load_model("llama-gqa"), &cfg.tuning, 3).expect("adapters");
    let mut unbroken = train::Trainer::new(model, data.clone(), 0, &cfg).expect("starts");
    let total = unbroken.total_steps();
    assert!(total >= 4, "{total} steps");
    let k = 3; // mid-epoch: 8 rows in batches of 4 make 2 steps an epoch
    for _ in 0..k {
        unbroken.step().expect("steps");
    }
    let checkpoint = save_peft_adapter(&unbroken.current()).expect("saves");
    let (want, want_lr) = {
        let log = unbroken.step().expect("steps").expect("a step is left");
        (log.loss, log.lr)
    };

    let model =
        train::with_adapter(load_model("llama-gqa"), settings, 3, &checkpoint).expect("adapter");
    let mut resumed = train::Trainer::new(model, data, 0, &cfg).expect("starts");
    resumed.skip_to(k).expect("skips");
    assert_eq!(resumed.steps_done(), k);
    let log = resumed
        .step()
        .expect("steps")
        .expect("a step is left")
        .clone();
    assert_eq!(log.step, k + 1);
    assert_eq!(log.lr, want_lr);
    assert!(
        (log.loss - want).abs() < 1e-6,
        "resumed step {} loss {} vs unbroken {want}",
        k + 1,
        log.loss
    );
    assert_eq!(resumed.total_steps(), total);
    while resumed.step().expect("steps").is_some() {}
    assert_eq!(resumed.steps_done(), total);
    assert!(
        resumed.skip_to(1).is_err(),
        "skipping after steps is refused"
    );
}

/// Polls a future that never waits (reads on the CPU backend are ready at
/// once) to its end.
fn ready<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// A full fine-tune's checkpoint (every weight, as the page keeps it, read
/// with awaited reads) is the model's `model.safetensors`, and a run goes on
/// from it as from an adapter: step k+1 has the unbroken run's loss.
#[test]
fn a_full_fine_tune_resumes_from_its_weights() {
    let cfg = TrainConfig {
        tuning: Tuning::Full,
        ..config(3)
    };
    let data = tiny_data();
    let model = train::prepare(load_model("llama-gqa"), &cfg.tuning, 3).expect("full");
    let mut unbroken = train::Trainer::new(model, data.clone(), 0, &cfg).expect("starts");
    let k = 3;
    for _ in 0..k {
        unbroken.step().expect("steps");
    }
    let checkpoint =
        ready(train::checkpoint_bytes(&unbroken.current(), &cfg.tuning)).expect("saves");
    assert_eq!(
        checkpoint,
        unbroken.current().to_safetensors().expect("saves"),
        "awaited and blocking reads write the same bytes"
    );
    let want = unbroken
        .step()
        .expect("steps")
        .expect("a step is left")
        .loss;

    let model = train::from_checkpoint(load_model("llama-gqa"), &cfg.tuning, 3, &checkpoint)
        .expect("weights");
    let mut resumed = train::Trainer::new(model, data, 0, &cfg).expect("starts");
    resumed.skip_to(k).expect("skips");
    let log = resumed
        .step()
        .expect("steps")
        .expect("a step is left")
        .clone();
    assert_eq!(log.step, k + 1);
    assert!(
        (log.loss - want).abs() < 1e-6,
        "resumed step {} loss {} vs unbroken {want}",
        k + 1,
        log.loss
    );
    assert!(
        train::with_weights(
            &load_model("llama-gqa"),
            &checkpoint[..checkpoint.len() / 2]
        )
        .is_err(),
        "a truncated checkpoint is refused"
    );
}

/// Rows that open with the same long system prompt, then differ.
fn rows_with_a_system_prompt() -> Vec<MaskedExample> {
    let system =
        "You route requests to tools. Answer with one JSON call, or no_tool when none fits.";
    let jsonl: String = [("Weather in Oslo?", "Oslo"), ("Is it raining in Lima now?", "Lima"), ("Kyiv", "Kyiv")]
        .iter()
        .map(|(ask, city)| {
            serde_json::json!({"messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": ask},
                {"role": "assistant", "content": format!("{{\"tool\": \"get_weather\", \"arguments\": {{\"city\": \"{city}\"}}}}")},
            ]})
            .to_string()
                + "\n"
        })
        .collect();
    let tok = tokenizer("llama-gqa");
    read_jsonl(&jsonl)
        .iter()
        .map(|e| mask_example(&ChatTemplate::builtin(), &tok, e).expect("masks"))
        .collect()
}

/// One plain SGD step (lr 1) from the batch's loss: the weights move by
/// minus the gradient, so equal weights after it mean equal gradients.
fn after_one_sgd_step(
    model: &tooltune_engine::LlamaForCausalLM,
    batch: &train::batch::Batch,
) -> (f32, tooltune_engine::LlamaForCausalLM) {
    use tooltune_engine::burn::optim::{GradientsParams, SgdConfig};
    let device = model.device();
    let loss = train::step::masked_loss(model, batch, &device);
    let value = tooltune_engine::llama::read_f32(loss.clone()).expect("read")[0];
    let grads = GradientsParams::from_grads(loss.backward(), model);
    (
        value,
        SgdConfig::new().init().step(1.0, model.clone(), grads),
    )
}

/// The largest difference between two models' weights, and how many of
/// the tensors moved from `before` (had a gradient).
fn max_weight_diff(a: &Weights, b: &Weights, before: &Weights) -> (f32, usize) {
    assert_eq!(a.len(), b.len());
    let (mut worst, mut moved) = (0.0f32, 0);
    for ((a, b), w) in a.iter().zip(b).zip(before) {
        moved += usize::from(a.1.iter().zip(&w.1).any(|(x, y)| x != y));
        worst = worst.max(
            a.1.iter()
                .zip(&b.1)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max),
        );
    }
    (worst, moved)
}

#[test]
fn a_shared_prefix_gives_the_unshared_loss_and_gradients() {
    let data = rows_with_a_system_prompt();
    let batch = train::batch::Batch::new(&data.iter().collect::<Vec<_>>(), 0);
    assert!(
        batch.prefix >= 20,
        "shared prefix of {} tokens",
        batch.prefix
    );
    // Every weight trained (full fine-tune), so every gradient is compared.
    let model = load_model("llama-gqa").train();
    let (worst, moved, tensors) = shared_vs_unshared(&model, &batch, base_weights);
    assert_eq!(moved, tensors, "every weight has a gradient");
    assert!(worst < 1e-5, "gradients differ by {worst:.3e}");

    // The same with LoRA on every projection (adapter gradients).
    let lora = LoraSettings::new(4, 8.0, &tooltune_engine::lora::PROJECTIONS);
    let model = train::prepare(load_model("llama-gqa"), &Tuning::Lora(lora), 3)
        .expect("adapters")
        .train();
    let (worst, moved, tensors) = shared_vs_unshared(&model, &batch, adapter_weights);
    // A fresh adapter's B is zero, so only B has a gradient in the first step.
    assert_eq!(moved * 2, tensors, "every B factor has a gradient");
    assert!(worst < 1e-5, "adapter gradients differ by {worst:.3e}");
}

/// A data-parallel shard is cut after its last trained position
/// (`Batch::split_rows`): the same loss and gradients as the shard padded
/// to its whole batch's length, as every shard was before.
#[test]
fn a_shard_cut_after_its_last_trained_token_gives_the_uncut_loss_and_gradients() {
    let data = rows_with_a_system_prompt();
    let batch = train::batch::Batch::new(&data.iter().collect::<Vec<_>>(), 0);
    let model = load_model("llama-gqa").train();
    for whole in [batch.clone(), batch.clone().unshared()] {
        let shards = whole.split_rows(2);
        // Rows 0 and 1, then row 2 ("Kyiv"), the shortest.
        assert_eq!(shards.len(), 2);
        assert!(
            shards[1].len < whole.len,
            "{} of {}",
            shards[1].len,
            whole.len
        );
        for shard in shards {
            let uncut = padded_to(&shard, whole.len);
            let (a, after_a) = after_one_sgd_step(&model, &shard);
            let (b, after_b) = after_one_sgd_step(&model, &uncut);
            assert!((a - b).abs() < 1e-5, "loss {a} vs {b}");
            let before = base_weights(&model);
            let (worst, moved) =
                max_weight_diff(&base_weights(&after_a), &base_weights(&after_b), &before);
            eprintln!(
                "shard of {} rows cut to {} of {} columns (prefix {}): loss {a} vs {b}, max \
                 |gradient difference| {worst:.3e}",
                shard.rows, shard.len, whole.len, shard.prefix
            );
            assert_eq!(moved, before.len(), "every weight has a gradient");
            assert!(worst < 1e-5, "gradients differ by {worst:.3e}");
        }
    }
}

/// `batch` padded on the right to `len` (positions rebased), as a shard
/// was before it was cut.
fn padded_to(batch: &train::batch::Batch, len: usize) -> train::batch::Batch {
    let inputs = batch
        .inputs
        .chunks(batch.len)
        .flat_map(|row| {
            row.iter()
                .copied()
                .chain(std::iter::repeat_n(0, len - batch.len))
        })
        .collect();
    let positions = batch
        .positions
        .iter()
        .map(|&p| ((p as usize / batch.len) * len + p as usize % batch.len) as i64)
        .collect();
    train::batch::Batch {
        inputs,
        len,
        positions,
        ..batch.clone()
    }
}

type Weights = Vec<(String, Vec<f32>)>;

/// One SGD step on `batch` shared and unshared: asserts equal losses and
/// returns the largest difference of the stepped `weights`, how many of
/// them moved, and how many there are.
fn shared_vs_unshared(
    model: &tooltune_engine::LlamaForCausalLM,
    batch: &train::batch::Batch,
    weights: fn(&tooltune_engine::LlamaForCausalLM) -> Weights,
) -> (f32, usize, usize) {
    let (shared, after_shared) = after_one_sgd_step(model, batch);
    let (plain, after_plain) = after_one_sgd_step(model, &batch.clone().unshared());
    assert!((shared - plain).abs() < 1e-5, "loss {shared} vs {plain}");
    let before = weights(model);
    let (worst, moved) = max_weight_diff(&weights(&after_shared), &weights(&after_plain), &before);
    eprintln!(
        "prefix {} of {} tokens: loss {shared} vs {plain}; max |gradient difference| over {} \
         tensors ({moved} moved): {worst:.3e}",
        batch.prefix,
        batch.len,
        before.len()
    );
    (worst, moved, before.len())
}

/// Every float parameter's values by module path.
type NamedWeights = Vec<(String, Vec<f32>)>;

/// Trains with every step split between `parts` trainers (as the page's
/// workers split it, `train::part`), each part sent as bytes: returns each
/// step's loss and every trainer's final weights.
fn split_run(seed: u64, cfg: &TrainConfig, parts: usize) -> (Vec<f32>, Vec<NamedWeights>) {
    let device = device();
    let mut trainers: Vec<train::Trainer> = (0..parts)
        .map(|_| {
            let model = train::prepare(load_model_on("llama-gqa", &device), &cfg.tuning, seed)
                .expect("prepares");
            train::Trainer::new(model, tiny_data(), 0, cfg).expect("trainer")
        })
        .collect();
    let mut losses = Vec::new();
    loop {
        let sent: Vec<Option<Vec<u8>>> = trainers
            .iter_mut()
            .enumerate()
            .map(|(i, t)| {
                ready(t.step_part_async(i, parts))
                    .expect("part")
                    .map(|p| p.to_bytes())
            })
            .collect();
        if sent.iter().all(Option::is_none) {
            break;
        }
        let received: Vec<train::part::StepPart> = sent
            .iter()
            .map(|b| train::part::StepPart::from_bytes(b.as_ref().expect("a part")).expect("reads"))
            .collect();
        let mut step_losses: Vec<f32> = trainers
            .iter_mut()
            .map(|t| {
                t.complete_step(&received)
                    .expect("applies")
                    .expect("a step")
                    .loss
            })
            .collect();
        step_losses.dedup();
        assert_eq!(step_losses.len(), 1, "every worker logs the same loss");
        losses.push(step_losses[0]);
    }
    let weights = trainers
        .into_iter()
        .map(|t| {
            let model = t.finish().model;
            let mut all = base_weights(&model);
            all.extend(adapter_weights(&model));
            all
        })
        .collect();
    (losses, weights)
}

/// A step split between workers gives what the data-parallel step gives on
/// as many threads: the same losses, and every worker ends with the same
/// weights as each other, bit for bit. LoRA with dropout (masks seeded per
/// row, so the split must keep each row's) and a full fine-tune.
#[cfg(feature = "cpu")]
#[test]
fn a_step_split_between_workers_gives_the_threaded_step() {
    let lora = TrainConfig {
        tuning: Tuning::Lora(LoraSettings::new(4, 8.0, &["q_proj", "v_proj"]).with_dropout(0.3)),
        ..config(9)
    };
    let full = TrainConfig {
        tuning: Tuning::Full,
        lr: 1e-3,
        ..config(4)
    };
    for (cfg, seed) in [(&lora, 9), (&full, 4)] {
        let threaded = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("pool")
            .install(|| losses(seed, cfg));
        let (split, weights) = split_run(seed, cfg, 2);
        assert_eq!(split.len(), 4);
        for (a, b) in threaded.iter().zip(&split) {
            assert!((a - b).abs() < 1e-6, "{threaded:?} vs {split:?}");
        }
        assert_eq!(weights[0], weights[1], "both workers hold the same weights");
        assert!(split[3] < split[0] - 0.1, "{split:?}");
        // Three workers: the same curve up to summation order.
        let (three, _) = split_run(seed, cfg, 3);
        for (a, b) in threaded.iter().zip(&three) {
            assert!((a - b).abs() < 1e-5, "{threaded:?} vs {three:?}");
        }
    }
}

/// A part's bytes that are cut short or of another kind are refused with
/// an error, never a panic.
#[test]
fn a_bad_step_part_is_refused() {
    let part = train::part::StepPart {
        step: 3,
        part: 1,
        losses: vec![(0.5, 0.25)],
        present: vec![true, false, true],
        grads: vec![1.0, 2.0, 3.0],
    };
    let bytes = part.to_bytes();
    assert_eq!(
        train::part::StepPart::from_bytes(&bytes).expect("reads"),
        part
    );
    for cut in [0, 3, 10, bytes.len() - 1] {
        assert!(
            train::part::StepPart::from_bytes(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(train::part::StepPart::from_bytes(&longer).is_err());
    let mut huge = bytes;
    huge[4..12].copy_from_slice(&u64::MAX.to_le_bytes());
    huge[28..36].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(train::part::StepPart::from_bytes(&huge).is_err());
}
