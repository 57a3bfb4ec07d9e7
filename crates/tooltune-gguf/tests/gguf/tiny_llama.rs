//! The tiny Llama written the way convert_hf_to_gguf.py writes one (q/k rows
//! permuted): config.json values, Hugging Face names and shapes, q/k equal to
//! the original weights bit for bit, every other tensor equal to gguf-py's
//! dequantisation (compared by f64 sums, 1e-9 relative).

use tooltune_gguf::{Gguf, GgufError, llama};

use crate::common::{assert_close, f32s, json, read};

fn model() -> Vec<u8> {
    read("tiny-llama/model.gguf")
}

#[test]
fn config_json_has_the_llama_values() {
    let bytes = model();
    let g = Gguf::parse(&bytes).unwrap();
    let got = llama::llama_config(&g).unwrap();
    let want = json("tiny-llama/expected.json")["config"].clone();
    for (key, value) in want.as_object().unwrap() {
        assert_eq!(&got[key], value, "config.json `{key}`");
    }
    assert_eq!(
        got["architectures"],
        serde_json::json!(["LlamaForCausalLM"])
    );
    assert_eq!(got["model_type"], "llama");
}

#[test]
fn tensors_map_to_hf_names_shapes_and_values() {
    let bytes = model();
    let g = Gguf::parse(&bytes).unwrap();
    let expected = json("tiny-llama/expected.json");
    let originals = f32s(&read("tiny-llama/hf.f32"));
    let want = expected["tensors"].as_array().unwrap();
    let got: Vec<_> = llama::hf_tensors(&g)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got.len(), want.len());
    let names = llama::hf_names(&g).unwrap();
    let mut permuted = 0;
    for (w, (t, (gguf_name, hf_name))) in want.iter().zip(got.iter().zip(&names)) {
        let hf = w["hf"].as_str().unwrap();
        assert_eq!(t.name, hf);
        assert_eq!(
            (gguf_name.as_str(), hf_name.as_str()),
            (w["gguf"].as_str().unwrap(), hf)
        );
        assert_eq!(serde_json::json!(t.shape), w["shape"], "{hf}");
        assert_eq!(t.data.len(), t.shape.iter().product::<usize>());
        if let Some(offset) = w["offset"].as_u64() {
            // q_proj / k_proj: the original Hugging Face rows, exactly.
            let offset = offset as usize;
            assert_close(hf, &t.data, &originals[offset..offset + t.data.len()], 0.0);
            assert_ne!(
                t.data,
                g.dequantize(gguf_name).unwrap(),
                "{hf} is permuted in the file"
            );
            permuted += 1;
        } else {
            assert_eq!(
                t.data,
                g.dequantize(gguf_name).unwrap(),
                "{hf} is not reordered"
            );
        }
        let sum: f64 = t.data.iter().map(|&v| f64::from(v)).sum();
        let sum_abs: f64 = t.data.iter().map(|&v| f64::from(v).abs()).sum();
        let (want_sum, want_abs) = (w["sum"].as_f64().unwrap(), w["sum_abs"].as_f64().unwrap());
        assert!(
            (sum_abs - want_abs).abs() <= 1e-9 * want_abs,
            "{hf}: sum |x| {sum_abs} vs {want_abs}"
        );
        assert!(
            (sum - want_sum).abs() <= 1e-9 * want_abs,
            "{hf}: sum {sum} vs {want_sum}"
        );
    }
    assert_eq!(permuted, 4, "q and k of both layers");
    let one = llama::hf_tensor(&g, "blk.1.attn_k.weight").unwrap();
    assert_eq!(one.name, "model.layers.1.self_attn.k_proj.weight");
    assert_eq!(one.shape, [32, 64]);
}

#[test]
fn other_architectures_are_refused_by_name() {
    let bytes = read("metadata.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    let err = llama::llama_config(&g).unwrap_err();
    assert_eq!(
        err,
        GgufError::UnsupportedArchitecture {
            architecture: "test".into()
        }
    );
    assert!(err.to_string().contains("`test`"), "{err}");
    assert!(matches!(
        llama::hf_tensors(&g).err(),
        Some(GgufError::UnsupportedArchitecture { .. })
    ));
}
