//! `internetwache user add|disable|reset-password`, `token add|list|revoke`: staff accounts
//! and pull-API tokens. Disabling, resetting and revoking are audited (actor `cli`) and take
//! effect on every instance at once.

use anyhow::Context;
use std::io::BufRead;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::serve::settings_or_exit;
use crate::config::{DatabaseUrl, Settings};
use crate::crypto::audit_chain::AuditKey;
use crate::staff::{action, audited, hash_password, Role};
use crate::state_code::StateCode;
use crate::store::audit::Audited;
use crate::store::{staff as store_staff, staff_admin, Db};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a staff account; the password is read from standard input (one line).
    Add(UserAddArgs),
    /// Disable an account (staff leave): it cannot sign in, and its sessions end at once.
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Set a new password (read from standard input); the account's sessions end at once.
    ResetPassword {
        #[arg(long)]
        username: String,
    },
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// clerk (police, one state), admin (forms and queue, one state), operator (all states);
    /// in the inbox: clerk, lead or admin.
    #[arg(long)]
    pub role: String,
    /// Two-letter state code; not for operators.
    #[arg(long)]
    pub state: Option<String>,
    /// Inbox only: the one office (id as in the form catalogue) whose reports the account
    /// sees; without it, every office of the state.
    #[arg(long)]
    pub office: Option<String>,
    #[arg(long)]
    pub username: String,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a pull-API token for one state's police system; it is shown once.
    Add(TokenAddArgs),
    /// Every token: id, state, name, created, revoked (never the token itself).
    List,
    /// Revoke a token by id (from `token list`); its next request is refused.
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct TokenAddArgs {
    #[arg(long)]
    pub state: String,
    /// A label for the audit log, e.g. the police system's name.
    #[arg(long)]
    pub name: String,
}

pub(super) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the operating system refused to start the async runtime")
}

async fn open_db(settings: &Settings) -> anyhow::Result<Db> {
    open_database(&settings.database_url).await
}

/// Creates and migrates the database at `url` if needed: a small pool for one command.
pub(super) async fn open_database(url: &DatabaseUrl) -> anyhow::Result<Db> {
    Db::ensure_database(url).await?;
    let db = Db::connect_lazy(url, 2)?;
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
    finish(runtime().block_on(async {
        let db = open_db(&settings).await?;
        let roles = [Role::Clerk, Role::Admin, Role::Operator];
        user_command(db, cmd, &roles, false, || audit_key(&settings)).await
    }))
}

/// Runs a user command on `db` (the intake's or the inbox's) and closes it: `roles` are
/// the roles that side serves, `office_scope` whether its accounts may have an office,
/// `audit_key` loads the key of its audit log (only commands that change an account need it).
pub async fn user_command(
    db: Db,
    cmd: UserCommand,
    roles: &[Role],
    office_scope: bool,
    audit_key: impl FnOnce() -> anyhow::Result<AuditKey>,
) -> anyhow::Result<()> {
    let done = async {
        match cmd {
            UserCommand::Add(args) => user_add(&db, &args, roles, office_scope).await,
            UserCommand::Disable { username } => user_disable(&db, &audit_key()?, &username).await,
            UserCommand::ResetPassword { username } => {
                user_reset_password(&db, &audit_key()?, &username).await
            }
        }
    }
    .await;
    db.close().await;
    done
}

/// Adds the account of `args` to `db` (the intake's or the inbox's), refusing roles the
/// side does not serve, and an office where the side has no office scope.
pub async fn user_add(
    db: &Db,
    args: &UserAddArgs,
    roles: &[Role],
    office_scope: bool,
) -> anyhow::Result<()> {
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
    let office = office_of(args.office.as_deref(), office_scope)?;
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
    let hash = password_hash_from_stdin()?;
    let added = store_staff::add_user(
        db,
        username,
        &hash,
        role.as_str(),
        state.as_ref(),
        office,
        chrono::Utc::now(),
    )
    .await?;
    match added {
        Some(_) => {
            println!(
                "added {} {username}{}{}",
                role.as_str(),
                state.map(|s| format!(" for {s}")).unwrap_or_default(),
                office.map(|o| format!(", office {o}")).unwrap_or_default()
            );
            Ok(())
        }
        None => Err(anyhow::anyhow!("user name {username:?} is taken")),
    }
}

/// The office of `--office`: only where the side scopes by office, 1-100 characters.
fn office_of(raw: Option<&str>, office_scope: bool) -> anyhow::Result<Option<&str>> {
    match raw.map(str::trim) {
        None => Ok(None),
        Some(_) if !office_scope => Err(anyhow::anyhow!(
            "--office is for inbox accounts (`internetwache inbox user add`)"
        )),
        Some(o) if o.is_empty() || o.len() > 100 || o.chars().any(char::is_control) => {
            Err(anyhow::anyhow!("--office must have 1-100 characters"))
        }
        Some(o) => Ok(Some(o)),
    }
}

pub fn run_token(cmd: TokenCommand) -> ExitCode {
    let settings = match settings_or_exit() {
        Ok(s) => s,
        Err(code) => return code,
    };
    finish(runtime().block_on(async {
        match cmd {
            TokenCommand::Add(args) => token_add(&settings, &args).await,
            TokenCommand::List => token_list(&settings).await,
            TokenCommand::Revoke { id } => token_revoke(&settings, id).await,
        }
    }))
}

async fn token_add(settings: &Settings, args: &TokenAddArgs) -> anyhow::Result<()> {
    let state =
        StateCode::parse(&args.state).with_context(|| format!("--state {:?}", args.state))?;
    let name = args.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(anyhow::anyhow!("--name must have 1-100 characters"));
    }
    let db = open_db(settings).await?;
    let token = issue_token(&db, &state, name).await;
    db.close().await;
    let token = token?;
    eprintln!(
        "token for {} ({name}); it is shown only now, store it in the police system:",
        state.as_str()
    );
    println!("{token}");
    Ok(())
}

/// A new pull-API token for `state` on `db` (the intake's or the inbox's); only its hash
/// is stored, so the returned token is shown once.
pub(super) async fn issue_token(db: &Db, state: &StateCode, name: &str) -> anyhow::Result<String> {
    let token = crate::crypto::generate_token()?;
    store_staff::add_token(
        db,
        &crate::crypto::token_hash(&token),
        state,
        name,
        chrono::Utc::now(),
    )
    .await?;
    Ok(token)
}

/// One line from standard input, at least 12 characters, hashed with argon2id.
fn password_hash_from_stdin() -> anyhow::Result<String> {
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
    hash_password(password)
        // password_hash::Error is not a std error; its text is all there is.
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// The audit entry of an operator's command at the console.
fn cli_audit<'a>(key: &'a AuditKey, action: &'a str, object: &'a str) -> Audited<'a> {
    audited(key, "cli", action, None, Some(object))
}

fn audit_key(settings: &Settings) -> anyhow::Result<AuditKey> {
    AuditKey::load(&settings.audit_key, &settings.data_dir).context("cannot load the audit key")
}

/// Disables an account on `db` (the intake's or the inbox's) and ends its sessions.
async fn user_disable(db: &Db, key: &AuditKey, username: &str) -> anyhow::Result<()> {
    let audit = cli_audit(key, action::USER_DISABLE, username);
    let done = staff_admin::disable_user(db, username, chrono::Utc::now(), &audit).await;
    match done? {
        true => {
            println!("disabled {username}; its sessions have ended");
            Ok(())
        }
        false => Err(anyhow::anyhow!("no enabled account {username:?}")),
    }
}

/// Sets a new password (read from standard input) on `db` and ends the account's sessions.
async fn user_reset_password(db: &Db, key: &AuditKey, username: &str) -> anyhow::Result<()> {
    let hash = password_hash_from_stdin()?;
    let audit = cli_audit(key, action::PASSWORD_RESET, username);
    let done = staff_admin::set_password(db, username, &hash, &audit).await;
    match done? {
        true => {
            println!("new password set for {username}; its sessions have ended");
            Ok(())
        }
        false => Err(anyhow::anyhow!("no account {username:?}")),
    }
}

async fn token_list(settings: &Settings) -> anyhow::Result<()> {
    let db = open_db(settings).await?;
    let tokens = staff_admin::tokens(&db).await;
    db.close().await;
    println!("id\tstate\tname\tcreated\trevoked");
    for t in tokens? {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            t.id,
            t.state.as_str(),
            t.name,
            t.created_at.format("%Y-%m-%d %H:%M"),
            t.revoked_at
                .map(|r| r.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "-".into())
        );
    }
    Ok(())
}

async fn token_revoke(settings: &Settings, id: i64) -> anyhow::Result<()> {
    let key = audit_key(settings)?;
    let db = open_db(settings).await?;
    let object = format!("token {id}");
    let audit = cli_audit(&key, action::TOKEN_REVOKE, &object);
    let done = staff_admin::revoke_token(&db, id, chrono::Utc::now(), &audit).await;
    db.close().await;
    match done? {
        true => {
            println!("revoked token {id}");
            Ok(())
        }
        false => Err(anyhow::anyhow!("no active token with id {id}")),
    }
}

#[cfg(test)]
mod tests {
    use super::office_of;

    #[test]
    fn an_office_only_where_the_side_scopes_by_office() {
        assert_eq!(office_of(None, false).unwrap(), None);
        assert_eq!(office_of(Some(" dir3 "), true).unwrap(), Some("dir3"));
        assert!(
            office_of(Some("dir3"), false).is_err(),
            "the intake has no office"
        );
        assert!(office_of(Some("  "), true).is_err());
        assert!(office_of(Some(&"x".repeat(101)), true).is_err());
    }
}
