//! `internetwache inbox ...`: the police side, run inside the police network.

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::serve::{runtime, EXIT_CONFIG};
use crate::crypto::audit_chain::AuditKey;
use crate::inbox::context::Inbox;
use crate::inbox::keyring::Keyring;
use crate::inbox::retention;
use crate::inbox::server;
use crate::inbox::settings::InboxSettings;
use crate::store::Db;

#[derive(Debug, Args)]
pub struct InboxArgs {
    #[command(subcommand)]
    pub command: Option<InboxCommand>,
}

#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Receive reports (push endpoint) and run the inbox's workers (the default).
    Serve,
    /// Check the HMAC chain of the inbox's own audit log.
    #[command(subcommand)]
    Audit(InboxAuditCommand),
    /// The private keys the inbox holds.
    #[command(subcommand)]
    Keys(InboxKeysCommand),
    /// Tokens for the export API the VBS polls.
    #[command(subcommand)]
    Token(InboxTokenCommand),
    /// Write a report's VBS export bundle to the drop folder (`<data dir>/export`).
    Export(ExportArgs),
    /// Accounts of the clerk pages (roles clerk, lead and admin; one state each, optionally
    /// one office).
    #[command(subcommand)]
    User(super::staff::UserCommand),
    /// Delete what is past the inbox's retention time (the running inbox does it hourly).
    #[command(subcommand)]
    Retention(InboxRetentionCommand),
}

#[derive(Debug, Subcommand)]
pub enum InboxRetentionCommand {
    /// One sweep now; prints the counts per state.
    Run {
        /// Count what is due without deleting anything.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum InboxTokenCommand {
    /// A new export-API token for one state, shown once (only its SHA-256 is stored).
    Add {
        #[arg(long)]
        state: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The case number.
    pub case_number: String,
    /// Who exports (goes into the inbox's audit log).
    #[arg(long)]
    pub clerk: String,
}

#[derive(Debug, Subcommand)]
pub enum InboxAuditCommand {
    /// Exit 0 if the chain is intact, 1 at the first broken entry.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum InboxKeysCommand {
    /// One line per key: state and key id (never the secret).
    List,
}

pub fn run(args: InboxArgs) -> ExitCode {
    let settings = match InboxSettings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("internetwache inbox: invalid configuration: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    match args.command.unwrap_or(InboxCommand::Serve) {
        InboxCommand::Serve => serve(settings),
        InboxCommand::Audit(InboxAuditCommand::Verify) => verify_audit(settings),
        InboxCommand::Keys(InboxKeysCommand::List) => list_keys(&settings),
        InboxCommand::Token(InboxTokenCommand::Add { state, name }) => {
            add_token(&settings, &state, &name)
        }
        InboxCommand::Export(args) => export(settings, &args),
        InboxCommand::User(cmd) => user(&settings, cmd),
        InboxCommand::Retention(InboxRetentionCommand::Run { dry_run }) => {
            retention_run(settings, dry_run)
        }
    }
}

/// `inbox user ...`: the intake's user commands, on the inbox's database, roles and audit log.
fn user(settings: &InboxSettings, cmd: super::staff::UserCommand) -> ExitCode {
    let result = runtime().block_on(async {
        let db = super::staff::open_database(&settings.database()).await?;
        super::staff::user_command(db, cmd, settings.session_policy().roles, true, || {
            AuditKey::load(&settings.audit_key, &settings.data_dir)
                .context("cannot load the audit key")
        })
        .await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("internetwache inbox: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: InboxSettings) -> ExitCode {
    crate::telemetry::init_logging(crate::config::LogFormat::Text, &settings.log_level);
    runtime().block_on(async move {
        let inbox = match Inbox::open(&settings).await {
            Ok(inbox) => Arc::new(inbox),
            Err(e) => {
                eprintln!("internetwache inbox: {e:#}");
                return ExitCode::from(EXIT_CONFIG);
            }
        };
        let listener = match TcpListener::bind(settings.bind) {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "internetwache inbox: cannot listen on {}: {e}",
                    settings.bind
                );
                return ExitCode::from(EXIT_CONFIG);
            }
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let server = match server::http_server(inbox.clone(), listener) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("internetwache inbox: {e}");
                return ExitCode::FAILURE;
            }
        };
        tokio::spawn(crate::inbox::status::run_sender(inbox.clone()));
        let (stop_sweeps, sweeps_stopped) = tokio::sync::watch::channel(false);
        let sweeps = retention_sweeps(inbox.clone(), &settings, sweeps_stopped);
        tokio::spawn(crate::inbox::pull::run_scheduler(
            inbox.clone(),
            std::time::Duration::from_secs(settings.pull_interval_secs),
        ));
        println!("inbox listening on 127.0.0.1:{port}");
        tracing::info!(port, states = ?inbox.states.keys().collect::<Vec<_>>(), "inbox serving");
        // actix stops gracefully on SIGTERM/SIGINT.
        let served = server.await;
        let _ = stop_sweeps.send(true);
        let _ = sweeps.await;
        inbox.receiver.db().close().await;
        match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("internetwache inbox: server error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// The retention sweep of a serving inbox, every `IW_INBOX_RETENTION_SWEEP_MINUTES`.
fn retention_sweeps(
    inbox: Arc<Inbox>,
    settings: &InboxSettings,
    stopped: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let every = std::time::Duration::from_secs(60 * u64::from(settings.retention_sweep_minutes));
    let settings = Arc::new(settings.clone());
    crate::queue::pool::periodic(every, stopped, move || {
        let (inbox, settings) = (inbox.clone(), settings.clone());
        async move {
            let swept =
                retention::sweep(&inbox.receiver, &settings, chrono::Utc::now(), false).await;
            if let Err(e) = swept {
                tracing::warn!(error = %crate::telemetry::error_chain(&e), "inbox retention sweep failed");
            }
        }
    })
}

/// The inbox for a one-off command; a message and the exit code when it cannot open.
async fn open(settings: &InboxSettings) -> Result<Inbox, ExitCode> {
    Inbox::open(settings).await.map_err(|e| {
        eprintln!("internetwache inbox: {e:#}");
        ExitCode::from(EXIT_CONFIG)
    })
}

/// `inbox retention run [--dry-run]`: one sweep, one line per state.
fn retention_run(settings: InboxSettings, dry_run: bool) -> ExitCode {
    runtime().block_on(async move {
        let inbox = match open(&settings).await {
            Ok(inbox) => inbox,
            Err(code) => return code,
        };
        let result =
            retention::sweep(&inbox.receiver, &settings, chrono::Utc::now(), dry_run).await;
        inbox.receiver.db().close().await;
        match result {
            Ok(deleted) => {
                for d in deleted {
                    println!("{}", d.line());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("internetwache inbox: {}", crate::telemetry::error_chain(&e));
                ExitCode::FAILURE
            }
        }
    })
}

fn verify_audit(settings: InboxSettings) -> ExitCode {
    runtime().block_on(async move {
        let db = match super::audit::connect(&settings.database()) {
            Ok(db) => db,
            Err(code) => return code,
        };
        let key = (settings.audit_key.as_str(), settings.data_dir.as_path());
        let code = super::audit::verify(&db, key, None, "inbox audit log").await;
        db.close().await;
        code
    })
}

fn list_keys(settings: &InboxSettings) -> ExitCode {
    match Keyring::load_dirs(&settings.key_dirs()) {
        Ok(ring) => {
            for key in ring.keys() {
                println!("{}\t{}", key.state, key.key_id);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("internetwache inbox: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

fn add_token(settings: &InboxSettings, state: &str, name: &str) -> ExitCode {
    let Ok(state) = crate::state_code::StateCode::parse(state) else {
        eprintln!("internetwache inbox: --state must be two letters, e.g. be");
        return ExitCode::from(EXIT_CONFIG);
    };
    runtime().block_on(async move {
        let result = async {
            let db = Db::connect_lazy(&settings.database(), 2)?;
            db.migrate().await?;
            let token = super::staff::issue_token(&db, &state, name).await;
            db.close().await;
            token
        }
        .await;
        match result {
            Ok(token) => {
                println!("{token}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("internetwache inbox: {e:#}");
                ExitCode::FAILURE
            }
        }
    })
}

fn export(settings: InboxSettings, args: &ExportArgs) -> ExitCode {
    runtime().block_on(async move {
        let inbox = match open(&settings).await {
            Ok(inbox) => inbox,
            Err(code) => return code,
        };
        let dir = settings.export_dir();
        let result = crate::inbox::export::to_drop_folder(
            &inbox.receiver,
            &args.clerk,
            args.case_number.trim(),
            &dir,
        )
        .await;
        inbox.receiver.db().close().await;
        match result {
            Ok(path) => {
                println!("{}", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("internetwache inbox: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
