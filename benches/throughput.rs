//! Throughput figures for the README: `cargo bench --bench throughput`.
//!
//! Wall-clock measurements on whatever machine runs them; they are reported, never asserted.
//! Set `IW_TEST_POSTGRES_URL` to include PostgreSQL.

#[path = "../tests/api/filing.rs"]
#[allow(dead_code)]
mod filing;
#[path = "../tests/api/helpers.rs"]
#[allow(dead_code, unused_macros)]
mod helpers;

use std::time::Instant;

use internetwache::crypto::keys::PolicePublicKey;
use internetwache::crypto::{generate_keypair, Envelope, EnvelopeMetadata};
use internetwache::reports::case_number::CaseNumber;

fn report(per_sec: f64, what: &str) {
    println!("{what:<58} {per_sec:>10.0} /s");
}

fn crypto() {
    let (secret, public) = generate_keypair().unwrap();
    let key = PolicePublicKey {
        state: "be".into(),
        key_id: "be-bench".into(),
        public,
    };
    let plaintext = vec![b'x'; 4096];
    let n = 2000;
    let started = Instant::now();
    let mut envelopes = Vec::with_capacity(n);
    for _ in 0..n {
        let meta = EnvelopeMetadata {
            case_number: CaseNumber::generate("be").unwrap(),
            state: "be".into(),
            recipient_key_id: "be-bench".into(),
            form_id: "betrug".into(),
            form_version: 1,
            form_content_hash: "0".repeat(64),
            submitted_at: chrono::Utc::now(),
            office_id: None,
        };
        envelopes.push(Envelope::seal(&meta, &key, &plaintext).unwrap());
    }
    report(
        n as f64 / started.elapsed().as_secs_f64(),
        "seal 4 KiB report (ring HPKE, fresh ephemeral key)",
    );
    let started = Instant::now();
    for e in &envelopes {
        e.open(&secret).unwrap();
    }
    report(
        n as f64 / started.elapsed().as_secs_f64(),
        "open 4 KiB report (hpke crate)",
    );
    let started = Instant::now();
    for _ in 0..100_000 {
        CaseNumber::generate("be").unwrap();
    }
    report(
        100_000.0 / started.elapsed().as_secs_f64(),
        "generate case number",
    );
}

async fn filing(backend: helpers::Backend) {
    let Some(app) =
        helpers::spawn_app_with(backend, &[("IW_WORKERS", "0"), ("IW_LOG_LEVEL", "warn")]).await
    else {
        println!("{backend:?}: skipped (IW_TEST_POSTGRES_URL not set)");
        return;
    };
    let app = std::sync::Arc::new(app);
    let concurrency = 8;
    let per_task = 25;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per_task {
                let browser = helpers::browser_app(&app);
                let mut filler = filing::Filler::new("10115", &format!("B{t}x{i}"));
                filing::file_report(&browser, "be", "fahrraddiebstahl", &mut filler).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let total = (concurrency * per_task) as f64;
    let secs = started.elapsed().as_secs_f64();
    report(
        total / secs,
        &format!("complete bicycle-theft reports over HTTP, {backend:?}"),
    );
    println!(
        "{:<58} {:>10.1} s for {total} reports, {concurrency} browsers at once (11 requests each)",
        "", secs
    );
}

fn main() {
    println!(
        "internetwache throughput ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    crypto();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(filing(helpers::Backend::Sqlite));
    rt.block_on(filing(helpers::Backend::Postgres));
}
