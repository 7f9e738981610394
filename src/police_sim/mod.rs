//! A stand-in for a state police system's receiving end (`internetwache police-sim`), for
//! tests and demos. It does what the README's delivery protocol asks of a real receiver: checks the
//! signature, opens the envelope, stores each report once per idempotency key, and answers
//! with a receipt. Failures can be injected to exercise retries.

use std::collections::{BTreeMap, HashSet};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde::{Deserialize, Serialize};

use crate::crypto::{Envelope, PolicePrivateKey};
use crate::delivery::receipt::{self, ReceiptBody};

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
    stored: Mutex<HashSet<String>>,
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
    let state = Arc::new(SimState {
        config,
        control: Mutex::new((Mode::Ok, None)),
        stats: Mutex::new(Stats::default()),
        stored: Mutex::new(HashSet::new()),
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
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let signed = receipt::verify_request(
        &state.config.secret,
        &header(receipt::HEADER_TIMESTAMP),
        &body,
        &header(receipt::HEADER_SIGNATURE),
        chrono::Utc::now().timestamp(),
    );
    if !signed {
        state.stats().rejected_signatures += 1;
        return HttpResponse::Unauthorized().body("bad signature");
    }
    let key = header(receipt::HEADER_IDEMPOTENCY_KEY);
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
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
    let case_number = match store(&state, &key, &body) {
        Ok(case_number) => case_number,
        Err(response) => return *response,
    };
    let receipt = receipt::compute(&state.config.secret, &case_number, &body);
    match mode {
        Mode::Drop => HttpResponse::Ok().streaming(futures_util::stream::once(async {
            Err::<web::Bytes, _>(std::io::Error::other("injected connection drop"))
        })),
        Mode::BadReceipt => HttpResponse::Ok().json(ReceiptBody {
            receipt: receipt::compute(b"not the shared secret", &case_number, &body),
        }),
        Mode::NoReceipt => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        _ => HttpResponse::Ok().json(ReceiptBody { receipt }),
    }
}

/// Opens the envelope and writes the report once per key; returns the case number.
fn store(state: &SimState, key: &str, body: &[u8]) -> Result<String, Box<HttpResponse>> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Box::new(HttpResponse::BadRequest().body("body is not UTF-8")))?;
    let envelope = Envelope::from_json(text)
        .map_err(|e| Box::new(HttpResponse::BadRequest().body(e.to_string())))?;
    let plaintext = envelope
        .open_with(&state.config.key)
        .map_err(|e| Box::new(HttpResponse::UnprocessableEntity().body(e.to_string())))?;
    let case_number = envelope
        .metadata()
        .map_err(|e| Box::new(HttpResponse::BadRequest().body(e.to_string())))?
        .case_number
        .to_string();
    let mut stored = state.stored.lock().unwrap_or_else(|p| p.into_inner());
    let path = state.config.out.join(format!("{key}.json"));
    if !stored.contains(key) && !path.exists() {
        std::fs::write(&path, &plaintext)
            .map_err(|_| Box::new(HttpResponse::InternalServerError().body("cannot store")))?;
        *state.stats().writes.entry(key.to_string()).or_default() += 1;
    }
    stored.insert(key.to_string());
    Ok(case_number)
}
