//! Pieces of a from-scratch pretraining of tooltune's built-in model: the
//! model shape ([`Shape`], a small Llama with tied embeddings), its chat
//! template ([`TEMPLATE`], ChatML + Hermes calls with a compact catalogue),
//! a byte-level BPE tokenizer trained on the corpus ([`train_tokenizer`]),
//! seeded host-side initial weights ([`init_safetensors`], as transformers'
//! `_init_weights`: N(0, 0.02), norms 1, GPT-2's 1/sqrt(2L) on the residual
//! output projections; by default with a hand-built copy circuit written over
//! layers 0 and 1, see `circuit.rs`) and an f16 export ([`to_f16`]). The training loop is
//! the engine's own [`train_step`](crate::train::step::train_step).

mod circuit;
mod donor;
pub mod drill;
pub mod english;
mod init;
mod route;
mod tokenizer;

pub use donor::donor_vectors;
pub use init::{Init, init_safetensors, to_f16, write_donor};
pub use route::RouteTokens;
pub use tokenizer::{ADDED_TOKENS, SPECIAL_TOKENS, train_tokenizer};

use serde_json::json;

/// The built-in model's chat template.
pub const TEMPLATE: &str = include_str!("compact-tools.jinja");

/// Where a catalogue line puts the tool's description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CatalogueOrder {
    /// `- get_weather(city: string): Get the forecast.` ([`TEMPLATE`], the
    /// shipped base's).
    #[default]
    NameFirst,
    /// `- Get the forecast. get_weather(city: string)`: the name comes after
    /// its description, so that a causal model's name tokens can see what
    /// the tool does (an experiment: docs/model-history.md).
    DescriptionFirst,
}

/// [`TEMPLATE`]'s catalogue line, and the description-first one.
const NAME_FIRST: [&str; 2] = [
    "{{- '\\n- ' + f.name + '(' }}",
    "{%- if f.description %}{{ ': ' + f.description }}{% endif %}",
];
const DESCRIPTION_FIRST: [&str; 2] = [
    "{{- '\\n- ' }}{% if f.description %}{{ f.description + ' ' }}{% endif %}{{ f.name + '(' }}",
    "",
];

impl CatalogueOrder {
    /// The `--catalogue` value naming it, if any.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "name-first" => Some(Self::NameFirst),
            "description-first" => Some(Self::DescriptionFirst),
            _ => None,
        }
    }

    /// The chat template that renders catalogues in this order.
    pub fn template(self) -> String {
        match self {
            Self::NameFirst => TEMPLATE.to_string(),
            Self::DescriptionFirst => {
                let mut t = TEMPLATE.to_string();
                for (from, to) in NAME_FIRST.iter().zip(DESCRIPTION_FIRST) {
                    assert!(t.contains(from), "TEMPLATE lacks {from}");
                    t = t.replace(from, to);
                }
                t
            }
        }
    }
}

/// The model shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Vocabulary size (special and added tokens included).
    pub vocab_size: usize,
    /// Model width.
    pub hidden_size: usize,
    /// MLP width.
    pub intermediate_size: usize,
    /// Decoder layers.
    pub layers: usize,
    /// Attention heads (key/value heads too).
    pub heads: usize,
    /// Longest context.
    pub max_positions: usize,
    /// RoPE base. 1e6: the slow pairs stay nearly position-free over the
    /// context, which the copy circuit's matching uses.
    pub rope_theta: u32,
}

impl Shape {
    /// The built-in model's shape: width 256, 4 layers, 4 heads of 64, MLP
    /// 768, tied embeddings; 4,096 tokens unless `--vocab` says otherwise
    /// (4.5 M parameters, 9 MB in f16; the shipped base has 8,192: 5.5 M,
    /// 11 MB).
    pub const BUILTIN: Shape = Shape {
        vocab_size: 4096,
        hidden_size: 256,
        intermediate_size: 768,
        layers: 4,
        heads: 4,
        max_positions: 1024,
        rope_theta: 1_000_000,
    };

    /// A tiny shape for tests.
    pub const TEST: Shape = Shape {
        vocab_size: 512,
        hidden_size: 32,
        intermediate_size: 64,
        layers: 2,
        heads: 2,
        max_positions: 512,
        rope_theta: 1_000_000,
    };

    /// Hugging Face `config.json` for this shape; `eos`/`pad` are token ids.
    pub fn config_json(&self, eos: u32, pad: u32) -> String {
        let v = json!({
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.layers,
            "num_attention_heads": self.heads,
            "num_key_value_heads": self.heads,
            "head_dim": self.hidden_size / self.heads,
            "hidden_act": "silu",
            "max_position_embeddings": self.max_positions,
            "rms_norm_eps": 1e-5,
            "rope_theta": self.rope_theta as f64,
            "tie_word_embeddings": true,
            "attention_bias": false,
            "mlp_bias": false,
            "initializer_range": 0.02,
            "bos_token_id": null,
            "eos_token_id": eos,
            "pad_token_id": pad,
            "torch_dtype": "float16",
            "use_cache": true
        });
        serde_json::to_string_pretty(&v).expect("serialisable")
    }
}

/// `tokenizer_config.json`: the template and the special tokens.
pub fn tokenizer_config_json() -> String {
    tokenizer_config_json_for(CatalogueOrder::NameFirst)
}

/// `tokenizer_config.json` with the template of `order`.
pub fn tokenizer_config_json_for(order: CatalogueOrder) -> String {
    let v = json!({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": Shape::BUILTIN.max_positions,
        "bos_token": null,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": null,
        "add_bos_token": false,
        "add_eos_token": false,
        "clean_up_tokenization_spaces": false,
        "chat_template": order.template(),
    });
    serde_json::to_string_pretty(&v).expect("serialisable")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ChatTemplate;
    use crate::config::LlamaConfig;
    use crate::tokenizer::Tokenizer;
    use crate::weights::SafetensorsWeights;
    use tooltune_core::dataset::Conversation;

    const LINE: &str = r#"{"messages": [{"role": "system", "content": "Be brief."},
        {"role": "user", "content": "weather in Paris, 3 days"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"days\": 3}"}},
                                             {"id": "c2", "type": "function", "function": {"name": "ping", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "{\"t\": 3}"},
        {"role": "tool", "tool_call_id": "c2", "content": "ok"},
        {"role": "assistant", "content": "3 degrees."}],
      "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get weather.", "parameters": {"type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"], "default": "c"},
          "days": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}},
          "addr": {"type": "object", "properties": {"street": {"type": "string"}, "zip": {"type": "string"}}, "required": ["street"]}},
        "required": ["city"]}}}, {"type": "function", "function": {"name": "ping", "description": "Ping."}}]}"#;

    fn conversation() -> Conversation {
        serde_json::from_str(LINE).expect("parses")
    }

    fn template() -> ChatTemplate {
        ChatTemplate::from_tokenizer_config(tokenizer_config_json().as_bytes()).expect("compiles")
    }

    #[test]
    fn template_renders_a_compact_catalogue_and_hermes_calls() {
        let conv = conversation();
        let text = template()
            .render_conversation(&conv, conv.messages.len(), false)
            .unwrap();
        // The golden is what transformers' Jinja2 renders for the same input.
        assert_eq!(
            text,
            "<|im_start|>system\nBe brief.\n\n# Tools\n- get_weather(city: string, unit?: \"c\"|\"f\" = \"c\", days?: integer, \
             tags?: string[], addr?: {street: string, zip?: string}): Get weather.\n- ping(): Ping.<|im_end|>\n\
             <|im_start|>user\nweather in Paris, 3 days<|im_end|>\n<|im_start|>assistant\n<tool_call>\n\
             {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}\n</tool_call>\n<tool_call>\n\
             {\"name\": \"ping\", \"arguments\": {}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n{\"t\": 3}\n\
             </tool_response>\n<tool_response>\nok\n</tool_response><|im_end|>\n<|im_start|>assistant\n3 degrees.<|im_end|>\n"
        );
    }

    #[test]
    fn description_first_puts_each_name_after_its_description() {
        let json = tokenizer_config_json_for(CatalogueOrder::DescriptionFirst);
        let t = ChatTemplate::from_tokenizer_config(json.as_bytes()).expect("compiles");
        let conv = conversation();
        let text = t.render_conversation(&conv, 2, true).unwrap();
        assert_eq!(
            text,
            "<|im_start|>system\nBe brief.\n\n# Tools\n- Get weather. get_weather(city: string, unit?: \"c\"|\"f\" = \"c\", \
             days?: integer, tags?: string[], addr?: {street: string, zip?: string})\n- Ping. ping()<|im_end|>\n\
             <|im_start|>user\nweather in Paris, 3 days<|im_end|>\n<|im_start|>assistant\n"
        );
        // Calls and the rest of the conversation render as with names first.
        let full = |t: &ChatTemplate| {
            let all = t
                .render_conversation(&conv, conv.messages.len(), false)
                .unwrap();
            all[all.find("<|im_start|>user").unwrap()..].to_string()
        };
        assert_eq!(full(&t), full(&template()));
    }

    #[test]
    fn rendered_calls_parse_back() {
        let conv = conversation();
        let t = template();
        let prompt = t.render_conversation(&conv, 2, true).unwrap();
        let turn = t.render_conversation(&conv, 3, false).unwrap();
        let answer = turn[prompt.len()..]
            .trim_end_matches('\n')
            .trim_end_matches("<|im_end|>");
        use tooltune_core::parse::{Mode, Parsed, parse_output};
        let parsed = parse_output(answer, Mode::Chat);
        assert!(matches!(parsed, Parsed::Target(_)), "{parsed:?}");
        let s = format!("{parsed:?}");
        assert!(
            s.contains("get_weather") && s.contains("ping") && s.contains("Paris"),
            "{s}"
        );
    }

    #[test]
    fn tokenizer_training_is_deterministic_and_keeps_special_tokens_whole() {
        let conv = conversation();
        let text = template()
            .render_conversation(&conv, conv.messages.len(), false)
            .unwrap();
        let texts: Vec<String> = (0..50)
            .map(|i| format!("{i} {}", text.replace("<|im_start|>", "\n")))
            .collect();
        let a = train_tokenizer(texts.iter(), 400, 1).unwrap();
        assert_eq!(a, train_tokenizer(texts.iter(), 400, 1).unwrap());
        let tok = Tokenizer::from_bytes(&a).unwrap();
        // A small corpus runs out of pairs to merge before 400.
        assert!(
            (300..=400).contains(&tok.vocab_size()),
            "{}",
            tok.vocab_size()
        );
        assert_eq!(tok.token_id("<|endoftext|>"), Some(0));
        for t in SPECIAL_TOKENS.iter().chain(&ADDED_TOKENS) {
            let enc = tok.encode(&format!("a{t}b")).unwrap();
            assert_eq!(enc.ids.len(), 3, "{t}");
        }
        let enc = tok.encode("ORD-48213").unwrap();
        assert!(enc.ids.len() >= 5, "digits are split one by one");
        let after = |prefix: &str, word: &str| {
            tok.encode(&format!("{prefix}{word}")).unwrap().ids[1..].to_vec()
        };
        for word in ["request_refund", "Emma", "Moby"] {
            assert_eq!(
                after(" ", word),
                after("\"", word),
                "{word} after a space and a quote"
            );
        }
        assert_eq!(tok.decode(&tok.encode(&text).unwrap().ids).unwrap(), text);
    }

    #[test]
    fn digit_groups_cut_runs_of_digits_from_the_left() {
        let texts: Vec<String> = (0..400)
            .map(|i| {
                format!(
                    "order ORD-{:05} on 2026-0{}-1{}",
                    i * 37 % 100_000,
                    i % 9 + 1,
                    i % 10
                )
            })
            .collect();
        // The pieces of `text`, each digit run written as its pieces' lengths.
        let pieces = |group: usize, text: &str| {
            let json = train_tokenizer(texts.iter(), 2000, group).unwrap();
            let tok = tokenizers::Tokenizer::from_bytes(&json).unwrap();
            let enc = tok.encode(text, false).unwrap();
            assert_eq!(tok.decode(enc.get_ids(), false).unwrap(), text);
            enc.get_tokens()
                .iter()
                .filter(|t| t.chars().all(|c| c.is_ascii_digit()))
                .map(|t| t.len())
                .collect::<Vec<_>>()
        };
        assert_eq!(pieces(1, "59898"), vec![1; 5]);
        let three = pieces(3, "59898");
        // `598` + `98`, or those cut smaller by BPE; never a piece across.
        assert_eq!(three.iter().sum::<usize>(), 5);
        assert!(three.iter().all(|&n| n <= 3), "{three:?}");
        let mut edge = 0;
        let mut at = vec![];
        for n in &three {
            edge += n;
            at.push(edge);
        }
        assert!(
            at.contains(&3),
            "a piece ends at the group's edge: {three:?}"
        );
        assert!(three.len() < 5, "some digits merged: {three:?}");
    }

    #[test]
    fn initial_weights_are_seeded_and_load() {
        let shape = Shape::TEST;
        let config = LlamaConfig::from_hf_json(shape.config_json(2, 0).as_bytes()).unwrap();
        let a = init_safetensors(&config, 1, Init::Random).unwrap();
        assert_eq!(a, init_safetensors(&config, 1, Init::Random).unwrap());
        assert_ne!(a, init_safetensors(&config, 2, Init::Random).unwrap());
        let device = crate::default_device();
        let model = crate::LlamaForCausalLM::from_safetensors(
            &config,
            &SafetensorsWeights::from_bytes(&a).unwrap(),
            &device,
        )
        .unwrap();
        let half = to_f16(&model.to_safetensors().unwrap()).unwrap();
        let w = SafetensorsWeights::from_bytes(&half).unwrap();
        let emb = w.get("model.embed_tokens.weight").unwrap();
        assert_eq!(emb.shape, vec![shape.vocab_size, shape.hidden_size]);
        let f32w = SafetensorsWeights::from_bytes(&a)
            .unwrap()
            .get("model.embed_tokens.weight")
            .unwrap();
        let err = emb
            .data
            .iter()
            .zip(&f32w.data)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(err < 1e-4, "f16 rounding {err}");
        let std = (f32w.data.iter().map(|x| x * x).sum::<f32>() / f32w.data.len() as f32).sqrt();
        assert!((std - 0.02).abs() < 0.002, "std {std}");
    }
}
