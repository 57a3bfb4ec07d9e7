//! How likely the model's answer is to call each catalogue tool
//! ([`ToolChoices`]): for each tool, the likelihood of the tokens the chat
//! template writes for a call to it, from the answer's start up to the
//! token that ends the name's closing quote (so that `track` and
//! `track_order` are told apart), scored after the prompt in one prefill
//! and one short pass per tool from its cache. No call is one minus the
//! probability of the call's first token, as
//! [`crate::decode::CallDecision`] reads it; the tools share the rest in
//! proportion to their likelihoods.

use tooltune_core::Catalogue;
use tooltune_core::choices::ToolChoices;
use tooltune_core::prompt::Prompt;

use crate::assistant::{PROBE_NAME, rendered_call};
use crate::chat::ChatTemplate;
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

    /// Scores the paths with `model`.
    pub fn score(&self, model: &LlamaForCausalLM) -> Result<ToolChoices> {
        let (opening, calls) = self.likelihoods(model)?;
        Ok(self.choices(opening, calls))
    }

    /// The probability of the call's first token after the prompt, and each
    /// tool's call's log-likelihood.
    pub fn likelihoods(&self, model: &LlamaForCausalLM) -> Result<(f64, Vec<f64>)> {
        let mut cache = model.new_cache();
        let last =
            read_f32(model.forward_last(model.token_tensor(&self.prompt)?, Some(&mut cache)))?;
        let mut rest = Vec::with_capacity(self.tools.len());
        for (_, path) in &self.tools {
            let mut c = cache.clone();
            rest.push(read_f32(
                model.forward_cached(model.token_tensor(path)?, &mut c),
            )?);
        }
        Ok(self.sum_paths(&last, &rest, model.config.vocab_size))
    }

    /// [`Self::score`] with asynchronous reads, for the browser.
    pub async fn score_async(&self, model: &LlamaForCausalLM) -> Result<ToolChoices> {
        let mut cache = model.new_cache();
        let last = model.forward_last(model.token_tensor(&self.prompt)?, Some(&mut cache));
        let last = read_f32_async(last).await?;
        let mut rest = Vec::with_capacity(self.tools.len());
        for (_, path) in &self.tools {
            let mut c = cache.clone();
            let logits = model.forward_cached(model.token_tensor(path)?, &mut c);
            rest.push(read_f32_async(logits).await?);
        }
        let (opening, calls) = self.sum_paths(&last, &rest, model.config.vocab_size);
        Ok(self.choices(opening, calls))
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

    /// `last`: the logits after the prompt; `rest[t]`: tool `t`'s path's
    /// logits, one row of `vocab` per path token.
    fn sum_paths(&self, last: &[f32], rest: &[Vec<f32>], vocab: usize) -> (f64, Vec<f64>) {
        let opening = log_prob(last, self.tools[0].1[0]).exp();
        let calls = self
            .tools
            .iter()
            .zip(rest)
            .map(|((_, path), logits)| {
                let mut lp = log_prob(last, path[0]);
                for (i, &token) in path.iter().enumerate().skip(1) {
                    lp += log_prob(&logits[(i - 1) * vocab..i * vocab], token);
                }
                lp
            })
            .collect();
        (opening, calls)
    }
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
    use crate::decode::{GenerateConfig, generate};
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
        let choices = paths.score(&model).expect("scores");
        let total = choices.no_call + choices.tools.iter().map(|t| t.probability).sum::<f64>();
        assert!((total - 1.0).abs() < 1e-6, "{choices:?}");

        // The golden: each path's log-likelihood as a sum over the full
        // sequence's next-token log-probabilities (no cache).
        let (_, calls) = paths.likelihoods(&model).expect("likelihoods");
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
    fn no_tools_no_paths() {
        let (_, template, tokenizer, prompt) = setup();
        assert!(
            CallPaths::new(&template, &tokenizer, &prompt, &[])
                .expect("ok")
                .is_none()
        );
    }
}
