//! The command line: one binary, one subcommand per job.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod clerk;
pub mod forms;
pub mod keys;

#[derive(Debug, Parser)]
#[command(
    name = "internetwache",
    version,
    about = "Online police-report intake service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service and its queue workers (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Work with form variants (check the schema files).
    #[command(subcommand)]
    Forms(forms::FormsCommand),
    /// Manage the police public keys reports are sealed to.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Police-side tools: decrypt envelopes, pull reports.
    #[command(subcommand)]
    Clerk(clerk::ClerkCommand),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => ExitCode::SUCCESS,
        Command::Migrate => ExitCode::SUCCESS,
        Command::Forms(cmd) => forms::run(cmd),
        Command::Keys(cmd) => keys::run(cmd),
        Command::Clerk(cmd) => clerk::run(cmd),
    }
}
