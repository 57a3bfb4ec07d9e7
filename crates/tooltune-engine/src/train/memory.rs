//! A bound on a step's activation memory.
//!
//! The autodiff graph keeps every layer's activations until the backward
//! pass, and causal attention keeps a score per query and key: a shard of
//! rows that share no prefix (a dataset whose rows carry different
//! catalogues) grows with rows × length²: a full fine-tune of SmolLM2-135M
//! on batches of 16 such rows (up to 1,040 tokens) was killed for memory
//! on a machine with 23 GiB. [`pieces`] says into how
//! many row groups a shard is cut so that each stays under a budget; the
//! step runs them one after another and sums their gradients, which gives
//! the uncut step's loss and gradients (each piece's loss is weighted by its
//! share of the step's trained tokens, and LoRA dropout is seeded per row).
//!
//! The estimate counts the tensors a Llama block saves, in f32, and two
//! copies of the attention scores, then scales by [`MEASURED`]: on
//! SmolLM2-135M (rows of 371–574 tokens with no shared prefix, 2 threads,
//! AMD EPYC Zen 4) the resident memory grew by about 1.2–1.6× the bare count.

use super::batch::Batch;
use crate::config::LlamaConfig;

/// Fraction of a full `len × len` score matrix that the training attention
/// computes: four causal blocks score 1 + 2 + 3 + 4 sixteenths of it.
const CAUSAL_SHARE: f64 = 10.0 / 16.0;

/// Measured memory over the bare count of saved floats (allocator slack,
/// temporaries alive at the peak), rounded up.
const MEASURED: f64 = 1.6;

/// Estimated bytes of the activations the backward pass keeps for `batch`
/// on a model of shape `config`.
pub fn activation_bytes(batch: &Batch, config: &LlamaConfig) -> u64 {
    let heads = config.num_attention_heads as f64;
    let (rows, len, prefix) = (batch.rows as f64, batch.len as f64, batch.prefix as f64);
    // Tokens through the linear layers, and query-key scores per head.
    let (tokens, scores) = if batch.prefix > 0 {
        let rest = len - prefix;
        (
            prefix + rows * rest,
            CAUSAL_SHARE * prefix * prefix + rows * rest * (prefix + CAUSAL_SHARE * rest),
        )
    } else {
        (rows * len, rows * CAUSAL_SHARE * len * len)
    };
    // Per token and layer: the norms, q/k/v (rotated too), the attention
    // output and its projection, the residuals (about ten widths), and the
    // MLP's gate, up, activation and product (four MLP widths).
    let per_token = 10.0 * config.hidden_size as f64 + 4.0 * config.intermediate_size as f64;
    let floats = config.num_hidden_layers as f64 * (tokens * per_token + 2.0 * heads * scores)
        // The head's logits and their gradient, trained positions only.
        + 2.0 * batch.trained_tokens() as f64 * config.vocab_size as f64;
    (MEASURED * 4.0 * floats) as u64
}

/// Row groups `batch` is cut into so that each one's estimated activations
/// fit in `budget` bytes: 1 when it fits, at most one per row (a single row
/// over the budget runs whole).
pub fn pieces(batch: &Batch, config: &LlamaConfig, budget: u64) -> usize {
    let need = activation_bytes(batch, config);
    if need <= budget || batch.rows <= 1 {
        return 1;
    }
    // Rows cost about the same; the shared prefix is recomputed per piece,
    // so check each candidate's largest piece rather than dividing.
    (2..=batch.rows)
        .find(|&n| {
            batch
                .split_rows(n)
                .iter()
                .all(|p| activation_bytes(p, config) <= budget)
        })
        .unwrap_or(batch.rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::MaskedExample;

    fn config() -> LlamaConfig {
        let json = crate::pretrain::Shape::BUILTIN.config_json(2, 0);
        LlamaConfig::from_hf_json(json.as_bytes()).expect("the built-in shape")
    }

    /// A row of `ids` whose last three tokens are trained.
    fn example(ids: &[u32]) -> MaskedExample {
        let n = ids.len();
        MaskedExample {
            at: "row:1".into(),
            text: String::new(),
            ids: ids.to_vec(),
            offsets: vec![(0, 0); n],
            trained: (0..n).map(|i| i + 3 >= n).collect(),
        }
    }

    #[test]
    fn longer_rows_cost_more_than_linearly_and_a_shared_prefix_costs_less() {
        let short: Vec<u32> = (1..=100).collect();
        let long: Vec<u32> = (1..=400).collect();
        let c = config();
        let one = |ids: &[u32]| activation_bytes(&Batch::new(&[&example(ids)], 0), &c);
        assert!(
            one(&long) > 4 * one(&short),
            "{} vs {}",
            one(&long),
            one(&short)
        );

        // Eight rows opening with the same 300 tokens.
        let rows: Vec<MaskedExample> = (0..8u32)
            .map(|r| {
                let mut ids: Vec<u32> = (1..=300).collect();
                ids.extend([1000 + r, 2000 + r, 3000 + r, 4000 + r]);
                example(&ids)
            })
            .collect();
        let batch = Batch::new(&rows.iter().collect::<Vec<_>>(), 0);
        assert!(batch.prefix >= 300);
        let shared = activation_bytes(&batch, &c);
        let unshared = activation_bytes(&batch.clone().unshared(), &c);
        assert!(shared * 4 < unshared, "{shared} vs {unshared}");
    }

    /// Rows of `len` tokens whose first `shared` are alike.
    fn rows(n: u32, shared: u32, len: u32) -> Vec<MaskedExample> {
        (0..n)
            .map(|r| {
                let own = (shared..len).map(|t| 10_000 * (r + 1) + t);
                example(&(0..shared).chain(own).collect::<Vec<_>>())
            })
            .collect()
    }

    fn gib(rows: &[MaskedExample], config: &LlamaConfig) -> f64 {
        let batch = Batch::new(&rows.iter().collect::<Vec<_>>(), 0);
        activation_bytes(&batch, config) as f64 / (1u64 << 30) as f64
    }

    /// The figures the page's budget is documented with
    /// (`web/worker/src/train.rs`), and a SmolLM2 batch that no 23 GiB
    /// machine holds.
    #[test]
    fn estimates_of_the_documented_batches() {
        let builtin = config();
        // Batches of 8 of the built-in example rows (at most 289 tokens),
        // with no shared prefix at all.
        let b = gib(&rows(8, 0, 289), &builtin);
        assert!((0.35..0.45).contains(&b), "{b}");
        let smollm2 = LlamaConfig::from_hf_json(
            br#"{"vocab_size":49152,"hidden_size":576,"intermediate_size":1536,
            "num_hidden_layers":30,"num_attention_heads":9,"num_key_value_heads":3,
            "max_position_embeddings":8192}"#,
        )
        .expect("SmolLM2's shape");
        // Eight vet rows: a 520-token prefix, then about 50 tokens each.
        let vet = gib(&rows(8, 520, 570), &smollm2);
        assert!((3.0..3.4).contains(&vet), "{vet}");
        // Sixteen rows of 1,000 tokens with catalogues of their own.
        let mixed = gib(&rows(16, 0, 1000), &smollm2);
        assert!(mixed > 23.0, "{mixed}");
    }

    #[test]
    fn pieces_fit_the_budget() {
        let c = config();
        let rows: Vec<MaskedExample> = (0..6u32)
            .map(|r| example(&(r * 500..r * 500 + 300).collect::<Vec<_>>()))
            .collect();
        let batch = Batch::new(&rows.iter().collect::<Vec<_>>(), 0);
        let whole = activation_bytes(&batch, &c);
        assert_eq!(pieces(&batch, &c, whole), 1);
        assert_eq!(pieces(&batch, &c, whole / 2), 2);
        assert_eq!(pieces(&batch, &c, whole / 3), 3);
        // Not even one row fits: one piece per row.
        assert_eq!(pieces(&batch, &c, 1), 6);
        for p in batch.split_rows(pieces(&batch, &c, whole / 4)) {
            assert!(activation_bytes(&p, &c) <= whole / 4);
        }
    }
}
