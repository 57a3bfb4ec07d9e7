//! KV-cache decoding agrees with full recomputation and with transformers.
