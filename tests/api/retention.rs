//! Retention on both engines with an injected clock: before a deadline nothing goes, after
//! it exactly the right rows go, and undelivered reports never do.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use internetwache::crypto::keys::GeneratedKey;
use internetwache::retention::{self, Summary};
use internetwache::store::{delivery, reports};

use crate::delivery_support::*;
use crate::helpers::{Backend, TestApp};
use crate::with_both_engines;

/// Berlin keeps envelopes 7 days here (configuration) and the index 180 (state.toml).
const CONFIG: &str = "[police.be.retention]\nenvelope_days = 7\n";

async fn try_sweep(app: &TestApp, now: DateTime<Utc>, dry_run: bool) -> Option<Summary> {
    retention::sweep(
        &app.state.db,
        &app.state.settings,
        app.state.directory.as_ref(),
        now,
        dry_run,
    )
    .await
    .unwrap()
}

async fn sweep(app: &TestApp, now: DateTime<Utc>, dry_run: bool) -> BTreeMap<String, u64> {
    let summary = try_sweep(app, now, dry_run)
        .await
        .expect("no other sweep runs");
    let mut counts: BTreeMap<String, u64> = summary
        .deleted
        .iter()
        .filter(|d| d.count > 0)
        .map(|d| (format!("{}/{}", d.state.as_str(), d.kind), d.count))
        .collect();
    if summary.mail_files > 0 {
        counts.insert("mail_files".into(), summary.mail_files);
    }
    counts
}

fn expect(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    internetwache::with_db!(&app.state.db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap())
}

async fn has_envelope(app: &TestApp, report_id: i64) -> bool {
    reports::envelope(&app.state.db, report_id)
        .await
        .unwrap()
        .is_some()
}

async fn exists(app: &TestApp, report_id: i64) -> bool {
    reports::get_by_id(&app.state.db, report_id)
        .await
        .unwrap()
        .is_some()
}

/// Registers the form the reports name; returns the police key and "now" in whole seconds,
/// so that the boundaries of the tests are exact on both engines.
async fn prepare(app: &TestApp) -> (GeneratedKey, DateTime<Utc>) {
    register_form(&app.state.db).await;
    let key = police_key(app.dir.path());
    (key, Utc.timestamp_opt(Utc::now().timestamp(), 0).unwrap())
}

/// A report filed at `filed_at` with a confirmation e-mail in the outbox, delivered (its
/// receipt recorded) at `delivered_at`.
async fn delivered_with_mail(
    app: &TestApp,
    key: &GeneratedKey,
    filed_at: DateTime<Utc>,
    delivered_at: DateTime<Utc>,
) -> Filed {
    let db = &app.state.db;
    let keyring = &app.state.services.keyring;
    let filed = file_report(db, key, Some((keyring, "a@example.org", "de")), filed_at).await;
    assert!(
        delivery::record_receipt(db, filed.report_id, "v1=aa", None, delivered_at, None)
            .await
            .unwrap()
    );
    filed
}

async fn deletes_exactly_what_is_due(backend: Backend) {
    let overrides = [("IW_WORKERS", "0")];
    let Some(app) = spawn(backend, Some(CONFIG), &overrides).await else {
        return;
    };
    let db = &app.state.db;
    let (key, t0) = prepare(&app).await;

    // A: delivered at t0, with an e-mail outbox row and a delivery attempt.
    let a = delivered_with_mail(&app, &key, t0 - Duration::hours(1), t0).await;
    internetwache::with_db!(db, pool => sqlx::query(
        "INSERT INTO job_attempts (job_id, attempt, worker, claimed_at, finished_at, outcome) \
         SELECT id, 1, 'w', $2, $2, 'delivered' FROM jobs WHERE report_id = $1 AND kind = 'deliver'")
        .bind(a.report_id).bind(t0).execute(pool).await.map(|_| ()).unwrap());
    // B: delivered ten days later.
    let b = file_report(db, &key, None, t0).await;
    let t_b = t0 + Duration::days(10);
    assert!(
        delivery::record_receipt(db, b.report_id, "v1=bb", None, t_b, None)
            .await
            .unwrap()
    );
    // A status event for each of A and B (the citizen's status goes with the index row).
    for (event, report_id) in [("ev-a", a.report_id), ("ev-b", b.report_id)] {
        internetwache::with_db!(db, pool => sqlx::query(
            "INSERT INTO report_status_events (event_id, case_number, status, office_id, at, received_at) \
             SELECT $1, case_number, 'in_bearbeitung', NULL, $3, $3 FROM reports WHERE id = $2")
            .bind(event).bind(report_id).bind(t0).execute(pool).await.map(|_| ()).unwrap());
    }
    // U: never delivered, filed long before.
    let u = file_report(db, &key, None, t0 - Duration::days(400)).await;
    // A demo mail file written now.
    let mail_dir = app.dir.path().join("mail");
    std::fs::create_dir_all(&mail_dir).unwrap();
    std::fs::write(mail_dir.join("old.eml"), "Subject: x\n\n").unwrap();

    let second = Duration::seconds(1);
    // Just before A's envelope is due: nothing at all.
    assert_eq!(
        sweep(&app, t0 + Duration::days(7) - second, false).await,
        expect(&[])
    );
    assert!(has_envelope(&app, a.report_id).await);

    // Due: A's envelope, and nothing else. A dry run counts the same and deletes nothing.
    let due = expect(&[("be/envelopes", 1)]);
    assert_eq!(sweep(&app, t0 + Duration::days(7), true).await, due);
    assert!(has_envelope(&app, a.report_id).await);
    assert_eq!(sweep(&app, t0 + Duration::days(7), false).await, due);
    assert!(!has_envelope(&app, a.report_id).await);
    assert!(exists(&app, a.report_id).await, "the index row stays");
    assert!(has_envelope(&app, b.report_id).await);
    assert!(has_envelope(&app, u.report_id).await);

    // The mail file (IW_MAIL_FILE_RETENTION_DAYS = 7 after it was written) and B's envelope.
    assert_eq!(
        sweep(&app, t_b + Duration::days(7), false).await,
        expect(&[("be/envelopes", 1), ("mail_files", 1)])
    );
    assert!(!mail_dir.join("old.eml").exists());

    // Just before A's index row is due: nothing; then A with its whole history.
    assert_eq!(
        sweep(&app, t0 + Duration::days(180) - second, false).await,
        expect(&[])
    );
    assert_eq!(
        sweep(&app, t0 + Duration::days(180), false).await,
        expect(&[
            ("be/job_attempts", 1),
            ("be/jobs", 2),
            ("be/mail_outbox", 1),
            ("be/reports", 1),
            ("be/status_code_tombstones", 1),
            ("be/status_events", 1),
        ])
    );
    assert!(!exists(&app, a.report_id).await);
    assert!(exists(&app, b.report_id).await);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM jobs WHERE report_id = {}",
                a.report_id
            )
        )
        .await,
        0
    );

    // Years later: B goes (its status code kept as a tombstone), A's tombstone goes;
    // U, undelivered, stays with its envelope.
    assert_eq!(
        sweep(&app, t0 + Duration::days(2000), false).await,
        expect(&[
            ("be/expired_tombstones", 1),
            ("be/jobs", 1),
            ("be/reports", 1),
            ("be/status_code_tombstones", 1),
            ("be/status_events", 1)
        ])
    );
    assert!(!exists(&app, b.report_id).await);
    assert!(exists(&app, u.report_id).await && has_envelope(&app, u.report_id).await);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM reports").await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM report_status_events").await,
        0
    );
}
with_both_engines!(deletes_exactly_what_is_due);

/// On PostgreSQL one instance sweeps at a time: while another holds the sweep's lock, a
/// sweep does nothing and says so.
#[tokio::test]
async fn one_sweep_at_a_time_on_postgres() {
    let Some(app) = spawn(Backend::Postgres, None, &[("IW_WORKERS", "0")]).await else {
        return;
    };
    let internetwache::store::Db::Postgres(pool) = &app.state.db else {
        unreachable!()
    };
    let mut other = pool.begin().await.unwrap();
    let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(0x0069_7772_6574_656e_i64)
        .fetch_one(&mut *other)
        .await
        .unwrap();
    assert!(held);
    let ran = try_sweep(&app, Utc::now(), false).await;
    assert!(ran.is_none(), "the other sweep holds the lock");
    other.rollback().await.unwrap();
    let ran = try_sweep(&app, Utc::now(), false).await;
    assert!(ran.is_some(), "free again");
}

/// A mail job finishing on a report being swept takes its outbox row, then its job: the
/// other order from the sweep's. PostgreSQL breaks the deadlock by rolling the sweep back;
/// the sweep then runs again and deletes what is due, instead of failing.
#[tokio::test]
async fn a_sweep_rolled_back_by_a_deadlock_runs_again_on_postgres() {
    let Some(app) = spawn(Backend::Postgres, None, &[("IW_WORKERS", "0")]).await else {
        return;
    };
    let db = &app.state.db;
    let (key, t0) = prepare(&app).await;
    let a = delivered_with_mail(&app, &key, t0, t0).await;
    let internetwache::store::Db::Postgres(pool) = db else {
        unreachable!()
    };

    let mut job = pool.begin().await.unwrap();
    // The sweep's own deadlock check (after the default second) must be the one that
    // finds the cycle, so that the sweep is what PostgreSQL rolls back.
    sqlx::query("SET LOCAL deadlock_timeout = '30s'")
        .execute(&mut *job)
        .await
        .unwrap();
    sqlx::query("UPDATE mail_outbox SET sent_at = $1 WHERE report_id = $2")
        .bind(t0)
        .bind(a.report_id)
        .execute(&mut *job)
        .await
        .unwrap();
    let finish_the_job = async {
        wait_for(
            "the sweep to wait for the outbox row",
            std::time::Duration::from_secs(20),
            || async {
                sqlx::query_scalar::<_, bool>(
                    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock')",
                )
                .fetch_one(pool)
                .await
                .unwrap()
            },
        )
        .await;
        // Waits for the job row the sweep holds: the cycle is closed.
        sqlx::query("UPDATE jobs SET updated_at = $1 WHERE report_id = $2 AND kind = 'email'")
            .bind(t0)
            .bind(a.report_id)
            .execute(&mut *job)
            .await
            .expect("the sweep, not the job, is rolled back");
        job.commit().await.unwrap();
    };
    let (swept, ()) = tokio::join!(
        try_sweep(&app, t0 + Duration::days(181), false),
        finish_the_job
    );
    let deleted: u64 = swept
        .expect("no other sweep runs")
        .deleted
        .iter()
        .filter(|d| d.kind == "reports")
        .map(|d| d.count)
        .sum();
    assert_eq!(deleted, 1, "the second run deleted the report");
    assert!(!exists(&app, a.report_id).await);
}
