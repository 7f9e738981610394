//! The parts of `scripts/bench` that need code: browsers walking the whole journey, the
//! database's own write ceilings (the store's SQL in a loop, no HTTP, no crypto), the police
//! endpoint's own ceiling, a queued backlog and its drain, and the Markdown table.
//!
//! It runs as its own process against a release `internetwache serve`; `wrk` measures the
//! single-request figures. Nothing here is part of the test run: it prints figures and
//! asserts nothing about time.

// `cargo bench` passes `--bench`; scripts/bench runs the built binary with a subcommand.
#[path = "../tests/api/filing.rs"]
#[allow(dead_code)]
mod filing;
#[path = "../tests/api/helpers.rs"]
#[allow(dead_code, unused_macros)]
mod helpers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::Utc;
use clap::{Parser, Subcommand};
use futures_util::stream::{self, StreamExt};
use internetwache::config::DatabaseUrl;
use internetwache::crypto::keys::{self, PolicePublicKey};
use internetwache::crypto::{AddressKeyring, Envelope, EnvelopeMetadata};
use internetwache::delivery::push;
use internetwache::forms::Catalog;
use internetwache::forms::{FieldKind, FormVariant};
use internetwache::reports::case_number::CaseNumber;
use internetwache::state_code::StateCode;
use internetwache::store::forms::{self as store_forms, NewFormVersion, Origin};
use internetwache::store::reports::{self, NewReport, SealedConfirmation, SubmitOutcome};
use internetwache::store::{drafts, Db};
use reqwest::cookie::{CookieStore, Jar};

use filing::{csrf_token, Filler, StepPost};

const STATE: &str = "be";
const FORM: &str = "fahrraddiebstahl";
/// The form the store-level rows (ceilings, backlog) are pinned to.
const BENCH_FORM: &str = "bench";
/// Shared push secret between the service and police-sim in a bench run.
const PUSH_SECRET: &str = "bench-push-secret-not-for-production";
/// Plaintext of a backlog report: a bicycle-theft report without attachments.
const SMALL_REPORT_BYTES: usize = 4096;
/// Failed operations of the ceiling loops, printed with their figures.
static FAILURES: AtomicU64 = AtomicU64::new(0);

#[derive(Parser)]
#[command(about = "Load driver and table for scripts/bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generates the police key for `be` and writes the service's config file pushing to `sim_url`.
    Setup {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        sim_url: String,
    },
    /// Starts `n` drafts of the bicycle-theft form and writes what wrk needs to GET and POST
    /// their first step (one draft cookie per connection).
    Drafts {
        #[arg(long)]
        base: String,
        #[arg(long, default_value_t = 64)]
        n: usize,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "forms")]
        forms: PathBuf,
    },
    /// Complete filings over HTTP: `connections` browsers, each filing report after report.
    Journeys {
        #[arg(long)]
        base: String,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        #[arg(long, default_value_t = 20)]
        secs: u64,
        #[arg(long, default_value = "forms")]
        forms: PathBuf,
    },
    /// The database's own ceilings for the draft-save and the filing transaction.
    DbCeilings {
        /// A fresh database (created if missing on PostgreSQL).
        #[arg(long)]
        db: String,
        /// The service's database after the journeys, for real payload and envelope sizes.
        #[arg(long)]
        sizes_from: String,
        #[arg(long)]
        key_dir: PathBuf,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Database connections the loops share: the service's pool size.
        #[arg(long, default_value_t = 10)]
        pool: u32,
        #[arg(long, default_value_t = 10)]
        secs: u64,
    },
    /// The police endpoint's own ceiling: signed pushes straight to police-sim.
    PoliceCeiling {
        #[arg(long)]
        url: String,
        #[arg(long)]
        key_dir: PathBuf,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        #[arg(long, default_value_t = 10)]
        secs: u64,
    },
    /// Queues `n` reports (delivery job each) in a fresh database.
    Backlog {
        #[arg(long)]
        db: String,
        #[arg(long)]
        key_dir: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        n: usize,
    },
    /// Waits until `n` reports are delivered; prints the drain rate.
    Drain {
        #[arg(long)]
        db: String,
        #[arg(long, default_value_t = 10_000)]
        n: i64,
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
    },
    /// Prints the Markdown table from the `key value` result files.
    Report {
        #[arg(long)]
        sqlite: PathBuf,
        #[arg(long)]
        postgres: PathBuf,
        #[arg(long)]
        header: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command {
            Command::Setup { dir, sim_url } => setup(&dir, &sim_url),
            Command::Drafts {
                base,
                n,
                out,
                forms,
            } => prepare_drafts(&base, n, &out, &forms).await,
            Command::Journeys {
                base,
                connections,
                secs,
                forms,
            } => journeys(&base, connections, Duration::from_secs(secs), &forms).await,
            Command::DbCeilings {
                db,
                sizes_from,
                key_dir,
                connections,
                pool,
                secs,
            } => {
                db_ceilings(
                    &db,
                    &sizes_from,
                    &key_dir,
                    (connections, pool),
                    Duration::from_secs(secs),
                )
                .await
            }
            Command::PoliceCeiling {
                url,
                key_dir,
                connections,
                secs,
            } => police_ceiling(&url, &key_dir, connections, Duration::from_secs(secs)).await,
            Command::Backlog { db, key_dir, n } => backlog(&db, &key_dir, n).await,
            Command::Drain {
                db,
                n,
                timeout_secs,
            } => drain(&db, n, Duration::from_secs(timeout_secs)).await,
            Command::Report {
                sqlite,
                postgres,
                header,
            } => report(&sqlite, &postgres, &header),
        }
    })
}

// ---------------------------------------------------------------- set-up and keys

fn setup(dir: &Path, sim_url: &str) -> anyhow::Result<()> {
    let key = keys::generate(STATE, &dir.join("police-keys"))?;
    let config = format!(
        "[police.be]\nops_email = \"ops@polizei.example\"\n\
         [[police.be.keys]]\nkey_id = \"{}\"\npublic_key = \"{}\"\n\
         [police.be.delivery]\nmode = \"push\"\nurl = \"{sim_url}\"\nsecret = \"{PUSH_SECRET}\"\n",
        key.public.key_id,
        key.public.public_base64()
    );
    std::fs::write(dir.join("internetwache.toml"), config)?;
    println!("{}", key.private_path.display());
    Ok(())
}

fn public_key(key_dir: &Path) -> anyhow::Result<PolicePublicKey> {
    for entry in std::fs::read_dir(key_dir.join("police-keys"))? {
        let path = entry?.path();
        if path.to_string_lossy().ends_with(".public.json") {
            return Ok(keys::load_public_key(&path)?);
        }
    }
    bail!("no public key under {}", key_dir.display())
}

async fn open_db(url: &str, connections: u32) -> anyhow::Result<Db> {
    let url: DatabaseUrl = url.parse().map_err(anyhow::Error::msg)?;
    Db::ensure_database(&url).await?;
    let db = Db::connect_lazy(&url, connections)?;
    db.migrate().await?;
    Ok(db)
}

/// Pins the store-level rows to a registered form version, as every report is.
async fn register_bench_form(db: &Db) -> anyhow::Result<()> {
    store_forms::register(
        db,
        &NewFormVersion {
            state: STATE,
            form_id: BENCH_FORM,
            version: 1,
            content_hash: "bench-1",
            category: FORM,
            definition: "{}",
            origin: Origin::File,
            created_by: None,
        },
        Utc::now(),
        None,
    )
    .await?;
    Ok(())
}

fn seal(key: &PolicePublicKey, case_number: &CaseNumber, plaintext: &[u8]) -> Envelope {
    let meta = EnvelopeMetadata {
        case_number: case_number.clone(),
        state: STATE.into(),
        recipient_key_id: key.key_id.clone(),
        form_id: BENCH_FORM.into(),
        form_version: 1,
        form_content_hash: "bench-1".into(),
        submitted_at: Utc::now(),
        office_id: Some("dir3".into()),
    };
    Envelope::seal(&meta, key, plaintext).expect("sealing with a generated key works")
}

// ---------------------------------------------------------------- browsers

/// A browser without JavaScript: its own cookie jar, no automatic redirects.
struct Browser {
    client: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
    /// Each request's kind and latency.
    latencies: Vec<(RequestKind, Duration)>,
}

/// What a journey's request does, to say where its slow requests come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum RequestKind {
    /// A page: start, step, review, confirmation.
    Get,
    /// A step's answers (or "Jetzt beginnen").
    Post,
    /// The evidence step with its 200 KiB photo.
    Upload,
    /// "Absenden": the filing.
    Submit,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new(base: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("static client configuration");
        Browser {
            client,
            jar,
            base: base.trim_end_matches('/').to_owned(),
            latencies: Vec::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn send(
        &mut self,
        kind: RequestKind,
        req: reqwest::RequestBuilder,
    ) -> anyhow::Result<Page> {
        let started = Instant::now();
        let res = req.send().await?;
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = res.text().await?;
        self.latencies.push((kind, started.elapsed()));
        Ok(Page {
            status,
            location,
            body,
        })
    }

    async fn get(&mut self, path: &str) -> anyhow::Result<Page> {
        let req = self.client.get(self.url(path));
        let page = self.send(RequestKind::Get, req).await?;
        if page.status != 200 {
            bail!("GET {path}: {}", page.status);
        }
        Ok(page)
    }

    /// POSTs and expects the 303 of a browser flow; returns where it leads.
    async fn post(&mut self, path: &str, csrf: &str, post: &StepPost) -> anyhow::Result<String> {
        let mut pairs = post.pairs.clone();
        pairs.push(("csrf_token".into(), csrf.to_owned()));
        let req = if post.files.is_empty() {
            self.client.post(self.url(path)).form(&pairs)
        } else {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in pairs {
                form = form.text(k, v);
            }
            for (name, file_name, mime, bytes) in &post.files {
                let part = reqwest::multipart::Part::bytes(bytes.clone())
                    .file_name(file_name.clone())
                    .mime_str(mime)?;
                form = form.part(name.clone(), part);
            }
            self.client.post(self.url(path)).multipart(form)
        };
        let kind = if !post.files.is_empty() {
            RequestKind::Upload
        } else if path.ends_with("/absenden") {
            RequestKind::Submit
        } else {
            RequestKind::Post
        };
        let page = self.send(kind, req).await?;
        match (page.status, page.location) {
            (303, Some(location)) => Ok(location),
            (status, _) => bail!(
                "POST {path}: {status} {}",
                filing::error_summary(&page.body).unwrap_or_default()
            ),
        }
    }

    /// Start page and "Jetzt beginnen"; returns the first step's path.
    async fn start(&mut self) -> anyhow::Result<String> {
        let start = format!("/{STATE}/{FORM}");
        let page = self.get(&start).await?;
        let csrf = csrf_token(&page.body);
        self.post(&format!("{start}/start"), &csrf, &StepPost::default())
            .await
    }
}

fn bicycle_theft(forms: &Path) -> anyhow::Result<FormVariant> {
    let catalog = Catalog::load(forms).map_err(|p| anyhow::anyhow!("forms: {p:?}"))?;
    let state = StateCode::parse(STATE).map_err(|e| anyhow::anyhow!("{e}"))?;
    catalog
        .variant(&state, FORM)
        .cloned()
        .context("the bicycle-theft form of Berlin")
}

/// The answers to one step: the example answers the API tests file (valid values for every
/// field, the PNG on the evidence step replaced by `png`).
fn answers(variant: &FormVariant, path: &str, filler: &mut Filler, png: &[u8]) -> StepPost {
    let step_id = path.rsplit('/').next().unwrap_or_default();
    let mut post = StepPost::default();
    if let Some(step) = variant.steps.iter().find(|s| s.id == step_id) {
        for field in &step.fields {
            filler.fill(field, &format!("f-{}", field.id), &mut post);
        }
    }
    for file in &mut post.files {
        file.3 = png.to_vec();
    }
    post.set("action", "next");
    post
}

async fn prepare_drafts(base: &str, n: usize, out: &Path, forms: &Path) -> anyhow::Result<()> {
    let variant = bicycle_theft(forms)?;
    let first = &variant.steps[0];
    if first
        .fields
        .iter()
        .any(|f| matches!(f.kind, FieldKind::File(_)))
    {
        bail!("the first step of {FORM} asks for a file; wrk posts url-encoded bodies only");
    }
    let mut lines = Vec::new();
    let mut step_path = String::new();
    let mut body = String::new();
    for i in 0..n {
        let mut browser = Browser::new(base);
        let path = browser.start().await?;
        let page = browser.get(&path).await?;
        let csrf = csrf_token(&page.body);
        let mut filler = Filler::new("10115", &format!("Bench{i}"));
        let post = answers(&variant, &path, &mut filler, &[]);
        // Proves the body is accepted before wrk repeats it.
        browser.post(&path, &csrf, &post).await?;
        let cookie = browser
            .jar
            .cookies(&browser.url(&path).parse()?)
            .context("the browser holds cookies")?;
        let encoded_csrf: String = url::form_urlencoded::byte_serialize(csrf.as_bytes()).collect();
        lines.push(format!("C\t{}\t{encoded_csrf}", cookie.to_str()?));
        if i == 0 {
            step_path = path;
            // Same answers for every connection; only the markers differ, which wrk cannot vary.
            body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(post.pairs.iter())
                .finish();
        }
    }
    let mut text = format!("PATH\t{step_path}\nBODY\t{body}\n");
    text.push_str(&lines.join("\n"));
    text.push('\n');
    std::fs::write(out, text)?;
    println!("{n} drafts at {step_path}");
    Ok(())
}

/// A valid PNG of about 200 KiB (256×266 RGB noise, stored deflate blocks).
fn png_200k() -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let (w, h) = (256u32, 266u32);
    let mut raw = Vec::with_capacity(((w * 3 + 1) * h) as usize);
    let mut x = 0x2545_F491u32;
    for _ in 0..h {
        raw.extend([0u8]); // filter byte of the row: none
        for _ in 0..w * 3 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            raw.push(x as u8);
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &z);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// One complete filing: start, every step fetched and posted, review, submit, confirmation.
async fn file_one(
    browser: &mut Browser,
    variant: &FormVariant,
    filler: &mut Filler,
    png: &[u8],
) -> anyhow::Result<()> {
    let mut path = browser.start().await?;
    let mut guard = 0;
    while path.contains("/schritt/") {
        let page = browser.get(&path).await?;
        let csrf = csrf_token(&page.body);
        let post = answers(variant, &path, filler, png);
        path = browser.post(&path, &csrf, &post).await?;
        guard += 1;
        if guard > 40 {
            bail!("the flow does not end");
        }
    }
    if !path.ends_with("/pruefen") {
        bail!("after the last step came {path}, not the review");
    }
    let review = browser.get(&path).await?;
    let csrf = csrf_token(&review.body);
    let confirmation = browser
        .post(
            &path.replace("/pruefen", "/absenden"),
            &csrf,
            &StepPost::default(),
        )
        .await?;
    let page = browser.get(&confirmation).await?;
    if !page.body.contains("id=\"case-number\"") {
        bail!("the confirmation shows no case number");
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p / 100.0).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

async fn journeys(
    base: &str,
    connections: usize,
    duration: Duration,
    forms: &Path,
) -> anyhow::Result<()> {
    let variant = Arc::new(bicycle_theft(forms)?);
    let png: Arc<[u8]> = png_200k().into();
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..connections {
        let (variant, png, stop, failures) =
            (variant.clone(), png.clone(), stop.clone(), failures.clone());
        let base = base.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut filed = 0u64;
            let mut requests = Vec::new();
            let mut journeys = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let mut browser = Browser::new(&base);
                let mut filler = Filler::new("10115", &format!("J{t}x{i}"));
                i += 1;
                let began = Instant::now();
                match file_one(&mut browser, &variant, &mut filler, &png).await {
                    Ok(()) => {
                        filed += 1;
                        journeys.push(began.elapsed());
                    }
                    Err(e) => {
                        if failures.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("bench: a filing failed: {e:#}");
                        }
                    }
                }
                requests.append(&mut browser.latencies);
            }
            (filed, requests, journeys)
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut filed = 0;
    let mut requests = Vec::new();
    let mut journeys = Vec::new();
    for task in tasks {
        let (f, mut r, mut j) = task.await?;
        filed += f;
        requests.append(&mut r);
        journeys.append(&mut j);
    }
    // Journeys finish after the stop signal; count the time they took.
    let secs = started.elapsed().as_secs_f64();
    journeys.sort();
    // Where the slow requests come from (standard error: not a figure of the report).
    let mut by_kind: BTreeMap<RequestKind, Vec<Duration>> = BTreeMap::new();
    for (kind, latency) in &requests {
        by_kind.entry(*kind).or_default().push(*latency);
    }
    for (kind, latencies) in &mut by_kind {
        latencies.sort();
        eprintln!(
            "bench: journeys' {kind:?} requests: {}, p50 {:.1} ms, p99 {:.1} ms",
            latencies.len(),
            percentile(latencies, 50.0),
            percentile(latencies, 99.0)
        );
    }
    let mut requests: Vec<Duration> = requests.into_iter().map(|(_, latency)| latency).collect();
    requests.sort();
    println!(
        "RESULT filings_per_s={:.2} filings={filed} failures={} request_p50_ms={:.2} request_p99_ms={:.2} journey_p50_ms={:.0} journey_p99_ms={:.0} requests={}",
        filed as f64 / secs,
        failures.load(Ordering::Relaxed),
        percentile(&requests, 50.0),
        percentile(&requests, 99.0),
        percentile(&journeys, 50.0),
        percentile(&journeys, 99.0),
        requests.len()
    );
    Ok(())
}

// ---------------------------------------------------------------- database ceilings

/// Runs `op` in `connections` loops for `duration`; returns successful operations per
/// second and their latencies (ms) at p50 and p99. Failures (e.g. SQLite's "database is
/// locked" after its busy timeout) are counted and reported, not fatal.
async fn in_loops<F, Fut>(
    connections: usize,
    duration: Duration,
    op: F,
) -> anyhow::Result<(f64, f64, f64)>
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..connections {
        let (op, stop) = (op.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let began = Instant::now();
                match op(t, i).await {
                    Ok(()) => latencies.push(began.elapsed()),
                    Err(e) => {
                        if FAILURES.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("bench: an operation failed: {e:#}");
                        }
                    }
                }
                i += 1;
            }
            anyhow::Ok(latencies)
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for task in tasks {
        all.append(&mut task.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    Ok((
        all.len() as f64 / secs,
        percentile(&all, 50.0),
        percentile(&all, 99.0),
    ))
}

/// What the service stored, so the ceiling writes the same amount: a draft payload at the
/// benchmarked step, a filed draft's payload and an envelope of a filing with its PNG.
async fn real_sizes(url: &str) -> anyhow::Result<(usize, usize, String)> {
    let db = open_db(url, 2).await?;
    let (step, filed, envelope) = internetwache::with_db!(&db, pool => {
        let step: Vec<u8> = sqlx::query_scalar(
            "SELECT payload FROM drafts WHERE case_number IS NULL ORDER BY created_at LIMIT 1",
        )
        .fetch_one(pool)
        .await?;
        let filed: Vec<u8> = sqlx::query_scalar(
            "SELECT payload FROM drafts WHERE case_number IS NOT NULL LIMIT 1",
        )
        .fetch_one(pool)
        .await?;
        let envelope: String = sqlx::query_scalar("SELECT envelope FROM reports LIMIT 1")
            .fetch_one(pool)
            .await?;
        anyhow::Ok((step.len(), filed.len(), envelope))
    })?;
    db.close().await;
    Ok((step, filed, envelope))
}

async fn db_ceilings(
    url: &str,
    sizes_from: &str,
    key_dir: &Path,
    (connections, pool): (usize, u32),
    duration: Duration,
) -> anyhow::Result<()> {
    let (step_bytes, filed_bytes, envelope) = real_sizes(sizes_from).await?;
    let key = public_key(key_dir)?;
    let db = open_db(url, pool).await?;
    register_bench_form(&db).await?;
    let state = StateCode::parse(STATE).map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = Utc::now();
    let ids: Vec<String> = (0..connections)
        .map(|i| format!("bench-draft-{i}"))
        .collect();
    for id in &ids {
        drafts::insert(
            &db,
            &drafts::NewDraft {
                id,
                state: &state,
                form_id: BENCH_FORM,
                form_version: 1,
                payload: &vec![7u8; step_bytes],
                now,
                idle_expires_at: now + chrono::Duration::hours(1),
                expires_at: now + chrono::Duration::hours(24),
            },
        )
        .await?;
    }
    let ids = Arc::new(ids);

    // Draft save: what `Drafts::save` runs (read the row, write the new sealed payload).
    let (save_rate, save_p50, save_p99) = {
        let (db, ids) = (db.clone(), ids.clone());
        in_loops(connections, duration, move |t, i| {
            let (db, ids) = (db.clone(), ids.clone());
            async move {
                let id = &ids[t];
                let payload = vec![(i % 251) as u8; step_bytes];
                let row = drafts::get(&db, id).await?.context("draft row")?;
                let now = Utc::now();
                let idle = (now + chrono::Duration::hours(1)).min(row.expires_at);
                drafts::update(&db, id, &payload, now, idle).await?;
                Ok(())
            }
        })
        .await?
    };

    // Filing: `reports::submit` with the service's envelope, e-mail job and the filed
    // draft's payload, marking this loop's draft as submitted (as the service does).
    let address = Arc::new(AddressKeyring::generate()?.seal(b"bench", b"citizen@example.org")?);
    let envelope_bytes = envelope.len();
    let envelope = Arc::new(envelope);
    let sha = Envelope::from_json(&envelope)?.sha256_hex();
    let (file_rate, file_p50, file_p99) = {
        let (db, ids, key) = (db.clone(), ids.clone(), key.key_id.clone());
        in_loops(connections, duration, move |t, _| {
            let (db, ids, key, envelope, sha, address) = (
                db.clone(),
                ids.clone(),
                key.clone(),
                envelope.clone(),
                sha.clone(),
                address.clone(),
            );
            async move {
                let draft_payload = vec![9u8; filed_bytes];
                let state = StateCode::parse(STATE).expect("static state code");
                loop {
                    let case_number = CaseNumber::generate(STATE)?;
                    let submission_key = format!("bench-{case_number}");
                    let outcome = reports::submit(
                        &db,
                        &NewReport {
                            case_number: &case_number,
                            submission_key: &submission_key,
                            state: &state,
                            category: FORM,
                            form_id: BENCH_FORM,
                            form_version: 1,
                            content_hash: "bench-1",
                            office_id: Some("dir3"),
                            key_id: &key,
                            envelope: &envelope,
                            envelope_sha256: &sha,
                            submitted_at: Utc::now(),
                            confirmation: Some(SealedConfirmation {
                                sealed_address: &address,
                                language: "de",
                            }),
                            max_attempts: 25,
                            status_code_hash: "00",
                            draft_payload: Some(&draft_payload),
                        },
                        // The draft update of the same transaction, on this loop's own row.
                        Some(&ids[t]),
                    )
                    .await?;
                    match outcome {
                        SubmitOutcome::Created { .. } => return Ok(()),
                        SubmitOutcome::CaseNumberTaken => continue,
                        other => bail!("unexpected {other:?}"),
                    }
                }
            }
        })
        .await?
    };
    db.close().await;
    let failures = FAILURES.load(Ordering::Relaxed);
    println!(
        "RESULT ceiling_failures={failures} draft_save_ceiling_per_s={save_rate:.1} draft_save_ceiling_p50_ms={save_p50:.2} draft_save_ceiling_p99_ms={save_p99:.2} filing_ceiling_per_s={file_rate:.1} filing_ceiling_p50_ms={file_p50:.2} filing_ceiling_p99_ms={file_p99:.2} step_payload_bytes={step_bytes} envelope_bytes={envelope_bytes}"
    );
    Ok(())
}

// ---------------------------------------------------------------- police endpoint

fn small_report(case_number: &CaseNumber) -> Vec<u8> {
    let mut text = format!("{{\"what\":\"Fahrrad gestohlen\",\"case\":\"{case_number}\",\"x\":\"");
    text.push_str(&"x".repeat(SMALL_REPORT_BYTES.saturating_sub(text.len() + 2)));
    text.push_str("\"}");
    text.into_bytes()
}

async fn police_ceiling(
    url: &str,
    key_dir: &Path,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<()> {
    let key = Arc::new(public_key(key_dir)?);
    let client = push::client(Duration::from_secs(30));
    let url = url.to_owned();
    let (rate, p50, p99) = in_loops(connections, duration, move |_, _| {
        let (key, client, url) = (key.clone(), client.clone(), url.clone());
        async move {
            // Sealing is the intake's work, not the endpoint's; it is cheap next to a push.
            let case_number = CaseNumber::generate(STATE)?;
            let envelope = seal(&key, &case_number, &small_report(&case_number)).to_json();
            push::push(
                &client,
                &url,
                PUSH_SECRET.as_bytes(),
                case_number.as_str(),
                &envelope,
                Utc::now().timestamp(),
            )
            .await?;
            Ok(())
        }
    })
    .await?;
    let failures = FAILURES.load(Ordering::Relaxed);
    println!("RESULT police_failures={failures} police_ceiling_per_s={rate:.1} police_ceiling_p50_ms={p50:.2} police_ceiling_p99_ms={p99:.2}");
    Ok(())
}

async fn backlog(url: &str, key_dir: &Path, n: usize) -> anyhow::Result<()> {
    let key = public_key(key_dir)?;
    let db = open_db(url, 8).await?;
    register_bench_form(&db).await?;
    let state = StateCode::parse(STATE).map_err(|e| anyhow::anyhow!("{e}"))?;
    let results: Vec<anyhow::Result<()>> = stream::iter(0..n)
        .map(|_| {
            let (db, key, state) = (&db, &key, &state);
            async move {
                loop {
                    let case_number = CaseNumber::generate(STATE)?;
                    let envelope = seal(key, &case_number, &small_report(&case_number));
                    let submission_key = format!("bench-{case_number}");
                    let outcome = reports::submit(
                        db,
                        &NewReport {
                            case_number: &case_number,
                            submission_key: &submission_key,
                            state,
                            category: FORM,
                            form_id: BENCH_FORM,
                            form_version: 1,
                            content_hash: "bench-1",
                            office_id: Some("dir3"),
                            key_id: &key.key_id,
                            envelope: &envelope.to_json(),
                            envelope_sha256: &envelope.sha256_hex(),
                            submitted_at: Utc::now(),
                            confirmation: None,
                            max_attempts: 25,
                            status_code_hash: "00",
                            draft_payload: None,
                        },
                        None,
                    )
                    .await?;
                    if let SubmitOutcome::Created { .. } = outcome {
                        return Ok(());
                    }
                }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for r in results {
        r?;
    }
    db.close().await;
    println!("{n} reports queued");
    Ok(())
}

async fn delivered(db: &Db) -> anyhow::Result<i64> {
    Ok(
        internetwache::with_db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM reports WHERE status = 'delivered'",
    )
    .fetch_one(pool)
    .await?),
    )
}

/// Polls the delivered count; the rate runs from the first delivery seen to the last.
async fn drain(url: &str, n: i64, timeout: Duration) -> anyhow::Result<()> {
    let db = open_db(url, 1).await?;
    let deadline = Instant::now() + timeout;
    let mut first: Option<(Instant, i64)> = None;
    loop {
        let count = delivered(&db).await?;
        let now = Instant::now();
        if count > 0 && first.is_none() {
            first = Some((now, count));
        }
        if count >= n {
            let (t0, c0) = first.expect("set when the count first rose");
            let secs = now.duration_since(t0).as_secs_f64().max(0.001);
            println!(
                "RESULT delivery_per_s={:.1} delivered={count} drain_secs={secs:.2}",
                (count - c0) as f64 / secs
            );
            return Ok(());
        }
        if now > deadline {
            bail!("only {count} of {n} reports delivered within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------- the table

fn read_results(path: &Path) -> anyhow::Result<BTreeMap<String, f64>> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    Ok(text
        .split_whitespace()
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((k.to_owned(), v.parse().ok()?))
        })
        .collect())
}

fn report(sqlite: &Path, postgres: &Path, header: &str) -> anyhow::Result<()> {
    let engines = [read_results(sqlite)?, read_results(postgres)?];
    let get = |r: &BTreeMap<String, f64>, k: &str| r.get(k).copied();
    let rate = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.0}/s"));
    let ms = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.1} ms"));
    let ratio = |a: Option<f64>, b: Option<f64>, target: f64| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => {
            let r = a / b * 100.0;
            // Within a point of the target, one decimal: "40 % ✗" would read as a pass.
            let shown = if (r - target).abs() < 1.0 {
                format!("{r:.1} %")
            } else {
                format!("{r:.0} %")
            };
            if r >= target {
                format!("{shown} ✓")
            } else {
                format!("{shown} ✗ (target ≥ {target:.0} %)")
            }
        }
        _ => "–".into(),
    };
    let p99_ok = |v: Option<f64>| match v {
        Some(v) if v <= 20.0 => format!("{v:.1} ms ✓"),
        Some(v) => format!("{v:.1} ms ✗ (target ≤ 20 ms)"),
        None => "–".into(),
    };
    let mut out = format!("{header}\n\n| figure | SQLite | PostgreSQL |\n|---|---|---|\n");
    let mut row = |name: &str, cell: &dyn Fn(&BTreeMap<String, f64>) -> String| {
        out.push_str(&format!(
            "| {name} | {} | {} |\n",
            cell(&engines[0]),
            cell(&engines[1])
        ));
    };
    row("`/healthz` (framework ceiling)", &|r| {
        format!(
            "{}, p99 {}",
            rate(get(r, "healthz_rps")),
            ms(get(r, "healthz_p99_ms"))
        )
    });
    row("`/readyz` (ceiling: framework + one DB round trip)", &|r| {
        format!(
            "{}, p99 {}",
            rate(get(r, "readyz_rps")),
            ms(get(r, "readyz_p99_ms"))
        )
    });
    row("GET step (draft opened, page rendered)", &|r| {
        format!(
            "{}, p50 {}, p99 {}",
            rate(get(r, "get_step_rps")),
            ms(get(r, "get_step_p50_ms")),
            p99_ok(get(r, "get_step_p99_ms"))
        )
    });
    row("GET step ÷ `/readyz`", &|r| {
        ratio(get(r, "get_step_rps"), get(r, "readyz_rps"), 50.0)
    });
    row("Draft-save transaction, raw store loop (ceiling)", &|r| {
        format!(
            "{}, p99 {}",
            rate(get(r, "draft_save_ceiling_per_s")),
            ms(get(r, "draft_save_ceiling_p99_ms"))
        )
    });
    row("POST step (validate, reseal, save the draft)", &|r| {
        format!(
            "{}, p50 {}, p99 {}",
            rate(get(r, "post_step_rps")),
            ms(get(r, "post_step_p50_ms")),
            p99_ok(get(r, "post_step_p99_ms"))
        )
    });
    row("POST step ÷ draft-save ceiling", &|r| {
        ratio(
            get(r, "post_step_rps"),
            get(r, "draft_save_ceiling_per_s"),
            80.0,
        )
    });
    row("Filing transaction, raw store loop (ceiling)", &|r| {
        format!(
            "{}, p99 {}, failed {}",
            rate(get(r, "filing_ceiling_per_s")),
            ms(get(r, "filing_ceiling_p99_ms")),
            get(r, "ceiling_failures").map_or("–".into(), |f| format!("{f:.0}"))
        )
    });
    row("Complete filings (whole journey, 200 KiB PNG)", &|r| {
        format!(
            "{}, requests p50 {}, p99 {}, failed {}",
            get(r, "filings_per_s").map_or("–".into(), |v| format!("{v:.1}/s")),
            ms(get(r, "request_p50_ms")),
            p99_ok(get(r, "request_p99_ms")),
            get(r, "failures").map_or("–".into(), |f| format!("{f:.0}"))
        )
    });
    row("Filings ÷ filing ceiling", &|r| {
        ratio(
            get(r, "filings_per_s"),
            get(r, "filing_ceiling_per_s"),
            40.0,
        )
    });
    row(
        "Police endpoint (police-sim, signed pushes, ceiling)",
        &|r| {
            format!(
                "{}, p99 {}",
                rate(get(r, "police_ceiling_per_s")),
                ms(get(r, "police_ceiling_p99_ms"))
            )
        },
    );
    row("Delivery: queued reports drained to police-sim", &|r| {
        let v = get(r, "delivery_per_s");
        let mark = match v {
            Some(v) if v >= 1000.0 => "✓",
            Some(_) => "✗ (target ≥ 1,000/s)",
            None => "",
        };
        let n = get(r, "delivered").map_or(String::new(), |n| format!(" ({n:.0} reports)"));
        format!("{}{n} {mark}", rate(v))
    });
    row("Delivery ÷ police endpoint", &|r| {
        ratio(
            get(r, "delivery_per_s"),
            get(r, "police_ceiling_per_s"),
            50.0,
        )
    });
    row(
        "Peak RSS of the service (VmHWM)",
        &|r| match get(r, "rss_kib") {
            Some(k) => {
                let mib = k / 1024.0;
                let mark = if mib <= 100.0 {
                    "✓"
                } else {
                    "✗ (target ≤ 100 MiB)"
                };
                format!("{mib:.0} MiB {mark}")
            }
            None => "–".into(),
        },
    );
    print!("{out}");
    Ok(())
}
