//! Asynchronous reads of tensors to the host.
//!
//! On wasm32 with WebGPU a synchronous read (`into_data`) panics and kills
//! the wasm instance: the browser only hands a buffer back through a
//! promise. These helpers await `into_data_async` instead and work on every
//! backend, so browser code uses them everywhere; native code may keep the
//! synchronous [`read_f32`](crate::llama::read_f32).

use burn::tensor::Tensor;

use crate::error::{EngineError, Result};
use crate::llama::LlamaForCausalLM;

/// Every element of `t` as `f32`, row-major, read without blocking.
pub async fn read_f32_async<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data_async()
        .await
        .map_err(|e| EngineError::TensorRead(format!("{e:?}")))?
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| EngineError::TensorRead(format!("{e:?}")))
}

impl LlamaForCausalLM {
    /// [`LlamaForCausalLM::logits`] with an asynchronous read: the logits of
    /// one sequence as `[seq_len][vocab]` host vectors.
    pub async fn logits_async(&self, ids: &[u32]) -> Result<Vec<Vec<f32>>> {
        let logits = self.forward(self.token_tensor(ids)?);
        let [_, seq_len, vocab] = logits.dims();
        let flat = read_f32_async(logits).await?;
        Ok((0..seq_len)
            .map(|p| flat[p * vocab..(p + 1) * vocab].to_vec())
            .collect())
    }
}
