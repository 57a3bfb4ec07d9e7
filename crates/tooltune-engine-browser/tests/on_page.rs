//! The CPU fallback on the page's own thread. It works, and blocks the page
//! for the length of each synchronous forward/backward: the longest block is
//! logged (it depends on the machine), not asserted. WebGPU runs only in the
//! worker (`in_worker`), as the app runs it.

use tooltune_engine::burn::tensor::Device;
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

use crate::common::{
    LOGITS_TOL, assert_falls, longest_block_ms, lora_losses, max_logit_error, now_ms,
    watch_event_loop,
};

#[wasm_bindgen_test]
async fn cpu_logits_and_greedy_match_transformers_on_the_page() {
    tooltune_engine_browser::init();
    watch_event_loop();
    let start = now_ms();
    let worst = max_logit_error(&Device::flex()).await;
    console_log!(
        "cpu (flex) on the page: max |logits - transformers| = {worst:.3e} ({:.0} ms)",
        now_ms() - start
    );
    assert!(worst < LOGITS_TOL, "cpu: max abs logit error {worst}");
    console_log!(
        "cpu (flex) on the page: longest event-loop block {:.0} ms",
        longest_block_ms().await
    );
}

#[wasm_bindgen_test]
async fn cpu_lora_training_lowers_the_loss_on_the_page() {
    tooltune_engine_browser::init();
    watch_event_loop();
    let losses = lora_losses(&Device::flex()).await;
    console_log!("cpu (flex) on the page: losses {losses:?}");
    assert_falls("cpu", &losses);
    console_log!(
        "cpu (flex) on the page: longest event-loop block {:.0} ms",
        longest_block_ms().await
    );
}
