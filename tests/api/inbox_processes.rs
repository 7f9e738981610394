//! The whole path with a real `internetwache inbox` process on its own database: reports
//! filed through the citizen pages are pushed by the intake's workers and arrive in the
//! inbox once, open with every entered value, survive an inbox outage and a SIGKILL of the
//! inbox mid-receive.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use internetwache::crypto::audit_chain::AuditKey;
use internetwache::crypto::keys::GeneratedKey;
use internetwache::inbox::keyring::Keyring;
use internetwache::inbox::reading;
use internetwache::inbox::receiver::Receiver;
use internetwache::inbox::status;
use internetwache::inbox::triage::Status;
use internetwache::store::{inbox as store, status_events, Db};

use crate::delivery_support::{
    delivered_count, delivered_count_none_dead, free_port, police_key, spawn, wait_for,
    OUTAGE_RETRIES, SECRET,
};
use crate::filing::{file_concurrently, file_report, postal_code_for, Filler};
use crate::helpers::{
    create_pg_database, postgres_admin_url, Backend, PgTestDatabase, ServeProcess,
};
use crate::inbox_support::assert_holds_what_was_entered;
use crate::with_both_engines;

pub const INBOX_AUDIT_KEY: &str = "inbox-process-audit-key";

/// A running `internetwache inbox`; killed when dropped.
pub struct InboxProcess {
    child: Child,
}

impl InboxProcess {
    fn start(dir: &Path, port: u16, database_url: &str) -> InboxProcess {
        InboxProcess::start_reporting_to(dir, port, database_url, "http://127.0.0.1:9")
    }

    /// Sends status to the intake at `intake_url`.
    fn start_reporting_to(
        dir: &Path,
        port: u16,
        database_url: &str,
        intake_url: &str,
    ) -> InboxProcess {
        let state = format!(
            "[states.be]\nmode = \"push\"\nsecret = \"{SECRET}\"\nintake_url = \"{intake_url}\"\n"
        );
        InboxProcess::start_with(dir, port, database_url, &state)
    }

    /// With `state_config` as the `[states.be]` table.
    pub fn start_with(
        dir: &Path,
        port: u16,
        database_url: &str,
        state_config: &str,
    ) -> InboxProcess {
        let config = dir.join("inbox.toml");
        std::fs::write(&config, state_config).expect("inbox config");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("inbox.log"))
            .expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_internetwache"))
            .arg("inbox")
            .env_clear()
            .env("IW_INBOX_CONFIG", &config)
            .env("IW_INBOX_BIND", format!("127.0.0.1:{port}"))
            .env("IW_INBOX_DATA_DIR", dir.join("inbox-data"))
            .env("IW_INBOX_DATABASE_URL", database_url)
            .env("IW_INBOX_KEY_DIRS", dir.join("police-keys"))
            .env("IW_INBOX_AUDIT_KEY", INBOX_AUDIT_KEY)
            .env("IW_INBOX_LOG_LEVEL", "warn")
            .env("IW_INBOX_PULL_INTERVAL_SECS", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start `internetwache inbox`");
        InboxProcess { child }
    }

    /// Waits until the inbox accepts connections on `port`. Fails at once with its log if
    /// it ended (a port taken by someone else ends it before it listens), instead of a
    /// later wait for deliveries timing out without saying why.
    pub async fn wait_listening(&mut self, dir: &Path, port: u16) {
        let log = || std::fs::read_to_string(dir.join("inbox.log")).unwrap_or_default();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the inbox exited ({status}) before listening: {}", log());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the inbox did not listen on {port}: {}",
                log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for InboxProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The inbox's own database: a SQLite file, or a fresh PostgreSQL database.
pub async fn inbox_database(backend: Backend, dir: &Path) -> (String, Option<PgTestDatabase>) {
    match backend {
        Backend::Sqlite => (format!("sqlite://{}/inbox.db", dir.display()), None),
        Backend::Postgres => {
            let admin = postgres_admin_url().expect("checked by the caller");
            let (url, guard) = create_pg_database(&admin).await;
            (url, Some(guard))
        }
    }
}

fn push_to(key: &GeneratedKey, port: u16) -> String {
    format!(
        "[police.be]\nops_email = \"ops@polizei.example\"\n\
         [[police.be.keys]]\nkey_id = \"{}\"\npublic_key = \"{}\"\n\
         [police.be.delivery]\nmode = \"push\"\nurl = \"http://127.0.0.1:{port}/api/v1/push\"\n\
         secret = \"{SECRET}\"\n",
        key.public.key_id,
        key.public.public_base64()
    )
}

async fn received(db: &Db) -> Vec<store::InboxReportRow> {
    store::list(db, 0, 10_000).await.unwrap_or_default()
}

async fn reports_filed_while_the_inbox_is_down_arrive_once_even_across_a_kill(backend: Backend) {
    if backend == Backend::Postgres && postgres_admin_url().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let port = free_port();
    let overrides = [&[("IW_WORKERS", "2")], OUTAGE_RETRIES].concat();
    let Some(app) = spawn(backend, Some(&push_to(&key, port)), &overrides).await else {
        return;
    };
    let (inbox_url, _pg_guard) = inbox_database(backend, dir.path()).await;

    // The inbox is down: the citizen still gets case numbers.
    let mut filler = Filler::new(&postal_code_for(&app, "be"), "Inb");
    let with_attachment = file_report(&app, "be", "fahrraddiebstahl", &mut filler).await;
    let mut cases = file_concurrently(&app, &app.address, ("be", "hinweis"), 4, 2).await;
    cases.push(with_attachment.case_number.clone());

    let mut inbox = InboxProcess::start(dir.path(), port, &inbox_url);
    inbox.wait_listening(dir.path(), port).await;
    let db = &app.state.db;
    wait_for(
        "5 reports delivered after the inbox started",
        Duration::from_secs(90),
        || async { delivered_count_none_dead(db).await == 5 },
    )
    .await;

    // More reports; the inbox is killed (SIGKILL) while they are being received.
    let more = tokio::spawn({
        let app_address = app.address.clone();
        let browser = crate::helpers::browser_app(&app);
        async move { file_concurrently(&browser, &app_address, ("be", "hinweis"), 20, 4).await }
    });
    let inbox_db = Db::connect_lazy(&inbox_url.parse().unwrap(), 2).unwrap();
    wait_for(
        "a first report of the second batch",
        Duration::from_secs(90),
        || async { received(&inbox_db).await.len() > 5 },
    )
    .await;
    inbox.kill();
    cases.extend(more.await.unwrap());
    let mut restarted = InboxProcess::start(dir.path(), port, &inbox_url);
    restarted.wait_listening(dir.path(), port).await;
    wait_for(
        "all 25 reports delivered",
        Duration::from_secs(120),
        || async { delivered_count_none_dead(db).await == 25 },
    )
    .await;

    let rows = received(&inbox_db).await;
    assert_eq!(rows.len(), 25, "every report arrived, none twice");
    for case in &cases {
        let row = rows
            .iter()
            .find(|r| &r.case_number == case)
            .expect("arrived");
        assert_eq!(row.unreadable_reason, None, "{case} opens");
        assert_eq!(row.received_via, "push");
    }

    // A clerk opens the bicycle theft: every entered value and the attachment are there.
    let keys = Keyring::load_dirs(&[dir.path().join("police-keys")]).unwrap();
    let receiver = Receiver::new(
        inbox_db.clone(),
        Arc::new(keys),
        Arc::new(AuditKey::new(INBOX_AUDIT_KEY.as_bytes())),
    );
    let opened = reading::view(&receiver, "anna", &with_attachment.case_number)
        .await
        .unwrap();
    assert_holds_what_was_entered(&opened.document, &filler);
    let row = rows
        .iter()
        .find(|r| r.case_number == with_attachment.case_number)
        .unwrap();
    assert_eq!(row.triage.category.as_deref(), Some("fahrraddiebstahl"));
    assert!(row.triage.damage_eur_cents.is_some() && row.triage.offence_time.is_some());
    assert_eq!(
        row.triage.scene_postal_code.as_deref(),
        Some(filler.postal_code.as_str())
    );
}
with_both_engines!(reports_filed_while_the_inbox_is_down_arrive_once_even_across_a_kill);

/// A private key file others may read stops the inbox before it listens, with the fix.
#[test]
fn the_inbox_refuses_a_key_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    std::fs::set_permissions(&key.private_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_internetwache"))
        .arg("inbox")
        .env_clear()
        .env("IW_INBOX_BIND", "127.0.0.1:0")
        .env("IW_INBOX_DATA_DIR", dir.path().join("inbox-data"))
        .env("IW_INBOX_KEY_DIRS", dir.path().join("police-keys"))
        .output()
        .expect("run `internetwache inbox`");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("readable by group or others"), "{stderr}");
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

/// Real `serve` and `inbox` processes: reports filed through the serve process's pages are
/// pushed into the inbox; a status set there reaches the intake's database through the
/// inbox process's sender.
async fn a_status_set_in_the_inbox_process_reaches_the_serve_process(backend: Backend) {
    if backend == Backend::Postgres && postgres_admin_url().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let port = free_port();
    // Migrates and seeds the intake database; its own workers stay off.
    let Some(app) = spawn(backend, Some(&push_to(&key, port)), &[("IW_WORKERS", "0")]).await else {
        return;
    };
    let config_path = app.dir.path().join("internetwache.toml");
    let draft_keys = internetwache::crypto::AddressKeyring::generate()
        .unwrap()
        .to_spec();
    let mut serve = ServeProcess::start(&[
        ("IW_DATABASE_URL", app.database_url.as_str()),
        ("IW_CONFIG", config_path.to_str().unwrap()),
        ("IW_DRAFT_KEYS", draft_keys.as_str()),
        ("IW_WORKERS", "2"),
        ("IW_WORKER_POLL_MS", "100"),
        ("IW_JOB_BACKOFF_BASE_MS", "10"),
        ("IW_JOB_BACKOFF_CAP_SECS", "1"),
        ("IW_RATE_LIMIT_PER_MINUTE", "0"),
        ("IW_LOG_LEVEL", "warn"),
    ]);
    serve.wait_ready().await;
    let (inbox_url, _pg_guard) = inbox_database(backend, dir.path()).await;
    let mut inbox =
        InboxProcess::start_reporting_to(dir.path(), port, &inbox_url, &serve.address());
    inbox.wait_listening(dir.path(), port).await;

    let cases = file_concurrently(&app, &serve.address(), ("be", "hinweis"), 3, 3).await;
    let db = &app.state.db;
    wait_for(
        "3 reports delivered by the serve process",
        Duration::from_secs(90),
        || async { delivered_count(db).await == 3 },
    )
    .await;

    // A clerk (part 2's pages will call the same function) takes the first one up.
    let inbox_db = Db::connect_lazy(&inbox_url.parse().unwrap(), 2).unwrap();
    let keys = Keyring::load_dirs(&[dir.path().join("police-keys")]).unwrap();
    let receiver = Receiver::new(
        inbox_db,
        Arc::new(keys),
        Arc::new(AuditKey::new(INBOX_AUDIT_KEY.as_bytes())),
    );
    status::change(
        &receiver,
        "anna",
        &cases[0],
        Status::InPruefung,
        None,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    wait_for(
        "the status at the intake",
        Duration::from_secs(60),
        || async {
            status_events::for_case(db, &cases[0].parse().unwrap())
                .await
                .map(|events| events.iter().any(|e| e.status == "in_bearbeitung"))
                .unwrap_or(false)
        },
    )
    .await;
    for other in &cases[1..] {
        assert!(status_events::for_case(db, &other.parse().unwrap())
            .await
            .unwrap()
            .is_empty());
    }
}
with_both_engines!(a_status_set_in_the_inbox_process_reaches_the_serve_process);

/// Pull mode with real processes: the inbox process fetches from the serve process's pull
/// API (reports filed while it was down included) and acknowledges each after storing.
async fn the_inbox_process_pulls_from_the_serve_process(backend: Backend) {
    if backend == Backend::Postgres && postgres_admin_url().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let receipt_secret = "pull-receipt-secret-for-process-tests";
    let config = format!(
        "[police.be]\n[[police.be.keys]]\nkey_id = \"{}\"\npublic_key = \"{}\"\n\
         [police.be.delivery]\nmode = \"pull\"\nreceipt_secret = \"{receipt_secret}\"\n",
        key.public.key_id,
        key.public.public_base64()
    );
    let Some(app) = spawn(backend, Some(&config), &[("IW_WORKERS", "0")]).await else {
        return;
    };
    let draft_keys = internetwache::crypto::AddressKeyring::generate()
        .unwrap()
        .to_spec();
    let config_path = app.dir.path().join("internetwache.toml");
    let mut serve = ServeProcess::start(&[
        ("IW_DATABASE_URL", app.database_url.as_str()),
        ("IW_CONFIG", config_path.to_str().unwrap()),
        ("IW_DRAFT_KEYS", draft_keys.as_str()),
        ("IW_WORKERS", "1"),
        ("IW_RATE_LIMIT_PER_MINUTE", "0"),
        ("IW_LOG_LEVEL", "warn"),
    ]);
    serve.wait_ready().await;
    let token = internetwache::crypto::generate_token().unwrap();
    let hash = internetwache::crypto::token_hash(&token);
    internetwache::store::staff::add_token(
        &app.state.db,
        &hash,
        &internetwache::state_code::StateCode::parse("be").unwrap(),
        "inbox",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    // Filed while no inbox runs.
    let cases = file_concurrently(&app, &serve.address(), ("be", "hinweis"), 4, 2).await;

    let (inbox_url, _pg_guard) = inbox_database(backend, dir.path()).await;
    let state = format!(
        "[states.be]\nmode = \"pull\"\nintake_url = \"{}\"\ntoken = \"{token}\"\n\
         receipt_secret = \"{receipt_secret}\"\n",
        serve.address()
    );
    let _inbox = InboxProcess::start_with(dir.path(), free_port(), &inbox_url, &state);
    let db = &app.state.db;
    wait_for(
        "4 reports pulled and acknowledged",
        Duration::from_secs(90),
        || async { delivered_count(db).await == 4 },
    )
    .await;
    let inbox_db = Db::connect_lazy(&inbox_url.parse().unwrap(), 2).unwrap();
    let rows = received(&inbox_db).await;
    assert_eq!(rows.len(), 4);
    for case in &cases {
        let row = rows
            .iter()
            .find(|r| &r.case_number == case)
            .expect("pulled");
        assert_eq!(
            (row.received_via.as_str(), row.unreadable_reason.as_deref()),
            ("pull", None)
        );
    }
}
with_both_engines!(the_inbox_process_pulls_from_the_serve_process);

/// `internetwache inbox audit verify` checks the inbox's own chain and names the first
/// edited entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_audit_verify_finds_an_edited_entry() {
    use crate::inbox_support::{
        push, receipt_of, report, seal, TestInbox, AUDIT_KEY, INBOX_SECRET,
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, key) = crate::inbox_support::private_key(&dir.path().join("keys"), "be");
    let url = format!("sqlite://{}/inbox.db", dir.path().display());
    let db = Db::connect_lazy(&url.parse().unwrap(), 2).unwrap();
    db.migrate().await.unwrap();
    let inbox = TestInbox::start(&db, vec![key.clone()]);
    for _ in 0..3 {
        let case = internetwache::reports::case_number::CaseNumber::generate("be").unwrap();
        let body = seal(&report(&case), &key, chrono::Utc::now());
        let now = chrono::Utc::now().timestamp();
        receipt_of(push(&inbox.push_url(), INBOX_SECRET, case.as_str(), &body, now).await).await;
    }
    let verify = || {
        Command::new(env!("CARGO_BIN_EXE_internetwache"))
            .args(["inbox", "audit", "verify"])
            .env_clear()
            .env("IW_INBOX_DATABASE_URL", &url)
            .env(
                "IW_INBOX_AUDIT_KEY",
                std::str::from_utf8(AUDIT_KEY).unwrap(),
            )
            .env("IW_INBOX_DATA_DIR", dir.path().join("inbox-data"))
            .output()
            .expect("run `inbox audit verify`")
    };
    let intact = verify();
    assert!(intact.status.success(), "{intact:?}");
    assert!(String::from_utf8_lossy(&intact.stdout).contains("intact: 3 entries"));

    internetwache::with_db!(&db, pool => sqlx::query("UPDATE audit_log SET actor = 'someone' WHERE id = 2")
        .execute(pool).await.map(|_| ()).unwrap());
    let broken = verify();
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("broken at entry 2"),
        "{broken:?}"
    );
}
