//! The loss mask on the fixture tokenizer: assistant calls and answers and
//! their end-of-turn token are trained; system, user, tool results and the
//! assistant header are not; `weight: 0` turns are skipped.

use tooltune_engine::ChatTemplate;
use tooltune_engine::train::{mask_example, show_mask};

use crate::common::{example, templates_dir, tokenizer};

const LINE: &str = r#"{"messages": [
 {"role": "system", "content": "Use tools."},
 {"role": "user", "content": "Weather in Paris and Rome?"},
 {"role": "assistant", "tool_calls": [
   {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
   {"id": "c2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Rome\"}"}}]},
 {"role": "tool", "tool_call_id": "c1", "content": "SUNNY-PARIS-17"},
 {"role": "tool", "tool_call_id": "c2", "content": "RAINY-ROME-12"},
 {"role": "assistant", "content": "Paris is sunny, Rome rainy."}],
 "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
   "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]}"#;

#[test]
fn builtin_template_trains_calls_answers_and_end_of_turn_only() {
    let tok = tokenizer("llama-gqa");
    let template = ChatTemplate::builtin();
    let ex = &example(LINE);
    let m = mask_example(&template, &tok, ex).expect("masks");
    assert_eq!(m.ids.len(), m.trained.len());
    let calls = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n\
                 <tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call><|im_end|>";
    assert_eq!(
        m.trained_text(),
        format!("{calls}Paris is sunny, Rome rainy.<|im_end|>")
    );
    let eot = tok.token_id("<|im_end|>").expect("eot");
    let trained_eot = m
        .ids
        .iter()
        .zip(&m.trained)
        .filter(|(id, t)| **id == eot && **t)
        .count();
    let all_eot = m.ids.iter().filter(|id| **id == eot).count();
    // 2 assistant turns end with a trained <|im_end|>; system, user and the
    // tool-result turn end with untrained ones.
    assert_eq!((trained_eot, all_eot), (2, 5));
    for never in [
        "SUNNY-PARIS-17",
        "RAINY-ROME-12",
        "Weather in",
        "Use tools",
        "<|im_start|>",
    ] {
        assert!(!m.trained_text().contains(never), "{never} was trained");
    }
    let shown = show_mask(&m, false);
    assert!(
        shown.contains("<|im_start|>assistant\n[[<tool_call>"),
        "{shown}"
    );
    assert!(shown.contains("rainy.<|im_end|>]]\n"), "{shown}");
    assert_eq!(shown.replace("[[", "").replace("]]", ""), m.text);
}

#[test]
fn qwen_template_masks_the_same_way_and_weight_zero_is_skipped() {
    let tok = tokenizer("llama-gqa");
    let source = std::fs::read_to_string(templates_dir().join("qwen2.5.jinja")).expect("file");
    let template = ChatTemplate::new(&source)
        .expect("compiles")
        .with_token("eos_token", "<|im_end|>");
    let line = LINE.replace(
        r#"{"role": "assistant", "tool_calls""#,
        r#"{"role": "assistant", "weight": 0, "tool_calls""#,
    );
    let ex = &example(&line);
    let m = mask_example(&template, &tok, ex).expect("masks");
    assert_eq!(m.trained_text(), "Paris is sunny, Rome rainy.<|im_end|>");
    assert!(
        m.text
            .contains("<tool_response>\nSUNNY-PARIS-17\n</tool_response>")
    );
    let all_zero = line.replace(
        r#"{"role": "assistant", "content""#,
        r#"{"role": "assistant", "weight": 0, "content""#,
    );
    let err = mask_example(&template, &tok, &example(&all_zero)).expect_err("nothing to train");
    assert_eq!(
        err.to_string(),
        "t.jsonl:1: no assistant message to train on (none, or all have weight 0)"
    );
}

#[derive(serde::Deserialize)]
struct LossCase {
    name: String,
    messages: serde_json::Value,
    tools: Option<serde_json::Value>,
    text: String,
    input_ids: Vec<u32>,
    assistant_mask: Vec<u8>,
    loss: f32,
}

#[derive(serde::Deserialize)]
struct LossGolden {
    cases: Vec<LossCase>,
    batch_loss: f32,
}

/// `loss_golden.json` (made by `make_loss_golden.py`): transformers'
/// `return_assistant_tokens_mask` on a `{% generation %}`-marked copy of the
/// built-in template, and the fixture model's loss with untrained labels -100.
#[test]
fn mask_and_loss_match_transformers() {
    use tooltune_engine::train::batch::Batch;
    use tooltune_engine::train::step::masked_loss;
    let bytes = std::fs::read(templates_dir().join("loss_golden.json")).expect("golden");
    let golden: LossGolden = serde_json::from_slice(&bytes).expect("parses");
    let tok = tokenizer("llama-gqa");
    let template = ChatTemplate::builtin();
    let model = crate::common::load_model("llama-gqa");
    let device = model.device();
    let mut masked = Vec::new();
    for case in &golden.cases {
        let mut line = serde_json::json!({"messages": case.messages});
        if let Some(t) = &case.tools {
            line["tools"] = t.clone();
        }
        let m = mask_example(&template, &tok, &example(&line.to_string())).expect("masks");
        assert_eq!(m.text, case.text, "{}", case.name);
        assert_eq!(m.ids, case.input_ids, "{}", case.name);
        let want: Vec<bool> = case.assistant_mask.iter().map(|&b| b == 1).collect();
        assert_eq!(m.trained, want, "{}", case.name);
        let loss = masked_loss(&model, &Batch::new(&[&m], 0), &device);
        let loss = tooltune_engine::llama::read_f32(loss).expect("read")[0];
        eprintln!("{}: loss {loss} vs transformers {}", case.name, case.loss);
        assert!(
            (loss - case.loss).abs() < 1e-5,
            "{}: {loss} vs {}",
            case.name,
            case.loss
        );
        masked.push(m);
    }
    let refs: Vec<_> = masked.iter().collect();
    let loss = masked_loss(&model, &Batch::new(&refs, 0), &device);
    let loss = tooltune_engine::llama::read_f32(loss).expect("read")[0];
    assert!(
        (loss - golden.batch_loss).abs() < 1e-5,
        "{loss} vs {}",
        golden.batch_loss
    );

    // Label smoothing ε mixes that loss with the mean over the vocabulary
    // of -log p (PyTorch's and Burn's definition): (1 - ε) loss + ε uniform.
    let batch = Batch::new(&refs, 0);
    let (inputs, positions, _) = batch.tensors(&device);
    let hidden = model.forward_hidden(inputs);
    let [rows, len, width] = hidden.dims();
    let logits = model.head(hidden.reshape([rows * len, width]).select(0, positions));
    let uniform = -tooltune_engine::llama::read_f32(
        tooltune_engine::burn::tensor::activation::log_softmax(logits, 1).mean(),
    )
    .expect("read")[0];
    let smoothed = masked_loss(&model, &batch.with_label_smoothing(0.1), &device);
    let smoothed = tooltune_engine::llama::read_f32(smoothed).expect("read")[0];
    let want = 0.9 * loss + 0.1 * uniform;
    assert!((smoothed - want).abs() < 1e-4, "{smoothed} vs {want}");
}

#[test]
fn llama_template_trains_calls_and_eot_but_not_the_ipython_turn() {
    let tok = tokenizer("llama-gqa");
    let source = std::fs::read_to_string(templates_dir().join("llama3.1.jinja")).expect("file");
    let template = ChatTemplate::new(&source)
        .expect("compiles")
        .with_token("bos_token", "<|begin_of_text|>");
    // Llama 3.1 allows one call per turn: keep the Paris call only.
    let line = LINE
        .replace(
            r#",
   {"id": "c2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Rome\"}"}}"#,
            "",
        )
        .replace(
            r#"
 {"role": "tool", "tool_call_id": "c2", "content": "RAINY-ROME-12"},"#,
            "",
        );
    let m = mask_example(&template, &tok, &example(&line)).expect("masks");
    assert_eq!(
        m.trained_text(),
        "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>\
         Paris is sunny, Rome rainy.<|eot_id|>"
    );
    assert!(
        m.text
            .contains("<|start_header_id|>ipython<|end_header_id|>\n\n\"SUNNY-PARIS-17\"")
    );
}
