//! Word meanings borrowed from a bigger model (`tooltune pretrain
//! --embed-from`): each of our tokens gets the donor's input embedding of
//! the same text, reduced to a few dimensions (principal components), and
//! written into a block of the residual stream the copy circuit leaves free.
//!
//! Why: fine-tuned, the built-in model misses requests whose words it never
//! saw with the tool ("I'm still waiting for …, where is it?", "arrived
//! broken" for `damaged`), and zero-shot it picks among unseen tools at
//! chance (MODEL.md). A donor such as SmolLM2 has "arrive" beside "arrived"
//! and "damaged" beside "harmed"; with those neighbours in the embedding
//! from step 0, pretraining can route by meaning, not by the corpus's words
//! alone. The token's identity (`[0, d/2)`, which the copy circuit reads) is
//! untouched, so copying stays exact.
//!
//! Tried once with SmolLM2 as the donor (docs/model-history.md, "Tried since: word
//! meanings borrowed from SmolLM2"): no better than the shipped base, within
//! the spread of pretraining seeds. The built-in tokenizer keeps many request
//! words only in pieces, which have no meaning to borrow.

use crate::error::{EngineError, Result};
use crate::tokenizer::Tokenizer;
use crate::train::batch::SplitMix64;
use crate::weights::HostTensor;

use super::init::standard_normal;

/// Subspace iterations of the principal-component search.
const ITERATIONS: usize = 60;

/// A token's text as the donor should read it: a word gets the leading
/// space it has in running text (`"damaged"` → `" damaged"`), the form
/// byte-level vocabularies keep whole.
fn donor_text(text: &str) -> String {
    if text.chars().next().is_some_and(char::is_alphabetic) {
        format!(" {text}")
    } else {
        text.to_string()
    }
}

/// `dims`-wide vectors, one per token of `own` (`None` for the special and
/// added tokens `skip`s and for text the donor has no tokens for): the mean
/// of the donor's embedding rows for the token's text, centred, projected on
/// their top `dims` principal components, and scaled so that a row's norm is
/// `norm` on average.
pub fn donor_vectors(
    own: &Tokenizer,
    skip: &[&str],
    donor: &Tokenizer,
    embedding: &HostTensor,
    dims: usize,
    norm: f64,
) -> Result<Vec<Option<Vec<f32>>>> {
    let bad = |message: String| EngineError::Config {
        file: "donor model".into(),
        key: "model.embed_tokens.weight".into(),
        message,
    };
    let [rows, width] = embedding.shape[..] else {
        return Err(bad(format!("shape {:?} is not 2-D", embedding.shape)));
    };
    if dims == 0 || dims > width {
        return Err(bad(format!("cannot take {dims} of {width} dimensions")));
    }
    let skip: Vec<u32> = skip.iter().filter_map(|t| own.token_id(t)).collect();
    let mut means: Vec<Option<Vec<f64>>> = Vec::with_capacity(own.vocab_size());
    for id in 0..own.vocab_size() as u32 {
        if skip.contains(&id) {
            means.push(None);
            continue;
        }
        let text = own.decode(&[id])?;
        let ids = donor.encode(&donor_text(&text))?.ids;
        if ids.is_empty() || ids.iter().any(|&i| i as usize >= rows) {
            means.push(None);
            continue;
        }
        let mut mean = vec![0.0f64; width];
        for &i in &ids {
            let row = &embedding.data[i as usize * width..(i as usize + 1) * width];
            mean.iter_mut().zip(row).for_each(|(m, &x)| *m += x as f64);
        }
        mean.iter_mut().for_each(|m| *m /= ids.len() as f64);
        means.push(Some(mean));
    }
    let present: Vec<&Vec<f64>> = means.iter().flatten().collect();
    if present.len() < dims {
        return Err(bad(format!(
            "only {} tokens have a donor embedding, fewer than {dims}",
            present.len()
        )));
    }
    let centre: Vec<f64> = (0..width)
        .map(|j| present.iter().map(|r| r[j]).sum::<f64>() / present.len() as f64)
        .collect();
    let centred: Vec<Vec<f64>> = present
        .iter()
        .map(|r| r.iter().zip(&centre).map(|(x, c)| x - c).collect())
        .collect();
    let basis = top_components(&centred, dims);
    let project = |r: &[f64]| -> Vec<f64> {
        basis
            .iter()
            .map(|b| b.iter().zip(r).map(|(x, y)| x * y).sum())
            .collect()
    };
    let projected: Vec<Vec<f64>> = centred.iter().map(|r| project(r)).collect();
    let mean_norm = projected
        .iter()
        .map(|p| p.iter().map(|x| x * x).sum::<f64>().sqrt())
        .sum::<f64>()
        / projected.len() as f64;
    let scale = norm / mean_norm.max(1e-12);
    let mut next = projected.into_iter();
    Ok(means
        .iter()
        .map(|m| {
            m.as_ref().map(|_| {
                let p = next.next().expect("one projection per present row");
                p.iter().map(|x| (x * scale) as f32).collect()
            })
        })
        .collect())
}

/// The top `k` principal directions of `rows` (centred), as orthonormal
/// rows: subspace iteration on the covariance from a seeded start.
fn top_components(rows: &[Vec<f64>], k: usize) -> Vec<Vec<f64>> {
    let width = rows[0].len();
    let mut cov = vec![0.0f64; width * width];
    for r in rows {
        for (i, &a) in r.iter().enumerate() {
            let line = &mut cov[i * width..(i + 1) * width];
            line.iter_mut().zip(r).for_each(|(c, &b)| *c += a * b);
        }
    }
    let mut rng = SplitMix64::new(0x5eed);
    let mut q: Vec<Vec<f64>> = (0..k)
        .map(|_| (0..width).map(|_| standard_normal(&mut rng)).collect())
        .collect();
    orthonormalise(&mut q);
    for _ in 0..ITERATIONS {
        let mut z: Vec<Vec<f64>> = q
            .iter()
            .map(|v| {
                (0..width)
                    .map(|i| {
                        cov[i * width..(i + 1) * width]
                            .iter()
                            .zip(v)
                            .map(|(c, x)| c * x)
                            .sum()
                    })
                    .collect()
            })
            .collect();
        orthonormalise(&mut z);
        q = z;
    }
    q
}

/// Gram–Schmidt, in place (a vector that vanishes is left at zero).
fn orthonormalise(vs: &mut [Vec<f64>]) {
    for i in 0..vs.len() {
        for j in 0..i {
            let d: f64 = vs[i].iter().zip(&vs[j]).map(|(a, b)| a * b).sum();
            let (head, tail) = vs.split_at_mut(i);
            tail[0]
                .iter_mut()
                .zip(&head[j])
                .for_each(|(a, b)| *a -= d * b);
        }
        let n = vs[i].iter().map(|a| a * a).sum::<f64>().sqrt();
        if n > 1e-12 {
            vs[i].iter_mut().for_each(|a| *a /= n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_orthonormal_and_find_the_widest_direction() {
        // Points spread along (1, 1, 0) with a little noise elsewhere.
        let mut rng = SplitMix64::new(3);
        let rows: Vec<Vec<f64>> = (0..200)
            .map(|_| {
                let t = standard_normal(&mut rng) * 5.0;
                vec![
                    t + standard_normal(&mut rng) * 0.1,
                    t + standard_normal(&mut rng) * 0.1,
                    standard_normal(&mut rng) * 0.1,
                ]
            })
            .collect();
        let b = top_components(&rows, 2);
        let dot = |a: &[f64], c: &[f64]| a.iter().zip(c).map(|(x, y)| x * y).sum::<f64>();
        assert!((dot(&b[0], &b[0]) - 1.0).abs() < 1e-9);
        assert!(dot(&b[0], &b[1]).abs() < 1e-9);
        let along = dot(&b[0], &[1.0 / 2f64.sqrt(), 1.0 / 2f64.sqrt(), 0.0]).abs();
        assert!(along > 0.999, "first component {:?}", b[0]);
    }

    /// The built-in tokenizer as its own donor, with an embedding in which
    /// `money` and `price` share a row: their vectors come out equal,
    /// others differ, the skipped tokens get none, and `write_donor` puts
    /// them in the free block and leaves the copy circuit's identity alone.
    #[test]
    fn tokens_with_the_same_donor_row_get_the_same_vector() {
        use super::super::{Init, Shape, init_safetensors, write_donor};
        use crate::config::LlamaConfig;
        use crate::weights::SafetensorsWeights;
        let tok = crate::builtin::tokenizer().unwrap();
        let (v, width) = (tok.vocab_size(), 48);
        let mut rng = SplitMix64::new(9);
        let mut data: Vec<f32> = (0..v * width)
            .map(|_| standard_normal(&mut rng) as f32)
            .collect();
        let own = |text: &str| tok.token_id(text).unwrap() as usize;
        // The donor reads " money" as a space and `money` (this tokenizer
        // isolates spaces), so both words share the space's row as well.
        let (a, b) = (own("money"), own("price"));
        let row_a = data[a * width..(a + 1) * width].to_vec();
        data[b * width..(b + 1) * width].copy_from_slice(&row_a);
        let embedding = HostTensor {
            shape: vec![v, width],
            data,
        };
        let skip = ["<|im_end|>", "<tool_call>"];
        let vectors = donor_vectors(&tok, &skip, &tok, &embedding, 16, 8.0).unwrap();
        let (va, vb) = (
            vectors[own("money")].clone().unwrap(),
            vectors[own("price")].clone().unwrap(),
        );
        assert_eq!(va.len(), 16);
        assert_eq!(va, vb);
        assert_ne!(va, vectors[own("order")].clone().unwrap());
        assert!(vectors[own("<|im_end|>")].is_none());
        let mean = vectors
            .iter()
            .flatten()
            .map(|x| x.iter().map(|y| (y * y) as f64).sum::<f64>().sqrt())
            .sum::<f64>()
            / vectors.iter().flatten().count() as f64;
        assert!((mean - 8.0).abs() < 1e-3, "mean norm {mean}");

        let shape = Shape {
            vocab_size: v,
            ..Shape::BUILTIN
        };
        let config = LlamaConfig::from_hf_json(shape.config_json(2, 0).as_bytes()).unwrap();
        let init = init_safetensors(&config, 1, Init::CopyCircuit).unwrap();
        let with = write_donor(&init, &config, Init::CopyCircuit, &vectors).unwrap();
        let emb = |bytes: &[u8]| {
            SafetensorsWeights::from_bytes(bytes)
                .unwrap()
                .get("model.embed_tokens.weight")
                .unwrap()
                .data
        };
        let (before, after) = (emb(&init), emb(&with));
        let d = shape.hidden_size;
        let row = own("money");
        // Free from 128 + 2 · 16 = 160 in the built-in shape.
        assert_eq!(after[row * d + 160..row * d + 176], va[..]);
        assert_eq!(
            after[row * d..row * d + 160],
            before[row * d..row * d + 160]
        );
        assert_eq!(
            after[row * d + 176..(row + 1) * d],
            before[row * d + 176..(row + 1) * d]
        );
        let skipped = own("<|im_end|>");
        assert_eq!(
            after[skipped * d..(skipped + 1) * d],
            before[skipped * d..(skipped + 1) * d]
        );
    }

    #[test]
    fn words_take_the_donor_form_with_a_space() {
        assert_eq!(donor_text("damaged"), " damaged");
        assert_eq!(donor_text("7"), "7");
        assert_eq!(donor_text("-"), "-");
    }
}
