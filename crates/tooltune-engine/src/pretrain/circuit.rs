//! A copy circuit written into the initial weights (`--init copy-circuit`).
//!
//! A tool call copies names and values from its prompt, which takes an
//! induction circuit: at a token, find where the same token (and the one
//! before it) was said earlier, and predict what followed it there. Gradient
//! descent finds that circuit only after a long plateau that two CPU cores
//! don't reach (docs/model-history.md: four recipes tried). So the initial weights hold one,
//! built by hand; pretraining then learns when to use it. Everything else is
//! the ordinary random initialisation.
//!
//! The residual stream is laid out as (`d` = width, `t` = d / 2, `r` =
//! head_dim / 4):
//! - `[0, t)`: the token's identity (the embedding, N(0, 1));
//! - `[t, t + r)`: the previous token, projected (`R`, r × t);
//! - `[t + r, t + 2r)`: the token two back, projected the same way;
//! - `d - 1`: a constant `sqrt(t)` in every embedding, so RMSNorm leaves
//!   the token's norm near 1 per dimension and attention can be told
//!   positions apart without content.
//!
//! Layer 0, heads 0 and 1 attend one and two tokens back: their queries and
//! keys read the constant dimension only, on the three fastest RoPE pairs,
//! phased so that the score peaks at that offset. They write `R ·` the token
//! they see into the "previous" and "two back" blocks.
//!
//! Layer 1, heads 0 and 1 are the induction heads: on the slowest RoPE pairs
//! (nearly position-free with `rope_theta` 1e6) the query is (this token,
//! the previous one) and the key (the previous token, the one two back), so a
//! position scores high where the same two tokens came just before it. Each
//! head copies half of that position's identity (an orthonormal basis split in
//! two) back into `[0, t)`, where the tied output embedding reads it out.
//! The final norm's gain starts at 0.1 to keep the read-out's logits near 10.

use super::init::standard_normal as normal;
use crate::config::LlamaConfig;
use crate::train::batch::SplitMix64;
use crate::weights::HostTensor;

/// Attention logit scale of the positional heads (per RoPE pair).
const POSITION: f64 = 10.0;
/// Query/key gain of the induction heads.
const MATCH: f64 = 2.449_489_742_783_178; // sqrt(6)
/// How strongly the induction heads write the copied token.
const COPY: f64 = 3.0;
/// The final norm's initial gain.
const READ_OUT: f32 = 0.1;
/// Fast RoPE pairs used by the positional heads.
const FAST_PAIRS: usize = 3;

/// Query slots of the induction heads given to each matched token (this one,
/// the previous one, two back), by how many tokens they match. Two tokens
/// split the slow slots evenly; three weigh the nearer tokens more, so a
/// match of all three beats one of two (the tie that makes `29797` loop)
/// and one of two still beats none.
fn match_slots(order: usize, slots: usize) -> Vec<usize> {
    if order == 2 {
        vec![slots / 2, slots - slots / 2]
    } else {
        let (now, prev) = (slots * 7 / 16, slots * 5 / 16);
        vec![now, prev, slots - now - prev]
    }
}

/// Why a shape can't hold the circuit matching `order` (2 or 3) tokens.
pub(crate) fn unsupported(config: &LlamaConfig, order: usize) -> Option<String> {
    let hd = config.head_dim;
    let t = config.hidden_size / 2;
    if config.num_hidden_layers < 2
        || config.num_attention_heads < order
        || config.num_key_value_heads != config.num_attention_heads
    {
        return Some(format!(
            "at least 2 layers and {order} heads, without grouped keys"
        ));
    }
    if !hd.is_multiple_of(8)
        || hd / 2 < 2 * FAST_PAIRS
        || t + (hd / 4) * order >= config.hidden_size - 1
        || t / 2 > hd
    {
        return Some(format!(
            "head_dim {hd} and width {} leave no room for it",
            config.hidden_size
        ));
    }
    None
}

/// Rows of a random orthonormal `n × n` basis (Gram–Schmidt).
pub(super) fn orthonormal(n: usize, rng: &mut SplitMix64) -> Vec<Vec<f64>> {
    let mut rows: Vec<Vec<f64>> = Vec::with_capacity(n);
    while rows.len() < n {
        let mut v: Vec<f64> = (0..n).map(|_| normal(rng)).collect();
        for r in &rows {
            let d: f64 = v.iter().zip(r).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(r).for_each(|(a, b)| *a -= d * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            rows.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    rows
}

pub(super) fn get<'a>(tensors: &'a mut [(String, HostTensor)], name: &str) -> &'a mut HostTensor {
    tensors
        .iter_mut()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t)
        .unwrap_or_else(|| panic!("init has no {name}"))
}

pub(super) fn set(t: &mut HostTensor, row: usize, col: usize, v: f64) {
    let cols = t.shape[1];
    t.data[row * cols + col] = v as f32;
}

pub(super) fn zero_rows(t: &mut HostTensor, rows: std::ops::Range<usize>) {
    let cols = t.shape[1];
    t.data[rows.start * cols..rows.end * cols].fill(0.0);
}

pub(super) fn zero_cols(t: &mut HostTensor, cols: std::ops::Range<usize>) {
    let n = t.shape[1];
    for row in t.data.chunks_mut(n) {
        row[cols.clone()].fill(0.0);
    }
}

/// Writes the circuit matching `order` tokens into freshly initialised
/// `tensors`; the caller checked [`unsupported`].
// Row and column indices address several matrices at once.
#[allow(clippy::needless_range_loop)]
pub(crate) fn write(
    tensors: &mut [(String, HostTensor)],
    config: &LlamaConfig,
    rng: &mut SplitMix64,
    order: usize,
) {
    let (d, hd) = (config.hidden_size, config.head_dim);
    let (t, r, half) = (d / 2, hd / 4, hd / 2);
    let constant = d - 1;
    // `back[k]`: where the token k + 1 back is written.
    let back: Vec<usize> = (0..order).map(|k| t + k * r).collect();
    let c = (t as f64).sqrt();
    let theta = |p: usize| config.rope_theta.powf(-2.0 * p as f64 / hd as f64);
    let proj: Vec<Vec<f64>> = (0..r)
        .map(|_| (0..t).map(|_| normal(rng) / c).collect())
        .collect();
    let basis = orthonormal(t, rng);

    let emb = get(tensors, "model.embed_tokens.weight");
    for row in emb.data.chunks_mut(d) {
        for x in &mut row[..t] {
            *x = normal(rng) as f32;
        }
        row[t..t + order * r].fill(0.0);
        row[constant] = c as f32;
    }

    // Layer 0: head k looks k + 1 tokens back.
    let l0 = "model.layers.0.self_attn";
    for (head, &block) in back.iter().enumerate() {
        let offset = (head + 1) as f64;
        let rows = head * hd..(head + 1) * hd;
        for proj_name in ["q_proj", "k_proj", "v_proj"] {
            zero_rows(
                get(tensors, &format!("{l0}.{proj_name}.weight")),
                rows.clone(),
            );
        }
        for p in 0..FAST_PAIRS {
            let phase = offset * theta(p);
            set(
                get(tensors, &format!("{l0}.q_proj.weight")),
                rows.start + p,
                constant,
                POSITION / c,
            );
            let k = get(tensors, &format!("{l0}.k_proj.weight"));
            set(k, rows.start + p, constant, POSITION * phase.cos() / c);
            set(
                k,
                rows.start + p + half,
                constant,
                POSITION * phase.sin() / c,
            );
        }
        let v = get(tensors, &format!("{l0}.v_proj.weight"));
        for (i, row) in proj.iter().enumerate() {
            for (j, x) in row.iter().enumerate() {
                set(v, rows.start + i, j, *x);
            }
        }
        let o = get(tensors, &format!("{l0}.o_proj.weight"));
        zero_cols(o, rows.clone());
        zero_rows(o, block..block + r);
        for i in 0..r {
            set(o, block + i, rows.start + i, 1.0);
        }
    }

    // Layer 1: heads 0 and 1 match (this, previous[, two back]) against
    // (previous, two back[, three back]) on the slow RoPE pairs, and each
    // copies half the identity.
    let l1 = "model.layers.1.self_attn";
    let slow: Vec<usize> = (half / 2..half).collect(); // pairs, r of them
    let slots_of = |pairs: &[usize]| -> Vec<usize> {
        pairs
            .iter()
            .copied()
            .chain(pairs.iter().map(|p| p + half))
            .collect()
    };
    // The two-token circuit keeps the slot order it shipped with.
    let ordered: Vec<usize> = if order == 2 {
        let (now_pairs, prev_pairs) = slow.split_at(r / 2);
        [slots_of(now_pairs), slots_of(prev_pairs)].concat()
    } else {
        slots_of(&slow)
    };
    let share = t / 2;
    let counts = match_slots(order, ordered.len());
    for head in 0..2 {
        let base = head * hd;
        for proj_name in ["q_proj", "k_proj", "v_proj"] {
            zero_rows(
                get(tensors, &format!("{l1}.{proj_name}.weight")),
                base..base + hd,
            );
        }
        let mut slots = ordered.iter().copied();
        for (k, &n) in counts.iter().enumerate() {
            for i in 0..n {
                let s = slots.next().expect("slots counted");
                let q = get(tensors, &format!("{l1}.q_proj.weight"));
                if k == 0 {
                    for (j, x) in proj[i].iter().enumerate() {
                        set(q, base + s, j, MATCH * x);
                    }
                } else {
                    set(q, base + s, back[k - 1] + i, MATCH);
                }
                set(
                    get(tensors, &format!("{l1}.k_proj.weight")),
                    base + s,
                    back[k] + i,
                    MATCH,
                );
            }
        }
        let v = get(tensors, &format!("{l1}.v_proj.weight"));
        for i in 0..share {
            for j in 0..t {
                set(v, base + i, j, basis[head * share + i][j]);
            }
        }
        let o = get(tensors, &format!("{l1}.o_proj.weight"));
        zero_cols(o, base..base + hd);
        for i in 0..share {
            for j in 0..t {
                set(o, j, base + i, COPY * basis[head * share + i][j]);
            }
        }
    }
    get(tensors, "model.norm.weight").data.fill(READ_OUT);
}

#[cfg(test)]
mod tests {
    use super::super::{Init, Shape, init_safetensors};
    use crate::config::LlamaConfig;
    use crate::weights::SafetensorsWeights;

    /// How many tokens of a repeated random span the freshly initialised
    /// built-in shape predicts by copying (greedy), out of those it could.
    /// The span's tokens are drawn from `alphabet` tokens (the rest from
    /// 4,000), so a small alphabet repeats pairs inside the span, as the
    /// digits of `ORD-29797` do.
    fn copied(init: Init, alphabet: u64) -> (usize, usize) {
        let config =
            LlamaConfig::from_hf_json(Shape::BUILTIN.config_json(2, 0).as_bytes()).unwrap();
        let weights = init_safetensors(&config, 7, init).unwrap();
        let model = crate::LlamaForCausalLM::from_safetensors(
            &config,
            &SafetensorsWeights::from_bytes(&weights).unwrap(),
            &crate::default_device(),
        )
        .unwrap();
        let mut rng = crate::train::batch::SplitMix64::new(11);
        let span_token =
            |rng: &mut crate::train::batch::SplitMix64| 10 + (rng.next_u64() % alphabet) as u32;
        let span: Vec<u32> = (0..24).map(|_| span_token(&mut rng)).collect();
        let mut token = || 10 + (rng.next_u64() % 4000) as u32;
        let mut ids: Vec<u32> = (0..150).map(|_| token()).collect();
        ids.extend(&span);
        ids.extend((0..80).map(|_| token()));
        let second = ids.len();
        ids.extend(&span);
        let logits = model.logits(&ids).unwrap();
        let argmax = |row: &Vec<f32>| {
            (0..row.len()).fold(0, |best, i| if row[i] > row[best] { i } else { best }) as u32
        };
        // From the span's second token on, the two tokens before a
        // position match the first saying.
        let hits = (second + 1..ids.len() - 1)
            .filter(|&p| argmax(&logits[p]) == ids[p + 1])
            .count();
        (hits, ids.len() - 2 - second)
    }

    #[test]
    fn the_circuit_copies_a_repeated_span_before_any_training() {
        for init in [Init::CopyCircuit, Init::CopyCircuit3] {
            let (hits, of) = copied(init, 4000);
            assert!(hits * 10 >= of * 9, "{init:?} copied {hits} of {of}");
        }
        let (random_hits, _) = copied(Init::Random, 4000);
        assert!(random_hits <= 1, "random init copied {random_hits}");
    }

    #[test]
    fn three_tokens_of_context_copy_a_span_whose_pairs_repeat() {
        for alphabet in [4, 10] {
            let (two, of) = copied(Init::CopyCircuit, alphabet);
            let (three, _) = copied(Init::CopyCircuit3, alphabet);
            eprintln!("alphabet {alphabet}: two-token circuit {two} of {of}, three-token {three}");
            assert!(three > two, "three-token {three}, two-token {two} of {of}");
        }
    }

    #[test]
    fn a_shape_without_room_is_refused() {
        let mut config =
            LlamaConfig::from_hf_json(Shape::TEST.config_json(2, 0).as_bytes()).unwrap();
        assert!(super::unsupported(&config, 2).is_none());
        config.num_hidden_layers = 1;
        let err = init_safetensors(&config, 1, Init::CopyCircuit).unwrap_err();
        assert!(err.to_string().contains("2 layers"), "{err}");
    }
}
