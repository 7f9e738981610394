//! `internetwache clerk ...`: placeholder until its issue lands.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ClerkCommand {}

pub fn run(cmd: ClerkCommand) -> ExitCode {
    match cmd {}
}
