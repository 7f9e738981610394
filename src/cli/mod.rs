//! The command line: one binary, one subcommand per job.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod audit;
pub mod clerk;
pub mod forms;
mod healthcheck;
pub mod inbox;
pub mod keys;
pub mod police_sim;
pub mod queue;
pub mod retention;
mod serve;
pub mod staff;
mod worker;

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
    /// Exit 0 when the local service answers /healthz (for container health checks).
    Healthcheck,
    /// Work with form variants (check the schema files).
    #[command(subcommand)]
    Forms(forms::FormsCommand),
    /// Manage the police public keys reports are sealed to.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Police-side tools: decrypt envelopes, pull reports.
    #[command(subcommand)]
    Clerk(clerk::ClerkCommand),
    /// Staff accounts (police clerks, state admins, operators).
    #[command(subcommand)]
    User(staff::UserCommand),
    /// Pull-API tokens for police systems.
    #[command(subcommand)]
    Token(staff::TokenCommand),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Run queue workers only (delivery, e-mail), without the web server.
    Worker,
    /// Inspect the job queue and requeue dead letters.
    #[command(subcommand)]
    Queue(queue::QueueCommand),
    /// Delete what is past its retention time (the workers also do this on their own).
    #[command(subcommand)]
    Retention(retention::RetentionCommand),
    /// A local police endpoint that receives pushed reports (tests, demos).
    PoliceSim(police_sim::PoliceSimArgs),
    /// The police inbox: receives, opens and triages reports inside the police network.
    Inbox(inbox::InboxArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve::run(),
        Command::Migrate => serve::migrate(),
        Command::Healthcheck => healthcheck::run(),
        Command::Forms(cmd) => forms::run(cmd),
        Command::Keys(cmd) => keys::run(cmd),
        Command::Clerk(cmd) => clerk::run(cmd),
        Command::User(cmd) => staff::run_user(cmd),
        Command::Token(cmd) => staff::run_token(cmd),
        Command::Audit(cmd) => audit::run(cmd),
        Command::Worker => worker::run(),
        Command::Queue(cmd) => queue::run(cmd),
        Command::Retention(cmd) => retention::run(cmd),
        Command::PoliceSim(args) => police_sim::run(args),
        Command::Inbox(args) => inbox::run(args),
    }
}
