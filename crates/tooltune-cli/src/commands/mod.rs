//! One module per subcommand.

mod catalogue;
mod convert;
mod eval;
mod lint;
mod split;

use crate::args::{Cli, Command};
use std::process::ExitCode;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Catalogue(a) => catalogue::run(a),
        Command::Lint(a) => lint::run(a),
        Command::Convert(a) => convert::run(a),
        Command::Split(a) => split::run(a),
        Command::Eval(a) => eval::run(a),
    }
}
