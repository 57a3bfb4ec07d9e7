//! The learning-rate schedule: linear warmup from 0, then cosine decay to 0,
//! transformers' `get_cosine_schedule_with_warmup` (`optimization.py`), with
//! `warmup = ceil(warmup_ratio * total)` as `TrainingArguments` computes it.
//!
//! Written out rather than composed from Burn's schedulers because Burn's
//! linear scheduler cannot start at 0 and its step counter starts at the
//! first call, which shifts the curve by one step against transformers'.

use std::f64::consts::PI;

/// Warmup + cosine schedule over `total` optimiser steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineWithWarmup {
    /// Peak learning rate.
    pub peak: f64,
    /// Warmup steps.
    pub warmup: usize,
    /// Total optimiser steps.
    pub total: usize,
}

impl CosineWithWarmup {
    /// The schedule for `total` steps with `ratio` of them warming up.
    pub fn new(peak: f64, warmup_ratio: f64, total: usize) -> Self {
        Self {
            peak,
            warmup: (warmup_ratio * total as f64).ceil() as usize,
            total,
        }
    }

    /// Learning rate of step `step` (0-based).
    pub fn lr(&self, step: usize) -> f64 {
        if step < self.warmup {
            return self.peak * step as f64 / self.warmup.max(1) as f64;
        }
        let progress =
            (step - self.warmup) as f64 / (self.total.saturating_sub(self.warmup)).max(1) as f64;
        self.peak * (0.5 * (1.0 + (PI * progress).cos())).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of transformers 5.23 `get_cosine_schedule_with_warmup(opt, 3, 10)`
    /// with lr 1e-3, steps 0..10.
    #[test]
    fn matches_transformers() {
        let s = CosineWithWarmup::new(1e-3, 0.25, 10);
        assert_eq!(s.warmup, 3);
        let want = [
            0.0,
            3.333333e-4,
            6.666667e-4,
            1e-3,
            9.504844e-4,
            8.117449e-4,
            6.112605e-4,
            3.887395e-4,
            1.882551e-4,
            4.951557e-5,
        ];
        for (step, w) in want.iter().enumerate() {
            assert!((s.lr(step) - w).abs() < 1e-9, "step {step}: {}", s.lr(step));
        }
    }
}
