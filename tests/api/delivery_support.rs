//! Fixtures for the queue, delivery and mail tests: real keys, real envelopes, the
//! police-sim in-process, a minimal real SMTP server on loopback, and bounded waits.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use internetwache::crypto::keys::{self, GeneratedKey};
use internetwache::crypto::{AddressKeyring, Envelope, EnvelopeMetadata};
use internetwache::police_sim::{self, RunningSim, SimConfig};
use internetwache::queue::{Services, Worker};
use internetwache::reports::case_number::CaseNumber;
use internetwache::reports::submission::confirmation_aad;
use internetwache::state_code::StateCode;
use internetwache::store::forms::{self, NewFormVersion, Origin};
use internetwache::store::reports::{self, NewReport, SealedConfirmation, SubmitOutcome};
use internetwache::store::{jobs, Db};

use crate::helpers::{spawn_app_configured, Backend, TestApp};

pub const SECRET: &str = "push-secret-for-tests";
pub const FORM_ID: &str = "test-delivery";

/// A police key pair for `be` in `dir`.
pub fn police_key(dir: &Path) -> GeneratedKey {
    keys::generate("be", &dir.join("police-keys")).expect("generate a police key")
}

/// Starts police-sim in this runtime with the private key of `key`.
pub fn start_sim(key: &GeneratedKey, out: &Path, slow: Duration) -> RunningSim {
    let private = keys::load_private_key(&key.private_path).expect("private key");
    let (sim, server) = police_sim::start(
        "127.0.0.1:0".parse().unwrap(),
        SimConfig {
            secret: SECRET.as_bytes().to_vec(),
            key: private,
            out: out.to_path_buf(),
            slow,
        },
    )
    .expect("police-sim starts");
    tokio::spawn(server);
    sim
}

/// `[police.be]` pushing to `url`, with its public key and an ops address.
pub fn push_config(key: &GeneratedKey, url: &str) -> String {
    format!(
        "[police.be]\nops_email = \"ops@polizei.example\"\n\
         [[police.be.keys]]\nkey_id = \"{}\"\npublic_key = \"{}\"\n\
         [police.be.delivery]\nmode = \"push\"\nurl = \"{url}\"\nsecret = \"{SECRET}\"\n",
        key.public.key_id,
        key.public.public_base64()
    )
}

/// Test settings for driving workers by hand with short retry delays.
pub const FAST_RETRIES: &[(&str, &str)] = &[
    ("IW_WORKERS", "0"),
    ("IW_JOB_BACKOFF_BASE_MS", "10"),
    ("IW_JOB_BACKOFF_CAP_SECS", "1"),
    ("IW_WORKER_POLL_MS", "100"),
];

pub async fn spawn(
    backend: Backend,
    config: Option<&str>,
    overrides: &[(&str, &str)],
) -> Option<TestApp> {
    spawn_app_configured(backend, config, overrides).await
}

pub async fn register_form(db: &Db) {
    forms::register(
        db,
        &NewFormVersion {
            state: "be",
            form_id: FORM_ID,
            version: 1,
            content_hash: "hash-1",
            category: "fahrraddiebstahl",
            definition: "{}",
            origin: Origin::File,
            created_by: None,
        },
        Utc::now(),
        None,
    )
    .await
    .expect("register the test form");
}

/// A stored report.
#[derive(Debug, Clone)]
pub struct Filed {
    pub report_id: i64,
    pub case_number: String,
}

/// Seals a real envelope to `key` and files it through `reports::submit`.
pub async fn file_report(
    db: &Db,
    key: &GeneratedKey,
    confirmation: Option<(&AddressKeyring, &str, &str)>,
    submitted_at: DateTime<Utc>,
) -> Filed {
    loop {
        let case_number = CaseNumber::generate("be").expect("case number");
        let meta = EnvelopeMetadata {
            case_number: case_number.clone(),
            state: "be".into(),
            recipient_key_id: key.public.key_id.clone(),
            form_id: FORM_ID.into(),
            form_version: 1,
            form_content_hash: "hash-1".into(),
            submitted_at,
            office_id: Some("dir3".into()),
        };
        let plaintext = format!("{{\"what\":\"Fahrrad gestohlen\",\"case\":\"{case_number}\"}}");
        let envelope = Envelope::seal(&meta, &key.public, plaintext.as_bytes()).expect("seal");
        let json = envelope.to_json();
        let sealed_address = confirmation.map(|(ring, address, _)| {
            ring.seal(&confirmation_aad(&case_number), address.as_bytes())
                .expect("seal address")
        });
        let submission_key = format!("draft-{case_number}");
        let outcome = reports::submit(
            db,
            &NewReport {
                case_number: &case_number,
                submission_key: &submission_key,
                state: &StateCode::parse("be").unwrap(),
                category: "fahrraddiebstahl",
                form_id: FORM_ID,
                form_version: 1,
                content_hash: "hash-1",
                office_id: Some("dir3"),
                key_id: &key.public.key_id,
                envelope: &json,
                envelope_sha256: &envelope.sha256_hex(),
                submitted_at,
                confirmation: sealed_address.as_deref().map(|sealed| SealedConfirmation {
                    sealed_address: sealed,
                    language: confirmation.map(|c| c.2).unwrap_or("de"),
                }),
                max_attempts: 25,
                status_code_hash: "00",
                draft_payload: None,
            },
            None,
        )
        .await
        .expect("submit");
        match outcome {
            SubmitOutcome::Created { report_id } => {
                return Filed {
                    report_id,
                    case_number: case_number.to_string(),
                }
            }
            SubmitOutcome::CaseNumberTaken => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Files `n` reports, `concurrency` at a time.
pub async fn file_many(db: &Db, key: &GeneratedKey, n: usize, concurrency: usize) -> Vec<Filed> {
    stream::iter(0..n)
        .map(|_| file_report(db, key, None, Utc::now()))
        .buffer_unordered(concurrency)
        .collect()
        .await
}

pub fn workers(app: &TestApp, n: usize) -> Vec<Worker> {
    let services: Arc<Services> = app.state.services.clone();
    (0..n).map(|i| Worker::new(services.clone(), i)).collect()
}

/// Polls `condition` until it holds; fails the test after `limit`.
pub async fn wait_for<F, Fut>(what: &str, limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if condition().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Runs the workers concurrently until no job is pending or running.
pub async fn drain(db: &Db, workers: &[Worker], limit: Duration) {
    wait_for("the queue to drain", limit, || async {
        futures_util::future::join_all(workers.iter().map(|w| w.run_until_empty())).await;
        jobs::open_count(db).await.expect("count") == 0
    })
    .await;
}

/// Test settings for a receiver that is down on purpose for a while: retries stay fast, and
/// the attempt budget outlasts the outage. With the default 25 attempts and a 1 s backoff
/// cap a job became a dead letter after about 12 s of outage, which a loaded machine
/// exceeded while the test was still filing the reports that should wait.
pub const OUTAGE_RETRIES: &[(&str, &str)] = &[
    ("IW_WORKER_POLL_MS", "100"),
    ("IW_JOB_BACKOFF_BASE_MS", "10"),
    ("IW_JOB_BACKOFF_CAP_SECS", "1"),
    ("IW_JOB_MAX_ATTEMPTS", "1000"),
];

/// `delivered_count`, failing the test at once when a job became a dead letter: that report
/// would never arrive, and waiting for it would only end in a timeout that hides why.
pub async fn delivered_count_none_dead(db: &Db) -> i64 {
    let dead = jobs::dead_letters(db, None).await.expect("dead letters");
    assert!(dead.is_empty(), "jobs gave up: {dead:?}");
    delivered_count(db).await
}

pub async fn delivered_count(db: &Db) -> i64 {
    internetwache::with_db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM reports WHERE status = 'delivered' AND receipt IS NOT NULL",
    )
    .fetch_one(pool)
    .await
    .expect("count delivered"))
}

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: Vec<String>,
    pub data: String,
}

impl ReceivedMail {
    /// The message with quoted-printable soft breaks joined and base64 parts decoded,
    /// so tests can look for text whatever transfer encoding lettre chose.
    pub fn decoded(&self) -> String {
        use base64::Engine;
        let joined = self.data.replace("=\r\n", "");
        let mut out = joined.clone();
        let mut block = String::new();
        for line in joined.lines().chain(std::iter::once("")) {
            let is_b64 = !line.is_empty()
                && line
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c));
            if is_b64 {
                block.push_str(line);
            } else if !block.is_empty() {
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&block) {
                    out.push_str(&String::from_utf8_lossy(&bytes));
                }
                block.clear();
            }
        }
        out
    }
}

/// A real SMTP server on loopback: Python's `aiosmtpd` (an implementation independent of
/// lettre) writing every message it accepts into a maildir.
pub struct SmtpServer {
    pub port: u16,
    maildir: tempfile::TempDir,
    child: std::process::Child,
}

impl SmtpServer {
    pub async fn start(port: u16) -> SmtpServer {
        let maildir = tempfile::tempdir().expect("maildir");
        let child = std::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("box"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 runs (scripts/test installs aiosmtpd)");
        let mut server = SmtpServer {
            port,
            maildir,
            child,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("aiosmtpd exited ({status}); install it with `pip install aiosmtpd`");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not listen on port {port}");
    }

    /// Every message in the maildir, with its envelope recipients from `X-RcptTo`.
    pub fn mails(&self) -> Vec<ReceivedMail> {
        let mut mails = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.path().join("box").join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                let data = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let to = data
                    .lines()
                    .take_while(|l| !l.is_empty())
                    .filter_map(|l| l.strip_prefix("X-RcptTo:"))
                    .flat_map(|v| v.split(','))
                    .map(|v| v.trim().to_owned())
                    .collect();
                mails.push(ReceivedMail { to, data });
            }
        }
        mails
    }

    pub fn stop(self) {}
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on now and no other test of this binary is given
/// (`helpers::reserve_port`).
pub fn free_port() -> u16 {
    crate::helpers::reserve_port()
}

/// Like `on_both_engines!`, for tests that start their own app: `async fn name(backend)`.
/// Multi-threaded runtime: workers, the sim and the SMTP server run side by side.
#[macro_export]
macro_rules! with_both_engines {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if $crate::helpers::postgres_admin_url().is_some() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            }
        }
    )+};
}

/// The delivery attempts of `jobs` jobs show each job held by one worker at a time: attempts
/// numbered 1..n without overlap (each ends before the next is claimed), and exactly one
/// done, the last. An earlier attempt may have failed without reaching the police (a dropped
/// keep-alive connection under load); the police-sim's own counts prove one request each.
/// Returns how many jobs needed more than one attempt.
pub fn assert_one_claim_at_a_time(
    attempts: &[&internetwache::store::delivery::Attempt],
    jobs: usize,
) -> usize {
    let mut by_job: std::collections::BTreeMap<i64, Vec<_>> = Default::default();
    for a in attempts {
        by_job.entry(a.job_id).or_default().push(*a);
    }
    assert_eq!(by_job.len(), jobs, "jobs with attempts");
    for (job, list) in &mut by_job {
        list.sort_by_key(|a| a.attempt);
        let numbers: Vec<i64> = list.iter().map(|a| a.attempt).collect();
        assert_eq!(
            numbers,
            (1..=list.len() as i64).collect::<Vec<_>>(),
            "job {job}"
        );
        let (last, earlier) = list.split_last().unwrap();
        assert_eq!(last.outcome.as_deref(), Some("done"), "job {job}: {list:?}");
        for pair in list.windows(2) {
            let ended = pair[0].finished_at.expect("an earlier attempt ended");
            assert!(
                ended <= pair[1].claimed_at,
                "job {job} overlapped: {list:?}"
            );
        }
        assert!(
            earlier.iter().all(|a| a.outcome.as_deref() != Some("done")),
            "job {job} done twice: {list:?}"
        );
    }
    by_job.values().filter(|l| l.len() > 1).count()
}
