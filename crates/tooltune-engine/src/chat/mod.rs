//! Chat templates: the Jinja `chat_template` of a model's
//! `tokenizer_config.json`, rendered with `minijinja` the way Hugging Face
//! transformers' `apply_chat_template` renders it with Jinja2
//! (`chat_template_utils.py`: `trim_blocks`, `lstrip_blocks`, loop
//! controls, `raise_exception`, `strftime_now`, a `tojson` that is Python's
//! `json.dumps`, and the special tokens as variables). Python string methods
//! (`.strip()`, `.split()`, ...) come from `minijinja-contrib`'s pycompat.
//!
//! Models without a template get [`ChatTemplate::builtin`]: ChatML turns,
//! the tool catalogue in the system turn and Hermes `<tool_call>` blocks
//! (`chatml-tools.jinja` beside this file). Golden tests against
//! transformers live in `tests/fixtures/templates/`.

pub mod adapt;
mod messages;
pub mod pyjson;
mod time;

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, ErrorKind, Value as JValue};
use serde_json::{Map, Value, json};
use tooltune_core::dataset::Conversation;

use crate::error::{EngineError, Result, parse_json};

pub use messages::{message_value, messages_value, role_name};

/// The built-in template (ChatML + Hermes tool calls).
pub const BUILTIN_TEMPLATE: &str = include_str!("chatml-tools.jinja");

const NAME: &str = "chat_template";

/// A compiled chat template with its special-token variables.
pub struct ChatTemplate {
    env: Environment<'static>,
    tokens: Map<String, Value>,
    builtin: bool,
    /// Whether the template renders `tool_calls` itself; if not, the
    /// conversation is adapted first ([`adapt`]).
    renders_tools: bool,
    source: String,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("tokens", &self.tokens)
            .field("builtin", &self.builtin)
            .finish()
    }
}

impl ChatTemplate {
    /// Compiles a Jinja chat template.
    pub fn new(source: &str) -> Result<Self> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_filter("tojson", tojson);
        env.add_function("raise_exception", |msg: String| -> Result<JValue, Error> {
            Err(Error::new(ErrorKind::InvalidOperation, msg))
        });
        env.add_function("strftime_now", |format: String| time::strftime_now(&format));
        env.add_template_owned(NAME, source.to_string())
            .map_err(template_err)?;
        Ok(Self {
            env,
            tokens: Map::new(),
            builtin: false,
            renders_tools: source.contains("tool_calls"),
            source: source.to_string(),
        })
    }

    /// tooltune's ChatML template with Hermes tool calls, for models that
    /// ship no template; `<|im_end|>` ends a turn.
    pub fn builtin() -> Self {
        let mut t = Self::new(BUILTIN_TEMPLATE).expect("the built-in template compiles");
        t.builtin = true;
        t.with_token("eos_token", "<|im_end|>")
    }

    /// The template of `tokenizer_config.json` (a string, or the `default`
    /// entry of a list of named templates) with its special tokens; the
    /// [`builtin`](Self::builtin) one when the file has none.
    pub fn from_tokenizer_config(bytes: &[u8]) -> Result<Self> {
        let config: Map<String, Value> = parse_json("tokenizer_config.json", bytes)?;
        let source = match config.get("chat_template") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Array(list)) => list
                .iter()
                .find(|t| t["name"] == "default")
                .and_then(|t| t["template"].as_str())
                .map(str::to_string),
            Some(_) => None,
        };
        let mut template = match source {
            Some(s) => Self::new(&s)?,
            None => Self::builtin(),
        };
        for key in ["bos_token", "eos_token", "unk_token", "pad_token"] {
            let token = match config.get(key) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Object(o)) => {
                    o.get("content").and_then(Value::as_str).map(String::from)
                }
                _ => None,
            };
            // The built-in template always ends turns with `<|im_end|>`.
            if let Some(t) = token.filter(|_| !(template.builtin && key == "eos_token")) {
                template = template.with_token(key, &t);
            }
        }
        Ok(template)
    }

    /// Sets a special-token variable (`bos_token`, `eos_token`, ...).
    pub fn with_token(mut self, name: &str, value: &str) -> Self {
        self.tokens.insert(name.into(), value.into());
        self
    }

    /// Whether the template renders tool calls itself (else tooltune adapts
    /// the conversation to Hermes blocks in content, see [`adapt`]).
    pub fn renders_tools(&self) -> bool {
        self.renders_tools
    }

    /// Whether this is the built-in template.
    pub fn is_builtin(&self) -> bool {
        self.builtin
    }

    /// The text of a special-token variable, e.g. `eos_token`.
    pub fn token(&self, name: &str) -> Option<&str> {
        self.tokens.get(name).and_then(Value::as_str)
    }

    /// The string that ends an assistant turn: the `eos_token` when the
    /// template writes it (instruct models: `<|im_end|>`, `<|eot_id|>`),
    /// else the first well-known turn end the template contains (a base
    /// model's `eos_token` is often `<|endoftext|>` while turns end with
    /// `<|im_end|>`).
    pub fn end_of_turn(&self) -> Option<&str> {
        const KNOWN: [&str; 5] = [
            "<|im_end|>",
            "<|eot_id|>",
            "<|end|>",
            "<end_of_turn>",
            "</s>",
        ];
        let eos = self.token("eos_token");
        eos.filter(|e| self.source.contains(*e) || self.builtin)
            .or_else(|| KNOWN.into_iter().find(|k| self.source.contains(k)))
            .or(eos)
    }

    /// Renders `messages` (template dicts) with `tools` (OpenAI tools, or
    /// `None`), as `apply_chat_template(..., tokenize=False)`.
    pub fn render(
        &self,
        messages: &[Value],
        tools: Option<&Value>,
        add_generation_prompt: bool,
    ) -> Result<String> {
        let mut ctx = self.tokens.clone();
        if self.renders_tools {
            ctx.insert("messages".into(), Value::Array(messages.to_vec()));
            ctx.insert("tools".into(), tools.cloned().unwrap_or(Value::Null));
        } else {
            ctx.insert(
                "messages".into(),
                Value::Array(adapt::adapt(messages, tools)),
            );
            ctx.insert("tools".into(), Value::Null);
        }
        ctx.insert("documents".into(), Value::Null);
        ctx.insert("add_generation_prompt".into(), add_generation_prompt.into());
        let template = self.env.get_template(NAME).map_err(template_err)?;
        template.render(json!(ctx)).map_err(template_err)
    }

    /// Renders the first `n` messages of a conversation, with its `tools`.
    pub fn render_conversation(
        &self,
        conv: &Conversation,
        n: usize,
        add_generation_prompt: bool,
    ) -> Result<String> {
        self.render(
            &messages_value(conv, n),
            conv.tools.as_ref(),
            add_generation_prompt,
        )
    }
}

/// transformers' `tojson`: `json.dumps(x, ensure_ascii=False, indent=indent)`.
fn tojson(value: JValue, kwargs: Kwargs) -> Result<String, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    kwargs.assert_all_used()?;
    let json = serde_json::to_value(&value)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
    Ok(pyjson::dumps(&json, indent))
}

fn template_err(e: Error) -> EngineError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(&format!(": {s}"));
        source = s.source();
    }
    EngineError::Template(message)
}
