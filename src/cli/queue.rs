//! `internetwache queue status` and `internetwache queue retry`.

use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Subcommand};

use super::serve::{runtime, settings_or_exit};
use crate::store::{jobs, Db};

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Job counts by state, kind and status, then the dead letters.
    Status,
    /// Put a dead job (or all of them) back in line with a fresh attempt budget.
    Retry(RetryArgs),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct RetryArgs {
    /// The job id (see `queue status`).
    pub id: Option<i64>,
    /// Every dead letter.
    #[arg(long)]
    pub dead: bool,
}

pub fn run(cmd: QueueCommand) -> ExitCode {
    let settings = match settings_or_exit() {
        Ok(s) => s,
        Err(code) => return code,
    };
    runtime().block_on(async move {
        let result = async {
            let db = Db::connect_lazy(&settings.database_url, 2)?;
            db.migrate().await?;
            match cmd {
                QueueCommand::Status => status(&db).await,
                QueueCommand::Retry(args) => retry(&db, args).await,
            }
        }
        .await;
        match result {
            Ok(code) => code,
            Err(e) => {
                eprintln!("internetwache: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn status(db: &Db) -> Result<ExitCode, crate::store::StoreError> {
    let counts = jobs::counts(db).await?;
    println!(
        "{:<8} {:<10} {:<8} {:>8}",
        "STATE", "KIND", "STATUS", "COUNT"
    );
    for c in &counts {
        println!(
            "{:<8} {:<10} {:<8} {:>8}",
            c.state, c.kind, c.status, c.count
        );
    }
    if counts.is_empty() {
        println!("(no jobs)");
    }
    let dead = jobs::dead_letters(db, None).await?;
    if !dead.is_empty() {
        println!("\ndead letters (requeue with `internetwache queue retry <id>` or `--dead`):");
        for j in dead {
            println!(
                "  job {} {} report {} state {} after {} attempts: {}",
                j.id,
                j.kind,
                j.report_id,
                j.state,
                j.attempts,
                j.last_error.as_deref().unwrap_or("-")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn retry(db: &Db, args: RetryArgs) -> Result<ExitCode, crate::store::StoreError> {
    let now = Utc::now();
    if args.dead {
        let n = jobs::requeue_dead(db, now).await?;
        println!("requeued {n} dead job(s)");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(id) = args.id else {
        return Ok(ExitCode::FAILURE);
    };
    if jobs::requeue(db, id, now, None).await? {
        println!("requeued job {id}");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("job {id} does not exist, is running, or is done");
        Ok(ExitCode::FAILURE)
    }
}
