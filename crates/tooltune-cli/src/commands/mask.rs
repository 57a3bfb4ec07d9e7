//! `tooltune mask DATA.jsonl --model M`: each example's rendered tokens with
//! the trained ones in `[[ ]]` (in green on a terminal); an example that
//! cannot be masked is reported and the command exits 1.

use anyhow::Result;
use std::io::IsTerminal;
use std::process::ExitCode;
use tooltune_engine::train::{mask_example, show_mask};

use crate::args::MaskArgs;
use crate::{io, model};

pub fn run(a: MaskArgs) -> Result<ExitCode> {
    let examples = io::examples(&a.data)?;
    let text = model::load_text(&a.model)?;
    let colour = std::io::stdout().is_terminal();
    let mut out = String::new();
    let shown = a.limit.unwrap_or(examples.len()).min(examples.len());
    let mut failed = 0;
    for ex in &examples[..shown] {
        // Keep going past an example that cannot be masked: this is a checker.
        let m = match mask_example(&text.template, &text.tokenizer, ex) {
            Ok(m) => m,
            Err(e) => {
                failed += 1;
                out.push_str(&format!("== error: {e}\n"));
                continue;
            }
        };
        out.push_str(&format!(
            "== {}: {} tokens, {} trained{}\n{}\n",
            m.at,
            m.ids.len(),
            m.trained_count(),
            if colour {
                " (trained in green)"
            } else {
                " (trained in [[ ]])"
            },
            show_mask(&m, colour)
        ));
    }
    io::print(&out)?;
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
