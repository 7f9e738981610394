//! `internetwache keys ...`: placeholder until its issue lands.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {}

pub fn run(cmd: KeysCommand) -> ExitCode {
    match cmd {}
}
