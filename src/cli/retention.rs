//! `internetwache retention run [--dry-run]`: one retention sweep now, with counts per
//! state and kind.

use std::process::ExitCode;

use clap::Subcommand;

use super::serve::{runtime, settings_or_exit, EXIT_CONFIG};
use crate::form_registry::directory::CatalogDirectory;
use crate::forms::Catalog;
use crate::retention;
use crate::store::Db;

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Delete what is past its retention time; print counts per state and kind.
    Run {
        /// Count what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(cmd: RetentionCommand) -> ExitCode {
    let RetentionCommand::Run { dry_run } = cmd;
    let settings = match settings_or_exit() {
        Ok(s) => s,
        Err(code) => return code,
    };
    // The days come from state.toml: without the catalog, nothing is deleted.
    let catalog = match Catalog::load(&settings.forms_dir) {
        Ok(c) => c,
        Err(problems) => {
            eprintln!(
                "IW_FORMS_DIR: the form files have {} problem(s); run `internetwache forms check`",
                problems.len()
            );
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let directory = CatalogDirectory::from_catalog(&catalog);
    runtime().block_on(async move {
        let result = async {
            let db = Db::connect_lazy(&settings.database_url, 2)?;
            let summary =
                retention::sweep(&db, &settings, &directory, chrono::Utc::now(), dry_run).await;
            db.close().await;
            Ok::<_, anyhow::Error>(summary?)
        }
        .await;
        match result {
            Ok(Some(summary)) => {
                let verb = if dry_run { "would delete" } else { "deleted" };
                println!("{verb} (state, kind, count):");
                for line in summary.lines() {
                    println!("{line}");
                }
                ExitCode::SUCCESS
            }
            Ok(None) => {
                eprintln!("another instance is sweeping right now; nothing done");
                ExitCode::from(3)
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        }
    })
}
