//! `internetwache user add`, `token add`, `audit verify`: staff accounts, pull-API tokens
//! and the audit chain check.

use anyhow::Context;
use std::io::BufRead;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::serve::settings_or_exit;
use crate::config::Settings;
use crate::crypto::audit_chain::AuditKey;
use crate::staff::{hash_password, Role};
use crate::state_code::StateCode;
use crate::store::{audit, staff as store_staff, Db};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a staff account; the password is read from standard input (one line).
    Add(UserAddArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// clerk (police, one state), admin (forms and queue, one state), operator (all states).
    #[arg(long)]
    pub role: String,
    /// Two-letter state code; not for operators.
    #[arg(long)]
    pub state: Option<String>,
    #[arg(long)]
    pub username: String,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a pull-API token for one state's police system; it is shown once.
    Add(TokenAddArgs),
}

#[derive(Debug, Args)]
pub struct TokenAddArgs {
    #[arg(long)]
    pub state: String,
    /// A label for the audit log, e.g. the police system's name.
    #[arg(long)]
    pub name: String,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the HMAC chain; exit 1 naming the first bad entry.
    Verify,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the operating system refused to start the async runtime")
}

async fn open_db(settings: &Settings) -> anyhow::Result<Db> {
    Db::ensure_database(&settings.database_url).await?;
    let db = Db::connect_lazy(&settings.database_url, 2)?;
    db.migrate().await?;
    Ok(db)
}

fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message:#}");
            ExitCode::FAILURE
        }
    }
}

pub fn run_user(cmd: UserCommand) -> ExitCode {
    let settings = match settings_or_exit() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let UserCommand::Add(args) = cmd;
    finish(runtime().block_on(async {
        let db = open_db(&settings).await?;
        let roles = [Role::Clerk, Role::Admin, Role::Operator];
        let added = user_add(&db, &args, &roles).await;
        db.close().await;
        added
    }))
}

/// Adds the account of `args` to `db` (the intake's or the inbox's), refusing roles the
/// side does not serve.
pub async fn user_add(db: &Db, args: &UserAddArgs, roles: &[Role]) -> anyhow::Result<()> {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let role = Role::parse(&args.role)
        .filter(|r| roles.contains(r))
        .with_context(|| format!("--role must be one of {}", names.join(", ")))?;
    let state = match (role, &args.state) {
        (Role::Operator, None) => None,
        (Role::Operator, Some(_)) => {
            return Err(anyhow::anyhow!(
                "an operator sees every state: omit --state"
            ))
        }
        (_, None) => return Err(anyhow::anyhow!("--state is required for clerks and admins")),
        (_, Some(s)) => Some(StateCode::parse(s).with_context(|| format!("--state {s:?}"))?),
    };
    let username = args.username.trim();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        return Err(anyhow::anyhow!(
            "--username: 1-64 characters of a-z, 0-9, . _ - @"
        ));
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.chars().count() < 12 {
        return Err(anyhow::anyhow!(
            "the password must have at least 12 characters"
        ));
    }
    let hash = hash_password(password)
        // password_hash::Error is not a std error; its text is all there is.
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    let added = store_staff::add_user(
        db,
        username,
        &hash,
        role.as_str(),
        state.as_ref(),
        chrono::Utc::now(),
    )
    .await?;
    match added {
        Some(_) => {
            println!(
                "added {} {username}{}",
                role.as_str(),
                state.map(|s| format!(" for {s}")).unwrap_or_default()
            );
            Ok(())
        }
        None => Err(anyhow::anyhow!("user name {username:?} is taken")),
    }
}

pub fn run_token(cmd: TokenCommand) -> ExitCode {
    let settings = match settings_or_exit() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let TokenCommand::Add(args) = cmd;
    finish(runtime().block_on(token_add(&settings, &args)))
}

async fn token_add(settings: &Settings, args: &TokenAddArgs) -> anyhow::Result<()> {
    let state =
        StateCode::parse(&args.state).with_context(|| format!("--state {:?}", args.state))?;
    let name = args.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(anyhow::anyhow!("--name must have 1-100 characters"));
    }
    let token = crate::crypto::generate_token()?;
    let db = open_db(settings).await?;
    store_staff::add_token(
        &db,
        &crate::crypto::token_hash(&token),
        &state,
        name,
        chrono::Utc::now(),
    )
    .await?;
    db.close().await;
    eprintln!(
        "token for {} ({name}); it is shown only now, store it in the police system:",
        state.as_str()
    );
    println!("{token}");
    Ok(())
}

pub fn run_audit(cmd: AuditCommand) -> ExitCode {
    let settings = match settings_or_exit() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let AuditCommand::Verify = cmd;
    runtime().block_on(async move {
        let result = async {
            let key = AuditKey::load(&settings.audit_key, &settings.data_dir)
                .context("cannot load the audit key")?;
            let db = Db::connect_lazy(&settings.database_url, 2)?;
            let rows = audit::all(&db).await?;
            db.close().await;
            Ok::<_, anyhow::Error>(audit::verify_chain(&key, &rows))
        }
        .await;
        match result {
            Ok(Ok(n)) => {
                println!("audit log intact: {n} entries");
                ExitCode::SUCCESS
            }
            Ok(Err(broken)) => {
                eprintln!("{broken}");
                ExitCode::FAILURE
            }
            Err(message) => {
                eprintln!("error: {message:#}");
                ExitCode::from(2)
            }
        }
    })
}
