//! A routing circuit written into the initial weights beside the copy
//! circuit (`--init copy-route`, an experiment).
//!
//! The bare base names the tools it memorised with their domains and reads
//! an unseen catalogue hardly better than chance (MODEL.md, the reading
//! probes). Reading takes three steps that gradient descent has not found on
//! two cores, so, as with the copy circuit, the initial weights hold them:
//! 1. **Line name** (layer 1, head 2): every catalogue token learns its
//!    line's tool name. The head attends to the most recent *marker*, with a
//!    recency term on a medium RoPE pair: a name's first token (a space one
//!    back, `-` two back: the template's `\n- name(`), `<|im_start|>`, or
//!    `<|im_end|>`, which no catalogue token follows and so outweighs the
//!    rest. It writes a projection `U ·` of that token into the name block
//!    `N`, and whether it was a turn marker into the `outside` flag.
//! 2. **Match** (layer 2, head 0): a token outside the catalogue attends to
//!    the catalogue tokens that are the same token (a raw identity block `K`
//!    that only the embedding writes, so the copy circuit's writes don't blur
//!    it), never to other tokens outside it (a gate on `outside`), else to a
//!    turn marker (a sink), and adds their line's name, less the markers'
//!    directions, to its own `N`: "refund" in the request votes for
//!    `request_refund`.
//! 3. **Vote** (layer 3, head 0): where a call names its tool (`"` after
//!    `name": `, found from flags the layer-0 heads carry one, two and three
//!    tokens along), attend evenly to the tokens outside the catalogue and
//!    read their votes back through `U` into the identity block, where the
//!    tied output embedding turns them into the name's first token; anywhere
//!    else attend to a turn marker, whose vote is empty.
//!
//! The flags (`<|im_start|>`, `<|im_end|>`, space, `-`, `name`, `":`, `"`)
//! are dimensions of the embedding, exact where a projection would be noisy.
//! Residual layout after the copy circuit's (`t` = d / 2, `r` = head_dim /
//! 4; identity `[0, t)`, previous `[t, t + r)`, two back `[t + r, t + 2r)`,
//! constant `d - 1`): `N` (48 dimensions) from `t + 2r`, then `K`
//! (head_dim / 2 - 4), the flags, the carried flags and `outside`. Nothing
//! else writes into these blocks at first; pretraining then trains it all.

use super::circuit::{get, orthonormal, set, zero_cols, zero_rows};
use crate::config::LlamaConfig;
use crate::error::{EngineError, Result};
use crate::tokenizer::Tokenizer;
use crate::train::batch::SplitMix64;
use crate::weights::HostTensor;

/// The tokens the circuit recognises, by id in the model's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteTokens {
    /// `<|im_start|>`: a turn begins (outside the catalogue).
    pub im_start: u32,
    /// `<|im_end|>`: a turn ends (after it, outside the catalogue).
    pub im_end: u32,
    /// A newline, which ends every catalogue line and names none.
    pub newline: u32,
    /// A space (spaces are tokens of their own).
    pub space: u32,
    /// `-`, which begins a catalogue line.
    pub dash: u32,
    /// `name`, the first of `name` `":` space `"`: the tokens before a
    /// call's tool name.
    pub name: u32,
    /// `":`.
    pub colon: u32,
    /// `"`.
    pub quote: u32,
}

impl RouteTokens {
    /// The ids in `tokenizer` (one the template writes).
    pub fn from_tokenizer(tokenizer: &Tokenizer) -> Result<Self> {
        let id = |t: &str| {
            tokenizer.token_id(t).ok_or_else(|| EngineError::Config {
                file: "tokenizer.json".into(),
                key: "model.vocab".into(),
                message: format!("the routing circuit needs a token {t:?}"),
            })
        };
        Ok(Self {
            im_start: id("<|im_start|>")?,
            im_end: id("<|im_end|>")?,
            newline: id("Ċ")?,
            space: id("Ġ")?,
            dash: id("-")?,
            name: id("name")?,
            colon: id("\":")?,
            quote: id("\"")?,
        })
    }
}

/// Dimensions of the name block.
const NAME_DIMS: usize = 48;
/// Flags of the current token, in the embedding: `<|im_start|>`,
/// `<|im_end|>`, space, `-`, `name`, `":`, `"`, newline.
const FLAGS: usize = 8;
const IM: usize = 0;
const END: usize = 1;
const SPACE: usize = 2;
const DASH: usize = 3;
const NAME: usize = 4;
const COLON: usize = 5;
const QUOTE: usize = 6;
const NEWLINE: usize = 7;
/// A flag's value in the embedding.
const FLAG: f64 = 4.0;
/// Attention-logit targets (after the 1/sqrt(head_dim) scale).
const RECENCY: f64 = 40.0;
const MARKER: f64 = 50.0;
const MATCH: f64 = 12.0;
const GATE: f64 = 15.0;
const SINK: f64 = 8.0;
/// How strongly the vote is written into the identity block.
const VOTE: f64 = 60.0;
/// The RoPE pair of the line-name head's recency term and its phase:
/// `RECENCY cos(w d + pi/4)` falls from d = 0 to d = 177 tokens (theta
/// 1e6, head_dim 64), by ~0.4 a token at first.
const RECENCY_PAIR: usize = 10;
/// Typical RMS of the residual at the input of layers 0 to 3 of the
/// built-in shape (the copy circuit's writes grow it), which the queries
/// and keys make up for.
const RMS: [f64; 4] = [1.05, 1.1, 1.9, 1.9];
/// How much of a flag the layer-0 positional heads carry (they attend ~85 %
/// to their offset), made up for.
const CARRY: f64 = 1.17;

/// Why a shape can't hold the routing circuit beside the two-token copy
/// circuit.
pub(crate) fn unsupported(config: &LlamaConfig) -> Option<String> {
    let (d, hd) = (config.hidden_size, config.head_dim);
    if config.num_hidden_layers < 4 || config.num_attention_heads < 3 {
        return Some("at least 4 layers and 3 heads".into());
    }
    if hd != 64 || end(config) >= d - 1 {
        return Some(format!("head_dim 64 and room for its blocks in width {d}"));
    }
    None
}

/// The first residual dimension after the circuit's blocks.
pub(crate) fn end(config: &LlamaConfig) -> usize {
    Layout::of(config).voted + 1
}

/// Where the circuit's blocks lie in the residual stream.
struct Layout {
    d: usize,
    hd: usize,
    t: usize,
    half: usize,
    constant: usize,
    names: usize,
    raw: usize,
    raw_dims: usize,
    flags: usize,
    /// The previous token's space flag, the two-back token's `-` and `":`
    /// flags, the three-back token's `name` flag.
    prev_space: usize,
    two_dash: usize,
    two_colon: usize,
    three_name: usize,
    /// 1 where the line-name head found `<|im_start|>`: outside the catalogue.
    outside: usize,
    /// How much of the match head's attention went to catalogue tokens.
    voted: usize,
}

impl Layout {
    fn of(config: &LlamaConfig) -> Self {
        let (d, hd) = (config.hidden_size, config.head_dim);
        let (t, r) = (d / 2, hd / 4);
        let names = t + 2 * r;
        let raw = names + NAME_DIMS;
        let raw_dims = hd / 2 - 4;
        let flags = raw + raw_dims;
        let prev_space = flags + FLAGS;
        Self {
            d,
            hd,
            t,
            half: hd / 2,
            constant: d - 1,
            names,
            raw,
            raw_dims,
            flags,
            prev_space,
            two_dash: prev_space + 1,
            two_colon: prev_space + 2,
            three_name: prev_space + 3,
            outside: prev_space + 4,
            voted: prev_space + 5,
        }
    }

    /// Query/key slots of the slow RoPE pairs (near position-free), the
    /// slowest first.
    fn slow_slots(&self) -> Vec<usize> {
        (self.half / 2..self.half)
            .rev()
            .flat_map(|p| [p, p + self.half])
            .collect()
    }
}

/// Writes the routing circuit into `tensors`, which already hold the
/// two-token copy circuit (its layer-0 heads 0 and 1 look one and two tokens
/// back, and carry the flags along); the caller checked [`unsupported`].
#[allow(clippy::needless_range_loop)]
pub(crate) fn write(
    tensors: &mut [(String, HostTensor)],
    config: &LlamaConfig,
    rng: &mut SplitMix64,
    tokens: RouteTokens,
) {
    let l = Layout::of(config);
    let c = (l.t as f64).sqrt();
    let scale = (l.hd as f64).sqrt();
    let r = l.hd / 4;
    let basis = orthonormal(l.t, rng);
    let u: &[Vec<f64>] = &basis[..NAME_DIMS];
    let p: &[Vec<f64>] = &basis[NAME_DIMS..NAME_DIMS + l.raw_dims];

    // Nothing but the circuit writes into its blocks at first.
    for layer in 0..config.num_hidden_layers {
        for name in ["self_attn.o_proj", "mlp.down_proj"] {
            let t = get(tensors, &format!("model.layers.{layer}.{name}.weight"));
            zero_rows(t, l.names..end(config));
        }
    }
    // The embedding: the raw identity `P e` and the flags.
    let emb = get(tensors, "model.embed_tokens.weight");
    for row in emb.data.chunks_mut(l.d) {
        let e: Vec<f64> = row[..l.t].iter().map(|&x| x as f64).collect();
        row[l.names..end(config)].fill(0.0);
        for (k, pk) in p.iter().enumerate() {
            row[l.raw + k] = dot(pk, &e) as f32;
        }
    }
    let flagged = [
        (IM, tokens.im_start),
        (END, tokens.im_end),
        (SPACE, tokens.space),
        (DASH, tokens.dash),
        (NAME, tokens.name),
        (COLON, tokens.colon),
        (QUOTE, tokens.quote),
        (NEWLINE, tokens.newline),
    ];
    for (flag, tok) in flagged {
        emb.data[tok as usize * l.d + l.flags + flag] = FLAG as f32;
    }
    // `u0`, `u1`: the directions `U · <|im_start|>` and `U · <|im_end|>`
    // span, which name no tool.
    let u_of = |tok: u32| -> Vec<f64> {
        let e: Vec<f64> = emb.data[tok as usize * l.d..][..l.t]
            .iter()
            .map(|&x| x as f64)
            .collect();
        u.iter().map(|row| dot(row, &e)).collect()
    };
    let unit = |v: Vec<f64>| {
        let n = dot(&v, &v).sqrt();
        v.into_iter().map(|x| x / n).collect::<Vec<f64>>()
    };
    let u0 = unit(u_of(tokens.im_start));
    let u_end = u_of(tokens.im_end);
    let along = dot(&u_end, &u0);
    let u1 = unit(u_end.iter().zip(&u0).map(|(a, b)| a - along * b).collect());

    // Layer 0: heads 0 and 1 (the copy circuit's, one and two back) also
    // carry flags; head 2 looks three back for `name`.
    {
        let a = "model.layers.0.self_attn";
        let (v, o) = (format!("{a}.v_proj.weight"), format!("{a}.o_proj.weight"));
        let carry = |tensors: &mut [(String, HostTensor)],
                     head: usize,
                     slot: usize,
                     flag: usize,
                     to: usize| {
            set(
                get(tensors, &v),
                head * l.hd + r + slot,
                l.flags + flag,
                1.0 / FLAG,
            );
            set(get(tensors, &o), to, head * l.hd + r + slot, RMS[0] * CARRY);
        };
        carry(tensors, 0, 0, SPACE, l.prev_space);
        carry(tensors, 1, 0, DASH, l.two_dash);
        carry(tensors, 1, 1, COLON, l.two_colon);
        let rows = 2 * l.hd..3 * l.hd;
        clear_head(tensors, a, rows.clone());
        let theta = |pair: usize| config.rope_theta.powf(-2.0 * pair as f64 / l.hd as f64);
        for pair in 0..3 {
            let phase = 3.0 * theta(pair);
            set(
                get(tensors, &format!("{a}.q_proj.weight")),
                rows.start + pair,
                l.constant,
                10.0 / c,
            );
            let k = get(tensors, &format!("{a}.k_proj.weight"));
            set(k, rows.start + pair, l.constant, 10.0 * phase.cos() / c);
            set(
                k,
                rows.start + pair + l.half,
                l.constant,
                10.0 * phase.sin() / c,
            );
        }
        zero_cols(get(tensors, &o), rows.clone());
        carry(tensors, 2, 0, NAME, l.three_name);
    }

    let slow = l.slow_slots();
    let gain = |layer: usize, target: f64| (target * scale).sqrt() * RMS[layer];
    // Layer 1, head 2: the line's name.
    {
        let a = "model.layers.1.self_attn";
        let rows = 2 * l.hd..3 * l.hd;
        clear_head(tensors, a, rows.clone());
        let (q, k) = (format!("{a}.q_proj.weight"), format!("{a}.k_proj.weight"));
        let g = gain(1, RECENCY);
        let phase = -std::f64::consts::FRAC_PI_4;
        set(
            get(tensors, &q),
            rows.start + RECENCY_PAIR,
            l.constant,
            g / c,
        );
        let kt = get(tensors, &k);
        set(
            kt,
            rows.start + RECENCY_PAIR,
            l.constant,
            g * phase.cos() / c,
        );
        set(
            kt,
            rows.start + RECENCY_PAIR + l.half,
            l.constant,
            g * phase.sin() / c,
        );
        // A name's first token (a space one back, `-` two back): MARKER
        // for each of the two. `<|im_start|>` a little less, so the first
        // line's name wins over the system turn's start; `<|im_end|>`, which
        // no catalogue token follows, far more.
        let g = gain(1, MARKER);
        set(get(tensors, &q), rows.start + slow[0], l.constant, g / c);
        let kt = get(tensors, &k);
        set(kt, rows.start + slow[0], l.prev_space, g);
        set(kt, rows.start + slow[0], l.two_dash, g);
        set(kt, rows.start + slow[0], l.flags + IM, 1.6 * g / FLAG);
        set(kt, rows.start + slow[0], l.flags + END, 3.0 * g / FLAG);
        let v = get(tensors, &format!("{a}.v_proj.weight"));
        for (i, row) in u.iter().enumerate() {
            for (j, x) in row.iter().enumerate() {
                set(v, rows.start + i, j, *x);
            }
        }
        set(v, rows.start + NAME_DIMS, l.flags + IM, 1.0 / FLAG);
        set(v, rows.start + NAME_DIMS, l.flags + END, 1.0 / FLAG);
        let o = get(tensors, &format!("{a}.o_proj.weight"));
        zero_cols(o, rows.clone());
        for i in 0..NAME_DIMS {
            set(o, l.names + i, rows.start + i, 1.0);
        }
        set(o, l.outside, rows.start + NAME_DIMS, RMS[1]);
    }

    // The vote's value: a position's name block less `u0` and `u1`.
    let off_u0 = |i: usize, j: usize| f64::from(u8::from(i == j)) - u0[i] * u0[j] - u1[i] * u1[j];

    // Layer 2, head 0: tokens outside the catalogue fetch the names of the
    // catalogue lines that hold the same token.
    {
        let a = "model.layers.2.self_attn";
        let rows = 0..l.hd;
        clear_head(tensors, a, rows.clone());
        let (q, k) = (format!("{a}.q_proj.weight"), format!("{a}.k_proj.weight"));
        let m = gain(2, MATCH / l.raw_dims as f64);
        for i in 0..l.raw_dims {
            let slot = slow[2 + i];
            set(get(tensors, &q), rows.start + slot, l.raw + i, m);
            set(get(tensors, &k), rows.start + slot, l.raw + i, m);
        }
        // Gate: keys outside the catalogue score -GATE.
        let g = gain(2, GATE);
        set(get(tensors, &q), rows.start + slow[0], l.constant, -g / c);
        set(get(tensors, &k), rows.start + slow[0], l.outside, g);
        // Sink: `<|im_start|>` and `<|im_end|>`, past their gate.
        let g = gain(2, GATE + SINK);
        set(get(tensors, &q), rows.start + slow[1], l.constant, g / c);
        // Its keys are the turn markers; spaces and newlines, which every
        // line holds and so name no line, always query it.
        for (proj, flags) in [(&k, [IM, END]), (&q, [SPACE, NEWLINE])] {
            for flag in flags {
                set(
                    get(tensors, proj),
                    rows.start + slow[1],
                    l.flags + flag,
                    g / FLAG,
                );
            }
        }
        let v = get(tensors, &format!("{a}.v_proj.weight"));
        for i in 0..NAME_DIMS {
            for j in 0..NAME_DIMS {
                set(v, rows.start + i, l.names + j, off_u0(i, j));
            }
        }
        // And whether it voted: 1 from a catalogue token, 0 from a sink.
        set(v, rows.start + NAME_DIMS, l.constant, 1.0 / c);
        set(v, rows.start + NAME_DIMS, l.flags + IM, -1.0 / FLAG);
        set(v, rows.start + NAME_DIMS, l.flags + END, -1.0 / FLAG);
        let o = get(tensors, &format!("{a}.o_proj.weight"));
        zero_cols(o, rows.clone());
        for i in 0..NAME_DIMS {
            set(o, l.names + i, rows.start + i, RMS[2]);
        }
        set(o, l.voted, rows.start + NAME_DIMS, RMS[2]);
    }

    // Layer 3, head 0: at `{"name": "`, gather the votes.
    {
        let a = "model.layers.3.self_attn";
        let rows = 0..l.hd;
        clear_head(tensors, a, rows.clone());
        let (q, k) = (format!("{a}.q_proj.weight"), format!("{a}.k_proj.weight"));
        let rms = RMS[3];
        // Where the name starts: 1 there, 0 with one of four wrong, <= -1
        // elsewhere.
        let at_name = |q: &mut HostTensor, slot: usize| {
            set(q, slot, l.flags + QUOTE, rms / FLAG);
            set(q, slot, l.prev_space, rms);
            set(q, slot, l.two_colon, rms);
            set(q, slot, l.three_name, rms);
            set(q, slot, l.constant, -3.0 * rms / c);
        };
        // There, tokens outside the catalogue score 15, and those that
        // voted 7.5 more; those that did not, 7.5 less.
        at_name(get(tensors, &q), rows.start + slow[0]);
        set(
            get(tensors, &k),
            rows.start + slow[0],
            l.outside,
            15.0 * scale * rms,
        );
        at_name(get(tensors, &q), rows.start + slow[3]);
        let kt = get(tensors, &k);
        set(kt, rows.start + slow[3], l.voted, 15.0 * scale * rms);
        set(kt, rows.start + slow[3], l.constant, -7.5 * scale * rms / c);
        // Everywhere, `<|im_start|>` scores 10, and at the name 20 less.
        set(get(tensors, &q), rows.start + slow[1], l.constant, rms / c);
        at_name(get(tensors, &q), rows.start + slow[2]);
        let kt = get(tensors, &k);
        for flag in [IM, END] {
            set(
                kt,
                rows.start + slow[1],
                l.flags + flag,
                10.0 * scale * rms / FLAG,
            );
            set(
                kt,
                rows.start + slow[2],
                l.flags + flag,
                -20.0 * scale * rms / FLAG,
            );
        }
        let v = get(tensors, &format!("{a}.v_proj.weight"));
        for i in 0..NAME_DIMS {
            for j in 0..NAME_DIMS {
                set(v, rows.start + i, l.names + j, off_u0(i, j));
            }
        }
        let o = get(tensors, &format!("{a}.o_proj.weight"));
        zero_cols(o, rows.clone());
        // Back into identity space through `U`.
        for (i, row) in u.iter().enumerate() {
            for (j, x) in row.iter().enumerate() {
                set(o, j, rows.start + i, VOTE * x);
            }
        }
    }
}

fn clear_head(tensors: &mut [(String, HostTensor)], attn: &str, rows: std::ops::Range<usize>) {
    for name in ["q_proj", "k_proj", "v_proj"] {
        zero_rows(get(tensors, &format!("{attn}.{name}.weight")), rows.clone());
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::super::{Init, init_safetensors};
    use super::RouteTokens;
    use crate::{LlamaForCausalLM, builtin};
    use serde_json::json;

    const TOOLS: [(&str, &str, &str); 4] = [
        (
            "brew_potion",
            "Brew a potion from herbs.",
            "Could you brew me a potion with these herbs?",
        ),
        (
            "launch_rocket",
            "Launch a rocket into orbit.",
            "Please launch the rocket now.",
        ),
        (
            "paint_fence",
            "Paint the garden fence.",
            "My garden fence needs paint.",
        ),
        (
            "tune_piano",
            "Tune a piano before a concert.",
            "The piano sounds off before tonight's concert.",
        ),
    ];

    /// For each tool's request, whether the freshly initialised weights give
    /// that tool's first name token the highest logit among the four where
    /// the call names its tool.
    fn routed(init: &str) -> Vec<bool> {
        let tokenizer = builtin::tokenizer().unwrap();
        let template = builtin::template().unwrap();
        let config = crate::LlamaConfig::from_hf_json(builtin::CONFIG_JSON).unwrap();
        let init = Init::parse(init, &tokenizer).unwrap().unwrap();
        let weights = init_safetensors(&config, 0, init).unwrap();
        let device = crate::default_device();
        let model =
            LlamaForCausalLM::from_hf_bytes(builtin::CONFIG_JSON, &weights, &device).unwrap();
        let tools: Vec<_> = TOOLS
            .iter()
            .map(|(name, description, _)| {
                json!({"type": "function", "function": {"name": name, "description": description,
                    "parameters": {"type": "object", "properties": {}}}})
            })
            .collect();
        let firsts: Vec<u32> = TOOLS
            .iter()
            .map(|(name, _, _)| tokenizer.encode(name).unwrap().ids[0])
            .collect();
        TOOLS
            .iter()
            .enumerate()
            .map(|(gold, (_, _, request))| {
                let messages = [json!({"role": "user", "content": request})];
                let prompt = template
                    .render(&messages, Some(&json!(tools)), true)
                    .unwrap()
                    + "<tool_call>\n{\"name\": \"";
                let ids = tokenizer.encode(&prompt).unwrap().ids;
                let logits = model.logits(&ids).unwrap();
                let last = logits.last().unwrap();
                let best = (0..firsts.len())
                    .max_by(|&a, &b| last[firsts[a] as usize].total_cmp(&last[firsts[b] as usize]))
                    .unwrap();
                best == gold
            })
            .collect()
    }

    #[test]
    fn the_route_circuit_names_the_tool_whose_words_the_request_repeats_before_training() {
        let right = |init: &str| routed(init).into_iter().filter(|&r| r).count();
        let (with, without) = (right("copy-route"), right("copy-circuit"));
        assert!(with >= 3, "copy-route routed {with} of 4");
        assert!(
            with > without,
            "copy-route {with}, the copy circuit alone {without}"
        );
    }

    #[test]
    fn the_route_tokens_are_in_the_builtin_vocabulary() {
        let tokens = RouteTokens::from_tokenizer(&builtin::tokenizer().unwrap()).unwrap();
        assert_ne!(tokens.space, tokens.dash);
    }
}
