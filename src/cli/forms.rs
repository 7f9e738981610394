//! `internetwache forms ...`: placeholder until its issue lands.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum FormsCommand {}

pub fn run(cmd: FormsCommand) -> ExitCode {
    match cmd {}
}
