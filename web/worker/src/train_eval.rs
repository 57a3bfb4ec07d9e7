//! Held-out evaluation in the worker: every answer generated (a batch at a
//! time, yielding between batches, on either device) and scored by the
//! CLI's evaluator ([`score`]); the report turned into what the Train panel
//! shows (metrics, confusion counts, failing rows). A run's evaluation may
//! also be done here for a run another worker trains ([`evaluate_elsewhere`]).

use serde_json::Value;
use tooltune_core::dataset::Role;
use tooltune_core::eval::{Expected, ExpectedArgs, MatchMode, Report};
use tooltune_engine::LlamaForCausalLM;
use tooltune_engine::assistant::{EvalSet, length_batches, processors, score};
use tooltune_engine::choices::score_failures_async;
use tooltune_engine::decode::{GenerateConfig, generate_batch_async};
use tooltune_workspace::protocol::Failure;

use std::rc::Rc;
use std::sync::Arc;

use tooltune_core::dataset::Example;
use tooltune_core::prompt::PromptContext;
use tooltune_core::{Catalogue, Location};
use tooltune_workspace::TrainSettings;
use tooltune_workspace::protocol::Event;

use crate::worker::{Loaded, emit, now_ms};
use crate::yielding::yield_now;

/// Failing items sent with each evaluation.
const FAILURES_SHOWN: usize = 12;
/// Prompts decoded together during evaluation: the CLI's default.
const EVAL_BATCH: usize = tooltune_engine::assistant::DEFAULT_BATCH_SIZE;
/// Token budget of each answer during evaluation: `tooltune eval`'s and
/// `tooltune train`'s default (`--max-new-tokens 128`), so the page scores
/// what the CLI scores (at 64 it cut off answers that the CLI reads whole).
pub const EVAL_MAX_NEW_TOKENS: usize = 128;

/// Generates every held-out answer (a batch at a time, yielding between
/// batches) and scores them.
pub async fn evaluate(
    m: &Loaded,
    model: &LlamaForCausalLM,
    set: &EvalSet,
) -> Result<Report, String> {
    let config = GenerateConfig::greedy(EVAL_MAX_NEW_TOKENS).with_eos(&m.stop);
    let mut outputs = vec![String::new(); set.len()];
    for chunk in &length_batches(&set.prompts, EVAL_BATCH) {
        yield_now().await;
        let prompts: Vec<&[u32]> = chunk.iter().map(|&i| &set.prompts[i][..]).collect();
        let mut processors = processors(set, chunk, &m.tokenizer, &m.stop);
        let generations = generate_batch_async(model, &prompts, &config, &mut processors)
            .await
            .map_err(|e| e.to_string())?;
        for (&i, g) in chunk.iter().zip(generations) {
            let ids: Vec<u32> = g
                .tokens
                .into_iter()
                .filter(|t| !m.stop.contains(t))
                .collect();
            outputs[i] = m.tokenizer.decode(&ids).map_err(|e| e.to_string())?;
        }
    }
    // The item's gold decides how prose is read (router gold: JSON only).
    let mut report = score(set, &outputs, MatchMode::Exact).map_err(|e| e.to_string())?;
    // The failing rows shown get the odds of each call, as Try it shows them.
    yield_now().await;
    score_failures_async(
        model,
        &m.template,
        &m.tokenizer,
        set,
        &mut report,
        FAILURES_SHOWN,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(report)
}

pub fn confusion(r: &Report) -> Vec<(String, String, usize)> {
    let labels = &r.confusion.labels;
    let mut out = Vec::new();
    for (g, row) in r.confusion.matrix.iter().enumerate() {
        for (p, &count) in row.iter().enumerate() {
            if count > 0 {
                out.push((labels[g].clone(), labels[p].clone(), count));
            }
        }
    }
    out
}

pub fn failures(r: &Report, set: &EvalSet) -> Vec<Failure> {
    r.failures
        .iter()
        .take(FAILURES_SHOWN)
        .map(|f| {
            let item = set.items.iter().find(|i| i.id == f.id);
            let request = item
                .and_then(|i| i.history.iter().rev().find(|m| m.role == Role::User))
                .map(|m| m.text())
                .unwrap_or_default();
            Failure {
                request,
                gold: item.map(|i| gold_text(&i.expected)).unwrap_or_default(),
                output: f.output.clone(),
                reason: f.reason.clone(),
                choices: f.choices.clone(),
            }
        })
        .collect()
}

/// The gold answer in one line: `tool({...})`, several joined, or `no_tool`.
fn gold_text(expected: &Expected) -> String {
    match expected {
        Expected::NoTool => "no_tool".into(),
        Expected::AnyCall => "(any call)".into(),
        Expected::Calls(calls) => calls
            .iter()
            .map(|c| match &c.arguments {
                ExpectedArgs::Exact(a) | ExpectedArgs::Acceptable(a) => {
                    format!("{}({})", c.name, Value::Object(a.clone()))
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The held-out set of `test` under `context` (lines without `tools` get
/// the context's catalogue), its answers decoded within their catalogues
/// when `settings.constrain`, each one's call-or-answer step taken at
/// `settings.call_threshold`.
pub(crate) fn eval_set(
    m: &Loaded,
    test: &[Example],
    context: &PromptContext,
    settings: &TrainSettings,
) -> Result<EvalSet, String> {
    let catalogue = match &context.tools {
        Some(tools) => Some(Arc::new(
            Catalogue::from_value(&Location::whole("catalogue"), tools)
                .map_err(|e| e.to_string())?,
        )),
        None => None,
    };
    let lacks_tools = test.iter().any(|e| e.conversation.tools.is_none());
    EvalSet::new(
        test,
        catalogue.as_ref().filter(|_| lacks_tools),
        context,
        &m.template,
        &m.tokenizer,
    )
    .map(|set| {
        set.constrained(settings.constrain)
            .deciding(settings.call_threshold.map(|t| t as f32))
    })
    .map_err(|e| e.to_string())
}

/// What [`Request::Evaluate`] asks: a run's evaluation done in this worker
/// while another trains.
///
/// [`Request::Evaluate`]: tooltune_workspace::protocol::Request::Evaluate
pub struct EvalJob {
    pub id: u64,
    pub step: usize,
    pub settings: TrainSettings,
    pub seed: u64,
    pub test: Vec<Value>,
    pub context: PromptContext,
    /// The checkpoint's bytes; `None`: the base model.
    pub weights: Option<Vec<u8>>,
}

/// Scores a run's checkpoint (or the base) on its held-out lines and
/// reports it as the run's evaluation of `step`.
pub async fn evaluate_elsewhere(m: Rc<Loaded>, job: EvalJob) -> Result<(), String> {
    let started = now_ms();
    let test = crate::train::examples("held-out row", job.test)?;
    let set = eval_set(&m, &test, &job.context, &job.settings)?;
    let model = match &job.weights {
        Some(bytes) => {
            let tuning = crate::train::tuning(&job.settings);
            tooltune_engine::train::from_checkpoint(m.model.clone(), &tuning, job.seed, bytes)
                .map_err(|e| format!("the checkpoint of step {}: {e}", job.step))?
        }
        None => m.model.clone(),
    };
    let report = evaluate(&m, &model, &set).await?;
    emit(&Event::Evaluated {
        id: job.id,
        step: job.step,
        metrics: report.metrics,
        confusion: confusion(&report),
        failures: failures(&report, &set),
        seconds: (now_ms() - started) / 1000.0,
    });
    Ok(())
}
