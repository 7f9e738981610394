//! Start-up and the HTTP side of the inbox: database, keys, audit key, per-state secrets,
//! and the push endpoint (`POST /api/v1/push`).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context;

use super::keyring::Keyring;
use super::push::{self, PushHeaders};
use super::receiver::Receiver;
use super::settings::{InboxSettings, StateSettings};
use crate::crypto::audit_chain::AuditKey;
use crate::crypto::secret_file;
use crate::store::Db;

/// Push path on the inbox; the intake's `[police.<xx>.delivery] url` points here.
pub const PUSH_PATH: &str = "/api/v1/push";

/// Everything a running inbox shares between requests and workers.
pub struct Inbox {
    pub receiver: Receiver,
    /// Per state: the configuration (explicit, or the demo push default).
    pub states: BTreeMap<String, StateSettings>,
    /// Where status goes for states without their own `intake_url`.
    pub intake_url: Option<String>,
}

impl Inbox {
    /// Opens the database (migrated), loads the keys (refusing exposed key files) and the
    /// audit key, and settles each state's mode and secret.
    pub async fn open(settings: &InboxSettings) -> anyhow::Result<Inbox> {
        let keyring = Keyring::load_dirs(&settings.key_dirs())?;
        if keyring.is_empty() {
            anyhow::bail!(
                "no private key files (*.private.json) in {}: the inbox cannot open reports",
                settings.key_dirs
            );
        }
        let url = settings.database();
        Db::ensure_database(&url).await?;
        let db = Db::connect_lazy(&url, 10)?;
        db.migrate()
            .await
            .with_context(|| format!("cannot prepare the inbox database {url}"))?;
        let audit_key = AuditKey::load(&settings.audit_key, &settings.data_dir)
            .context("cannot load the inbox audit key")?;
        let mut states = settings.states.clone();
        for state in keyring.states() {
            if states.contains_key(&state) {
                continue;
            }
            let secret = demo_secret(settings, &state)?;
            tracing::warn!(%state, "DEMO SET-UP: no [states.{state}] configured; accepting pushes signed with the demo push secret");
            states.insert(
                state,
                StateSettings::Push {
                    secret,
                    intake_url: None,
                },
            );
        }
        let intake_url = Some(settings.intake_url.trim().to_owned()).filter(|u| !u.is_empty());
        Ok(Inbox {
            receiver: Receiver::new(db, Arc::new(keyring), Arc::new(audit_key)),
            states,
            intake_url,
        })
    }

    pub fn secret(&self, state: &str) -> Option<&[u8]> {
        self.states.get(state).map(|s| s.secret().as_bytes())
    }
}

/// The secret for states without configuration: the intake's generated receipt secret
/// (`<key dir>/<state>.receipt-secret`, created by whichever side starts first), so the demo
/// intake and inbox on one machine agree without setup.
fn demo_secret(settings: &InboxSettings, state: &str) -> anyhow::Result<String> {
    let dir = settings
        .key_dirs()
        .first()
        .cloned()
        .unwrap_or_else(|| settings.data_dir.clone());
    let path = dir.join(format!("{state}.receipt-secret"));
    let bytes = secret_file::load_or_create(&path)
        .with_context(|| format!("cannot read or create {}", path.display()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The inbox's HTTP server on `listener`.
pub fn http_server(
    inbox: Arc<Inbox>,
    listener: TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    let data = web::Data::from(inbox);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::default().limit(64 * 1024 * 1024))
            .route(PUSH_PATH, web::post().to(receive_push))
            .route("/healthz", web::get().to(HttpResponse::Ok))
            .configure(super::export_api::configure)
    })
    .workers(2)
    .shutdown_timeout(10)
    .listen(listener)?
    .run())
}

async fn receive_push(req: HttpRequest, inbox: web::Data<Inbox>, body: web::Bytes) -> HttpResponse {
    let headers = PushHeaders::of(&req);
    let secret = headers.state().and_then(|s| inbox.secret(&s));
    let Some(secret) = secret.filter(|s| headers.authentic(s, &body)) else {
        return push::unauthorized();
    };
    match push::accept(&inbox.receiver, secret, &headers, &body).await {
        Ok((_, receipt)) => HttpResponse::Ok().json(receipt),
        Err(e) => push::error_response(&e),
    }
}
