//! The engine worker's requests: in a dedicated Web Worker, holding the model and answering the page's
//! [`Request`]s with [`Event`]s (JSON strings; a model's files arrive as
//! byte buffers beside [`Request::LoadModel`]). Everything model-related —
//! load, tokenise, mask, generate — runs here, never on the page's thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;
use tooltune_core::constrain::Grammar;
use tooltune_core::dataset::{self, Example};
use tooltune_core::prompt::{Prompt, PromptContext};
use tooltune_core::{Catalogue, Location};
use tooltune_engine::burn::module::Module;
use tooltune_engine::burn::tensor::Device;
use tooltune_engine::choices::CallPaths;
use tooltune_engine::decode::{
    CallDecision, Constrained, GenerateConfig, Prefill, generate_keeping_prefill_async,
};
use tooltune_engine::train::Tuning;
use tooltune_engine::train::mask::mask_example;
use tooltune_engine::weights::gguf::{StoreAs, gguf_to_hf};
use tooltune_engine::{
    ChatTemplate, HfConfig, LlamaConfig, LlamaForCausalLM, SafetensorsWeights, Tokenizer,
};
use tooltune_engine_browser::worker::{post, post_with_buffers, serve_with_buffers};
use tooltune_workspace::OutputStyle;
use tooltune_workspace::protocol::{Event, MaskToken, ModelInfo, Request};
use wasm_bindgen::prelude::*;

/// A loaded model and its text side.
pub(crate) struct Loaded {
    /// Where it runs, in words.
    pub backend: String,
    /// What run.json calls it: `builtin`, the URL it came from, or the name
    /// it was loaded as.
    pub name: String,
    pub model: LlamaForCausalLM,
    pub tokenizer: Tokenizer,
    pub template: ChatTemplate,
    pub stop: Vec<u32>,
}

impl Loaded {
    /// The same model, recorded as coming from `source` (a URL) when known.
    fn recorded_as(self, source: Option<String>) -> Self {
        match source {
            Some(name) => Self { name, ..self },
            None => self,
        }
    }
}

thread_local! {
    static MODEL: RefCell<Option<Rc<Loaded>>> = const { RefCell::new(None) };
    /// The id of the newest model load asked for.
    static NEWEST_LOAD: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The worker's entry, called by its bootstrap (`web/worker.js`): serves
/// requests until the page terminates it.
#[wasm_bindgen]
pub fn tooltune_engine_worker() {
    serve_with_buffers(|text, buffers| {
        let request: Request = match serde_json::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                emit(&Event::Failed {
                    id: None,
                    message: format!("the engine worker got a message it does not read: {e}"),
                });
                return;
            }
        };
        wasm_bindgen_futures::spawn_local(handle(request, buffers));
    });
}

pub(crate) fn emit(event: &Event) {
    // Plain data: serialising cannot fail; posting fails only once terminated.
    let _ = post(&serde_json::to_string(event).unwrap_or_default());
}

/// [`emit`] with byte buffers beside the event, transferred to the page.
pub(crate) fn emit_with_buffers(event: &Event, buffers: &[&[u8]]) {
    let _ = post_with_buffers(&serde_json::to_string(event).unwrap_or_default(), buffers);
}

pub(crate) fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// A `performance.mark` in the worker's timeline (`tests/e2e/phases.mjs`
/// reads them); nothing where the browser has no Performance API.
fn mark(name: &str) {
    let performance = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance"));
    if let Ok(performance) = performance
        && let Ok(f) = js_sys::Reflect::get(&performance, &JsValue::from_str("mark"))
        && let Ok(f) = f.dyn_into::<js_sys::Function>()
    {
        let _ = f.call1(&performance, &JsValue::from_str(name));
    }
}

async fn handle(request: Request, buffers: Vec<Vec<u8>>) {
    match request {
        Request::LoadModel {
            id,
            name,
            source,
            files,
            backend,
        } => {
            NEWEST_LOAD.with(|n| n.set(id));
            mark("tooltune-load-requested");
            let files: HashMap<String, Vec<u8>> = files.into_iter().zip(buffers).collect();
            let chosen = crate::backend::choose(backend).await;
            mark("tooltune-backend-chosen");
            // A newer load arrived while this one waited for its backend: it
            // decides the model (loads may finish out of order otherwise).
            if NEWEST_LOAD.with(|n| n.get()) != id {
                return;
            }
            let loaded = chosen.and_then(|(device, label)| load(&name, &files, device, label));
            match loaded.map(|(l, info)| (l.recorded_as(source), info)) {
                Ok((loaded, info)) => {
                    mark("tooltune-model-loaded");
                    MODEL.with(|m| *m.borrow_mut() = Some(Rc::new(loaded)));
                    crate::train::forget_tuned();
                    emit(&Event::ModelLoaded { id, info });
                }
                Err(message) => emit(&Event::Failed {
                    id: Some(id),
                    message,
                }),
            }
        }
        Request::Mask { id, example } => match with_model().and_then(|m| mask(&m, example)) {
            Ok(tokens) => emit(&Event::Masked { id, tokens }),
            Err(message) => emit(&Event::Failed {
                id: Some(id),
                message,
            }),
        },
        Request::Route {
            id,
            context,
            request,
            output_style,
            max_new_tokens,
            tuned,
            constrain,
            call_threshold,
        } => {
            let start = now_ms();
            let ask = Ask {
                context: &context,
                request: &request,
                output_style,
                max_new_tokens,
                grammar: constrain
                    .then(|| grammar(&context, output_style))
                    .transpose(),
                call_threshold: call_threshold.map(|t| t as f32),
            };
            let result = match (with_model(), tuned) {
                (Ok(m), false) => answer(&m, &m.model, ask, id, start).await,
                (Ok(m), true) => match crate::train::tuned() {
                    Some(t) => answer(&m, &t.model, ask, id, start).await,
                    None => Err("no fine-tuned model yet: train one in the Train panel".into()),
                },
                (Err(e), _) => Err(e),
            };
            if let Err(message) = result {
                emit(&Event::Failed {
                    id: Some(id),
                    message,
                });
            }
        }
        Request::Train {
            id,
            settings,
            seed,
            train,
            test,
            context,
            output_style,
            resume_step,
            eval_elsewhere,
            split,
        } => {
            let resume = match (resume_step, buffers.into_iter().next()) {
                (Some(step), Some(adapter)) => Some((step, adapter)),
                (Some(_), None) => {
                    emit(&Event::Failed {
                        id: Some(id),
                        message: "resuming needs the checkpoint's adapter".into(),
                    });
                    return;
                }
                (None, _) => None,
            };
            let job = crate::train::Job {
                id,
                settings,
                seed,
                train,
                test,
                context,
                output_style,
                resume,
                eval_elsewhere,
                split,
            };
            let result = async { crate::train::run(with_model()?, job).await };
            fail_on_error(id, result.await);
        }
        Request::LinkLost { reason } => tooltune_engine_browser::worker::link::lose(&reason),
        Request::Evaluate {
            id,
            step,
            settings,
            seed,
            test,
            context,
        } => {
            let job = crate::train_eval::EvalJob {
                id,
                step,
                settings,
                seed,
                test,
                context,
                weights: buffers.into_iter().next(),
            };
            let result = async { crate::train_eval::evaluate_elsewhere(with_model()?, job).await };
            fail_on_error(id, result.await);
        }
        Request::StopTraining { id } => crate::train::request_stop(id),
        Request::PauseTraining { id, paused } => crate::train::request_pause(id, paused),
        Request::LoadAdapter { id, name } => {
            let result = match (with_model(), buffers.as_slice()) {
                (Ok(m), [config, weights]) => {
                    crate::train::load_adapter(&m, &name, config, weights)
                }
                (Ok(_), _) => Err(format!(
                    "{name}: an adapter needs adapter_config.json and adapter_model.safetensors"
                )),
                (Err(e), _) => Err(e),
            };
            answer_load(id, name, result, false);
        }
        Request::LoadWeights { id, name } => {
            let result = match (with_model(), buffers.as_slice()) {
                (Ok(m), [weights]) => crate::train::load_weights(&m, &name, weights),
                (Ok(_), _) => Err(format!(
                    "{name}: a full fine-tune needs its model.safetensors"
                )),
                (Err(e), _) => Err(e),
            };
            answer_load(id, name, result, true);
        }
        Request::LoadCheckpoint { id, name, settings } => {
            // An adapter goes with its config; a full fine-tune's weights alone.
            let tuning = crate::train::tuning(&settings);
            let full = matches!(tuning, Tuning::Full);
            let result = match (with_model(), buffers.as_slice()) {
                (Ok(m), [weights]) => match tuning {
                    Tuning::Lora(lora) => {
                        let config = lora.to_peft_config_json(Some(&m.name));
                        crate::train::load_adapter(&m, &name, &config, weights)
                    }
                    Tuning::Full => crate::train::load_weights(&m, &name, weights),
                },
                (Ok(_), _) => Err(format!("{name}: a checkpoint is one safetensors file")),
                (Err(e), _) => Err(e),
            };
            answer_load(id, name, result, full);
        }
        Request::ExportRun { id } => match crate::train::export().await {
            Ok(files) => emit(&Event::RunExported { id, files }),
            Err(message) => emit(&Event::Failed {
                id: Some(id),
                message,
            }),
        },
    }
}

/// Reports a request's error to the page, naming the request.
fn fail_on_error(id: u64, result: Result<(), String>) {
    if let Err(message) = result {
        emit(&Event::Failed {
            id: Some(id),
            message,
        });
    }
}

/// Answers a [`Request::LoadAdapter`] or [`Request::LoadWeights`]: what was
/// loaded (`full`: every weight), or why not.
fn answer_load(id: u64, name: String, result: Result<String, String>, full: bool) {
    match result {
        Ok(summary) => emit(&Event::AdapterLoaded {
            id,
            name,
            summary,
            full,
        }),
        Err(message) => emit(&Event::Failed {
            id: Some(id),
            message,
        }),
    }
}

fn with_model() -> Result<Rc<Loaded>, String> {
    MODEL
        .with(|m| m.borrow().clone())
        .ok_or_else(|| "no model is loaded yet: load one in the Model panel".to_string())
}

/// Loads a Hugging Face folder's files (single `model.safetensors`).
fn load(
    name: &str,
    files: &HashMap<String, Vec<u8>>,
    device: Device,
    backend: String,
) -> Result<(Loaded, ModelInfo), String> {
    let start = now_ms();
    // A GGUF file: converted into a Hugging Face folder in memory (f16
    // weights, half the memory of f32; compute is f32 either way).
    let converted;
    let mut source = None;
    let files = match files
        .iter()
        .find(|(n, _)| n.to_ascii_lowercase().ends_with(".gguf"))
    {
        Some((gguf, bytes)) => {
            let folder = gguf_to_hf(gguf, bytes, StoreAs::F16).map_err(|e| e.to_string())?;
            source = Some(gguf.clone());
            // Moved, not copied: the weights are hundreds of megabytes.
            converted = HashMap::from([
                ("config.json".to_string(), folder.config_json),
                ("model.safetensors".to_string(), folder.model_safetensors),
                ("tokenizer.json".to_string(), folder.tokenizer_json),
                (
                    "tokenizer_config.json".to_string(),
                    folder.tokenizer_config_json,
                ),
            ]);
            &converted
        }
        None => files,
    };
    let need = |file: &str| {
        files.get(file).ok_or_else(|| {
            let mut have: Vec<&str> = files.keys().map(String::as_str).collect();
            have.sort_unstable();
            format!(
                "{name}: {file} is missing (a model needs config.json, model.safetensors, \
                 tokenizer.json and, for its chat template, tokenizer_config.json; got: {})",
                if have.is_empty() {
                    "nothing".to_string()
                } else {
                    have.join(", ")
                }
            )
        })
    };
    let config_bytes = need("config.json")?;
    if !files.contains_key("model.safetensors")
        && files.contains_key("model.safetensors.index.json")
    {
        return Err(format!(
            "{name}: sharded checkpoints (model.safetensors.index.json) do not load in the page \
             yet; merge the shards into one model.safetensors, or use the CLI"
        ));
    }
    let weights_bytes = need("model.safetensors")?;
    let tokenizer_bytes = need("tokenizer.json")?;
    let err = |file: &str, e: tooltune_engine::EngineError| format!("{name}: {file}: {e}");
    let hf = HfConfig::from_json_bytes(config_bytes).map_err(|e| err("config.json", e))?;
    let architecture = hf.model_type.clone().unwrap_or_else(|| "llama".into());
    let dtype = match &source {
        Some(gguf) => format!("GGUF ({gguf}), dequantised"),
        None => hf.stored_dtype().unwrap_or("float32").to_string(),
    };
    let config: LlamaConfig = hf.into_config().map_err(|e| err("config.json", e))?;
    let weights = SafetensorsWeights::from_named_bytes("model.safetensors", weights_bytes)
        .map_err(|e| err("model.safetensors", e))?;
    mark("tooltune-safetensors-read");
    let model = LlamaForCausalLM::from_safetensors(&config, &weights, &device)
        .map_err(|e| err("model.safetensors", e))?;
    mark("tooltune-model-built");
    let tokenizer = Tokenizer::from_bytes(tokenizer_bytes).map_err(|e| err("tokenizer.json", e))?;
    mark("tooltune-tokenizer-built");
    let (template, template_source) = match files.get("tokenizer_config.json") {
        Some(bytes) => match ChatTemplate::from_tokenizer_config(bytes) {
            Ok(t) if t.is_builtin() => (
                t,
                "built-in ChatML + Hermes (none in tokenizer_config.json)",
            ),
            Ok(t) => (t, "tokenizer_config.json"),
            Err(e) => return Err(err("tokenizer_config.json", e)),
        },
        None => (
            ChatTemplate::builtin(),
            "built-in ChatML + Hermes (no tokenizer_config.json)",
        ),
    };
    let stop = tooltune_engine::assistant::stop_ids(&model, &tokenizer, &template);
    let info = ModelInfo {
        name: name.to_string(),
        architecture,
        parameters: model.num_params() as u64,
        dtype,
        context_length: config.max_position_embeddings,
        vocab_size: config.vocab_size,
        layers: config.num_hidden_layers,
        backend: backend.clone(),
        template: template_source.into(),
        load_ms: now_ms() - start,
    };
    Ok((
        Loaded {
            backend,
            name: if name.starts_with("built-in") {
                "builtin".into()
            } else {
                name.to_string()
            },
            model,
            tokenizer,
            template,
            stop,
        },
        info,
    ))
}

/// One example's tokens under the chat template, trained ones marked.
fn mask(m: &Loaded, example: Value) -> Result<Vec<MaskToken>, String> {
    let at = Location::whole("example");
    let conversation = dataset::conversation(&at, example).map_err(|e| e.to_string())?;
    let ex = Example {
        at,
        conversation,
        acceptable: None,
        fingerprint: 0,
    };
    let masked = mask_example(&m.template, &m.tokenizer, &ex).map_err(|e| e.to_string())?;
    Ok(masked
        .offsets
        .iter()
        .zip(&masked.trained)
        .map(|(&(s, e), &trained)| MaskToken {
            text: masked.text.get(s..e).unwrap_or_default().to_string(),
            trained,
        })
        .collect())
}

/// One try-it request.
struct Ask<'a> {
    context: &'a PromptContext,
    request: &'a str,
    output_style: OutputStyle,
    max_new_tokens: usize,
    /// The answers allowed, when decoding is constrained (or why the
    /// catalogue can't give them).
    grammar: Result<Option<Grammar>, String>,
    /// The call-or-answer decision's threshold; `None`: greedy.
    call_threshold: Option<f32>,
}

/// The answers valid against `context`'s catalogue in `style`, parallel
/// calls allowed (as `tooltune route --constrain`).
fn grammar(context: &PromptContext, style: OutputStyle) -> Result<Grammar, String> {
    let tools = context
        .tools
        .as_ref()
        .ok_or("constrained decoding needs a valid catalogue: fix the catalogue or untick \"Constrain answers to the catalogue\"")?;
    let catalogue =
        Catalogue::from_value(&Location::whole("catalogue"), tools).map_err(|e| e.to_string())?;
    Ok(Grammar::new(Arc::new(catalogue), style.mode(), true))
}

/// Answers one try-it request: [`Event::Routed`] as soon as the answer is
/// written, then [`Event::RouteChoices`]: one short pass after the answer's
/// prefill, kept from its generation.
async fn answer(
    m: &Loaded,
    model: &LlamaForCausalLM,
    ask: Ask<'_>,
    id: u64,
    start: f64,
) -> Result<(), String> {
    let request = ask.context.request(ask.request);
    let (context, style) = (ask.context, ask.output_style);
    let (output, prompt_tokens, new_tokens, prefill) = route(m, model, &request, ask).await?;
    emit(&Event::Routed {
        id,
        output,
        prompt_tokens,
        new_tokens,
        ms: now_ms() - start,
    });
    if let Some(paths) = call_paths(m, &request, context, style)? {
        let choices =
            (paths.score_async(model, prefill.as_ref()).await).map_err(|e| e.to_string())?;
        emit(&Event::RouteChoices { id, choices });
    }
    Ok(())
}

/// The model's greedy answer to one request: (text, prompt tokens, new
/// tokens, the prompt's prefill for the odds).
async fn route(
    m: &Loaded,
    model: &LlamaForCausalLM,
    request: &Prompt,
    ask: Ask<'_>,
) -> Result<(String, usize, usize, Option<Prefill>), String> {
    let (prompt, opening) =
        tooltune_engine::assistant::prompt_with_opening(&m.template, &m.tokenizer, request)
            .map_err(|e| e.to_string())?;
    let config = GenerateConfig::greedy(ask.max_new_tokens).with_eos(&m.stop);
    let decision = ask
        .call_threshold
        .zip(opening)
        .map(|(t, opening)| CallDecision::new(opening, t));
    let constrained = ask
        .grammar?
        .map(|g| Constrained::new(g, m.tokenizer.token_bytes(), &m.stop));
    let mut processor = (decision, constrained);
    let (out, prefill) = generate_keeping_prefill_async(model, &prompt, &config, &mut processor)
        .await
        .map_err(|e| e.to_string())?;
    let text_ids: Vec<u32> = out
        .tokens
        .iter()
        .copied()
        .filter(|t| !m.stop.contains(t))
        .collect();
    let text = m.tokenizer.decode(&text_ids).map_err(|e| e.to_string())?;
    Ok((text, prompt.len(), out.tokens.len(), prefill))
}

/// Every catalogue tool's call after the prompt, in tool-call style (as
/// `tooltune route` scores them).
fn call_paths(
    m: &Loaded,
    prompt: &Prompt,
    context: &PromptContext,
    style: OutputStyle,
) -> Result<Option<CallPaths>, String> {
    let Some(tools) = context
        .tools
        .as_ref()
        .filter(|_| style == OutputStyle::ToolCalls)
    else {
        return Ok(None);
    };
    let Ok(catalogue) = Catalogue::from_value(&Location::whole("catalogue"), tools) else {
        return Ok(None);
    };
    CallPaths::for_catalogue(&m.template, &m.tokenizer, prompt, &catalogue)
        .map_err(|e| e.to_string())
}
