//! `tooltune pretrain --seed S --out DIR [--resume] [--steps N ...]`: the
//! built-in base model from random initial weights, on a stream of
//! tooltune-corpus examples (example `i` of the seed's stream is the same on
//! every run, so a resumed run sees the data an unbroken one would).
//!
//! Loss: assistant tokens only (tool calls, answers, declines; the engine's
//! fine-tuning mask), the skill the base must have; prompts are context.
//!
//! Writes into DIR: `model/` (the Hugging Face folder, f16: what ships),
//! `checkpoint.safetensors` (f32) + `state.json` every `--checkpoint-every`
//! steps, `loss.jsonl` (one line per step) and `pretrain.json` (settings).
//! `--resume` continues from the last checkpoint with fresh AdamW moments
//! (Burn's optimizer state is keyed by parameter ids that do not survive a
//! reload), so a resumed curve is close to, not bit-equal to, an unbroken one.

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;
use tooltune_core::dataset::{Example, conversation};
use tooltune_core::error::Location;
use tooltune_corpus::{Generator, Lexicon};
use tooltune_engine::burn::grad_clipping::GradientClippingConfig;
use tooltune_engine::burn::module::Module;
use tooltune_engine::burn::optim::AdamWConfig;
use tooltune_engine::pretrain::{self, Shape};
use tooltune_engine::train::batch::{Batch, epoch_order, fit_length};
use tooltune_engine::train::mask_example;
use tooltune_engine::train::schedule::CosineWithWarmup;
use tooltune_engine::train::step::train_step;
use tooltune_engine::{ChatTemplate, LlamaConfig, LlamaForCausalLM, SafetensorsWeights, Tokenizer};

use crate::args::{CorpusMix, PretrainArgs};
use crate::io;

/// Where a run stands, saved with each checkpoint.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    step: usize,
    seed: u64,
    steps: usize,
    elapsed_s: f64,
    tokens: usize,
    last_loss: f32,
}

/// The corpus stream of `seed` as `mix` asks for it: `tooltune corpus`
/// writes it and `tooltune pretrain` trains on it.
pub fn generator(seed: u64, mix: &CorpusMix) -> Result<Generator> {
    if mix.verb_senses && mix.no_wordnet {
        bail!("--verb-senses reads WordNet, which --no-wordnet turns off");
    }
    let wordnet = (!mix.no_wordnet).then_some(mix.wordnet.as_path());
    Ok(Generator::new(seed, lexicon(wordnet, mix.verb_senses)?)
        .invented_share(mix.invented)
        .english_values(mix.english_values)
        .distractors(mix.distractors)
        .synonym_share(mix.synonym_share))
}

/// Reads WordNet from `dir` (`scripts/setup.sh corpus` installs it).
/// Each file is read once; with `verb_senses` the verb synonyms come from
/// [`Lexicon::with_verb_senses`].
fn lexicon(dir: Option<&Path>, verb_senses: bool) -> Result<Lexicon> {
    let Some(dir) = dir else {
        return Ok(Lexicon::builtin());
    };
    let index_verb = read_wordnet(dir, "index.verb")?;
    let data_verb = read_wordnet(dir, "data.verb")?;
    let lexicon = Lexicon::from_wordnet(
        &index_verb,
        &data_verb,
        &read_wordnet(dir, "index.noun")?,
        &read_wordnet(dir, "data.noun")?,
    );
    Ok(if verb_senses {
        lexicon.with_verb_senses(&index_verb, &data_verb)
    } else {
        lexicon
    })
}

/// WordNet's file `f` in `dir`.
fn read_wordnet(dir: &Path, f: &str) -> Result<Vec<u8>> {
    std::fs::read(dir.join(f)).with_context(|| {
        format!(
            "cannot read WordNet's {} (install it with `bash scripts/setup.sh corpus`, \
             or pass --no-wordnet for the small built-in synonym table)",
            dir.join(f).display()
        )
    })
}

/// Example `i` of the stream (in groups of `group` sharing a catalogue) as
/// an engine-ready example.
fn example(generator: &Generator, i: u64, group: u64) -> Result<Example> {
    let at = Location::line("corpus", i as usize + 1);
    let conversation = conversation(&at, generator.example_in_group(i, group))
        .map_err(|e| anyhow!("corpus example {i}: {e}"))?;
    Ok(Example {
        at,
        conversation,
        acceptable: None,
        fingerprint: 0,
    })
}

/// The rendered text of examples for tokenizer training, with the special
/// and added tokens taken out (they are whole tokens already).
fn tokenizer_texts(
    generator: &Generator,
    template: &ChatTemplate,
    n: usize,
) -> Result<Vec<String>> {
    let mut texts = Vec::with_capacity(n);
    for i in 0..n as u64 {
        let ex = example(generator, u64::MAX / 2 + i, 1)?;
        let conv = &ex.conversation;
        let mut text = template.render_conversation(conv, conv.messages.len(), false)?;
        for t in pretrain::SPECIAL_TOKENS
            .iter()
            .chain(&pretrain::ADDED_TOKENS)
        {
            text = text.replace(t, "\n");
        }
        texts.push(text);
    }
    Ok(texts)
}

/// A seeded sample of `n` WordNet glosses (all of them if there are fewer),
/// from every part of speech.
fn glosses(dir: &Path, seed: u64, n: usize) -> Result<Vec<String>> {
    let mut all = Vec::new();
    for pos in ["noun", "verb", "adj", "adv"] {
        let path = dir.join(format!("data.{pos}"));
        let data = std::fs::read(&path).with_context(|| {
            format!(
                "cannot read WordNet's {} for --tokenizer-glosses \
                 (install it with `bash scripts/setup.sh corpus`)",
                path.display()
            )
        })?;
        all.extend(tooltune_corpus::lexicon::wordnet_glosses(&data));
    }
    let order = epoch_order(all.len(), seed ^ 0x0067_6C6F_7373_6573, 0);
    Ok(order.into_iter().take(n).map(|i| all[i].clone()).collect())
}

/// The drills' alphabets: every ordinary token, and the ten digits.
fn drill_alphabets(tokenizer: &Tokenizer, vocab_size: usize) -> Result<[Vec<u32>; 2]> {
    let first = pretrain::SPECIAL_TOKENS.len() as u32;
    let end = (vocab_size - pretrain::ADDED_TOKENS.len()) as u32;
    let digits = (0..10)
        .map(|d| {
            tokenizer
                .token_id(&d.to_string())
                .ok_or_else(|| anyhow!("tokenizer lacks the digit {d}"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok([(first..end).collect(), digits])
}

pub fn run(a: PretrainArgs) -> Result<ExitCode> {
    let shape = match a.shape.as_str() {
        "builtin" => Shape::BUILTIN,
        "test" => Shape::TEST,
        other => bail!("unknown --shape `{other}` (builtin or test)"),
    };
    let shape = Shape {
        vocab_size: a.vocab.map_or(shape.vocab_size, |v| v as usize),
        layers: a.layers.map_or(shape.layers, |l| l as usize),
        ..shape
    };
    if a.tokenizer_glosses > 0 && a.corpus.no_wordnet {
        bail!("--tokenizer-glosses reads WordNet, which --no-wordnet turns off");
    }
    if a.english_rows > 0 && a.tokenizer_glosses == 0 && a.tokenizer_text.is_empty() {
        bail!(
            "--english-rows reads the tokenizer's English: give --tokenizer-glosses or --tokenizer-text"
        );
    }
    let device = tooltune_engine::backend_device(&a.backend).map_err(|e| anyhow!(e))?;
    let generator = generator(a.seed, &a.corpus)?;
    let model_dir = a.out.join("model");
    let state_path = a.out.join("state.json");
    std::fs::create_dir_all(&model_dir)
        .with_context(|| format!("cannot create {}", model_dir.display()))?;
    let order = pretrain::CatalogueOrder::parse(&a.catalogue)
        .ok_or_else(|| anyhow!("unknown --catalogue {}", a.catalogue))?;
    let template_json = pretrain::tokenizer_config_json_for(order);
    let template = ChatTemplate::from_tokenizer_config(template_json.as_bytes())?;
    // Read before the tokenizer is trained, so a bad donor or text file
    // fails at once.
    let donor = match (&a.embed_from, a.resume) {
        (Some(dir), false) => Some(
            crate::model::load_embedding(dir)
                .with_context(|| format!("--embed-from {}", dir.display()))?,
        ),
        _ => None,
    };
    // The tokenizer's English; on a resume only the English rows need it.
    let mut english = Vec::new();
    if !a.resume || a.english_rows > 0 {
        if a.tokenizer_glosses > 0 {
            english = glosses(&a.corpus.wordnet, a.seed, a.tokenizer_glosses)?;
        }
        for path in &a.tokenizer_text {
            english.push(String::from_utf8_lossy(&io::read(path)?).into_owned());
        }
    }
    let started = Instant::now();
    let (state, tokenizer_json, weights) = if a.resume {
        let state: State = serde_json::from_slice(&io::read(&state_path)?)
            .with_context(|| format!("{} is not a pretraining state", state_path.display()))?;
        if state.seed != a.seed {
            bail!(
                "{} was made with --seed {}, not {}",
                state_path.display(),
                state.seed,
                a.seed
            );
        }
        let config_path = model_dir.join("config.json");
        let made = LlamaConfig::from_hf_json(&io::read(&config_path)?)
            .with_context(|| format!("{} is not a model config", config_path.display()))?;
        if made.num_hidden_layers != shape.layers {
            bail!(
                "{} has {} layers, the model {} (resume with the --layers the run was made with)",
                config_path.display(),
                made.num_hidden_layers,
                shape.layers
            );
        }
        let settings_path = a.out.join("pretrain.json");
        let settings: serde_json::Value = serde_json::from_slice(&io::read(&settings_path)?)
            .with_context(|| format!("{} is not JSON", settings_path.display()))?;
        // The run's tokenizer and template stay, so the flags that made them
        // must too. Runs older than a flag lack its key: its old default.
        for (key, flag, older, given) in [
            (
                "digit_group",
                "--digit-group",
                json!(1),
                json!(a.digit_group),
            ),
            (
                "catalogue",
                "--catalogue",
                json!("name-first"),
                json!(a.catalogue),
            ),
        ] {
            let made = settings.get(key).unwrap_or(&older);
            if *made != given {
                let show = |v: &serde_json::Value| {
                    v.as_str().map_or_else(|| v.to_string(), str::to_string)
                };
                bail!(
                    "{} was made with {flag} {}, not {} (resume with the flags the run was made with)",
                    settings_path.display(),
                    show(made),
                    show(&given)
                );
            }
        }
        let tok = io::read(&model_dir.join("tokenizer.json"))?;
        let w = io::read(&a.out.join("checkpoint.safetensors"))?;
        eprintln!("resuming at step {} of {}", state.step, state.steps);
        (state, tok, w)
    } else {
        eprintln!(
            "training the tokenizer on {} examples",
            a.tokenizer_examples
        );
        let mut texts = tokenizer_texts(&generator, &template, a.tokenizer_examples)?;
        if !english.is_empty() {
            eprintln!(
                "and on {} WordNet glosses and {} text files ({} bytes of English)",
                english.len() - a.tokenizer_text.len(),
                a.tokenizer_text.len(),
                english.iter().map(String::len).sum::<usize>()
            );
        }
        texts.extend(english.iter().cloned());
        let tok =
            pretrain::train_tokenizer(texts.iter(), shape.vocab_size, a.digit_group as usize)?;
        eprintln!(
            "tokenizer trained in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let state = State {
            step: 0,
            seed: a.seed,
            steps: a.steps,
            elapsed_s: 0.0,
            tokens: 0,
            last_loss: f32::NAN,
        };
        (state, tok, Vec::new())
    };
    let tokenizer = Tokenizer::from_bytes(&tokenizer_json)?;
    if tokenizer.vocab_size() != shape.vocab_size {
        if a.resume {
            bail!(
                "{} has {} tokens, the model {} (resume with the --vocab the run was made with)",
                model_dir.join("tokenizer.json").display(),
                tokenizer.vocab_size(),
                shape.vocab_size
            );
        }
        bail!(
            "the tokenizer's training texts gave only {} tokens, fewer than the vocabulary's {} \
             (raise --tokenizer-examples or lower --vocab)",
            tokenizer.vocab_size(),
            shape.vocab_size
        );
    }
    let id = |t: &str| {
        tokenizer
            .token_id(t)
            .ok_or_else(|| anyhow!("tokenizer lacks {t}"))
    };
    let (eos, pad) = (id("<|im_end|>")?, id("<|endoftext|>")?);
    let config_json = shape.config_json(eos, pad);
    let config = LlamaConfig::from_hf_json(config_json.as_bytes())?;
    let weights = if weights.is_empty() {
        let init = pretrain::Init::parse(&a.init, &tokenizer)?
            .ok_or_else(|| anyhow!("unknown --init {}", a.init))?;
        let weights = pretrain::init_safetensors(&config, a.seed, init)?;
        match (&donor, &a.embed_from) {
            (Some((donor_tokenizer, embedding)), Some(from)) => {
                let skip: Vec<&str> = pretrain::SPECIAL_TOKENS
                    .iter()
                    .chain(&pretrain::ADDED_TOKENS)
                    .copied()
                    .collect();
                let vectors = pretrain::donor_vectors(
                    &tokenizer,
                    &skip,
                    donor_tokenizer,
                    embedding,
                    a.embed_dims as usize,
                    a.embed_norm,
                )?;
                eprintln!(
                    "{} of {} tokens took their meaning from {}",
                    vectors.iter().flatten().count(),
                    vectors.len(),
                    from.display()
                );
                pretrain::write_donor(&weights, &config, init, &vectors)
                    .with_context(|| format!("--embed-dims {}", a.embed_dims))?
            }
            _ => weights,
        }
    } else {
        weights
    };
    let model = LlamaForCausalLM::from_safetensors(
        &config,
        &SafetensorsWeights::from_bytes(&weights)?,
        &device,
    )?;
    io::write(&model_dir.join("config.json"), &(config_json + "\n"))?;
    io::write(
        &model_dir.join("tokenizer_config.json"),
        &(template_json + "\n"),
    )?;
    io::write_bytes(&model_dir.join("tokenizer.json"), &tokenizer_json)?;
    io::write(
        &a.out.join("pretrain.json"),
        &(serde_json::to_string_pretty(&json!({
            "seed": a.seed, "steps": a.steps, "batch_size": a.batch_size, "lr": a.lr,
            "warmup_steps": a.warmup_steps, "weight_decay": a.weight_decay, "max_seq_len": a.max_seq_len,
            "shape": a.shape, "wordnet": (!a.corpus.no_wordnet).then(|| a.corpus.wordnet.display().to_string()),
            "tokenizer_examples": a.tokenizer_examples, "tokenizer_glosses": a.tokenizer_glosses,
            "tokenizer_text": a.tokenizer_text.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "vocab_size": shape.vocab_size, "layers": shape.layers, "digit_group": a.digit_group, "catalogue": a.catalogue, "loss": a.loss,
            "drill_rows": a.drill_rows, "drill_len": a.drill_len, "english_rows": a.english_rows, "init": a.init, "group": a.group, "invented": a.corpus.invented, "english_values": a.corpus.english_values, "distractors": a.corpus.distractors, "verb_senses": a.corpus.verb_senses, "synonym_share": a.corpus.synonym_share,
            "embed_from": a.embed_from.as_ref().map(|p| p.display().to_string()),
            "embed_dims": a.embed_dims, "embed_norm": a.embed_norm,
            "rayon_num_threads": std::env::var("RAYON_NUM_THREADS").ok(),
        }))? + "\n"),
    )?;
    if a.steps < state.step {
        bail!(
            "--steps {} is below the checkpoint's step {}",
            a.steps,
            state.step
        );
    }

    let alphabets = drill_alphabets(&tokenizer, shape.vocab_size)?;
    let english = if a.english_rows > 0 {
        let stream = pretrain::english::EnglishStream::new(&tokenizer, &english)?;
        eprintln!("English rows drawn from {} tokens of text", stream.len());
        Some(stream)
    } else {
        None
    };
    let autodiff = model.device().autodiff();
    device.seed(a.seed);
    let mut model = model.fork(&autodiff).train();
    let mut optim = AdamWConfig::new()
        .with_beta_2(0.95)
        .with_epsilon(1e-8)
        .with_weight_decay(a.weight_decay as f32)
        .with_grad_clipping(Some(GradientClippingConfig::Norm(1.0)))
        .init();
    let warmup = a.warmup_steps as f64 / a.steps.max(1) as f64;
    let schedule = CosineWithWarmup::new(a.lr, warmup.min(0.99), a.steps);
    let loss_path = a.out.join("loss.jsonl");
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(a.resume)
        .write(true)
        .truncate(!a.resume)
        .open(&loss_path)
        .with_context(|| format!("cannot write {}", loss_path.display()))?;
    let (mut step, mut tokens, base_elapsed) = (state.step, state.tokens, state.elapsed_s);
    let mut last_loss = state.last_loss;
    let save = |model: &LlamaForCausalLM,
                step: usize,
                tokens: usize,
                last_loss: f32,
                elapsed: f64|
     -> Result<()> {
        let f32_bytes = model.to_safetensors()?;
        io::write_bytes(
            &model_dir.join("model.safetensors"),
            &pretrain::to_f16(&f32_bytes)?,
        )?;
        io::write_bytes(&a.out.join("checkpoint.safetensors"), &f32_bytes)?;
        let st = State {
            step,
            seed: a.seed,
            steps: a.steps,
            elapsed_s: elapsed,
            tokens,
            last_loss,
        };
        io::write(&state_path, &(serde_json::to_string_pretty(&st)? + "\n"))
    };
    let run_start = Instant::now();
    while step < a.steps {
        let first = (step * a.batch_size) as u64;
        // Each example with its catalogue group (`None`: one group for all).
        let mut rows = Vec::with_capacity(a.batch_size);
        for i in first..first + a.batch_size as u64 {
            let ex = example(&generator, i, a.group)?;
            let mut m = mask_example(&template, &tokenizer, &ex)?;
            if a.loss == "all" {
                m.trained.iter_mut().for_each(|t| *t = true);
            }
            if fit_length(&mut m, a.max_seq_len, true).is_ok() {
                rows.push(((a.group > 1).then_some(i / a.group), m));
            }
        }
        if rows.is_empty() && a.drill_rows == 0 && a.english_rows == 0 {
            bail!(
                "step {}: none of its {} examples keeps a trained token within --max-seq-len {} (raise it)",
                step + 1,
                a.batch_size,
                a.max_seq_len
            );
        }
        // One row in four from the digits, the rest from all ordinary tokens.
        let mut drills: Vec<_> = (0..a.drill_rows as u64)
            .map(|k| {
                let row = step as u64 * a.drill_rows as u64 + k;
                let alphabet = &alphabets[usize::from(row % 4 == 3)];
                pretrain::drill::induction_row(a.seed, row, a.drill_len, alphabet)
            })
            .collect();
        if let Some(stream) = &english {
            drills.extend((0..a.english_rows as u64).filter_map(|k| {
                let row = step as u64 * a.english_rows as u64 + k;
                let len = pretrain::english::ROW_TOKENS.min(a.max_seq_len);
                stream.row(a.seed, row, len)
            }));
        }
        // One micro-batch per catalogue group, the drill and English rows in the last.
        let mut groups: Vec<Vec<_>> = rows
            .chunk_by(|x, y| x.0 == y.0)
            .map(|g| g.iter().map(|(_, m)| m).collect())
            .collect();
        match groups.last_mut() {
            Some(last) => last.extend(&drills),
            None => groups.push(drills.iter().collect()),
        }
        // Rows in order of length, so that each data-parallel shard (a run
        // of consecutive rows, cut after its last trained token) holds rows
        // of like length and computes little padding: the same loss, in
        // another summation order.
        for g in &mut groups {
            g.sort_by_key(|m| m.ids.len());
        }
        let batches: Vec<Batch> = groups.iter().map(|g| Batch::new(g, pad)).collect();
        let lr = schedule.lr(step);
        step += 1;
        let (next, result) = train_step(model, &mut optim, &batches, lr, step, None, &autodiff)?;
        model = next;
        tokens += result.tokens;
        last_loss = result.loss;
        let elapsed = base_elapsed + run_start.elapsed().as_secs_f64();
        writeln!(
            log,
            "{}",
            json!({"step": step, "loss": result.loss, "lr": lr, "tokens": tokens,
                   "trained_tokens": result.trained_tokens, "elapsed_s": (elapsed * 10.0).round() / 10.0})
        )?;
        if step % 10 == 0 || step == a.steps {
            eprintln!(
                "step {step}/{} loss {:.4} lr {lr:.2e} {:.0} tok/s {:.0} s",
                a.steps,
                result.loss,
                (tokens - state.tokens) as f64 / run_start.elapsed().as_secs_f64(),
                elapsed
            );
        }
        if step % a.checkpoint_every == 0 || step == a.steps {
            save(&model.valid(), step, tokens, last_loss, elapsed)?;
        }
    }
    if state.step == a.steps {
        save(&model.valid(), step, tokens, last_loss, base_elapsed)?;
    }
    eprintln!(
        "done: {step} steps, last loss {last_loss:.4}, {tokens} tokens, {:.0} s; model in {}",
        base_elapsed + run_start.elapsed().as_secs_f64(),
        model_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
