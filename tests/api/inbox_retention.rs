//! Retention in the police inbox on both engines, with the clock passed in: a report the
//! inbox is done with loses its envelope and export file after `envelope_days` (its page
//! says so; the index stays), and its row, notes and status events after `index_days`.
//! Reports still being worked on are kept. Each deletion is audited with counts only.

use chrono::{Duration, Utc};
use internetwache::inbox::retention::{self, Deleted};
use internetwache::inbox::settings::InboxSettings;
use internetwache::inbox::triage::Status;
use internetwache::inbox::{export, status, triage_actions};
use internetwache::reports::case_number::CaseNumber;
use internetwache::store::audit;
use internetwache::store::inbox as store;

use crate::helpers::TestApp;
use crate::inbox_pages::{deliver, Clerk};
use crate::inbox_support::*;
use crate::on_both_engines;
use crate::staff::{add_user, PASSWORD};

const DELETED: &str = "Umschlag gelöscht (Aufbewahrungsfrist)";

fn settings(data_dir: &std::path::Path) -> InboxSettings {
    InboxSettings::with_overrides(
        None,
        &[
            ("IW_INBOX_DATA_DIR", data_dir.to_str().unwrap()),
            ("IW_INBOX_RETENTION_ENVELOPE_DAYS", "7"),
            ("IW_INBOX_RETENTION_INDEX_DAYS", "30"),
        ],
    )
    .expect("settings")
}

async fn sweep(inbox: &TestInbox, settings: &InboxSettings, days: i64, dry_run: bool) -> Deleted {
    let now = Utc::now() + Duration::days(days);
    let mut all = retention::sweep(inbox.receiver(), settings, now, dry_run)
        .await
        .expect("sweep");
    assert_eq!(all.len(), 1, "one state has reports");
    all.remove(0)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    internetwache::with_db!(&app.state.db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap())
}

async fn envelopes_then_index_go_for_finished_reports(app: TestApp) {
    let db = &app.state.db;
    let (_, key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(db, vec![key.clone()]);
    let settings = settings(&app.dir.path().join("inbox"));
    let (done, open) = (
        CaseNumber::generate("be").unwrap(),
        CaseNumber::generate("be").unwrap(),
    );
    deliver(&inbox, &report(&done), &key).await;
    deliver(&inbox, &report(&open), &key).await;
    let rx = inbox.receiver();
    let now = Utc::now();
    for (next, office) in [
        (Status::InPruefung, None),
        (Status::Abgegeben, Some("dir5")),
        (Status::Abgeschlossen, None),
    ] {
        status::change(rx, "anna", done.as_str(), next, office, now)
            .await
            .expect("status");
    }
    triage_actions::add_note(rx, "anna", done.as_str(), "Rad gefunden")
        .await
        .expect("note");
    let file = export::to_drop_folder(rx, "anna", done.as_str(), &settings.export_dir())
        .await
        .expect("export");
    assert!(file.exists());
    add_user(&app, "anna", "clerk", Some("be")).await;
    let clerk = Clerk::new(&inbox);
    assert_eq!(clerk.sign_in("anna", PASSWORD).await.status(), 303);

    // Before the envelope's day nothing goes.
    let early = sweep(&inbox, &settings, 6, false).await;
    assert_eq!(
        (early.envelopes, early.exports, early.index.reports),
        (0, 0, 0)
    );
    assert!(file.exists());

    // After it: the finished report's envelope and export go, the open one stays.
    let dry = sweep(&inbox, &settings, 8, true).await;
    assert_eq!((dry.envelopes, dry.exports), (1, 1), "dry run counts");
    assert!(file.exists(), "a dry run deletes nothing");
    let swept = sweep(&inbox, &settings, 8, false).await;
    assert_eq!(
        (swept.envelopes, swept.exports, swept.index.reports),
        (1, 1, 0)
    );
    assert!(!file.exists(), "the export file went with the envelope");
    let row = store::get(db, done.as_str())
        .await
        .unwrap()
        .expect("index kept");
    assert!(row.envelope_deleted_at.is_some());
    assert_eq!(
        store::envelope(db, done.as_str()).await.unwrap().as_deref(),
        Some("")
    );
    let page = clerk.text(&format!("/posteingang/{}", done.as_str())).await;
    assert!(
        page.contains(DELETED),
        "the page says why there is no content"
    );
    assert!(!page.contains("10178 Berlin") && !page.contains("rad.txt"));
    let list = clerk.text("/posteingang").await;
    assert!(
        list.contains(done.as_str()) && list.contains("10178 Berlin"),
        "the index stays"
    );
    let readable = clerk.text(&format!("/posteingang/{}", open.as_str())).await;
    assert!(!readable.contains(DELETED) && readable.contains("rad.txt"));
    assert_eq!(
        sweep(&inbox, &settings, 8, false).await.envelopes,
        0,
        "once only"
    );

    // After the index's day the row goes with its notes and status events.
    let dry = sweep(&inbox, &settings, 31, true).await;
    assert_eq!(dry.index.reports, 1);
    assert!(store::get(db, done.as_str()).await.unwrap().is_some());
    let gone = sweep(&inbox, &settings, 31, false).await;
    assert_eq!(
        (
            gone.index.reports,
            gone.index.notes,
            gone.index.status_events
        ),
        (1, 1, 3)
    );
    assert!(store::get(db, done.as_str()).await.unwrap().is_none());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM inbox_notes").await, 0);
    let res = clerk.get(&format!("/posteingang/{}", done.as_str())).await;
    assert_eq!(res.status(), 404);
    assert!(
        store::get(db, open.as_str()).await.unwrap().is_some(),
        "open reports stay"
    );
    let readable = clerk.text(&format!("/posteingang/{}", open.as_str())).await;
    assert!(readable.contains("rad.txt"));

    // One audit entry per deletion, with counts and no content or case number.
    let entries = audit::recent(db, Some("be"), 200).await.unwrap();
    let retention: Vec<_> = entries
        .iter()
        .filter(|e| e.action.starts_with("inbox_retention"))
        .collect();
    assert_eq!(
        retention.len(),
        2,
        "one entry for envelopes, one for the index"
    );
    for e in retention {
        let object = e.object.as_deref().unwrap_or_default();
        assert!(object.contains("envelopes=") && !object.contains(done.as_str()));
    }
}

on_both_engines!(envelopes_then_index_go_for_finished_reports);

/// `internetwache inbox retention run` as a process: `--dry-run` counts, the run deletes.
#[tokio::test]
async fn the_retention_command_sweeps_once() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let (_, key) = private_key(&keys, "be");
    let url = format!("sqlite://{}/inbox.db", dir.path().display());
    let db = internetwache::store::Db::connect_lazy(&url.parse().unwrap(), 2).unwrap();
    db.migrate().await.unwrap();
    let inbox = TestInbox::start(&db, vec![key.clone()]);
    let case = CaseNumber::generate("be").unwrap();
    deliver(&inbox, &report(&case), &key).await;
    for next in [Status::InPruefung, Status::Zurueckgewiesen] {
        status::change(
            inbox.receiver(),
            "anna",
            case.as_str(),
            next,
            None,
            Utc::now(),
        )
        .await
        .unwrap();
    }
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_internetwache"))
            .args(["inbox", "retention", "run"])
            .args(extra)
            .env_clear()
            .env("IW_INBOX_DATABASE_URL", &url)
            .env(
                "IW_INBOX_AUDIT_KEY",
                std::str::from_utf8(AUDIT_KEY).unwrap(),
            )
            .env("IW_INBOX_DATA_DIR", dir.path().join("inbox-data"))
            .env("IW_INBOX_KEY_DIRS", &keys)
            .env("IW_INBOX_RETENTION_ENVELOPE_DAYS", "0")
            .output()
            .expect("run `inbox retention run`")
    };
    let dry = run(&["--dry-run"]);
    assert!(dry.status.success(), "{dry:?}");
    let line = "be envelopes=1 exports=0 reports=0";
    assert!(
        String::from_utf8_lossy(&dry.stdout).contains(line),
        "{dry:?}"
    );
    let row = store::get(&db, case.as_str()).await.unwrap().unwrap();
    assert!(
        row.envelope_deleted_at.is_none(),
        "a dry run deletes nothing"
    );

    let done = run(&[]);
    assert!(done.status.success(), "{done:?}");
    assert!(
        String::from_utf8_lossy(&done.stdout).contains(line),
        "{done:?}"
    );
    let row = store::get(&db, case.as_str()).await.unwrap().unwrap();
    assert!(row.envelope_deleted_at.is_some());
    let again = run(&[]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("be envelopes=0"));
}
