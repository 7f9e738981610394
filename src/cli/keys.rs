//! `internetwache keys ...`: police key pairs.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::crypto::keys;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate an X25519 key pair for a state's police. Writes
    /// `<key_id>.private.json` (mode 0600, give it to the clerks only) and
    /// `<key_id>.public.json`, and prints the config block for internetwache.toml.
    Generate {
        /// Two-letter state code, e.g. `be`.
        #[arg(long)]
        state: String,
        /// Directory for the two key files (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(cmd: KeysCommand) -> ExitCode {
    match cmd {
        KeysCommand::Generate { state, out } => match keys::generate(&state, &out) {
            Ok(g) => {
                eprintln!(
                    "private key: {} (keep secret, for the police clerks only)",
                    g.private_path.display()
                );
                eprintln!("public key:  {}", g.public_path.display());
                eprintln!("add this to internetwache.toml:");
                print!("{}", g.config_snippet);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
