//! `internetwache police-sim`: the inbox's receiver (`inbox::push`, `inbox::receiver`) with
//! fault injection around it, for tests and demos. It is not a second receiver: signature
//! check, storing once per case number (in `OUT.inbox/inbox.db`) and the receipt are the inbox's.
//! What it adds: `/_control` and `--mode` to inject failures, `/_stats` counters, and the
//! opened report written to `OUT/<case number>.json`.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde::{Deserialize, Serialize};

use crate::config::DatabaseUrl;
use crate::crypto::audit_chain::AuditKey;
use crate::crypto::PolicePrivateKey;
use crate::delivery::receipt::{self, ReceiptBody};
use crate::inbox::keyring::Keyring;
use crate::inbox::push::{self, PushHeaders};
use crate::inbox::receiver::Receiver;
use crate::reports::document::ReportDocument;
use crate::store::Db;

/// How the sim answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Ok,
    /// HTTP 503, nothing stored.
    Fail503,
    /// Waits `slow` before answering normally.
    Slow,
    /// Stores the report, then breaks the connection instead of answering.
    Drop,
    /// Stores the report, answers 200 with a wrong receipt.
    BadReceipt,
    /// Stores the report, answers 200 without a receipt.
    NoReceipt,
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_string()))
            .map_err(|_| format!("unknown mode {s:?}"))
    }
}

/// `POST /_control` body: `mode` for the next `for_requests` requests (all, if absent).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Control {
    pub mode: Mode,
    #[serde(default)]
    pub for_requests: Option<u64>,
}

/// `GET /_stats`: requests (with a valid signature) and stored reports per key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stats {
    pub total_requests: u64,
    pub rejected_signatures: u64,
    pub in_flight: u64,
    pub requests: BTreeMap<String, u64>,
    pub writes: BTreeMap<String, u64>,
}

pub struct SimConfig {
    /// Shared with Internetwache: verifies request signatures, keys receipts.
    pub secret: Vec<u8>,
    pub key: PolicePrivateKey,
    pub out: PathBuf,
    /// Delay of `slow` answers.
    pub slow: Duration,
}

struct SimState {
    config: SimConfig,
    control: Mutex<(Mode, Option<u64>)>,
    stats: Mutex<Stats>,
    receiver: Receiver,
    /// The inbox database is migrated once, on the first request.
    ready: tokio::sync::OnceCell<()>,
}

impl SimState {
    fn next_mode(&self) -> Mode {
        let mut control = self.control.lock().unwrap_or_else(|p| p.into_inner());
        let mode = control.0;
        match &mut control.1 {
            Some(0) => {
                *control = (Mode::Ok, None);
                Mode::Ok
            }
            Some(n) => {
                *n -= 1;
                if *n == 0 {
                    *control = (Mode::Ok, None);
                }
                mode
            }
            None => mode,
        }
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running sim.
pub struct RunningSim {
    pub port: u16,
    pub handle: ServerHandle,
    state: Arc<SimState>,
}

impl RunningSim {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/reports", self.port)
    }

    pub fn set_mode(&self, mode: Mode, for_requests: Option<u64>) {
        *self.state.control.lock().unwrap_or_else(|p| p.into_inner()) = (mode, for_requests);
    }

    pub fn stats(&self) -> Stats {
        self.state.stats().clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("cannot create {0}: {1}")]
    Out(String, std::io::Error),
    #[error("cannot set up the inbox store in {0}: {1}")]
    Store(String, String),
}

/// Starts the sim on `bind` (port 0 works); the returned server future must be driven
/// (spawned) by the caller.
pub fn start(
    bind: SocketAddr,
    config: SimConfig,
) -> Result<(RunningSim, actix_web::dev::Server), SimError> {
    std::fs::create_dir_all(&config.out)
        .map_err(|e| SimError::Out(config.out.display().to_string(), e))?;
    let listener = TcpListener::bind(bind).map_err(|e| SimError::Bind(bind, e))?;
    let port = listener
        .local_addr()
        .map_err(|e| SimError::Bind(bind, e))?
        .port();
    let inbox_dir = inbox_dir(&config.out);
    let shown = inbox_dir.display().to_string();
    let url = DatabaseUrl::Sqlite(format!("sqlite://{}", inbox_dir.join("inbox.db").display()));
    let db =
        Db::connect_lazy(&url, 4).map_err(|e| SimError::Store(shown.clone(), e.to_string()))?;
    let audit_key =
        AuditKey::load("", &inbox_dir).map_err(|e| SimError::Store(shown, e.to_string()))?;
    let receiver = Receiver::new(
        db,
        Arc::new(Keyring::from_keys([config.key.clone()])),
        Arc::new(audit_key),
    );
    let state = Arc::new(SimState {
        config,
        control: Mutex::new((Mode::Ok, None)),
        stats: Mutex::new(Stats::default()),
        receiver,
        ready: tokio::sync::OnceCell::new(),
    });
    let data = web::Data::from(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::default().limit(64 * 1024 * 1024))
            .route("/_control", web::post().to(control))
            .route("/_stats", web::get().to(stats))
            .default_service(web::post().to(intake))
    })
    .workers(2)
    .shutdown_timeout(1)
    .listen(listener)
    .map_err(|e| SimError::Bind(bind, e))?
    .run();
    Ok((
        RunningSim {
            port,
            handle: server.handle(),
            state,
        },
        server,
    ))
}

async fn control(state: web::Data<SimState>, body: web::Json<Control>) -> HttpResponse {
    *state.control.lock().unwrap_or_else(|p| p.into_inner()) = (body.mode, body.for_requests);
    HttpResponse::NoContent().finish()
}

async fn stats(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(&*state.stats())
}

struct InFlight(Arc<SimState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut stats = self.0.stats();
        stats.in_flight = stats.in_flight.saturating_sub(1);
    }
}

async fn intake(req: HttpRequest, state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    let headers = PushHeaders::of(&req);
    if !headers.authentic(&state.config.secret, &body) {
        state.stats().rejected_signatures += 1;
        return push::unauthorized();
    }
    let key = headers.idempotency_key.clone();
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return HttpResponse::BadRequest().body("missing or malformed Idempotency-Key");
    }
    {
        let mut stats = state.stats();
        stats.total_requests += 1;
        stats.in_flight += 1;
        *stats.requests.entry(key.clone()).or_default() += 1;
    }
    let _guard = InFlight(state.clone().into_inner());
    let mode = state.next_mode();
    match mode {
        Mode::Fail503 => return HttpResponse::ServiceUnavailable().body("injected failure"),
        // If the client gives up meanwhile, this future is dropped and nothing is stored.
        Mode::Slow => tokio::time::sleep(state.config.slow).await,
        _ => {}
    }
    if let Err(e) = state
        .ready
        .get_or_try_init(|| state.receiver.db().migrate())
        .await
    {
        tracing::error!(error = %e, "police-sim cannot prepare its inbox database");
        return HttpResponse::ServiceUnavailable().body("inbox database unavailable");
    }
    let (accepted, receipt) =
        match push::accept(&state.receiver, &state.config.secret, &headers, &body).await {
            Ok(done) => done,
            Err(e) => return push::error_response(&e),
        };
    if accepted.first {
        if let Some(opened) = &accepted.opened {
            if let Err(e) = write_report(&state.config.out, &key, &opened.document) {
                tracing::warn!(error = %e, "police-sim cannot write the opened report");
            }
        }
        *state.stats().writes.entry(key).or_default() += 1;
    }
    let receipt_key = accepted.receipt_key.as_str();
    match mode {
        Mode::Drop => HttpResponse::Ok().streaming(futures_util::stream::once(async {
            Err::<web::Bytes, _>(std::io::Error::other("injected connection drop"))
        })),
        Mode::BadReceipt => HttpResponse::Ok().json(ReceiptBody {
            receipt: receipt::compute(b"not the shared secret", receipt_key, &body),
        }),
        Mode::NoReceipt => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        _ => HttpResponse::Ok().json(receipt),
    }
}

/// The sim's inbox database and audit key live next to `OUT` (`OUT.inbox/`), so `OUT` holds
/// exactly one file per report.
pub fn inbox_dir(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".inbox");
    out.with_file_name(name)
}

/// `OUT/<case number>.json`, the opened report, written completely and then renamed.
fn write_report(out: &Path, key: &str, doc: &ReportDocument) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(doc).map_err(std::io::Error::other)?;
    let tmp = out.join(format!(".{key}.json.tmp"));
    std::fs::write(&tmp, json)?;
    std::fs::rename(tmp, out.join(format!("{key}.json")))
}
