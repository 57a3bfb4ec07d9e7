//! `tooltune train --model DIR --data TRAIN.jsonl [--eval TEST.jsonl] --out RUN_DIR [...]`.

use anyhow::{Context, Result, anyhow};
use std::path::Path;
use std::process::ExitCode;
use tooltune_core::dataset::{Example, Role, router};
use tooltune_engine::assistant::{EvalSet, stop_ids};
use tooltune_engine::lora::{LoraSettings, save_peft_adapter};
use tooltune_engine::train::{self, EvalContext, TrainConfig, Tuning, batch, mask_example};

use super::progress::Progress;
use crate::args::TrainArgs;
use crate::run_dir::run_catalogue;
use crate::{io, model};
use tooltune_engine::run::RunInfo;
use tooltune_workspace::{TrainSettings, smoothed_loss_floor};

/// Defaults for the built-in model, where the lesson's (LoRA r=16 on q,v at
/// 2e-4 for 3 epochs, tuned for 0.5-1.5 B models) barely move a
/// 5.5 M-parameter model: the page's (`TrainSettings::builtin`), a full
/// fine-tune at 2e-3 for about 1,200 example passes, at most 10 epochs, with
/// label smoothing 0.1 (measured in MODEL.md); with `--lora`, LoRA on all
/// seven projections at 2e-3.
fn config(a: &TrainArgs, rows: usize) -> Result<TrainConfig> {
    let builtin = model::is_builtin(&a.model.model);
    let page = TrainSettings::builtin();
    let targets: Vec<&str> = match &a.target_modules {
        Some(t) => t.iter().map(|s| s.trim()).collect(),
        None if builtin => tooltune_engine::lora::PROJECTIONS.to_vec(),
        None => vec!["q_proj", "v_proj"],
    };
    let epochs = a.epochs.unwrap_or(if builtin {
        TrainSettings::builtin_epochs(rows)
    } else {
        3
    });
    let c = TrainConfig {
        lr: a.lr.unwrap_or(if builtin { page.lr } else { 2e-4 }),
        epochs,
        batch_size: a.batch_size,
        grad_accum: a.grad_accum,
        max_seq_len: a.max_seq_len.unwrap_or(batch::DEFAULT_MAX_SEQ_LEN),
        truncate: a.truncate,
        warmup_ratio: a.warmup_ratio,
        weight_decay: a.weight_decay,
        seed: a.seed,
        tuning: if a.full || (builtin && !a.lora) {
            Tuning::Full
        } else {
            Tuning::Lora(
                LoraSettings::new(a.lora_r, a.lora_alpha, &targets).with_dropout(a.lora_dropout),
            )
        },
        eval_every: a.eval_every,
        eval_every_epochs: a
            .eval_every_epochs
            .map_or_else(|| TrainSettings::auto_eval_epochs(epochs), |k| k as usize),
        eval_max_new_tokens: a.max_new_tokens,
        activation_budget: activation_budget(a.activation_memory),
        label_smoothing: a.label_smoothing.unwrap_or(if builtin {
            page.label_smoothing
        } else {
            0.0
        }),
    };
    c.check()?;
    Ok(c)
}

/// `--activation-memory` in bytes: the flag's GiB (0: no limit), else half
/// the memory available now (Linux's `MemAvailable`; no limit elsewhere).
fn activation_budget(gib: Option<f64>) -> Option<u64> {
    match gib {
        Some(0.0) => None,
        Some(g) => Some((g * GIB) as u64),
        None => available_memory().map(|bytes| bytes / 2),
    }
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// The memory the kernel says is available for new allocations.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb = info
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kb * 1024)
}

/// The catalogue, system prompt and output style the run will route with.
fn describe(
    examples: &[Example],
    tools: Option<&Path>,
) -> Result<(Option<serde_json::Value>, bool, Option<String>, String)> {
    let in_prompt = examples.iter().any(|e| e.conversation.tools.is_some());
    let catalogue = match tools {
        Some(p) => Some(
            serde_json::from_slice(&io::read(p)?)
                .with_context(|| format!("{} is not JSON", p.display()))?,
        ),
        None => examples.iter().find_map(|e| e.conversation.tools.clone()),
    };
    let first = &examples[0].conversation;
    let system = first
        .messages
        .first()
        .filter(|m| m.role == Role::System)
        .map(|m| m.text());
    let router_style = first
        .messages
        .iter()
        .find(|m| m.role == Role::Assistant)
        .is_some_and(|m| m.tool_calls.is_none() && router::router_value(&m.text()).is_some());
    let mode = if router_style { "json" } else { "chat" };
    Ok((catalogue, in_prompt, system, mode.into()))
}

pub fn run(a: TrainArgs) -> Result<ExitCode> {
    let examples = io::examples(&a.data)?;
    let mut cfg = config(&a, examples.len())?;
    let device = tooltune_engine::backend_device(&a.model.backend).map_err(|e| anyhow!(e))?;
    let text = model::load_text(&a.model.model)?;
    let (tools, tools_in_prompt, system, output_mode) = describe(&examples, a.tools.as_deref())?;
    let base = model::load_model(&a.model.model, None, &device)?;
    cfg.max_seq_len = batch::length_limit(a.max_seq_len, base.config.max_position_embeddings)?;
    let mut masked = Vec::with_capacity(examples.len());
    for ex in &examples {
        let mut m = mask_example(&text.template, &text.tokenizer, ex)?;
        batch::fit_length(&mut m, cfg.max_seq_len, cfg.truncate)?;
        masked.push(m);
    }
    let stop = stop_ids(&base, &text.tokenizer, &text.template);
    let vocab_size = base.config.vocab_size;
    let pad = train::pad_id(&text.template, &text.tokenizer);
    let mut info = RunInfo {
        tooltune_version: env!("CARGO_PKG_VERSION").into(),
        model: std::fs::canonicalize(&a.model.model).unwrap_or(a.model.model.clone()),
        train_data: a.data.clone(),
        eval_data: a.eval.clone(),
        backend: a.model.backend.clone(),
        tools,
        tools_in_prompt,
        system,
        output_mode,
        config: cfg.clone(),
        examples: examples.len(),
        steps: 0,
        final_loss: None,
        stopped: None,
        constrained_eval: a.constrain,
        call_threshold: a.call_threshold.0,
    };
    let catalogue = run_catalogue(&info, &a.out)?;
    let eval_set = match &a.eval {
        Some(p) => {
            let ex = io::examples(p)?;
            let lacks = ex.iter().any(|e| e.conversation.tools.is_none());
            Some(
                EvalSet::new(
                    &ex,
                    catalogue.as_ref().filter(|_| lacks),
                    &info.prompt_context(),
                    &text.template,
                    &text.tokenizer,
                )?
                .constrained(a.constrain)
                .deciding(a.call_threshold.0),
            )
        }
        None => None,
    };
    if let Some(set) = &eval_set {
        super::eval_run::warn_past_context(set, &base, a.max_new_tokens);
    }
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let write_info = |info: &RunInfo| {
        io::write(
            &a.out.join("run.json"),
            &(serde_json::to_string_pretty(info)? + "\n"),
        )
    };
    write_info(&info)?;
    let metrics_path = a.out.join("metrics.jsonl");
    let metrics = std::fs::File::create(&metrics_path)
        .with_context(|| format!("cannot write {}", metrics_path.display()))?;
    let model = train::prepare(base, &cfg.tuning, cfg.seed)?;
    let total = cfg.steps_per_epoch(masked.len()) * cfg.epochs;
    let trained_tokens: usize = masked.iter().map(|m| m.trained_count()).sum();
    eprintln!(
        "training on {} examples ({} trained tokens), {} steps, {}{}",
        masked.len(),
        trained_tokens,
        total,
        match &cfg.tuning {
            Tuning::Full => "full fine-tune".to_string(),
            Tuning::Lora(l) => format!(
                "LoRA r={} alpha={} dropout={} on {}",
                l.r,
                l.lora_alpha,
                l.lora_dropout,
                l.target_modules.join(",")
            ),
        },
        cfg.activation_budget.map_or(String::new(), |b| format!(
            "; activations up to {:.1} GiB a step (--activation-memory)",
            b as f64 / GIB
        ))
    );
    let mut progress = Progress::new(total, metrics);
    let eval = eval_set.as_ref().map(|set| EvalContext {
        set,
        tokenizer: &text.tokenizer,
        stop: &stop,
    });
    let out = train::train(model, &masked, pad, &cfg, eval, &mut progress)?;
    progress.finish();
    let cut = out.steps.iter().filter(|s| s.extra_passes > 0).count();
    if let (true, Some(budget)) = (cut > 0, cfg.activation_budget) {
        eprintln!(
            "{cut} of {} steps ran in row groups to keep their activations within {:.1} GiB \
             (--activation-memory): same result, more passes",
            out.steps.len(),
            budget as f64 / GIB
        );
    }
    if let Some(e) = progress.error.take() {
        return Err(anyhow!(e).context(format!("cannot write {}", metrics_path.display())));
    }
    match &cfg.tuning {
        Tuning::Lora(l) => {
            let base_path = info.model.display().to_string();
            io::write_bytes(
                &a.out.join("adapter_config.json"),
                &l.to_peft_config_json(Some(&base_path)),
            )?;
            io::write_bytes(
                &a.out.join("adapter_model.safetensors"),
                &save_peft_adapter(&out.model)?,
            )?;
        }
        Tuning::Full => io::write_bytes(
            &a.out.join("model.safetensors"),
            &out.model.to_safetensors()?,
        )?,
    }
    info.steps = out.steps.len();
    info.final_loss = out.steps.last().map(|s| s.loss);
    info.stopped = out.stopped.as_ref().map(|e| e.to_string());
    write_info(&info)?;
    if let Some(e) = out.stopped {
        eprintln!("error: {e}");
        let kept = match info.steps {
            0 => "the starting weights".to_string(),
            n => format!("the weights step {n} started from (its loss was finite)"),
        };
        eprintln!("  kept {kept}: saved in {}", a.out.display());
        return Ok(ExitCode::from(1));
    }
    let last = progress.last_eval.as_ref().map(|e| {
        format!(
            ", valid-tool-call rate {:.3}, argument match {:.3}",
            e.metrics.valid_tool_call_rate, e.metrics.argument_match_accuracy
        )
    });
    // A smoothed loss levels off above the smoothed target's entropy.
    let floor = (cfg.label_smoothing > 0.0).then(|| {
        format!(
            " (label smoothing {} keeps it above {:.3})",
            cfg.label_smoothing,
            smoothed_loss_floor(cfg.label_smoothing, vocab_size)
        )
    });
    eprintln!(
        "done: {} steps, final loss {:.4}{}{}; wrote {}",
        info.steps,
        info.final_loss.unwrap_or(f32::NAN),
        floor.unwrap_or_default(),
        last.unwrap_or_default(),
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
