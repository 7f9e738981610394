//! `internetwache forms ...`: checking the form files.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::forms::Catalog;

#[derive(Debug, Subcommand)]
pub enum FormsCommand {
    /// Check every form file and overlay; prints `path:line: message` per problem.
    Check {
        /// The forms directory.
        #[arg(default_value = "forms")]
        dir: PathBuf,
    },
}

pub fn run(cmd: FormsCommand) -> ExitCode {
    match cmd {
        FormsCommand::Check { dir } => match Catalog::load(&dir) {
            Ok(catalog) => {
                println!(
                    "checked {} files, {} variants, {} states",
                    catalog.file_count(),
                    catalog.variants().count(),
                    catalog.states().count()
                );
                ExitCode::SUCCESS
            }
            Err(problems) => {
                for p in &problems {
                    println!("{p}");
                }
                eprintln!("{} problem(s)", problems.len());
                ExitCode::FAILURE
            }
        },
    }
}
