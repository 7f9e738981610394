//! What the intake server keeps cannot be read without the police key, and the police key
//! gets back exactly what was entered.

use std::path::PathBuf;
use std::process::Command;

use base64::Engine;
use internetwache::reports::document::ReportDocument;
use internetwache::store::reports;

use crate::filing::{
    complete_step, csrf_token, file_report, post_step, start, submit_from_review, Filler, StepPost,
    PNG,
};
use crate::helpers::{Backend, TestApp};
use crate::on_both_engines;

/// Everything the database holds, as bytes: the SQLite files, or `pg_dump` of the test database.
pub async fn dump(app: &TestApp) -> Vec<u8> {
    match app.backend {
        Backend::Sqlite => {
            let mut bytes = Vec::new();
            for suffix in ["", "-wal", "-shm"] {
                let path = app.dir.path().join(format!("test.db{suffix}"));
                if let Ok(b) = std::fs::read(&path) {
                    bytes.extend(b);
                }
            }
            assert!(bytes.len() > 4096, "the SQLite files were read");
            bytes
        }
        Backend::Postgres => {
            let out = Command::new("pg_dump")
                .arg("--data-only")
                .arg(&app.database_url)
                .output()
                .expect("pg_dump runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    }
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn no_entered_value_is_stored_in_clear(app: TestApp) {
    let mut sent = Vec::new();
    for (state, form, plz) in [
        ("be", "fahrraddiebstahl", "10115"),
        ("bb", "betrug", "14467"),
        ("mv", "hass-im-netz", "18055"),
    ] {
        let mut filler = Filler::new(plz, "Geheim");
        let filed = file_report(&app, state, form, &mut filler).await;
        assert!(!filed.case_number.is_empty());
        sent.extend(filler.sent_text);
    }
    // Also fixed values that are personal: the IBAN and the licence plate.
    sent.push(crate::filing::IBAN.replace(' ', ""));
    sent.push(crate::filing::IBAN.into());
    assert!(
        sent.len() > 30,
        "distinctive values were entered ({})",
        sent.len()
    );
    let dump = dump(&app).await;
    // The index and the envelopes are there...
    assert!(contains(&dump, "fahrraddiebstahl"));
    // ...but none of what the citizens typed.
    for value in &sent {
        assert!(
            !contains(&dump, value),
            "{value} found in clear in the {:?} database",
            app.backend
        );
    }
    println!(
        "{} distinctive values, none in the {:?} dump ({} bytes)",
        sent.len(),
        app.backend,
        dump.len()
    );
}
on_both_engines!(no_entered_value_is_stored_in_clear);

pub fn private_key_for(app: &TestApp, state: &str) -> PathBuf {
    let dir = app.dir.path().join("var").join("keys");
    std::fs::read_dir(&dir)
        .expect("demo keys exist")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name.starts_with(&format!("{state}-")) && name.ends_with(".private.json")
        })
        .expect("demo private key for the state")
}

/// A stored report's row and its envelope JSON.
async fn stored_envelope(app: &TestApp, case_number: &str) -> (reports::ReportRow, String) {
    let row = reports::get_by_case_number(&app.state.db, &case_number.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let envelope = reports::envelope(&app.state.db, row.id)
        .await
        .unwrap()
        .unwrap();
    (row, envelope)
}

/// Every text typed is in the opened report, and the photo travels inside, unchanged.
fn assert_entered_and_photo_inside(doc: &ReportDocument, filler: &Filler) {
    let values: Vec<String> = doc.answers.iter().map(|a| a.value.to_string()).collect();
    for sent in &filler.sent_text {
        assert!(
            values.iter().any(|v| v.contains(sent.as_str())),
            "{sent} is in the decrypted report"
        );
    }
    assert!(
        !doc.attachments.is_empty(),
        "the evidence upload travels inside the envelope"
    );
    for attachment in &doc.attachments {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&attachment.data)
            .unwrap();
        assert_eq!(bytes, PNG, "attachment bytes are unchanged");
        assert_eq!(attachment.mime_type, "image/png");
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        assert_eq!(attachment.sha256, hex::encode(digest.as_ref()));
    }
}

/// The stored report of a Brandenburg case, opened as a clerk would: `clerk decrypt` with
/// the state's private key on the envelope written to a file.
async fn clerk_decrypt(app: &TestApp, case_number: &str) -> (reports::ReportRow, ReportDocument) {
    let (row, envelope) = stored_envelope(app, case_number).await;
    let envelope_path = app.dir.path().join("envelope.json");
    std::fs::write(&envelope_path, &envelope).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_internetwache"))
        .args(["clerk", "decrypt", "--key"])
        .arg(private_key_for(app, "bb"))
        .arg(&envelope_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = serde_json::from_slice(&out.stdout).expect("a report document");
    (row, doc)
}

async fn clerk_decrypt_returns_exactly_what_was_entered(app: TestApp) {
    let mut filler = Filler::new("14467", "Klar");
    let filed = file_report(&app, "bb", "betrug", &mut filler).await;
    let (row, doc) = clerk_decrypt(&app, &filed.case_number).await;
    assert_eq!(doc.case_number.as_str(), filed.case_number);
    assert_eq!(doc.form.id, "betrug");
    assert_eq!(doc.form.content_hash, row.content_hash);
    assert_entered_and_photo_inside(&doc, &filler);
    // The date of birth, typed as 17 / 05 / 1985 in three boxes, travels as an ISO date.
    let birth = doc
        .answers
        .iter()
        .find(|a| a.field_id == "geburtsdatum")
        .expect("the date of birth");
    assert_eq!(birth.value, serde_json::json!("1985-05-17"));
    assert_eq!(birth.display, "17.05.1985");
    assert!(
        doc.client.is_none(),
        "Brandenburg does not seal the client address"
    );
}
on_both_engines!(clerk_decrypt_returns_exactly_what_was_entered);

/// Evidence files kept in rows of their own: kept across later saves and the language
/// switch, a removed one is gone, and the police get exactly the kept file's bytes; once
/// filed, the intake holds no file row.
async fn evidence_is_kept_removed_and_filed_exactly(app: TestApp) {
    let draft_files = |app: &TestApp| {
        let db = app.state.db.clone();
        async move {
            internetwache::with_db!(&db, pool => sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM draft_files",
            )
            .fetch_one(pool)
            .await
            .unwrap())
        }
    };
    let first = start(&app, "bb", "betrug").await;
    let step = "/bb/betrug/schritt/beweise";
    let kept = [PNG, b"ZweitesBild".as_slice()].concat();
    let removed = [PNG, b"ErstesBild".as_slice()].concat();
    let csrf = csrf_token(&app.get(step).await.text().await.unwrap());
    let mut post = StepPost::default();
    for (name, bytes) in [("weg.png", &removed), ("bleibt.png", &kept)] {
        post.files
            .push(("f-beweise".into(), name.into(), "image/png", bytes.clone()));
    }
    let res = post_step(&app, step, &csrf, &post, "extend").await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("weg.png") && page.contains("bleibt.png"));
    assert_eq!(draft_files(&app).await, 2);

    // Removed with the language switch; switched back with nothing new: one file stays.
    let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, &removed));
    let mut post = StepPost::default();
    post.set("f-beweise-remove", &sha);
    let csrf = csrf_token(&page);
    assert_eq!(
        post_step(&app, step, &csrf, &post, "lang").await.status(),
        303
    );
    let page = app.get(step).await.text().await.unwrap();
    let csrf = csrf_token(&page);
    let res = post_step(&app, step, &csrf, &StepPost::default(), "lang").await;
    assert_eq!(res.status(), 303);
    let page = app.get(step).await.text().await.unwrap();
    assert!(page.contains("bleibt.png") && !page.contains("weg.png"));
    assert_eq!(draft_files(&app).await, 1);

    // The rest of the form, the evidence step posted again without a new file.
    let variant = app
        .state
        .forms
        .live(
            &app.state.db,
            &internetwache::state_code::StateCode::parse("bb").unwrap(),
            "betrug",
        )
        .await
        .unwrap()
        .unwrap();
    let mut filler = Filler::new("14467", "Datei");
    filler.attach_files = false;
    let mut url = first;
    while url.contains("/schritt/") {
        url = complete_step(&app, &variant, &url, &mut filler).await;
    }
    let filed = submit_from_review(&app, &url, variant).await;
    assert!(filed.review.contains("bleibt.png") && !filed.review.contains("weg.png"));
    assert_eq!(
        draft_files(&app).await,
        0,
        "filing deletes the draft's files"
    );
    let printable = app.get("/bb/betrug/ausdruck").await.text().await.unwrap();
    assert!(printable.contains("bleibt.png"));

    let (_, doc) = clerk_decrypt(&app, &filed.case_number).await;
    assert_eq!(doc.attachments.len(), 1);
    let attachment = &doc.attachments[0];
    assert_eq!(attachment.filename, "bleibt.png");
    assert_eq!(attachment.size, kept.len() as u64);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&attachment.data)
        .unwrap();
    assert_eq!(bytes, kept);
}
on_both_engines!(evidence_is_kept_removed_and_filed_exactly);

/// The sweeper's delete of an expired draft takes its evidence files along.
async fn an_expired_drafts_files_go_with_it(app: TestApp) {
    let count = |db: internetwache::store::Db| async move {
        internetwache::with_db!(&db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM draft_files",
        )
        .fetch_one(pool)
        .await
        .unwrap())
    };
    start(&app, "bb", "betrug").await;
    let step = "/bb/betrug/schritt/beweise";
    let csrf = csrf_token(&app.get(step).await.text().await.unwrap());
    let mut post = StepPost::default();
    post.files.push((
        "f-beweise".into(),
        "a.png".into(),
        "image/png",
        PNG.to_vec(),
    ));
    assert_eq!(
        post_step(&app, step, &csrf, &post, "extend").await.status(),
        200
    );
    assert_eq!(count(app.state.db.clone()).await, 1);
    let later = chrono::Utc::now() + chrono::Duration::days(30);
    let swept = internetwache::store::drafts::delete_expired(&app.state.db, later)
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert_eq!(count(app.state.db.clone()).await, 0);
}
on_both_engines!(an_expired_drafts_files_go_with_it);

/// A listed file whose row is gone (another tab of the draft removed it) is named on the
/// review page when submitting, and nothing is filed.
async fn a_lost_file_is_named_on_review(app: TestApp) {
    let variant = app
        .state
        .forms
        .live(
            &app.state.db,
            &internetwache::state_code::StateCode::parse("bb").unwrap(),
            "betrug",
        )
        .await
        .unwrap()
        .unwrap();
    let mut filler = Filler::new("14467", "Verloren");
    let mut url = start(&app, "bb", "betrug").await;
    while url.contains("/schritt/") {
        url = complete_step(&app, &variant, &url, &mut filler).await;
    }
    let review = app.get(&url).await.text().await.unwrap();
    internetwache::with_db!(&app.state.db, pool => sqlx::query("DELETE FROM draft_files")
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap());
    let res = app
        .client
        .post(app.url(&url.replace("/pruefen", "/absenden")))
        .form(&[("csrf_token", csrf_token(&review).as_str())])
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 303, "not filed");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("ist nicht mehr gespeichert"),
        "the lost file is named"
    );
    let filed = internetwache::with_db!(&app.state.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM reports",
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(filed, 0);
}
on_both_engines!(a_lost_file_is_named_on_review);

/// Berlin (`seal_client_address = true`) seals the client address and user agent into the
/// report: the police read them, the database holds neither in clear.
async fn berlin_seals_the_client_address_for_the_police_only(app: TestApp) {
    let user_agent = "Geheimbrowser/7.1 (Beweis)";
    let mut browser = crate::helpers::browser_app(&app);
    browser.client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .user_agent(user_agent)
        .build()
        .unwrap();
    let mut filler = Filler::new("10115", "Herkunft");
    let filed = file_report(&browser, "be", "betrug", &mut filler).await;
    let (_, envelope) = stored_envelope(&app, &filed.case_number).await;
    let key = internetwache::crypto::keys::load_private_key(&private_key_for(&app, "be")).unwrap();
    let plain = internetwache::crypto::Envelope::from_json(&envelope)
        .unwrap()
        .open_with(&key)
        .unwrap();
    let doc = ReportDocument::from_json_bytes(&plain).unwrap();
    let client = doc.client.expect("Berlin seals the client address");
    assert_eq!(client.address, "127.0.0.1");
    assert_eq!(client.user_agent, user_agent);
    let dump = dump(&app).await;
    assert!(
        !contains(&dump, "Geheimbrowser"),
        "user agent stored in clear"
    );
}
on_both_engines!(berlin_seals_the_client_address_for_the_police_only);

/// The Python opener printed in the README (section 10, written from the specification
/// alone, `cryptography` only) opens what the service stored: the police's route to a
/// report without any Internetwache code.
async fn the_readmes_python_opener_opens_a_filed_report(app: TestApp) {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("### 10. Opening without Internetwache code")
        .nth(1)
        .expect("the README has section 10");
    let program = section
        .split("```python\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("section 10 holds a Python program");

    let mut filler = Filler::new("10115", "Python");
    let filed = file_report(&app, "be", "fahrraddiebstahl", &mut filler).await;
    let (row, envelope) = stored_envelope(&app, &filed.case_number).await;
    let dir = app.dir.path();
    let (script, envelope_path, plaintext_path) = (
        dir.join("open.py"),
        dir.join("report.envelope.json"),
        dir.join("report.json"),
    );
    std::fs::write(&script, program).unwrap();
    std::fs::write(&envelope_path, &envelope).unwrap();
    let out = Command::new("python3")
        .arg(&script)
        .arg(private_key_for(&app, "be"))
        .arg(&envelope_path)
        .arg(&plaintext_path)
        .output()
        .expect("python3 runs (scripts/test installs `cryptography`)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the README's opener failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plaintext = std::fs::read(&plaintext_path).expect("the opener wrote the document");
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some(
            format!(
                "{} internetwache.report.v1 {} bytes",
                filed.case_number,
                plaintext.len()
            )
            .as_str()
        )
    );
    assert_eq!(
        lines.next(),
        Some(format!("sha256 of envelope file: {}", row.envelope_sha256).as_str()),
        "the printed hash is the one the police API lists"
    );

    let doc = ReportDocument::from_json_bytes(&plaintext).expect("a report document");
    assert_eq!(doc.case_number.as_str(), filed.case_number);
    assert_entered_and_photo_inside(&doc, &filler);
}
on_both_engines!(the_readmes_python_opener_opens_a_filed_report);
