//! How likely the model's answer is to call each catalogue tool
//! ([`ToolChoices`]): for each tool, the likelihood of the tokens the chat
//! template writes for a call to it, from the answer's start up to the
//! token that ends the name's closing quote (so that `track` and
//! `track_order` are told apart), scored after the prompt in one prefill
//! and one short pass for all the tools from its cache. No call is one minus the
//! probability of the call's first token, as
//! [`crate::decode::CallDecision`] reads it; the tools share the rest in
//! proportion to their likelihoods.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};
use std::collections::HashMap;

use tooltune_core::Catalogue;
use tooltune_core::choices::ToolChoices;
use tooltune_core::eval::Report;
use tooltune_core::parse::Mode;
use tooltune_core::prompt::Prompt;

use crate::assistant::{EvalSet, PROBE_NAME, rendered_call};
use crate::cache::KvCache;
use crate::chat::ChatTemplate;
use crate::decode::Prefill;
use crate::decode::prefix::{self, shared_prefix_len};
use crate::error::Result;
use crate::llama::{LlamaForCausalLM, read_f32};
use crate::readback::read_f32_async;
use crate::tokenizer::Tokenizer;

/// The prompt's tokens and, for each tool, the tokens of a call to it.
#[derive(Debug, Clone)]
pub struct CallPaths {
    /// The prompt rendered and tokenised (generation prompt included).
    pub prompt: Vec<u32>,
    /// Each tool's name and the tokens of a call to it after the prompt.
    pub tools: Vec<(String, Vec<u32>)>,
}

impl CallPaths {
    /// The paths for `names` after `prompt` rendered by `template`; `None`
    /// when the template writes no calls, the calls of two tools open
    /// differently, or a call's tokens do not continue the prompt's.
    pub fn new(
        template: &ChatTemplate,
        tokenizer: &Tokenizer,
        prompt: &Prompt,
        names: &[String],
    ) -> Result<Option<Self>> {
        let text = template.render(&prompt.messages, prompt.tools.as_ref(), true)?;
        let ids = tokenizer.encode(&text)?.ids;
        // Where a name goes, found with a name no catalogue uses (a tool
        // called `name` or `call` would also match the call's own words).
        let Some((probe, at)) = rendered_call(template, prompt, &text, PROBE_NAME) else {
            return Ok(None);
        };
        let mut tools = Vec::with_capacity(names.len());
        for name in names {
            let Some((rest, _)) = rendered_call(template, prompt, &text, name) else {
                return Ok(None);
            };
            if rest.get(..at) != Some(&probe[..at]) || !rest[at..].starts_with(name.as_str()) {
                return Ok(None);
            }
            let mut end = at + name.len();
            if rest[end..].starts_with('"') {
                end += 1;
            }
            // The whole call's tokens, cut after the one that ends the name
            // (with its quote): tokenising the cut text alone could end on
            // a token the whole never uses (`"` where it has `",`).
            let whole = tokenizer.encode(&format!("{text}{rest}"))?;
            if whole.ids.get(..ids.len()) != Some(&ids[..]) {
                return Ok(None);
            }
            let name_end = text.len() + end;
            let Some(last) = (ids.len()..whole.ids.len()).find(|&i| whole.offsets[i].1 >= name_end)
            else {
                return Ok(None);
            };
            tools.push((name.clone(), whole.ids[ids.len()..=last].to_vec()));
        }
        let first = tools.first().map(|(_, p)| p[0]);
        if names.is_empty() || tools.iter().any(|(_, p)| Some(p[0]) != first) {
            return Ok(None);
        }
        Ok(Some(Self { prompt: ids, tools }))
    }

    /// [`Self::new`] for every tool of `catalogue`.
    pub fn for_catalogue(
        template: &ChatTemplate,
        tokenizer: &Tokenizer,
        prompt: &Prompt,
        catalogue: &Catalogue,
    ) -> Result<Option<Self>> {
        let names: Vec<String> = catalogue.tools().iter().map(|t| t.name.clone()).collect();
        Self::new(template, tokenizer, prompt, &names)
    }

    /// Scores the paths with `model`; after `prefill` of the same prompt
    /// (from [`crate::decode::generate_keeping_prefill`]) without prefilling
    /// it again.
    pub fn score(
        &self,
        model: &LlamaForCausalLM,
        prefill: Option<&Prefill>,
    ) -> Result<ToolChoices> {
        let (opening, calls) = self.likelihoods(model, prefill)?;
        Ok(self.choices(opening, calls))
    }

    /// The probability of the call's first token after the prompt, and each
    /// tool's call's log-likelihood.
    pub fn likelihoods(
        &self,
        model: &LlamaForCausalLM,
        prefill: Option<&Prefill>,
    ) -> Result<(f64, Vec<f64>)> {
        let (last, paths) = self.forward(model, prefill)?;
        let longest = paths.dims()[1];
        Ok(self.sum_paths(&read_f32(last)?, &read_f32(paths)?, longest))
    }

    /// [`Self::score`] with asynchronous reads, for the browser.
    pub async fn score_async(
        &self,
        model: &LlamaForCausalLM,
        prefill: Option<&Prefill>,
    ) -> Result<ToolChoices> {
        let (last, paths) = self.forward(model, prefill)?;
        let longest = paths.dims()[1];
        let last = read_f32_async(last).await?;
        let paths = read_f32_async(paths).await?;
        let (opening, calls) = self.sum_paths(&last, &paths, longest);
        Ok(self.choices(opening, calls))
    }

    /// The logits after the prompt, `[1, vocab]`, and the log-probability
    /// of each path token after the ones before it, `[tools, longest]`
    /// ([`path_log_probs`]): one prefill (none with a `prefill` of this
    /// prompt) and one pass for all the tools after its cache.
    fn forward(
        &self,
        model: &LlamaForCausalLM,
        prefill: Option<&Prefill>,
    ) -> Result<(Tensor<2>, Tensor<2>)> {
        let (shared, last) = match prefill.filter(|p| p.prompt == self.prompt) {
            Some(p) => (p.cache.clone(), p.last.clone()),
            None => {
                let mut shared = model.new_cache();
                let last = model.forward_last(model.token_tensor(&self.prompt)?, Some(&mut shared));
                (shared, last)
            }
        };
        let rows: Vec<(usize, &[u32])> = self.tools.iter().map(|(_, p)| (0, &p[..])).collect();
        Ok((last, path_log_probs(model, shared, &rows)))
    }

    fn choices(&self, opening: f64, calls: Vec<f64>) -> ToolChoices {
        let named = self
            .tools
            .iter()
            .map(|(n, _)| n.clone())
            .zip(calls)
            .collect();
        ToolChoices::new(opening, named)
    }

    /// The opening's probability and each path's log-likelihood: `last`,
    /// the logits after the prompt; `next`, the tools' rows of
    /// [`path_log_probs`] (`longest` each).
    fn sum_paths(&self, last: &[f32], next: &[f32], longest: usize) -> (f64, Vec<f64>) {
        let opening = log_prob(last, self.tools[0].1[0]).exp();
        let calls = (self.tools.iter().enumerate())
            .map(|(t, (_, path))| {
                let lps = &next[t * longest..t * longest + path.len() - 1];
                log_prob(last, path[0]) + lps.iter().map(|&lp| f64::from(lp)).sum::<f64>()
            })
            .collect();
        (opening, calls)
    }
}

/// Paths scored together: a group of failures' prompts' own tokens go in
/// one pass after the prefix all the failures share (prefilled once), then
/// every tool's path of every one of them in one more, up to this many
/// paths (one failure at least): the paths' rows hold a copy of their
/// prompt's cache each, as many as a batch of evaluation prompts holds
/// ([`crate::assistant::DEFAULT_BATCH_SIZE`]).
const PATHS_PER_PASS: usize = crate::assistant::DEFAULT_BATCH_SIZE;

/// `paths` cut into groups of at most [`PATHS_PER_PASS`] tool paths (a
/// failure whose catalogue alone has more is a group of its own).
fn groups(paths: &[(usize, CallPaths)]) -> Vec<&[(usize, CallPaths)]> {
    let mut out = Vec::new();
    let (mut start, mut rows) = (0, 0);
    for (i, (_, p)) in paths.iter().enumerate() {
        if i > start && rows + p.tools.len() > PATHS_PER_PASS {
            out.push(&paths[start..i]);
            (start, rows) = (i, 0);
        }
        rows += p.tools.len();
    }
    if start < paths.len() {
        out.push(&paths[start..]);
    }
    out
}

/// For each of `report`'s first `limit` failures whose item is answered in
/// the chat template's calls (`Mode::Chat`), how likely each call was after
/// its prompt (as [`CallPaths::score`] gives them, up to float rounding),
/// into its `choices`: `tooltune eval` and the page's failing rows show
/// them.
pub fn score_failures(
    model: &LlamaForCausalLM,
    template: &ChatTemplate,
    tokenizer: &Tokenizer,
    set: &EvalSet,
    report: &mut Report,
    limit: usize,
) -> Result<()> {
    let paths = failure_paths(template, tokenizer, set, report, limit)?;
    let shared = SharedPrefix::of(model, &paths)?;
    for group in groups(&paths) {
        let (last, next) = group_forward(model, group, &shared)?;
        let choices = group_choices(group, &read_f32(last)?, &read_f32(next)?);
        for ((failure, _), c) in group.iter().zip(choices) {
            report.failures[*failure].choices = Some(c);
        }
    }
    Ok(())
}

/// [`score_failures`] with asynchronous reads, for the browser.
pub async fn score_failures_async(
    model: &LlamaForCausalLM,
    template: &ChatTemplate,
    tokenizer: &Tokenizer,
    set: &EvalSet,
    report: &mut Report,
    limit: usize,
) -> Result<()> {
    let paths = failure_paths(template, tokenizer, set, report, limit)?;
    let shared = SharedPrefix::of(model, &paths)?;
    for group in groups(&paths) {
        let (last, next) = group_forward(model, group, &shared)?;
        let (last, next) = (read_f32_async(last).await?, read_f32_async(next).await?);
        for ((failure, _), c) in group.iter().zip(group_choices(group, &last, &next)) {
            report.failures[*failure].choices = Some(c);
        }
    }
    Ok(())
}

/// The prefix every failure's prompt shares (the system prompt and the
/// catalogue, most of each), prefilled once for all the groups.
struct SharedPrefix {
    len: usize,
    cache: Option<KvCache>,
}

impl SharedPrefix {
    fn of(model: &LlamaForCausalLM, paths: &[(usize, CallPaths)]) -> Result<Self> {
        let prompts: Vec<&[u32]> = paths.iter().map(|(_, p)| p.prompt.as_slice()).collect();
        let len = shared_prefix_len(&prompts);
        let cache = (len > 0)
            .then(|| prefix::prefill(model, &prompts[0][..len]))
            .transpose()?;
        Ok(Self { len, cache })
    }
}

/// A group of failures' logits after their prompts, `[group, vocab]`, and
/// the log-probability of each path token after the ones before it,
/// `[paths, longest]` (every failure's tools in order, each row
/// right-padded): the prompts go as a decoding batch does (each row's own
/// tokens left-padded after the prefix all the failures share), then each
/// prompt's cache row is repeated once per tool for the paths.
fn group_forward(
    model: &LlamaForCausalLM,
    group: &[(usize, CallPaths)],
    shared: &SharedPrefix,
) -> Result<(Tensor<2>, Tensor<2>)> {
    let prompts: Vec<&[u32]> = group.iter().map(|(_, p)| p.prompt.as_slice()).collect();
    let (ids, mut cache) = match &shared.cache {
        Some(cache) => prefix::after(model, cache, &prompts, shared.len)?,
        None => prefix::start(model, &prompts, 0)?,
    };
    let last = model.forward_last(ids, Some(&mut cache));
    let rows: Vec<(usize, &[u32])> = (group.iter().enumerate())
        .flat_map(|(g, (_, p))| p.tools.iter().map(move |(_, path)| (g, path.as_slice())))
        .collect();
    Ok((last, path_log_probs(model, cache, &rows)))
}

/// The log-probability of each row's path token after the ones before it,
/// `[rows, longest]` (right-padded), where row `(b, path)` goes on after
/// batch row `b` of `cache`: one pass for every path, only each next
/// token's log-probability read back, not the vocabulary's.
fn path_log_probs(
    model: &LlamaForCausalLM,
    mut cache: KvCache,
    rows: &[(usize, &[u32])],
) -> Tensor<2> {
    cache.select_rows(&rows.iter().map(|&(b, _)| b).collect::<Vec<_>>());
    let longest = rows.iter().map(|(_, r)| r.len()).max().unwrap_or(1);
    // Right-padded: the causal mask keeps a row's pads after its tokens out
    // of their sight. Position `j` of a row predicts its token at `j + 1`.
    let (mut ids, mut next) = (Vec::new(), Vec::new());
    for (_, row) in rows {
        ids.extend((0..longest).map(|j| row.get(j).map_or(0, |&t| i64::from(t))));
        next.extend((0..longest).map(|j| row.get(j + 1).map_or(0, |&t| i64::from(t))));
    }
    let device = model.device();
    let ids = Tensor::<2, Int>::from_data(TensorData::new(ids, [rows.len(), longest]), &device);
    let next =
        Tensor::<3, Int>::from_data(TensorData::new(next, [rows.len(), longest, 1]), &device);
    let logits = model.forward_cached(ids, &mut cache);
    let picked = log_softmax(logits, 2).gather(2, next);
    picked.reshape([rows.len(), longest])
}

/// Each failure's odds from [`group_forward`]'s reads.
fn group_choices(group: &[(usize, CallPaths)], last: &[f32], next: &[f32]) -> Vec<ToolChoices> {
    let vocab = last.len() / group.len().max(1);
    let rows: usize = group.iter().map(|(_, p)| p.tools.len()).sum();
    let longest = next.len() / rows.max(1);
    let mut row = 0;
    (group.iter().enumerate())
        .map(|(g, (_, paths))| {
            let own = &next[row * longest..(row + paths.tools.len()) * longest];
            row += paths.tools.len();
            let (opening, calls) = paths.sum_paths(&last[g * vocab..(g + 1) * vocab], own, longest);
            paths.choices(opening, calls)
        })
        .collect()
}

/// The paths of the failures [`score_failures`] scores, by failure index.
fn failure_paths(
    template: &ChatTemplate,
    tokenizer: &Tokenizer,
    set: &EvalSet,
    report: &Report,
    limit: usize,
) -> Result<Vec<(usize, CallPaths)>> {
    let index: HashMap<&str, usize> = (set.items.iter().enumerate())
        .map(|(i, item)| (item.id.as_str(), i))
        .collect();
    let mut out = Vec::new();
    for (f, failure) in report.failures.iter().enumerate().take(limit) {
        let Some(&i) = index.get(failure.id.as_str()) else {
            continue;
        };
        let (item, request) = (&set.items[i], &set.requests[i]);
        if item.mode != Mode::Chat {
            continue;
        }
        if let Some(paths) =
            CallPaths::for_catalogue(template, tokenizer, request, &item.catalogue)?
        {
            out.push((f, paths));
        }
    }
    Ok(out)
}

/// `log softmax(logits)[token]`, in f64.
fn log_prob(logits: &[f32], token: u32) -> f64 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let sum: f64 = logits.iter().map(|&l| (l as f64 - max).exp()).sum();
    logits[token as usize] as f64 - max - sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;
    use crate::decode::{GenerateConfig, generate, generate_keeping_prefill};
    use tooltune_core::prompt::PromptContext;

    const TOOLS: &str = r#"[
        {"type": "function", "function": {"name": "track_order", "description": "Where an order is.",
         "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}},
        {"type": "function", "function": {"name": "track", "description": "Track a parcel.",
         "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}}}]"#;

    fn setup() -> (LlamaForCausalLM, ChatTemplate, Tokenizer, Prompt) {
        let device = crate::backend_device("cpu").expect("cpu");
        let model = builtin::model(&device).expect("built-in model");
        let template = builtin::template().expect("template");
        let tokenizer = builtin::tokenizer().expect("tokenizer");
        let context = PromptContext {
            system: Some("You route requests.".into()),
            tools: Some(serde_json::from_str(TOOLS).expect("tools")),
            tools_in_prompt: true,
        };
        let prompt = context.request("Where is my order ORD-1234?");
        (model, template, tokenizer, prompt)
    }

    #[test]
    fn each_tool_gets_the_probability_of_its_own_call() {
        let (model, template, tokenizer, prompt) = setup();
        let names = vec!["track_order".to_string(), "track".to_string()];
        let paths = CallPaths::new(&template, &tokenizer, &prompt, &names)
            .expect("paths")
            .expect("the built-in template writes calls");
        // A prefix name gets its own path: its closing quote sets it apart.
        assert_ne!(paths.tools[0].1, paths.tools[1].1);
        // Paths of two lengths: the one pass over all of them pads one.
        assert_ne!(paths.tools[0].1.len(), paths.tools[1].1.len());
        let choices = paths.score(&model, None).expect("scores");
        let total = choices.no_call + choices.tools.iter().map(|t| t.probability).sum::<f64>();
        assert!((total - 1.0).abs() < 1e-6, "{choices:?}");

        // The golden: each path's log-likelihood as a sum over the full
        // sequence's next-token log-probabilities (no cache).
        let (_, calls) = paths.likelihoods(&model, None).expect("likelihoods");
        for ((name, path), got) in paths.tools.iter().zip(&calls) {
            let mut all = paths.prompt.clone();
            all.extend(path);
            let logits = model.logits(&all).expect("logits");
            let want: f64 = (0..path.len())
                .map(|i| log_prob(&logits[paths.prompt.len() - 1 + i], path[i]))
                .sum();
            assert!((want - got).abs() < 1e-3, "{name}: {want} against {got}");
        }
        // The opening agrees with greedy decoding: an opening likelier than
        // even is the greedy first token.
        let longest = paths.tools.iter().map(|t| t.1.len()).max().unwrap_or(1);
        let out = generate(
            &model,
            &paths.prompt,
            &GenerateConfig::greedy(longest),
            &mut (),
        )
        .expect("generate");
        let opens = out.tokens[0] == paths.tools[0].1[0];
        // The shipped model calls track_order here (the page's Try it test
        // asserts that call): its greedy tokens are that tool's path, which
        // is then the likeliest choice.
        assert!(
            out.tokens.starts_with(&paths.tools[0].1),
            "{:?} {:?}",
            out.tokens,
            paths.tools
        );
        assert_eq!(choices.ranked()[0].0, "track_order", "{choices:?}");
        if choices.no_call < 0.5 {
            assert!(opens, "{choices:?}");
        }
        let first = &model.logits(&paths.prompt).expect("logits")[paths.prompt.len() - 1];
        let p_open = log_prob(first, paths.tools[0].1[0]).exp();
        assert!(
            (p_open - (1.0 - choices.no_call)).abs() < 1e-4,
            "{p_open} {choices:?}"
        );
    }

    #[test]
    fn the_answers_prefill_gives_the_same_odds_without_a_second_prefill() {
        let (model, template, tokenizer, prompt) = setup();
        let names = vec!["track_order".to_string(), "track".to_string()];
        let paths = CallPaths::new(&template, &tokenizer, &prompt, &names)
            .expect("paths")
            .expect("the built-in template writes calls");
        let config = GenerateConfig::greedy(12);
        let (answer, prefill) =
            generate_keeping_prefill(&model, &paths.prompt, &config, &mut ()).expect("generate");
        let plain = generate(&model, &paths.prompt, &config, &mut ()).expect("generate");
        assert_eq!(answer, plain, "keeping the prefill changes no token");
        let prefill = prefill.expect("kept with the cache");
        let fresh = paths.likelihoods(&model, None).expect("likelihoods");
        let reused = paths
            .likelihoods(&model, Some(&prefill))
            .expect("likelihoods");
        assert!((fresh.0 - reused.0).abs() < 1e-5, "{fresh:?} {reused:?}");
        for (a, b) in fresh.1.iter().zip(&reused.1) {
            assert!((a - b).abs() < 1e-4, "{fresh:?} {reused:?}");
        }
        // Another prompt's prefill is not used: the paths' own prompt is
        // prefilled instead.
        let shorter = &paths.prompt[..paths.prompt.len() - 1];
        let (_, other) =
            generate_keeping_prefill(&model, shorter, &config, &mut ()).expect("generate");
        let other = other.expect("kept");
        let guarded = paths
            .likelihoods(&model, Some(&other))
            .expect("likelihoods");
        assert!((fresh.0 - guarded.0).abs() < 1e-5, "{fresh:?} {guarded:?}");
        // Without the cache nothing is kept.
        let (_, none) = generate_keeping_prefill(
            &model,
            &paths.prompt,
            &GenerateConfig::greedy(2).with_cache(false),
            &mut (),
        )
        .expect("generate");
        assert!(none.is_none());
    }

    #[test]
    fn a_tool_named_like_the_calls_own_words_gets_its_own_path() {
        let (_, template, tokenizer, prompt) = setup();
        let names = vec![
            "name".to_string(),
            "call".to_string(),
            "track_order".to_string(),
        ];
        let paths = CallPaths::new(&template, &tokenizer, &prompt, &names)
            .expect("paths")
            .expect("the built-in template writes calls");
        // After the opening all of them share, each path is its own name
        // (and the closing quote).
        let first = &paths.tools[0].1;
        let opening = (0..first.len())
            .take_while(|&i| paths.tools.iter().all(|(_, p)| p.get(i) == Some(&first[i])))
            .count();
        for (name, path) in &paths.tools {
            let text = tokenizer.decode(&path[opening..]).expect("decode");
            assert!(text.starts_with(name.as_str()), "{name}: {text:?}");
            assert!(text.len() <= name.len() + 2, "{name}: {text:?}");
        }
    }

    #[test]
    fn failures_are_grouped_by_their_paths() {
        let failure = |tools: usize| {
            let tools = (0..tools).map(|t| (format!("t{t}"), vec![1, 2])).collect();
            (
                0,
                CallPaths {
                    prompt: vec![1],
                    tools,
                },
            )
        };
        let sizes = |counts: &[usize]| {
            let paths: Vec<_> = counts.iter().map(|&n| failure(n)).collect();
            groups(&paths).iter().map(|g| g.len()).collect::<Vec<_>>()
        };
        // Five catalogues of three tools fill a group of sixteen paths.
        assert_eq!(sizes(&[3; 6]), vec![5, 1]);
        // A catalogue over the bound is a group of its own.
        assert_eq!(sizes(&[20, 1, 1]), vec![1, 2]);
        assert_eq!(sizes(&[16, 16]), vec![1, 1]);
        assert!(sizes(&[]).is_empty());
    }

    #[test]
    fn no_tools_no_paths() {
        let (_, template, tokenizer, prompt) = setup();
        assert!(
            CallPaths::new(&template, &tokenizer, &prompt, &[])
                .expect("ok")
                .is_none()
        );
    }
}
