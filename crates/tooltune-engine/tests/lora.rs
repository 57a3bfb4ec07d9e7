//! PEFT LoRA adapters.
