//! `internetwache clerk ...`: police-side tools.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::crypto::envelope::{Envelope, EnvelopeMetadata};
use crate::crypto::keys::load_private_key;
use crate::report_document::ReportDocument;

#[derive(Debug, Subcommand)]
pub enum ClerkCommand {
    /// Decrypt a report envelope with a police private key and print the report.
    Decrypt(DecryptArgs),
}

#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// The private key file from `internetwache keys generate`.
    #[arg(long)]
    pub key: PathBuf,
    /// Envelope JSON file; `-` or absent reads standard input.
    pub envelope: Option<PathBuf>,
    /// Print a readable text rendering instead of JSON.
    #[arg(long, conflicts_with = "raw")]
    pub text: bool,
    /// Print the decrypted bytes exactly as sealed.
    #[arg(long)]
    pub raw: bool,
}

pub fn run(cmd: ClerkCommand) -> ExitCode {
    match cmd {
        ClerkCommand::Decrypt(args) => match decrypt(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
    }
}

fn decrypt(args: &DecryptArgs) -> Result<(), String> {
    let key = load_private_key(&args.key).map_err(|e| format!("cannot use key: {e}"))?;
    let input = read_input(args.envelope.as_deref())?;
    let envelope = Envelope::from_json(&input).map_err(|e| e.to_string())?;
    let meta = envelope.metadata().map_err(|e| e.to_string())?;
    let plaintext = envelope
        .open_with(&key)
        .map_err(|e| format!("{e} (envelope for case {})", meta.case_number))?;

    let mut out = std::io::stdout().lock();
    let written = if args.raw {
        out.write_all(&plaintext)
    } else {
        let value: serde_json::Value = serde_json::from_slice(&plaintext)
            .map_err(|_| "the decrypted report is not JSON".to_string())?;
        let doc = ReportDocument::from_json_bytes(&plaintext).ok();
        if let Some(doc) = &doc {
            check_consistent(&meta, doc)?;
        }
        if args.text {
            let doc =
                doc.ok_or("the decrypted report is not an internetwache.report.v1 document")?;
            out.write_all(doc.to_text().as_bytes())
        } else {
            // Keep the schema's field order unless the report has fields this
            // version does not know (then `Value` keeps them, sorted).
            let typed = doc
                .as_ref()
                .and_then(|d| serde_json::to_value(d).ok())
                .filter(|v| *v == value);
            let pretty = match typed {
                Some(_) => serde_json::to_string_pretty(&doc),
                None => serde_json::to_string_pretty(&value),
            }
            .map_err(|e| e.to_string())?;
            writeln!(out, "{pretty}")
        }
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write output: {e}"))
}

/// The authenticated metadata and the sealed report must describe the same case.
fn check_consistent(meta: &EnvelopeMetadata, doc: &ReportDocument) -> Result<(), String> {
    let same = meta.case_number == doc.case_number
        && meta.state.eq_ignore_ascii_case(&doc.state)
        && meta.form_id == doc.form.id
        && meta.form_version == doc.form.version
        && meta.form_content_hash == doc.form.content_hash;
    if same {
        Ok(())
    } else {
        Err("the report inside does not match the envelope metadata (case, state or form)".into())
    }
}

fn read_input(path: Option<&Path>) -> Result<String, String> {
    match path {
        None => read_stdin(),
        Some(p) if p == Path::new("-") => read_stdin(),
        Some(p) => {
            std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        }
    }
}

fn read_stdin() -> Result<String, String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(s)
}
