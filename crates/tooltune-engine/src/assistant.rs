//! Assistant turns from a model: render the conversation so far with the
//! chat template and its generation prompt, decode greedily to the
//! end-of-turn token, and score the outputs with tooltune-core's four-metric
//! evaluator (`tooltune_core::eval`; the tool-use lesson's report).

use std::sync::Arc;

use tooltune_core::Catalogue;
use tooltune_core::dataset::Example;
use tooltune_core::error::Location;
use tooltune_core::eval::{self, CatalogueCache, Item, MatchMode, Prediction, Report};
use tooltune_core::prompt::{Prompt, PromptContext};

use crate::chat::{ChatTemplate, messages_value};
use tooltune_core::constrain::Grammar;

use crate::decode::{
    CallDecision, Constrained, GenerateConfig, Prefill, generate_batch, generate_keeping_prefill,
};
use crate::error::Result;
use crate::llama::LlamaForCausalLM;
use crate::tokenizer::Tokenizer;

/// Token ids that end an assistant turn: the config's `eos_token_id`s and
/// the template's end-of-turn token ([`ChatTemplate::end_of_turn`]).
pub fn stop_ids(
    model: &LlamaForCausalLM,
    tokenizer: &Tokenizer,
    template: &ChatTemplate,
) -> Vec<u32> {
    let mut ids = model.config.eos_token_ids.clone();
    if let Some(id) = template
        .end_of_turn()
        .and_then(|t| tokenizer.token_id(t))
        .filter(|id| !ids.contains(id))
    {
        ids.push(id);
    }
    ids
}

/// The prompt ids of the next assistant turn: `prompt` (from a
/// [`PromptContext`], the one place prompts are decided) rendered with the
/// chat template and its generation prompt.
pub fn prompt_ids(
    template: &ChatTemplate,
    tokenizer: &Tokenizer,
    prompt: &Prompt,
) -> Result<Vec<u32>> {
    let text = template.render(&prompt.messages, prompt.tools.as_ref(), true)?;
    Ok(tokenizer.encode(&text)?.ids)
}

/// A name no catalogue uses, to find where a call's name goes.
pub(crate) const PROBE_NAME: &str = "tooltune_probe_name_7f3a";

/// [`prompt_ids`] and the first token a tool call's answer opens with after
/// them, from one rendering of the prompt: the template renders the turn
/// with a call, and whatever comes between the generation prompt and the
/// call's name (`<tool_call>\n{"name": "` for ChatML and Hermes templates)
/// is the opening. The opening is `None` when the template renders no calls
/// there, or its first token is not a token of its own after the prompt.
pub fn prompt_with_opening(
    template: &ChatTemplate,
    tokenizer: &Tokenizer,
    prompt: &Prompt,
) -> Result<(Vec<u32>, Option<u32>)> {
    let text = template.render(&prompt.messages, prompt.tools.as_ref(), true)?;
    let ids = tokenizer.encode(&text)?.ids;
    let opening = opening_after(template, tokenizer, prompt, &text, &ids)?;
    Ok((ids, opening))
}

/// The opening's first token after `text` (the prompt rendered, `ids` its
/// tokens); see [`prompt_with_opening`].
fn opening_after(
    template: &ChatTemplate,
    tokenizer: &Tokenizer,
    prompt: &Prompt,
    text: &str,
    ids: &[u32],
) -> Result<Option<u32>> {
    let Some((rest, at)) = rendered_call(template, prompt, text, PROBE_NAME) else {
        return Ok(None);
    };
    let opening = &rest[..at];
    if opening.trim().is_empty() {
        return Ok(None);
    }
    Ok(tokens_after(tokenizer, text, ids, opening)?.and_then(|t| t.first().copied()))
}

/// What the template writes after `text` (the prompt rendered) for an
/// answer that calls `name` with no arguments, and where the name starts
/// in it; `None` when it renders no such call after the prompt.
pub(crate) fn rendered_call(
    template: &ChatTemplate,
    prompt: &Prompt,
    text: &str,
    name: &str,
) -> Option<(String, usize)> {
    let mut probe = prompt.messages.clone();
    probe.push(
        serde_json::json!({"role": "assistant", "tool_calls": [{"id": "call_1",
        "type": "function", "function": {"name": name, "arguments": {}}}]}),
    );
    let with_call = template.render(&probe, prompt.tools.as_ref(), false).ok()?;
    let rest = with_call.strip_prefix(text)?;
    let at = rest.find(name)?;
    Some((rest.to_string(), at))
}

/// The tokens `more` adds after the prompt `text` (tokens `ids`), when the
/// prompt's tokens stay a prefix of the whole's; `None` otherwise.
fn tokens_after(
    tokenizer: &Tokenizer,
    text: &str,
    ids: &[u32],
    more: &str,
) -> Result<Option<Vec<u32>>> {
    let both = tokenizer.encode(&format!("{text}{more}"))?.ids;
    Ok(both
        .get(..ids.len())
        .filter(|head| *head == ids)
        .map(|_| both[ids.len()..].to_vec())
        .filter(|after| !after.is_empty()))
}

/// A greedy continuation: its ids (the stop token included) and its text
/// (the stop token left out).
pub fn complete(
    model: &LlamaForCausalLM,
    tokenizer: &Tokenizer,
    prompt: &[u32],
    stop: &[u32],
    max_new_tokens: usize,
) -> Result<(Vec<u32>, String)> {
    let (ids, text, _) = complete_with(model, tokenizer, prompt, stop, max_new_tokens, &mut ())?;
    Ok((ids, text))
}

/// [`complete`] with `processor` between the logits and the choice (e.g.
/// [`Constrained`]), and the prompt's [`Prefill`] for scoring other answers
/// to it (the odds of each call, [`crate::choices::CallPaths`]).
pub fn complete_with(
    model: &LlamaForCausalLM,
    tokenizer: &Tokenizer,
    prompt: &[u32],
    stop: &[u32],
    max_new_tokens: usize,
    processor: &mut impl crate::decode::LogitsProcessor,
) -> Result<(Vec<u32>, String, Option<Prefill>)> {
    let config = GenerateConfig::greedy(max_new_tokens).with_eos(stop);
    let (out, prefill) = generate_keeping_prefill(model, prompt, &config, processor)?;
    let text = text_of(tokenizer, &out.tokens, stop)?;
    Ok((out.tokens, text, prefill))
}

/// Prompts decoded together by [`complete_all`] unless told otherwise (the
/// page's evaluation too). With the batch's shared prefix prefilled once, 16
/// decoded the support example's 60 test rows in 2.81 s where 8 took 3.34 s
/// (`examples/bench_eval.rs`, one thread, AMD EPYC Zen 4, 3 December).
pub const DEFAULT_BATCH_SIZE: usize = 16;

/// [`complete`] for every prompt of `set`, decoded `batch_size` at a time
/// ([`generate_batch`]); prompts of similar length share a batch, so little
/// is padded. Each answer is decoded as the set says ([`processors`]).
/// Results come in prompt order.
pub fn complete_all(
    model: &LlamaForCausalLM,
    tokenizer: &Tokenizer,
    set: &EvalSet,
    stop: &[u32],
    max_new_tokens: usize,
    batch_size: usize,
) -> Result<Vec<(Vec<u32>, String)>> {
    let config = GenerateConfig::greedy(max_new_tokens).with_eos(stop);
    let prompts = &set.prompts;
    let mut out = vec![(Vec::new(), String::new()); prompts.len()];
    for chunk in &length_batches(prompts, batch_size) {
        let batch: Vec<&[u32]> = chunk.iter().map(|&i| &prompts[i][..]).collect();
        let mut processors = processors(set, chunk, tokenizer, stop);
        let generations = generate_batch(model, &batch, &config, &mut processors)?;
        for (&i, generation) in chunk.iter().zip(generations) {
            let text = text_of(tokenizer, &generation.tokens, stop)?;
            out[i] = (generation.tokens, text);
        }
    }
    Ok(out)
}

/// How one answer is decoded beyond greedy: the call-or-answer decision,
/// then the grammar, each where the set asks for it.
pub type AnswerProcessor = (Option<CallDecision>, Option<Constrained>);

/// The processors of the prompts `indices` of `set`: each one's call
/// decision where the set has a threshold and the prompt an opening
/// ([`EvalSet::deciding`]), its grammar where the set is constrained.
pub fn processors(
    set: &EvalSet,
    indices: &[usize],
    tokenizer: &Tokenizer,
    stop: &[u32],
) -> Vec<AnswerProcessor> {
    let bytes = set.grammars.as_ref().map(|_| tokenizer.token_bytes());
    indices
        .iter()
        .map(|&i| {
            let decision = set.call_threshold.and_then(|t| {
                let opening = set.openings.get(i).copied().flatten()?;
                Some(CallDecision::new(opening, t))
            });
            let constrained = set.grammars.as_ref().and_then(|g| {
                let grammar = g.get(i)?.clone();
                Some(Constrained::new(grammar, bytes.clone()?, stop))
            });
            (decision, constrained)
        })
        .collect()
}

/// The indices of `prompts` in batches of `batch_size` (at least 1), the
/// prompts sorted by length so that a batch pads little and shares a long
/// prefix: how [`complete_all`] and the page's evaluation batch.
pub fn length_batches(prompts: &[Vec<u32>], batch_size: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..prompts.len()).collect();
    order.sort_by_key(|&i| prompts[i].len());
    order
        .chunks(batch_size.max(1))
        .map(<[usize]>::to_vec)
        .collect()
}

/// The text of generated ids, stop tokens left out.
fn text_of(tokenizer: &Tokenizer, ids: &[u32], stop: &[u32]) -> Result<String> {
    let text_ids: Vec<u32> = ids.iter().copied().filter(|t| !stop.contains(t)).collect();
    tokenizer.decode(&text_ids)
}

/// Gold items with the prompt of each.
#[derive(Debug, Clone)]
pub struct EvalSet {
    /// One item per assistant turn (tooltune-core's order).
    pub items: Vec<Item>,
    /// The prompt ids of each item.
    pub prompts: Vec<Vec<u32>>,
    /// The prompt of each item, before the template renders it.
    pub requests: Vec<Prompt>,
    /// Each item's valid answers, when answers are decoded within them
    /// ([`Self::constrained`]); `None`: free decoding.
    pub grammars: Option<Vec<Grammar>>,
    /// The first token of a call's opening after each prompt
    /// ([`prompt_with_opening`]).
    pub openings: Vec<Option<u32>>,
    /// With a threshold, each answer's first step is a call only when the
    /// opening has that probability ([`CallDecision`]); `None`: greedy.
    pub call_threshold: Option<f32>,
}

impl EvalSet {
    /// Builds items (`tools` overrides the examples' own catalogues when
    /// scoring) and renders each turn's prompt as `context` decides
    /// ([`PromptContext::turn`]).
    pub fn new(
        examples: &[Example],
        tools: Option<&Arc<Catalogue>>,
        context: &PromptContext,
        template: &ChatTemplate,
        tokenizer: &Tokenizer,
    ) -> Result<Self> {
        let items = eval::items(examples, tools, &mut CatalogueCache::default())?;
        let mut prompts = Vec::with_capacity(items.len());
        let mut openings = Vec::with_capacity(items.len());
        let mut requests = Vec::with_capacity(items.len());
        for ex in examples {
            let conv = &ex.conversation;
            let turns: Vec<usize> = conv.assistant_turns().collect();
            let ends = if turns.is_empty() {
                vec![conv.messages.len()]
            } else {
                turns
            };
            for end in ends {
                let prompt = context.turn(messages_value(conv, end), conv.tools.as_ref());
                let (ids, opening) = prompt_with_opening(template, tokenizer, &prompt)?;
                openings.push(opening);
                prompts.push(ids);
                requests.push(prompt);
            }
        }
        Ok(Self {
            items,
            prompts,
            requests,
            grammars: None,
            openings,
            call_threshold: None,
        })
    }

    /// The set with each answer's call-or-answer step taken by probability
    /// ([`CallDecision`], at `threshold`), or greedily with `None`.
    pub fn deciding(mut self, threshold: Option<f32>) -> Self {
        self.call_threshold = threshold;
        self
    }

    /// The set with answers decoded within each item's grammar (the
    /// catalogue's names and schemas; [`tooltune_core::constrain`]) when
    /// `on`, freely otherwise.
    pub fn constrained(mut self, on: bool) -> Self {
        self.grammars = on.then(|| self.items.iter().map(Grammar::for_item).collect());
        self
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Generates every item's answer ([`complete_all`], `batch_size` at a time)
/// and scores them with `mode`. Returns the report and the raw outputs, in
/// item order.
pub fn evaluate(
    model: &LlamaForCausalLM,
    tokenizer: &Tokenizer,
    stop: &[u32],
    set: &EvalSet,
    max_new_tokens: usize,
    mode: MatchMode,
    batch_size: usize,
) -> Result<(Report, Vec<String>)> {
    let completions = complete_all(model, tokenizer, set, stop, max_new_tokens, batch_size)?;
    let outputs: Vec<String> = completions.into_iter().map(|(_, text)| text).collect();
    let report = score(set, &outputs, mode)?;
    Ok((report, outputs))
}

/// Scores `outputs` (one per item of `set`, in order) with the four-metric
/// evaluator: [`evaluate`]'s scoring, for callers that generate in their
/// own way (the browser worker, asynchronously).
pub fn score(set: &EvalSet, outputs: &[String], mode: MatchMode) -> Result<Report> {
    let predictions: Vec<Prediction> = outputs
        .iter()
        .zip(&set.items)
        .enumerate()
        .map(|(i, (output, item))| Prediction {
            id: Some(item.id.clone()),
            output: output.clone(),
            at: Location::line("generated", i + 1),
        })
        .collect();
    Ok(eval::evaluate(&set.items, &predictions, mode)?)
}
