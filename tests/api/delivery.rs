//! Police delivery through the queue against police-sim: exactly once under concurrency,
//! recovery after failures, receipts, dead letters, pull mode, escalation.

use internetwache::store::jobs::JobKind;
use std::time::Duration;

use chrono::Utc;
use internetwache::delivery::{self, receipt, DeliveryError};
use internetwache::police_sim::Mode;
use internetwache::store::{delivery as delivery_store, jobs, reports};

use crate::delivery_support::*;
use crate::helpers::Backend;
use crate::with_both_engines;

async fn thousand_concurrent_reports_are_delivered_exactly_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let sim = start_sim(&key, &dir.path().join("received"), Duration::from_secs(30));
    let config = push_config(&key, &sim.url());
    // Four workers inside the app, woken by NOTIFY / in-process wake-ups as reports commit.
    let overrides = [("IW_WORKERS", "4"), ("IW_WORKER_POLL_MS", "200")];
    let Some(app) = spawn(backend, Some(&config), &overrides).await else {
        return;
    };
    let db = &app.state.db;
    // 1000 citizens file at once, 32 browsers in parallel, through the real pages.
    let filed =
        crate::filing::file_concurrently(&app, &app.address, ("be", "hinweis"), 1000, 32).await;
    assert_eq!(filed.len(), 1000);
    wait_for(
        "1000 reports delivered with a receipt",
        Duration::from_secs(240),
        || async { delivered_count(db).await == 1000 },
    )
    .await;

    let stats = sim.stats();
    for case in &filed {
        assert_eq!(
            stats.requests.get(case),
            Some(&1),
            "{case} was sent more than once or never"
        );
        assert_eq!(stats.writes.get(case), Some(&1));
    }
    assert_eq!(stats.total_requests, 1000);
    assert_eq!(stats.writes.len(), 1000);
    assert_eq!(
        std::fs::read_dir(dir.path().join("received"))
            .unwrap()
            .count(),
        1000
    );
    // Every deliver job was claimed exactly once.
    let deliver_jobs: Vec<i64> = internetwache::with_db!(db, pool => sqlx::query_scalar(
        "SELECT id FROM jobs WHERE kind = 'deliver'").fetch_all(pool).await.unwrap());
    let attempts: Vec<_> = delivery_store::attempts(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| deliver_jobs.contains(&a.job_id))
        .collect();
    let attempts: Vec<_> = attempts.iter().collect();
    let retried = crate::delivery_support::assert_one_claim_at_a_time(&attempts, 1000);
    println!("{backend:?}: 1000 reports filed over HTTP, each delivered exactly once ({retried} needed a second attempt that never reached the police)");
}
with_both_engines!(thousand_concurrent_reports_are_delivered_exactly_once);

async fn every_report_arrives_after_police_recovers(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let sim = start_sim(&key, &dir.path().join("received"), Duration::from_secs(30));
    let config = push_config(&key, &sim.url());
    let Some(app) = spawn(backend, Some(&config), FAST_RETRIES).await else {
        return;
    };
    let db = &app.state.db;
    register_form(db).await;
    let filed = file_many(db, &key, 20, 8).await;
    // Each phase retries every job until all had one more attempt; on a loaded machine
    // the four phases used up 25 attempts and the jobs became dead letters, never
    // "pending" again. The budget must outlast the outage, as in production.
    internetwache::with_db!(db, pool => sqlx::query("UPDATE jobs SET max_attempts = 1000")
        .execute(pool).await.map(|_| ()).unwrap());
    let workers = workers(&app, 3);

    // Each failure mode in turn; none of them may count as delivered.
    let phases = [
        (Mode::Fail503, "HTTP 503"),
        (Mode::Drop, "unreachable or no answer"),
        (Mode::BadReceipt, "invalid receipt"),
        (Mode::NoReceipt, "without a receipt"),
    ];
    for (mode, error) in phases {
        sim.set_mode(mode, None);
        let mut before = Vec::new();
        for f in &filed {
            before.push(jobs::for_report(db, f.report_id).await.unwrap()[0].attempts);
        }
        wait_for(
            &format!("every report attempted in mode {mode:?}"),
            Duration::from_secs(60),
            || async {
                futures_util::future::join_all(workers.iter().map(|w| w.run_until_empty())).await;
                let mut all = true;
                for (f, before) in filed.iter().zip(&before) {
                    let job = &jobs::for_report(db, f.report_id).await.unwrap()[0];
                    assert_ne!(job.status, "dead", "{job:?} gave up");
                    all &= job.attempts > *before && job.status == "pending";
                }
                all
            },
        )
        .await;
        assert_eq!(
            delivered_count(db).await,
            0,
            "mode {mode:?} counted as delivered"
        );
        let job = &jobs::for_report(db, filed[0].report_id).await.unwrap()[0];
        let last = job.last_error.as_deref().unwrap_or("");
        assert!(last.contains(error), "mode {mode:?}: {last}");
    }

    sim.set_mode(Mode::Ok, None);
    drain(db, &workers, Duration::from_secs(60)).await;
    assert_eq!(delivered_count(db).await, 20);
    let stats = sim.stats();
    for f in &filed {
        // Stored once although it was received in several modes.
        assert_eq!(stats.writes.get(&f.case_number), Some(&1));
        assert!(stats.requests[&f.case_number] >= 5);
        let row = reports::get_by_id(db, f.report_id).await.unwrap().unwrap();
        assert_eq!(row.status, "delivered");
    }
}
with_both_engines!(every_report_arrives_after_police_recovers);

async fn dead_letters_are_kept_and_requeueable(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let sim = start_sim(&key, &dir.path().join("received"), Duration::from_secs(30));
    let config = push_config(&key, &sim.url());
    let mut overrides = FAST_RETRIES.to_vec();
    overrides.push(("IW_JOB_MAX_ATTEMPTS", "2"));
    let Some(app) = spawn(backend, Some(&config), &overrides).await else {
        return;
    };
    let db = &app.state.db;
    register_form(db).await;
    // max_attempts is stored per job by submit; file with the app's setting.
    let filed = file_report(db, &key, None, Utc::now()).await;
    internetwache::with_db!(db, pool => sqlx::query("UPDATE jobs SET max_attempts = 2")
        .execute(pool).await.map(|_| ()).unwrap());
    sim.set_mode(Mode::Fail503, None);
    let workers = workers(&app, 1);
    wait_for(
        "the job to become a dead letter",
        Duration::from_secs(30),
        || async {
            workers[0].run_until_empty().await.unwrap();
            !jobs::dead_letters(db, Some("be")).await.unwrap().is_empty()
        },
    )
    .await;
    let dead = jobs::dead_letters(db, None).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 2);
    assert_eq!(dead[0].report_id, filed.report_id);
    let counts = jobs::counts(db).await.unwrap();
    assert!(counts
        .iter()
        .any(|c| c.kind == JobKind::Deliver && c.status == "dead" && c.count == 1));

    sim.set_mode(Mode::Ok, None);
    assert!(jobs::requeue(db, dead[0].id, Utc::now(), None)
        .await
        .unwrap());
    drain(db, &workers, Duration::from_secs(30)).await;
    assert_eq!(delivered_count(db).await, 1);
    assert!(
        !jobs::requeue(db, dead[0].id, Utc::now(), None)
            .await
            .unwrap(),
        "done stays done"
    );
}
with_both_engines!(dead_letters_are_kept_and_requeueable);

async fn pull_mode_waits_for_a_valid_receipt(backend: Backend) {
    let Some(app) = spawn(backend, None, FAST_RETRIES).await else {
        return;
    };
    let db = &app.state.db;
    register_form(db).await;
    let key = police_key(app.dir.path());
    let filed = file_report(db, &key, None, Utc::now()).await;
    let workers = workers(&app, 1);
    drain(db, &workers, Duration::from_secs(60)).await;
    let job = &jobs::for_report(db, filed.report_id).await.unwrap()[0];
    assert_eq!(job.status, "waiting");

    let targets = &app.state.services.targets;
    let envelope = reports::envelope(db, filed.report_id)
        .await
        .unwrap()
        .unwrap();
    let wrong = receipt::compute(b"guess", &filed.case_number, envelope.as_bytes());
    assert!(matches!(
        delivery::accept_receipt(
            db,
            targets,
            delivery::Parcel::Report,
            filed.report_id,
            &wrong,
            None
        )
        .await,
        Err(DeliveryError::InvalidReceipt)
    ));
    assert_eq!(delivered_count(db).await, 0);

    // The demo secret was generated under DATA_DIR/keys/.
    let secret_path = app.dir.path().join("var/keys/be.receipt-secret");
    let secret = std::fs::read_to_string(secret_path).expect("generated receipt secret");
    let right = receipt::compute(
        secret.trim().as_bytes(),
        &filed.case_number,
        envelope.as_bytes(),
    );
    assert!(delivery::accept_receipt(
        db,
        targets,
        delivery::Parcel::Report,
        filed.report_id,
        &right,
        None
    )
    .await
    .unwrap());
    assert!(!delivery::accept_receipt(
        db,
        targets,
        delivery::Parcel::Report,
        filed.report_id,
        &right,
        None
    )
    .await
    .unwrap());
    assert_eq!(delivered_count(db).await, 1);
    let job = &jobs::for_report(db, filed.report_id).await.unwrap()[0];
    assert_eq!(job.status, "done");
}
with_both_engines!(pull_mode_waits_for_a_valid_receipt);

async fn overdue_reports_are_escalated_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let sim = start_sim(&key, &dir.path().join("received"), Duration::from_secs(30));
    let config = push_config(&key, &sim.url());
    let Some(app) = spawn(backend, Some(&config), FAST_RETRIES).await else {
        return;
    };
    let db = &app.state.db;
    register_form(db).await;
    sim.set_mode(Mode::Fail503, None);
    let old = file_report(db, &key, None, Utc::now() - chrono::Duration::hours(2)).await;
    let fresh = file_report(db, &key, None, Utc::now()).await;
    let settings = &app.state.settings;

    let first = delivery::escalation::sweep(db, settings, app.state.directory.as_ref())
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].id, old.report_id);
    assert!(
        delivery::escalation::sweep(db, settings, app.state.directory.as_ref())
            .await
            .unwrap()
            .is_empty(),
        "no duplicates"
    );
    let row = reports::get_by_id(db, old.report_id)
        .await
        .unwrap()
        .unwrap();
    assert!(row.escalated_at.is_some());
    assert!(reports::get_by_id(db, fresh.report_id)
        .await
        .unwrap()
        .unwrap()
        .escalated_at
        .is_none());
    let cutoff = Utc::now() - chrono::Duration::minutes(60);
    let overdue = delivery_store::overdue_reports(db, Some("be"), cutoff)
        .await
        .unwrap();
    assert_eq!(
        overdue.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![old.report_id]
    );
    let listed = delivery::escalation::overdue(db, settings, None)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    // The escalate job mails the state's ops address (file transport in tests).
    let workers = workers(&app, 1);
    wait_for("the escalation mail", Duration::from_secs(30), || async {
        workers[0].run_until_empty().await.unwrap();
        jobs::for_report(db, old.report_id)
            .await
            .unwrap()
            .iter()
            .any(|j| j.kind == JobKind::Escalate && j.status == "done")
    })
    .await;
    let mails: Vec<String> = std::fs::read_dir(app.dir.path().join("mail"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("ops@polizei.example"));
    assert!(mails[0].contains(&old.case_number));

    let metrics = app.metrics().await;
    assert!(
        metrics.contains("reports_overdue{state=\"be\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("reports_escalated_total{state=\"be\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("queue_jobs{state=\"be\",kind=\"deliver\",status=\"pending\"} 2"),
        "{metrics}"
    );
}
with_both_engines!(overdue_reports_are_escalated_once);

#[tokio::test]
async fn police_sim_refuses_bad_signatures_and_takes_control_requests() {
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let sim = start_sim(&key, &dir.path().join("received"), Duration::from_secs(30));
    let client = reqwest::Client::new();
    let body = "{}";
    let now = Utc::now().timestamp();
    let response = client
        .post(sim.url())
        .header(receipt::HEADER_IDEMPOTENCY_KEY, "BE-TEST")
        .header(receipt::HEADER_TIMESTAMP, now.to_string())
        .header(
            receipt::HEADER_SIGNATURE,
            receipt::sign_request(b"wrong", now, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(sim.stats().rejected_signatures, 1);
    assert_eq!(sim.stats().total_requests, 0);

    let control = client
        .post(format!("http://127.0.0.1:{}/_control", sim.port))
        .json(&serde_json::json!({"mode": "fail503", "for_requests": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(control.status(), 204);
    let signed = |body: &'static str| {
        client
            .post(sim.url())
            .header(receipt::HEADER_IDEMPOTENCY_KEY, "BE-TEST")
            .header(receipt::HEADER_TIMESTAMP, now.to_string())
            .header(
                receipt::HEADER_SIGNATURE,
                receipt::sign_request(SECRET.as_bytes(), now, body.as_bytes()),
            )
            .body(body)
            .send()
    };
    assert_eq!(signed("{}").await.unwrap().status(), 503);
    // The failure was for one request only; a malformed envelope is then refused as such.
    assert_eq!(signed("{}").await.unwrap().status(), 400);
    let stats: serde_json::Value = client
        .get(format!("http://127.0.0.1:{}/_stats", sim.port))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"]["BE-TEST"], 2);
    assert!(stats["writes"].as_object().unwrap().is_empty());
}

/// Workers that would poll only once a minute still deliver at once: NOTIFY on
/// PostgreSQL, the in-process wake-up on SQLite.
async fn enqueueing_wakes_idle_workers(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let sim = start_sim(&key, &dir.path().join("received"), Duration::from_secs(30));
    let config = push_config(&key, &sim.url());
    let overrides = [("IW_WORKERS", "2"), ("IW_WORKER_POLL_MS", "600000")];
    let Some(app) = spawn(backend, Some(&config), &overrides).await else {
        return;
    };
    let db = &app.state.db;
    register_form(db).await;
    if let internetwache::store::Db::Postgres(pool) = db {
        // Both workers are LISTENing before anything is filed.
        let pool = pool.clone();
        wait_for("workers listening", Duration::from_secs(30), || {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND query ILIKE 'LISTEN%'",
                )
                .fetch_one(&pool)
                .await
                .unwrap()
                    >= 2
            }
        })
        .await;
    } else {
        // SQLite wakes in-process. One delivery first proves the start-up round is over,
        // so the three below are delivered by a wake-up, not by the first round.
        file_report(db, &key, None, Utc::now()).await;
        wait_for("first delivery", Duration::from_secs(60), || async {
            delivered_count(db).await == 1
        })
        .await;
    }
    let expected = if matches!(db, internetwache::store::Db::Postgres(_)) {
        3
    } else {
        4
    };
    for _ in 0..3 {
        file_report(db, &key, None, Utc::now()).await;
    }
    wait_for(
        "delivery without polling",
        Duration::from_secs(60),
        || async { delivered_count(db).await == expected },
    )
    .await;
}
with_both_engines!(enqueueing_wakes_idle_workers);

/// Receipts of one batch commit together; a push answered with an invalid receipt fails
/// alone: the others of its batch are delivered, that one is retried and then delivered.
async fn one_invalid_receipt_fails_only_its_own_report(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let sim = start_sim(&key, &dir.path().join("received"), Duration::from_secs(30));
    let config = push_config(&key, &sim.url());
    let Some(app) = spawn(backend, Some(&config), FAST_RETRIES).await else {
        return;
    };
    let db = &app.state.db;
    register_form(db).await;
    let filed = file_many(db, &key, 10, 4).await;
    let workers = workers(&app, 1);
    sim.set_mode(Mode::BadReceipt, Some(1));
    // One batch: all ten pushed at once, one answered with a receipt that does not verify.
    assert_eq!(workers[0].run_once().await.unwrap(), 10);
    assert_eq!(delivered_count(db).await, 9);
    let mut retried = Vec::new();
    for f in &filed {
        let job = &jobs::for_report(db, f.report_id).await.unwrap()[0];
        if job.status != "done" {
            assert_eq!(job.status, "pending", "{job:?}");
            assert!(job
                .last_error
                .as_deref()
                .unwrap_or("")
                .contains("invalid receipt"));
            retried.push(f.case_number.clone());
        }
    }
    assert_eq!(retried.len(), 1);
    drain(db, &workers, Duration::from_secs(60)).await;
    assert_eq!(delivered_count(db).await, 10);
    let stats = sim.stats();
    assert_eq!(stats.requests[&retried[0]], 2);
    for f in &filed {
        assert_eq!(stats.writes.get(&f.case_number), Some(&1));
    }
}
with_both_engines!(one_invalid_receipt_fails_only_its_own_report);
