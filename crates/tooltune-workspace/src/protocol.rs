//! The messages between the page and its engine worker, as candle's
//! `candle-wasm-examples/llama2-c/src/worker.rs` does with its message
//! enums: the page sends [`Request`]s, the worker answers with [`Event`]s.
//! Both are serde enums, sent as JSON; a model's files travel beside a
//! [`Request::LoadModel`] as byte buffers (in `files` order), not in the
//! JSON. Training and evaluation (issue 11) add their requests and
//! progress events here.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::workspace::OutputStyle;

/// What the page asks of the engine worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    /// Load a Hugging Face model: `config.json`, `model.safetensors`,
    /// `tokenizer.json` and optionally `tokenizer_config.json`, whose bytes
    /// are attached in the order of `files`. Answered by
    /// [`Event::ModelLoaded`] (after [`Event::Progress`]) or [`Event::Failed`].
    LoadModel {
        /// Shown to the user (folder name, URL, "built-in").
        name: String,
        /// File names of the attached buffers.
        files: Vec<String>,
    },
    /// Render one example with the model's chat template, tokenise it and
    /// mark the trained tokens. Answered by [`Event::Masked`].
    Mask {
        /// Echoed in the answer.
        id: u64,
        /// One chat line (`{"messages": [...], "tools": [...]}`).
        example: Value,
    },
    /// Generate the model's answer to one request, greedily. Answered by
    /// [`Event::Routed`].
    Route {
        /// Echoed in the answer.
        id: u64,
        /// The system prompt (left out when empty).
        system_prompt: String,
        /// The user's request.
        request: String,
        /// OpenAI tools rendered into the prompt, or none.
        tools: Option<Value>,
        /// How the answer is written (for the record; parsing is the page's).
        output_style: OutputStyle,
        /// Token budget of the answer.
        max_new_tokens: usize,
    },
}

/// What the engine worker reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A step of a longer job, for a progress line.
    Progress {
        /// What is happening.
        stage: String,
    },
    /// The model is loaded and ready.
    ModelLoaded(ModelInfo),
    /// One example's tokens and mask.
    Masked {
        /// The request's id.
        id: u64,
        /// Each token's text and whether it is trained.
        tokens: Vec<MaskToken>,
    },
    /// The model's answer.
    Routed {
        /// The request's id.
        id: u64,
        /// The raw text (end-of-turn token left out).
        output: String,
        /// Tokens in the prompt.
        prompt_tokens: usize,
        /// Tokens generated.
        new_tokens: usize,
        /// Wall time of tokenising and generating, milliseconds.
        ms: f64,
    },
    /// A request failed; `id` names it when it had one.
    Failed {
        /// The request's id, if any.
        id: Option<u64>,
        /// What went wrong, for the user.
        message: String,
    },
}

/// A loaded model, as the model panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// What was loaded.
    pub name: String,
    /// `model_type` of `config.json` (llama, qwen2, ...).
    pub architecture: String,
    /// Parameter count.
    pub parameters: u64,
    /// The checkpoint's stored dtype (f32, bf16, ...); compute is f32.
    pub dtype: String,
    /// Longest context (`max_position_embeddings`).
    pub context_length: usize,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Decoder layers.
    pub layers: usize,
    /// Which backend runs it (e.g. "CPU (burn-flex, wasm)").
    pub backend: String,
    /// Where the chat template comes from.
    pub template: String,
    /// Time to parse and load, milliseconds.
    pub load_ms: f64,
}

/// One token of a masked example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskToken {
    /// The token's text in the rendering.
    pub text: String,
    /// Whether the loss is taken on it.
    pub trained: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_as_tagged_json() {
        let r = Request::Route {
            id: 3,
            system_prompt: "s".into(),
            request: "where is ORD-1?".into(),
            tools: None,
            output_style: OutputStyle::Router,
            max_new_tokens: 64,
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.starts_with(r#"{"kind":"route","id":3"#), "{text}");
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), r);
        let e = Event::Failed {
            id: None,
            message: "x".into(),
        };
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(text, r#"{"kind":"failed","id":null,"message":"x"}"#);
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), e);
    }
}
