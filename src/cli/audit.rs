//! `internetwache audit verify [--head SEQ:MAC]` and `audit head`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::serve::settings_or_exit;
use super::staff::runtime;
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
        let db = match Db::connect_lazy(&settings.database_url, 2) {
            Ok(db) => db,
            Err(e) => {
                eprintln!("error: {:#}", anyhow::Error::from(e));
                return ExitCode::from(2);
            }
        };
        let code = match cmd {
            AuditCommand::Head => head(&db).await,
            AuditCommand::Verify { head } => {
                verify(&db, &settings.audit_key, &settings.data_dir, head).await
            }
        };
        db.close().await;
        code
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

async fn verify(
    db: &Db,
    key_setting: &str,
    data_dir: &std::path::Path,
    head: Option<ChainHead>,
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
                Some(head) => println!("audit log intact: {n} entries, reaches head {}", head.id),
                None => println!("audit log intact: {n} entries"),
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
