//! `tooltune`: lint, convert, split and evaluate tool-calling datasets; fine-tune,
//! generate with and route with small language models.

mod args;
mod commands;
mod fetch;
mod io;
mod model;
mod run_dir;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    tooltune_engine::tune_allocator();
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}
