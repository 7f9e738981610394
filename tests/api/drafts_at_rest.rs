//! Drafts only the citizen's browser can open: after filing (confirmation mailed through a
//! real SMTP server), a copy of the database and of the whole data directory, tried with
//! every key the server holds, opens no draft and shows no entered value, nor the bytes of
//! an evidence file of a draft still in progress.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use internetwache::crypto::keys::load_private_key;
use internetwache::crypto::{AddressKeyring, DraftSecret, Envelope};
use internetwache::state_code::StateCode;
use internetwache::store::delivery;
use internetwache::store::reports;

use crate::delivery_support::*;
use crate::filing::{complete_step, file_report, start, Filler, PNG};
use crate::helpers::Backend;
use crate::sealing::{contains, dump};
use crate::with_both_engines;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            out.extend(files_under(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

/// Every 32-byte value a key file of the server holds, whole or per `id:base64` item.
fn candidate_secrets(files: &[PathBuf]) -> Vec<Vec<u8>> {
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let mut out = Vec::new();
    for path in files {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let mut pieces = vec![text.trim().to_owned()];
        for item in text.split([',', '\n', '"', ':']) {
            pieces.push(item.trim().to_owned());
        }
        for piece in pieces {
            out.push(piece.as_bytes().to_vec());
            for engine in &engines {
                if let Ok(bytes) = engine.decode(&piece) {
                    out.push(bytes);
                }
            }
        }
    }
    out.retain(|b| b.len() == 32);
    out.sort();
    out.dedup();
    out
}

/// (row id, sealed payload) of every draft in the copied database.
async fn draft_rows(backend: Backend, copy: &Path, live_url: &str) -> Vec<(String, Vec<u8>)> {
    let sql = "SELECT id, payload FROM drafts";
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}?mode=ro", copy.join("test.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(live_url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
        }
    }
}

/// (draft id, file id, sealed bytes) of every draft file in the copied database.
async fn draft_file_rows(
    backend: Backend,
    copy: &Path,
    live_url: &str,
) -> Vec<(String, String, Vec<u8>)> {
    let sql = "SELECT draft_id, id, sealed FROM draft_files";
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}?mode=ro", copy.join("test.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(live_url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
        }
    }
}

async fn no_server_key_opens_a_draft(backend: Backend) {
    let key_dir = tempfile::tempdir().unwrap();
    let key = police_key(key_dir.path());
    let config = format!(
        "[police.be]\n[[police.be.keys]]\nkey_id = \"{}\"\npublic_key = \"{}\"\n",
        key.public.key_id,
        key.public.public_base64()
    );
    let port = free_port();
    let smtp = SmtpServer::start(port).await;
    let mail_url = format!("smtp://127.0.0.1:{port}?tls=none");
    let mut overrides = FAST_RETRIES.to_vec();
    overrides.push(("IW_MAIL_URL", &mail_url));
    let Some(mut app) = spawn(backend, Some(&config), &overrides).await else {
        return;
    };

    // One report filed (its draft stays for the printable copy), one draft half done.
    let mut filler = Filler::new("10115", "Geheim");
    let filed = file_report(&app, "be", "fahrraddiebstahl", &mut filler).await;
    let printable = app.get("/be/fahrraddiebstahl/ausdruck").await;
    assert_eq!(printable.status(), 200);
    let printable = printable.text().await.unwrap();
    assert!(
        filler.sent_text.iter().any(|v| printable.contains(v)),
        "the citizen's own browser still opens the submitted draft"
    );
    app.client_reset();
    let variant = app
        .state
        .forms
        .live(
            &app.state.db,
            &StateCode::parse("be").unwrap(),
            "fahrraddiebstahl",
        )
        .await
        .unwrap()
        .unwrap();
    // Filled up to and including the evidence step, with a PNG no other test sends.
    let mut half = Filler::new("10115", "Halb");
    let png_marker = "HalbBeweisbildZq".to_owned();
    half.png = [PNG, png_marker.as_bytes(), &[0x5a; 4096]].concat();
    half.sent_text.push(png_marker);
    let mut url = start(&app, "be", "fahrraddiebstahl").await;
    loop {
        let step_id = url.rsplit('/').next().unwrap().to_owned();
        url = complete_step(&app, &variant, &url, &mut half).await;
        let step = variant.steps.iter().find(|s| s.id == step_id).unwrap();
        if step.fields.iter().any(|f| f.kind.takes_files()) {
            break;
        }
        assert!(url.contains("/schritt/"), "the form has an evidence step");
    }

    // The confirmation goes out through SMTP and the sealed address is erased.
    let report = reports::get_by_case_number(
        &app.state.db,
        &internetwache::reports::case_number::CaseNumber::parse(&filed.case_number).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let worker = workers(&app, 1);
    wait_for(
        "the confirmation e-mail",
        Duration::from_secs(30),
        || async {
            worker[0].run_until_empty().await.unwrap();
            !smtp.mails().is_empty()
        },
    )
    .await;
    let outbox = delivery::outbox(&app.state.db, report.id)
        .await
        .unwrap()
        .expect("the report asked for a confirmation");
    assert!(outbox.sealed_address.is_none() && outbox.sent_at.is_some());

    // The copy: database files (or a dump) and the whole data directory.
    let copy = tempfile::tempdir().unwrap();
    let mut stored = match backend {
        Backend::Sqlite => {
            for suffix in ["", "-wal", "-shm"] {
                let from = app.dir.path().join(format!("test.db{suffix}"));
                if from.exists() {
                    std::fs::copy(&from, copy.path().join(format!("test.db{suffix}"))).unwrap();
                }
            }
            Vec::new()
        }
        Backend::Postgres => dump(&app).await,
    };
    copy_dir(&app.data_dir, &copy.path().join("var"));
    let files = files_under(copy.path());
    for f in &files {
        stored.extend(std::fs::read(f).unwrap());
    }

    let drafts = draft_rows(backend, copy.path(), &app.database_url).await;
    assert_eq!(drafts.len(), 2, "the submitted and the half-done draft");
    let file_rows = draft_file_rows(backend, copy.path(), &app.database_url).await;
    assert_eq!(
        file_rows.len(),
        1,
        "the half-done draft's evidence file; the filed one's went with the filing"
    );
    assert!(drafts.iter().any(|(id, _)| *id == file_rows[0].0));
    let keyring = AddressKeyring::load_or_create(&copy.path().join("var")).unwrap();
    let secrets = candidate_secrets(&files);
    assert!(
        secrets.len() >= 3,
        "address, audit and CSRF keys were found"
    );
    let private_keys: Vec<_> = files
        .iter()
        .filter_map(|f| load_private_key(f).ok())
        .collect();
    let mut opened = 0;
    for (id, payload) in &drafts {
        for aad in [id.as_bytes(), b"".as_slice()] {
            opened += usize::from(keyring.open(aad, payload).is_ok());
        }
        for secret in &secrets {
            let as_cookie = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
            let draft_secret = DraftSecret::parse(&as_cookie).unwrap();
            opened += usize::from(draft_secret.open(payload).is_ok());
            for (_, file_id, sealed) in &file_rows {
                opened += usize::from(draft_secret.open_file(file_id, sealed.clone()).is_ok());
            }
            if let Ok(ring) =
                AddressKeyring::new(vec![("k".into(), secret[..].try_into().unwrap())])
            {
                opened += usize::from(ring.open(id.as_bytes(), payload).is_ok());
            }
        }
    }
    let envelope = reports::envelope(&app.state.db, report.id)
        .await
        .unwrap()
        .unwrap();
    let envelope = Envelope::from_json(&envelope).unwrap();
    for private in &private_keys {
        opened += usize::from(envelope.open_with(private).is_ok());
    }
    assert_eq!(opened, 0, "a server key opened a draft or the report");

    let mut entered = filler.sent_text.clone();
    entered.extend(half.sent_text.clone());
    assert!(entered.len() > 5, "values were entered ({})", entered.len());
    for value in &entered {
        assert!(!contains(&stored, value), "{value} found in the copy");
        let hex = hex::encode(value.as_bytes());
        assert!(!contains(&stored, &hex), "{value} found (hex) in the copy");
    }
    smtp.stop();
}
with_both_engines!(no_server_key_opens_a_draft);

/// A draft saved before evidence files had rows of their own holds the bytes inline; opening
/// it moves them into a file row once, and the report still gets them.
async fn a_draft_with_inline_files_is_moved_on_open(backend: Backend) {
    let Some(app) = crate::helpers::spawn_app(backend).await else {
        return;
    };
    let (db, drafts) = (&app.state.db, &app.state.drafts);
    let state = StateCode::parse("be").unwrap();
    let variant = app
        .state
        .forms
        .live(db, &state, "fahrraddiebstahl")
        .await
        .unwrap()
        .unwrap();
    let now = chrono::Utc::now();
    let (draft, cookie) = drafts
        .create(
            db,
            &state,
            "fahrraddiebstahl",
            i64::from(variant.version),
            now,
        )
        .await
        .unwrap();
    let secret = DraftSecret::parse(cookie.value()).unwrap();
    let png = [PNG, b"AltesBild".as_slice()].concat();
    let legacy = serde_json::json!({
        "answers": { "beweise": { "files": [{
            "file_name": "alt.png", "mime_type": "image/png", "size": png.len(),
            "sha256": hex::encode(ring::digest::digest(&ring::digest::SHA256, &png)),
            "bytes": base64::engine::general_purpose::STANDARD.encode(&png),
        }]}},
        "reached_review": false,
    });
    let sealed = secret.seal(&serde_json::to_vec(&legacy).unwrap()).unwrap();
    let later = now + chrono::Duration::minutes(30);
    assert!(
        internetwache::store::drafts::update(db, &draft.id, &sealed, now, later)
            .await
            .unwrap()
    );

    let opened = drafts
        .resume(db, secret.clone(), now)
        .await
        .unwrap()
        .unwrap();
    let rows = internetwache::store::drafts::files(db, &draft.id)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "the inline file now has a row");
    assert!(!opened.payload.answers.holds_file_bytes());
    let again = drafts.resume(db, secret, now).await.unwrap().unwrap();
    assert_eq!(again.payload.answers, opened.payload.answers, "moved once");
    let with_files = again.answers_with_files(db).await.unwrap();
    match with_files.get("beweise") {
        Some(internetwache::forms::AnswerValue::Files(files)) => {
            assert_eq!(files.len(), 1);
            assert_eq!(files[0].bytes(), Some(png.as_slice()));
        }
        other => panic!("{other:?}"),
    }
}
with_both_engines!(a_draft_with_inline_files_is_moved_on_open);
