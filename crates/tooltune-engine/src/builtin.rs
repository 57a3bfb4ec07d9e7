//! The built-in base model, compiled in: tooltune's own tiny tool-calling
//! Llama, the output of `tooltune pretrain` (see MODEL.md at the repository
//! root for the command, seed, corpus, loss curve and scores). Hugging Face
//! layout: `config.json`, `model.safetensors` (f16), `tokenizer.json`,
//! `tokenizer_config.json` with its `chat_template`.

use burn::tensor::Device;

use crate::chat::ChatTemplate;
use crate::error::Result;
use crate::llama::LlamaForCausalLM;
use crate::tokenizer::Tokenizer;

/// The name that selects the built-in model wherever a model folder is asked for.
pub const NAME: &str = "builtin";

/// `config.json`.
pub const CONFIG_JSON: &[u8] = include_bytes!("../builtin/config.json");
/// `model.safetensors` (f16).
pub const MODEL_SAFETENSORS: &[u8] = include_bytes!("../builtin/model.safetensors");
/// `tokenizer.json`.
pub const TOKENIZER_JSON: &[u8] = include_bytes!("../builtin/tokenizer.json");
/// `tokenizer_config.json`, with the chat template.
pub const TOKENIZER_CONFIG_JSON: &[u8] = include_bytes!("../builtin/tokenizer_config.json");

/// The folder's files, by name.
pub const FILES: [(&str, &[u8]); 4] = [
    ("config.json", CONFIG_JSON),
    ("model.safetensors", MODEL_SAFETENSORS),
    ("tokenizer.json", TOKENIZER_JSON),
    ("tokenizer_config.json", TOKENIZER_CONFIG_JSON),
];

/// The model on `device`.
pub fn model(device: &Device) -> Result<LlamaForCausalLM> {
    LlamaForCausalLM::from_hf_bytes(CONFIG_JSON, MODEL_SAFETENSORS, device)
}

/// The tokenizer.
pub fn tokenizer() -> Result<Tokenizer> {
    Tokenizer::from_bytes(TOKENIZER_JSON)
}

/// The chat template.
pub fn template() -> Result<ChatTemplate> {
    ChatTemplate::from_tokenizer_config(TOKENIZER_CONFIG_JSON)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LlamaConfig;
    use safetensors::{Dtype, SafeTensors};

    #[test]
    fn shipped_files_load_and_match_their_config() {
        let total: usize = FILES.iter().map(|(_, b)| b.len()).sum();
        assert!(total <= 16 * 1024 * 1024, "{total} bytes");
        let config = LlamaConfig::from_hf_json(CONFIG_JSON).unwrap();
        let tok = tokenizer().unwrap();
        assert_eq!(tok.vocab_size(), config.vocab_size);
        assert!(config.tie_word_embeddings);
        let st = SafeTensors::deserialize(MODEL_SAFETENSORS).unwrap();
        assert!(st.tensors().iter().all(|(_, t)| t.dtype() == Dtype::F16));
        assert_eq!(st.len(), 1 + 9 * config.num_hidden_layers + 1);
        let emb = st.tensor("model.embed_tokens.weight").unwrap();
        assert_eq!(emb.shape(), [config.vocab_size, config.hidden_size]);
        let device = crate::default_device();
        let m = model(&device).unwrap();
        assert_eq!(m.config, config);
        let t = template().unwrap();
        let eot = t.end_of_turn().unwrap();
        assert_eq!(tok.token_id(eot), config.eos_token_ids.first().copied());
    }

    /// The golden was made with transformers from the exported folder
    /// (`tests/fixtures/builtin/make_golden.py`): the same prompt text
    /// (Jinja2 vs minijinja), the same prompt ids, the same greedy tokens.
    #[test]
    fn greedy_continuations_equal_transformers() {
        use crate::decode::{GenerateConfig, generate};
        let golden: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/builtin/golden.json"))
                .unwrap();
        let tools: serde_json::Value =
            serde_json::from_str(include_str!("../../../datasets/support/tools.json")).unwrap();
        let device = crate::default_device();
        let m = model(&device).unwrap();
        let tok = tokenizer().unwrap();
        let t = template().unwrap();
        let eos = tok.token_id("<|im_end|>").unwrap();
        for case in golden["cases"].as_array().unwrap() {
            let messages = vec![
                serde_json::json!({"role": "system", "content": "You route customer-support requests to tools."}),
                serde_json::json!({"role": "user", "content": case["request"]}),
            ];
            let prompt = t.render(&messages, Some(&tools), true).unwrap();
            assert_eq!(prompt, case["prompt"].as_str().unwrap());
            let ids = tok.encode(&prompt).unwrap().ids;
            let want: Vec<u32> = serde_json::from_value(case["prompt_ids"].clone()).unwrap();
            assert_eq!(ids, want);
            let config = GenerateConfig::greedy(40).with_eos(&[eos]);
            let out = generate(&m, &ids, &config, &mut ()).unwrap();
            let new: Vec<u32> = serde_json::from_value(case["new_ids"].clone()).unwrap();
            assert_eq!(out.tokens, new, "{}", case["request"]);
        }
    }
}
