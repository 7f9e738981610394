//! `internetwache user add`, `token add`, `audit verify`: staff accounts, pull-API tokens
//! and the audit chain check.

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

async fn open_db(settings: &Settings) -> Result<Db, String> {
    Db::ensure_database(&settings.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let db = Db::connect_lazy(&settings.database_url, 2).map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    Ok(db)
}

fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
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
    finish(runtime().block_on(user_add(&settings, &args)))
}

async fn user_add(settings: &Settings, args: &UserAddArgs) -> Result<(), String> {
    let role = Role::parse(&args.role).ok_or("--role must be clerk, admin or operator")?;
    let state = match (role, &args.state) {
        (Role::Operator, None) => None,
        (Role::Operator, Some(_)) => {
            return Err("an operator sees every state: omit --state".into())
        }
        (_, None) => return Err("--state is required for clerks and admins".into()),
        (_, Some(s)) => {
            let code =
                StateCode::parse(s).map_err(|_| format!("--state {s:?} is not a state code"))?;
            Some(code.as_str().to_owned())
        }
    };
    let username = args.username.trim();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        return Err("--username: 1-64 characters of a-z, 0-9, . _ - @".into());
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.chars().count() < 12 {
        return Err("the password must have at least 12 characters".into());
    }
    let hash = hash_password(password).map_err(|e| format!("cannot hash the password: {e}"))?;
    let db = open_db(settings).await?;
    let added = store_staff::add_user(
        &db,
        username,
        &hash,
        role.as_str(),
        state.as_deref(),
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| e.to_string())?;
    db.close().await;
    match added {
        Some(_) => {
            println!(
                "added {} {username}{}",
                role.as_str(),
                state.map(|s| format!(" for {s}")).unwrap_or_default()
            );
            Ok(())
        }
        None => Err(format!("user name {username:?} is taken")),
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

async fn token_add(settings: &Settings, args: &TokenAddArgs) -> Result<(), String> {
    let state = StateCode::parse(&args.state)
        .map_err(|_| format!("--state {:?} is not a state code", args.state))?;
    let name = args.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err("--name must have 1-100 characters".into());
    }
    let token = crate::crypto::generate_token().map_err(|e| e.to_string())?;
    let db = open_db(settings).await?;
    store_staff::add_token(
        &db,
        &crate::crypto::token_hash(&token),
        state.as_str(),
        name,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| e.to_string())?;
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
                .map_err(|e| format!("cannot load the audit key: {e}"))?;
            let db = Db::connect_lazy(&settings.database_url, 2).map_err(|e| e.to_string())?;
            let rows = audit::all(&db).await.map_err(|e| e.to_string())?;
            db.close().await;
            Ok::<_, String>(audit::verify_chain(&key, &rows))
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
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
        }
    })
}
