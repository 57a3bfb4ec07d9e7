//! One module per subcommand.

mod builtin;
mod catalogue;
mod convert;
mod corpus;
mod eval;
mod eval_run;
mod generate;
mod import;
mod lint;
mod mask;
mod pretrain;
mod progress;
mod route;
mod split;
mod train;
mod workspace;

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
        Command::Train(a) => train::run(a),
        Command::Generate(a) => generate::run(a),
        Command::Route(a) => route::run(a),
        Command::Mask(a) => mask::run(a),
        Command::Pretrain(a) => pretrain::run(a),
        Command::Corpus(a) => corpus::run(a),
        Command::Builtin(a) => builtin::run(a),
        Command::Import(a) => import::run(a),
        Command::Workspace(a) => workspace::run(a),
    }
}
