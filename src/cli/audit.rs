//! `internetwache audit verify [--head SEQ:MAC]` and `audit head`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::serve::settings_or_exit;
use super::staff::runtime;
use crate::config::DatabaseUrl;
use crate::crypto::audit_chain::AuditKey;
use crate::store::audit::{self, ChainHead};
use crate::store::Db;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the HMAC chain; exit 1 naming the first bad entry.
    Verify {
        /// A head published earlier (`audit head`, or the `audit_head` log field): the
        /// chain must still reach it, so entries cut off the end are detected.
        #[arg(long, value_name = "SEQ:MAC", value_parser = parse_head)]
        head: Option<ChainHead>,
    },
    /// Print the chain's newest entry as SEQ:MAC, to store outside this server.
    Head,
}

fn parse_head(raw: &str) -> Result<ChainHead, String> {
    raw.parse()
}

pub fn run(cmd: AuditCommand) -> ExitCode {
    let settings = match settings_or_exit() {
        Ok(s) => s,
        Err(code) => return code,
    };
    runtime().block_on(async move {
        let db = match connect(&settings.database_url) {
            Ok(db) => db,
            Err(code) => return code,
        };
        let code = match cmd {
            AuditCommand::Head => head(&db).await,
            AuditCommand::Verify { head } => {
                let key = (settings.audit_key.as_str(), settings.data_dir.as_path());
                verify(&db, key, head, "audit log").await
            }
        };
        db.close().await;
        code
    })
}

/// The database of the audit log; a URL it cannot use is reported, exit code 2.
pub(super) fn connect(url: &DatabaseUrl) -> Result<Db, ExitCode> {
    Db::connect_lazy(url, 2).map_err(|e| {
        eprintln!("error: {:#}", anyhow::Error::from(e));
        ExitCode::from(2)
    })
}

async fn head(db: &Db) -> ExitCode {
    match audit::head(db).await {
        Ok(Some(head)) => {
            println!("{head}");
            ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!("the audit log is empty");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {:#}", anyhow::Error::from(e));
            ExitCode::from(2)
        }
    }
}

/// Checks the chain of `db`'s audit log (`what`, as the report names it) with the key of
/// `(setting, data dir)`; with `head`, the chain must still reach it.
pub(super) async fn verify(
    db: &Db,
    (key_setting, data_dir): (&str, &std::path::Path),
    head: Option<ChainHead>,
    what: &str,
) -> ExitCode {
    let result = async {
        let key = AuditKey::load(key_setting, data_dir).context("cannot load the audit key")?;
        let rows = audit::all(db).await?;
        Ok::<_, anyhow::Error>(match &head {
            Some(head) => audit::verify_reaches(&key, &rows, head),
            None => audit::verify_chain(&key, &rows),
        })
    }
    .await;
    match result {
        Ok(Ok(n)) => {
            match head {
                Some(head) => println!("{what} intact: {n} entries, reaches head {}", head.id),
                None => println!("{what} intact: {n} entries"),
            }
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
}
