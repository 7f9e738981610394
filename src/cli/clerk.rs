//! `internetwache clerk ...`: police-side tools.

use anyhow::Context;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::crypto::envelope::{Envelope, EnvelopeMetadata};
use crate::crypto::keys::load_private_key;
use crate::reports::document::ReportDocument;

#[derive(Debug, Subcommand)]
pub enum ClerkCommand {
    /// Decrypt a report envelope with a police private key and print the report.
    Decrypt(DecryptArgs),
    /// Fetch the pending reports of the token's state from the pull API, decrypt each into
    /// OUT/<case_number>.json, then its undelivered follow-ups into
    /// OUT/<case_number>.<seq>.json, and acknowledge each with its receipt.
    Pull(PullArgs),
    /// Print the receipt (`v1=...`) of an envelope, to confirm receipt on the clerk page.
    Receipt(ReceiptArgs),
}

#[derive(Debug, Args)]
pub struct ReceiptArgs {
    /// The state's receipt secret file.
    #[arg(long)]
    pub receipt_secret: PathBuf,
    /// Envelope JSON file as downloaded; `-` or absent reads standard input.
    pub envelope: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Base URL of the service, e.g. https://internetwache.example.
    #[arg(long)]
    pub url: String,
    /// Pull-API token from `internetwache token add`.
    #[arg(long, env = "IW_PULL_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The private key file from `internetwache keys generate`.
    #[arg(long)]
    pub key: PathBuf,
    /// The state's receipt secret file (`DATA_DIR/keys/<state>.receipt-secret` on the server).
    #[arg(long)]
    pub receipt_secret: PathBuf,
    /// Directory the decrypted reports and follow-ups are written to.
    #[arg(long)]
    pub out: PathBuf,
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
        ClerkCommand::Receipt(args) => match receipt_of(&args) {
            Ok(receipt) => {
                println!("{receipt}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("error: {message:#}");
                ExitCode::FAILURE
            }
        },
        ClerkCommand::Pull(args) => {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("error: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(pull::run(&args)) {
                Ok(pulled) => {
                    println!(
                        "pulled {} reports and {} follow-ups into {}",
                        pulled.reports,
                        pulled.followups,
                        args.out.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("error: {message:#}");
                    ExitCode::FAILURE
                }
            }
        }
        ClerkCommand::Decrypt(args) => match decrypt(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message:#}");
                ExitCode::FAILURE
            }
        },
    }
}

mod pull {
    //! The police side of the pull API, as a reference client (`inbox::pull_client`).

    use std::path::Path;

    use anyhow::Context;

    use super::PullArgs;
    use crate::crypto::envelope::Envelope;
    use crate::crypto::keys::load_private_key;
    use crate::delivery::receipt;
    use crate::inbox::pull_client::PullClient;
    use crate::reports::case_number::CaseNumber;
    use crate::reports::followup;

    /// How many were written and acknowledged.
    pub struct Pulled {
        pub reports: usize,
        pub followups: usize,
    }

    /// Pulls every pending report, then the undelivered follow-ups (a report before what
    /// was added to it).
    pub async fn run(args: &PullArgs) -> anyhow::Result<Pulled> {
        let key = load_private_key(&args.key).context("cannot use key")?;
        let secret = std::fs::read_to_string(&args.receipt_secret)
            .with_context(|| format!("cannot read {}", args.receipt_secret.display()))?;
        let secret = secret.trim().as_bytes().to_vec();
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        let client = PullClient::new(&args.url, &args.token)?;
        let mut count = 0;
        let mut pages = client.pending();
        while let Some(items) = pages.next().await? {
            for item in items {
                fetch_one(&client, &key, &secret, &args.out, &item.case_number).await?;
                count += 1;
            }
        }
        let mut followups = 0;
        let mut pages = client.pending_followups();
        while let Some(items) = pages.next().await? {
            for item in items {
                let (case, seq) = (&item.case_number, item.seq);
                fetch_followup(&client, &key, &secret, &args.out, case, seq).await?;
                followups += 1;
            }
        }
        Ok(Pulled {
            reports: count,
            followups,
        })
    }

    /// Writes `out/<name>` completely (temporary file, then rename).
    fn write_whole(out: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = out.join(name);
        let tmp = out.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .with_context(|| format!("cannot write {}", path.display()))
    }

    async fn fetch_followup(
        client: &PullClient,
        key: &crate::crypto::PolicePrivateKey,
        secret: &[u8],
        out: &Path,
        case_number: &str,
        seq: u32,
    ) -> anyhow::Result<()> {
        let envelope_text = client.followup_envelope(case_number, seq).await?;
        let envelope = Envelope::from_json(&envelope_text)?;
        let case =
            CaseNumber::parse(case_number).map_err(|e| anyhow::anyhow!("{case_number}: {e}"))?;
        // The associated data must name this case and seq, or it is refused.
        let (_, doc) = followup::open(&envelope, key, &case, seq)
            .with_context(|| followup::delivery_key(&case, seq))?;
        let pretty = serde_json::to_vec_pretty(&doc)?;
        let delivery_key = followup::delivery_key(&case, seq);
        write_whole(out, &format!("{delivery_key}.json"), &pretty)?;
        let receipt = receipt::compute(secret, &delivery_key, envelope_text.as_bytes());
        client
            .acknowledge_followup(case_number, seq, &receipt)
            .await
    }

    async fn fetch_one(
        client: &PullClient,
        key: &crate::crypto::PolicePrivateKey,
        secret: &[u8],
        out: &Path,
        case_number: &str,
    ) -> anyhow::Result<()> {
        let envelope_text = client.envelope(case_number).await?;
        let envelope = Envelope::from_json(&envelope_text)?;
        let meta = envelope.metadata()?;
        if meta.case_number.as_str() != case_number {
            return Err(anyhow::anyhow!(
                "{case_number}: the envelope names another case"
            ));
        }
        let plaintext = envelope
            .open_with(key)
            .with_context(|| case_number.to_string())?;
        let pretty = serde_json::from_slice::<serde_json::Value>(&plaintext)
            .ok()
            .and_then(|v| serde_json::to_vec_pretty(&v).ok())
            .unwrap_or(plaintext);
        // Written completely before the receipt says it arrived.
        write_whole(out, &format!("{case_number}.json"), &pretty)?;
        let receipt = receipt::compute(secret, case_number, envelope_text.as_bytes());
        client.acknowledge(case_number, &receipt).await
    }
}

/// The receipt over the exact bytes given (the file as downloaded, not re-serialised).
fn receipt_of(args: &ReceiptArgs) -> anyhow::Result<String> {
    let secret = std::fs::read_to_string(&args.receipt_secret)
        .with_context(|| format!("cannot read {}", args.receipt_secret.display()))?;
    let input = read_input(args.envelope.as_deref())?;
    let envelope = Envelope::from_json(&input)?;
    let meta = envelope.metadata()?;
    Ok(crate::delivery::receipt::compute(
        secret.trim().as_bytes(),
        meta.case_number.as_str(),
        input.as_bytes(),
    ))
}

fn decrypt(args: &DecryptArgs) -> anyhow::Result<()> {
    let key = load_private_key(&args.key).context("cannot use key")?;
    let input = read_input(args.envelope.as_deref())?;
    let envelope = Envelope::from_json(&input)?;
    let meta = envelope.metadata()?;
    let plaintext = envelope
        .open_with(&key)
        // The cause first, as clerks read it: "decryption failed: ... (envelope for case X)".
        .map_err(|e| anyhow::anyhow!("{e} (envelope for case {})", meta.case_number))?;

    let mut out = std::io::stdout().lock();
    let written = if args.raw {
        out.write_all(&plaintext)
    } else {
        let value: serde_json::Value =
            serde_json::from_slice(&plaintext).context("the decrypted report is not JSON")?;
        let doc = ReportDocument::from_json_bytes(&plaintext).ok();
        if let Some(doc) = &doc {
            check_consistent(&meta, doc)?;
        }
        if args.text {
            let doc =
                doc.context("the decrypted report is not an internetwache.report.v1 document")?;
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
            }?;
            writeln!(out, "{pretty}")
        }
    };
    written
        .and_then(|()| out.flush())
        .context("cannot write output")
}

/// The authenticated metadata and the sealed report must describe the same case.
fn check_consistent(meta: &EnvelopeMetadata, doc: &ReportDocument) -> anyhow::Result<()> {
    let same = meta.case_number == doc.case_number
        && meta.state.eq_ignore_ascii_case(&doc.state)
        && meta.form_id == doc.form.id
        && meta.form_version == doc.form.version
        && meta.form_content_hash == doc.form.content_hash;
    if same {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "the report inside does not match the envelope metadata (case, state or form)"
        ))
    }
}

fn read_input(path: Option<&Path>) -> anyhow::Result<String> {
    match path {
        None => read_stdin(),
        Some(p) if p == Path::new("-") => read_stdin(),
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
        }
    }
}

fn read_stdin() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("cannot read standard input")?;
    Ok(s)
}
