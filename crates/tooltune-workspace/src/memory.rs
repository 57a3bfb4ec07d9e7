//! How much activation memory a training step in the page may keep
//! (`tooltune_engine::train::memory` cuts a batch into row groups to stay
//! under it). On WebGPU the activations live in the adapter's memory; on
//! the CPU path they share wasm32's 4 GiB heap with what is already in it
//! (the weights) and with the state a step adds for every trained
//! parameter. A full fine-tune of SmolLM2-135M (2.2 GB of that state) on
//! batches of 16 support rows trapped in its first step under the old flat
//! 4 GiB budget.

/// The budget on WebGPU, and the most on the CPU path. The built-in
/// model's batches of 8 need at most 0.4 GiB, even without a shared
/// prefix; SmolLM2's batches of 8 vet rows, which share a 520-token prefix,
/// 3.2 GiB. Rows with catalogues of their own on a bigger model run in as
/// many row groups as they need instead of exhausting the tab.
pub const PAGE_ACTIVATION_BUDGET: u64 = 4 << 30;

/// wasm32's linear memory holds at most 4 GiB.
pub const WASM_HEAP: u64 = 4 << 30;

/// Bytes a trained parameter adds to the heap during a step: its gradient,
/// the accumulated gradient and AdamW's two moments, in f32.
pub const TRAINED_PARAM_BYTES: u64 = 16;

/// The activation budget of a page step: [`PAGE_ACTIVATION_BUDGET`] off the
/// CPU path; on it, three quarters of what the heap has left once `heap`
/// bytes are in use (the linear memory's size now) and the state of
/// `trained` parameters is added (a quarter stays spare for the allocator),
/// at most [`PAGE_ACTIVATION_BUDGET`]. Nothing left gives 0: every row then
/// runs in a group of its own.
pub fn page_activation_budget(cpu: bool, heap: u64, trained: u64) -> u64 {
    if !cpu {
        return PAGE_ACTIVATION_BUDGET;
    }
    let left = WASM_HEAP
        .saturating_sub(heap)
        .saturating_sub(TRAINED_PARAM_BYTES.saturating_mul(trained));
    (left / 4 * 3).min(PAGE_ACTIVATION_BUDGET)
}

/// A dead engine worker's error, with the likely cause where the browser
/// gives none: a wasm instance whose allocation fails traps as
/// `unreachable` without a message.
pub fn worker_death(message: &str) -> String {
    if message.contains("unreachable") {
        format!(
            "{message}. The worker most likely ran out of memory (wasm32 gives it 4 GB): \
             try LoRA instead of a full fine-tune, a smaller batch size, or WebGPU"
        )
    } else {
        message.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trap_without_a_message_is_explained() {
        let trap = "engine worker failed: Uncaught RuntimeError: unreachable (w.wasm:1)";
        let said = worker_death(trap);
        assert!(said.starts_with(trap), "{said}");
        assert!(said.contains("ran out of memory"), "{said}");
        let other = "engine worker failed: panicked at src/x.rs:3: oops";
        assert_eq!(worker_death(other), other);
    }

    const MIB: u64 = 1 << 20;

    #[test]
    fn webgpu_keeps_the_flat_budget() {
        assert_eq!(
            page_activation_budget(false, 3 << 30, 135_000_000),
            PAGE_ACTIVATION_BUDGET
        );
    }

    #[test]
    fn the_cpu_path_leaves_room_for_the_weights_and_the_optimiser() {
        // SmolLM2-135M, a full fine-tune, 1.2 GiB of heap after loading:
        // 4096 - 1228.8 - 2060 MiB left, three quarters of it.
        let full = page_activation_budget(true, 1229 * MIB, 135_000_000);
        let left = 4096 * MIB - 1229 * MIB - 16 * 135_000_000;
        assert_eq!(full, left / 4 * 3);
        assert!(full < 650 * MIB && full > 550 * MIB, "{}", full / MIB);
        // LoRA adapters (4.9 M parameters) leave far more.
        let lora = page_activation_budget(true, 1229 * MIB, 4_900_000);
        assert!(lora > 2000 * MIB, "{}", lora / MIB);
        // The built-in model: the whole budget.
        assert_eq!(
            page_activation_budget(true, 60 * MIB, 5_500_000),
            PAGE_ACTIVATION_BUDGET.min((4096 * MIB - 60 * MIB - 88_000_000) / 4 * 3)
        );
    }

    #[test]
    fn a_full_heap_gives_nothing_rather_than_wrapping() {
        assert_eq!(page_activation_budget(true, 4 << 30, 1), 0);
        assert_eq!(page_activation_budget(true, 1 << 30, u64::MAX), 0);
    }
}
