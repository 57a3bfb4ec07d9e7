//! LoRA placeholder.
