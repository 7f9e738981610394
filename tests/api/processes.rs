//! Several workers on one PostgreSQL: a worker process killed mid-delivery, and two
//! instances sharing the queue. A service killed while citizens file.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use internetwache::police_sim::Mode;
use internetwache::store::{delivery as delivery_store, jobs, Db};

use crate::delivery_support::*;
use crate::filing::file_concurrently;
use crate::helpers::{Backend, ServeProcess, TestApp};
use crate::with_both_engines;

fn worker_process(app: &TestApp, extra: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_internetwache"));
    cmd.arg("worker")
        .env_clear()
        .env("IW_CONFIG", app.dir.path().join("internetwache.toml"))
        .env("IW_DATABASE_URL", app.state.settings.database_url.as_str())
        .env("IW_DATA_DIR", app.dir.path().join("var"))
        .env(
            "IW_MAIL_URL",
            format!("file://{}", app.dir.path().join("mail").display()),
        )
        .env("IW_WORKERS", "1")
        .env("IW_WORKER_POLL_MS", "200")
        .env("IW_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().expect("start `internetwache worker`")
}

async fn listening_workers(db: &Db) -> i64 {
    let Db::Postgres(pool) = db else { return 0 };
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND query ILIKE 'LISTEN%'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Kills the children when the test ends, whatever happens.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_worker_process_loses_its_lease_to_the_other() {
    if crate::helpers::postgres_admin_url().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let sim = start_sim(&key, &dir.path().join("received"), Duration::from_secs(120));
    let config = push_config(&key, &sim.url());
    let app = spawn(Backend::Postgres, Some(&config), &[("IW_WORKERS", "0")])
        .await
        .unwrap();
    let db = &app.state.db;
    register_form(db).await;

    // The first delivery hangs, so the kill lands while the request is in flight.
    sim.set_mode(Mode::Slow, Some(1));
    let lease = [
        ("IW_JOB_LEASE_SECS", "6"),
        ("IW_DELIVERY_TIMEOUT_SECS", "5"),
        ("IW_SMTP_TIMEOUT_SECS", "5"),
    ];
    let mut children = Children(vec![
        worker_process(&app, &lease),
        worker_process(&app, &lease),
    ]);
    wait_for(
        "both worker processes listening",
        Duration::from_secs(60),
        || async { listening_workers(db).await >= 2 },
    )
    .await;

    let filed = file_report(db, &key, None, chrono::Utc::now()).await;
    wait_for(
        "the slow delivery to be in flight",
        Duration::from_secs(30),
        || async { sim.stats().in_flight == 1 },
    )
    .await;
    let job = jobs::for_report(db, filed.report_id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(job.status, "running");
    let holder = job.locked_by.expect("a lease holder");
    let pid: u32 = holder[1..holder.find('-').unwrap()].parse().unwrap();
    let victim = children
        .0
        .iter_mut()
        .find(|c| c.id() == pid)
        .expect("the lease is held by one of the two processes");
    victim.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
    victim.wait().unwrap();

    wait_for(
        "the other process to deliver",
        Duration::from_secs(90),
        || async { delivered_count(db).await == 1 },
    )
    .await;
    let stats = sim.stats();
    assert_eq!(
        stats.writes.get(&filed.case_number),
        Some(&1),
        "stored once"
    );
    assert!(stats.requests[&filed.case_number] >= 2);
    let job = jobs::for_report(db, filed.report_id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(job.status, "done");
    assert!(job.attempts >= 2);
    let attempts = delivery_store::attempts(db).await.unwrap();
    assert_eq!(attempts[0].worker, holder);
    assert_eq!(attempts[0].outcome.as_deref(), Some("lease expired"));
    let last = attempts.last().unwrap();
    assert_ne!(last.worker, holder);
    assert_eq!(last.outcome.as_deref(), Some("done"));
    drop(children);
}

/// Two `internetwache serve` processes on one PostgreSQL database; citizens file 500 reports
/// over HTTP, half through each; both processes' workers deliver them to police-sim.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_serve_processes_take_500_reports_between_them() {
    if crate::helpers::postgres_admin_url().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let sim = start_sim(&key, &dir.path().join("received"), Duration::from_secs(30));
    let config = push_config(&key, &sim.url());
    // Creates the database, migrates and seeds it; its own workers stay off.
    let app = spawn(Backend::Postgres, Some(&config), &[("IW_WORKERS", "0")])
        .await
        .unwrap();
    let config_path = app.dir.path().join("internetwache.toml");
    // Instances behind one load balancer share the draft key.
    let draft_keys = internetwache::crypto::AddressKeyring::generate()
        .unwrap()
        .to_spec();
    let env = [
        ("IW_DATABASE_URL", app.database_url.as_str()),
        ("IW_CONFIG", config_path.to_str().unwrap()),
        ("IW_DRAFT_KEYS", draft_keys.as_str()),
        ("IW_WORKERS", "2"),
        ("IW_WORKER_POLL_MS", "200"),
        ("IW_RATE_LIMIT_PER_MINUTE", "0"),
        ("IW_LOG_LEVEL", "warn"),
    ];
    let mut servers = [ServeProcess::start(&env), ServeProcess::start(&env)];
    for server in &mut servers {
        server.wait_ready().await;
    }

    let (first, second) = (servers[0].address(), servers[1].address());
    let (a, b) = tokio::join!(
        file_concurrently(&app, &first, ("be", "hinweis"), 250, 8),
        file_concurrently(&app, &second, ("be", "hinweis"), 250, 8),
    );
    let filed: Vec<String> = a.into_iter().chain(b).collect();
    assert_eq!(filed.len(), 500);

    let db = &app.state.db;
    wait_for(
        "500 reports delivered",
        Duration::from_secs(300),
        || async { delivered_count(db).await == 500 },
    )
    .await;
    let stats = sim.stats();
    for case in &filed {
        assert_eq!(
            stats.requests.get(case),
            Some(&1),
            "{case} delivered exactly once"
        );
    }
    assert_eq!(stats.total_requests, 500);
    // The audit: one claim per delivery job, so no job was ever held by two workers at once.
    let attempts = delivery_store::attempts(db).await.unwrap();
    let deliver_jobs: Vec<i64> = internetwache::with_db!(db, pool => sqlx::query_scalar(
        "SELECT id FROM jobs WHERE kind = 'deliver'").fetch_all(pool).await.unwrap());
    let deliveries: Vec<_> = attempts
        .iter()
        .filter(|a| deliver_jobs.contains(&a.job_id))
        .collect();
    let retried = crate::delivery_support::assert_one_claim_at_a_time(&deliveries, 500);
    let mut per_worker: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &deliveries {
        *per_worker.entry(a.worker.as_str()).or_default() += 1;
    }
    println!("{retried} jobs needed a second attempt that never reached the police");
    println!("500 reports filed over HTTP through two serve processes; claims per worker: {per_worker:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_cli_shows_counts_and_requeues_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let app = spawn(Backend::Sqlite, None, FAST_RETRIES).await.unwrap();
    let db = &app.state.db;
    register_form(db).await;
    let filed = file_report(db, &key, None, chrono::Utc::now()).await;
    internetwache::with_db!(db, pool => sqlx::query("UPDATE jobs SET status = 'dead', attempts = 25")
        .execute(pool).await.map(|_| ()).unwrap());

    let cli = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_internetwache"))
            .args(args)
            .env_clear()
            .env("IW_DATABASE_URL", app.state.settings.database_url.as_str())
            .env("IW_DATA_DIR", app.dir.path().join("var"))
            .output()
            .expect("run the CLI");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let status = cli(&["queue", "status"]);
    assert!(
        status.contains("be       deliver    dead            1"),
        "{status}"
    );
    assert!(
        status.contains(&format!("report {}", filed.report_id)),
        "{status}"
    );
    let retried = cli(&["queue", "retry", "--dead"]);
    assert!(retried.contains("requeued 1"), "{retried}");
    let job = jobs::for_report(db, filed.report_id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(job.status, "pending");
    assert_eq!(job.attempts, 0);
}

/// `serve` killed with SIGKILL while eight browsers file reports (half with a photo):
/// every case number a citizen was shown is stored with its delivery job after a restart,
/// no report was stored without one, and the restarted service takes the next report.
async fn a_killed_service_keeps_every_case_number_it_showed(backend: Backend) {
    let Some(app) = crate::helpers::spawn_app_with(backend, &[("IW_WORKERS", "0")]).await else {
        return;
    };
    let env = [
        ("IW_DATABASE_URL", app.database_url.as_str()),
        ("IW_DATA_DIR", app.data_dir.to_str().unwrap()),
        ("IW_WORKERS", "0"),
        ("IW_RATE_LIMIT_PER_MINUTE", "0"),
        ("IW_LOG_LEVEL", "warn"),
    ];
    let mut server = ServeProcess::start(&env);
    server.wait_ready().await;
    let db = &app.state.db;

    let (shown_tx, mut shown_rx) = tokio::sync::mpsc::unbounded_channel();
    let postal_code = crate::filing::postal_code_for(&app, "be");
    let filers: Vec<_> = (0..8)
        .map(|t| {
            let mut browser = crate::helpers::browser_app(&app);
            browser.address = server.address();
            let form = if t % 2 == 0 {
                "fahrraddiebstahl"
            } else {
                "hinweis"
            };
            let (postal_code, shown_tx) = (postal_code.clone(), shown_tx.clone());
            tokio::spawn(async move {
                for i in 0.. {
                    let mut filler = crate::filing::Filler::new(&postal_code, &format!("K{t}x{i}"));
                    filler.attach_files = form == "fahrraddiebstahl";
                    let filed = crate::filing::file_report(&browser, "be", form, &mut filler).await;
                    if shown_tx.send(filed.case_number).is_err() {
                        return;
                    }
                    browser.client_reset();
                }
            })
        })
        .collect();
    // A citizen halfway through: the first step saved, the tab still open.
    let mut halfway = crate::helpers::browser_app(&app);
    halfway.address = server.address();
    let variant = app
        .state
        .forms
        .live(
            db,
            &internetwache::state_code::StateCode::parse("be").unwrap(),
            "hinweis",
        )
        .await
        .unwrap()
        .unwrap();
    let first_step = crate::filing::start(&halfway, "be", "hinweis").await;
    let mut typed = crate::filing::Filler::new(&postal_code, "Halb");
    crate::filing::complete_step(&halfway, &variant, &first_step, &mut typed).await;
    assert!(
        !typed.sent_text.is_empty(),
        "the first step has text to keep"
    );

    let mut shown = Vec::new();
    while shown.len() < 24 {
        shown.push(
            shown_rx
                .recv()
                .await
                .expect("the filers run until the kill"),
        );
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("the service ends");
    // The browsers caught mid-journey fail on the dead connection; the rest stop here.
    for filer in &filers {
        filer.abort();
    }
    for filer in filers {
        let _ = filer.await;
    }
    while let Ok(case) = shown_rx.try_recv() {
        shown.push(case);
    }

    let mut restarted = ServeProcess::start(&env);
    restarted.wait_ready().await;
    for case in &shown {
        let number =
            internetwache::reports::case_number::CaseNumber::parse(case).expect("a case number");
        let report = internetwache::store::reports::get_by_case_number(db, &number)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{case} was shown to a citizen but is not stored"));
        let envelope = internetwache::store::reports::envelope(db, report.id)
            .await
            .unwrap();
        assert!(envelope.is_some(), "{case} is stored with its envelope");
    }
    let report_ids: Vec<i64> = internetwache::with_db!(db, pool =>
        sqlx::query_scalar("SELECT id FROM reports").fetch_all(pool).await.unwrap());
    assert!(report_ids.len() >= shown.len());
    for id in &report_ids {
        let deliveries = jobs::for_report(db, *id)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.kind == jobs::JobKind::Deliver)
            .count();
        assert_eq!(
            deliveries, 1,
            "report {id} was stored with exactly one delivery job"
        );
    }
    if backend == Backend::Sqlite {
        let Db::Sqlite(sqlite) = db else {
            unreachable!()
        };
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(sqlite.reader())
            .await
            .unwrap();
        assert_eq!(integrity, "ok");
    }

    halfway.address = restarted.address();
    let page = halfway.get(&first_step).await;
    assert_eq!(
        page.status(),
        200,
        "the saved draft opens after the restart"
    );
    let page = page.text().await.unwrap();
    for text in &typed.sent_text {
        assert!(
            page.contains(text.as_str()),
            "{text:?} is kept across the kill"
        );
    }

    let mut browser = crate::helpers::browser_app(&app);
    browser.address = restarted.address();
    let mut filler = crate::filing::Filler::new(&postal_code, "Nach");
    let next = crate::filing::file_report(&browser, "be", "fahrraddiebstahl", &mut filler).await;
    assert!(
        !shown.contains(&next.case_number),
        "a new case number after the restart"
    );
    println!(
        "{} case numbers shown before SIGKILL, {} reports stored; all kept after the restart",
        shown.len(),
        report_ids.len()
    );
}
with_both_engines!(a_killed_service_keeps_every_case_number_it_showed);
