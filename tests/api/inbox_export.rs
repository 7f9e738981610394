//! VBS export: one versioned file per report, to the drop folder (atomically) and through
//! the token-authenticated export API; marked exported and audited.

use base64::Engine;
use chrono::Utc;
use internetwache::delivery::receipt::sha256_hex;
use internetwache::inbox::export::{self, ExportBundle, FORMAT};
use internetwache::reports::case_number::CaseNumber;
use internetwache::store::{audit, inbox as store, staff as store_staff};

use crate::helpers::TestApp;
use crate::inbox_support::*;
use crate::on_both_engines;

async fn a_report_is_exported_to_the_drop_folder_and_over_the_api(app: TestApp) {
    let db = &app.state.db;
    let (_, key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(db, vec![key.clone()]);
    let case = CaseNumber::generate("be").unwrap();
    let doc = report(&case);
    let body = seal(&doc, &key, Utc::now());
    let now = Utc::now().timestamp();
    receipt_of(push(&inbox.push_url(), INBOX_SECRET, case.as_str(), &body, now).await).await;

    // Drop folder: the complete file, no temporary left behind, marked exported.
    let drop = app.dir.path().join("vbs-drop");
    let path = export::to_drop_folder(inbox.receiver(), "anna", case.as_str(), &drop)
        .await
        .unwrap();
    let names: Vec<String> = std::fs::read_dir(&drop)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [format!("{case}.vbs.json")]);
    let bundle: ExportBundle = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(bundle.format, FORMAT);
    assert_eq!(bundle.report, doc);
    assert_eq!(bundle.envelope_sha256, sha256_hex(body.as_bytes()));
    for a in &bundle.report.attachments {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&a.data)
            .unwrap();
        assert_eq!(sha256_hex(&bytes), a.sha256);
    }
    let row = store::get(db, case.as_str()).await.unwrap().unwrap();
    assert!(row.exported_at.is_some());

    // The API: no token, no export; a Brandenburg token sees nothing of Berlin.
    let api = |path: &str| format!("http://127.0.0.1:{}{path}", inbox.port);
    let client = reqwest::Client::new();
    let anonymous = client
        .get(api(&format!("/api/v1/exports/{case}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["content-type"],
        "application/problem+json"
    );
    let token_for = |state: &'static str| async move {
        let token = internetwache::crypto::generate_token().unwrap();
        let hash = internetwache::crypto::token_hash(&token);
        store_staff::add_token(
            db,
            &hash,
            &internetwache::state_code::StateCode::parse(state).unwrap(),
            "vbs",
            Utc::now(),
        )
        .await
        .unwrap();
        token
    };
    let be = token_for("be").await;
    let bb = token_for("bb").await;
    let foreign = client
        .get(api(&format!("/api/v1/exports/{case}")))
        .bearer_auth(&bb)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404);
    let list: serde_json::Value = client
        .get(api("/api/v1/exports"))
        .bearer_auth(&be)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["case_number"], case.as_str());
    let fetched: ExportBundle = client
        .get(api(&format!("/api/v1/exports/{case}")))
        .bearer_auth(&be)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched.report, doc);

    let actions: Vec<String> = audit::all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == export::ACTION_EXPORT)
        .map(|r| r.actor)
        .collect();
    assert_eq!(actions, ["anna", "token:vbs"]);
}
/// The export carries the report's follow-ups, in sequence, their files inline and intact.
async fn the_export_carries_the_followups(app: TestApp) {
    use internetwache::reports::followup::{self, FollowupDocument, FollowupFile};

    let (_, key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(&app.state.db, vec![key.clone()]);
    let case = CaseNumber::generate("be").unwrap();
    let body = seal(&report(&case), &key, Utc::now());
    let now = Utc::now().timestamp();
    receipt_of(push(&inbox.push_url(), INBOX_SECRET, case.as_str(), &body, now).await).await;
    for (seq, text) in [(1, "Erster Nachtrag"), (2, "Zweiter Nachtrag")] {
        let doc = FollowupDocument {
            schema: followup::SCHEMA.into(),
            case_number: case.clone(),
            seq,
            created_at: Utc::now(),
            text: text.into(),
            files: vec![FollowupFile::of("zaun.png", "image/png", b"png-bytes")],
        };
        let envelope = doc.seal(&key.public_key()).unwrap().to_json();
        let key_text = followup::delivery_key(&case, seq);
        receipt_of(push(&inbox.push_url(), INBOX_SECRET, &key_text, &envelope, now).await).await;
    }

    let bundle = export::bundle(inbox.receiver(), "anna", case.as_str(), Utc::now())
        .await
        .unwrap();
    let seqs: Vec<i64> = bundle.followups.iter().map(|f| f.seq).collect();
    assert_eq!(seqs, [1, 2]);
    let first = bundle.followups[0].document.as_ref().expect("opened");
    assert_eq!(first.text, "Erster Nachtrag");
    assert_eq!(first.files[0].bytes().unwrap(), b"png-bytes");
    assert_eq!(first.files[0].sha256, sha256_hex(b"png-bytes"));
    assert!(bundle.followups.iter().all(|f| f.unreadable.is_none()));
    // It survives the trip through JSON as the VBS reads it.
    let json = serde_json::to_string(&bundle).unwrap();
    assert!(json.contains("\"followups\":[{\"seq\":1"), "{json}");
    let back: ExportBundle = serde_json::from_str(&json).unwrap();
    assert_eq!(back, bundle);
}

/// A follow-up pushed before its report (the queue does not promise order) is receipted and
/// kept; once the report arrives, the report's follow-ups and its export include it.
async fn a_followup_before_its_report_is_kept_until_the_report_arrives(app: TestApp) {
    use internetwache::reports::followup::{self, FollowupDocument};

    let (_, key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(&app.state.db, vec![key.clone()]);
    let case = CaseNumber::generate("be").unwrap();
    let now = Utc::now().timestamp();
    let doc = FollowupDocument {
        schema: followup::SCHEMA.into(),
        case_number: case.clone(),
        seq: 1,
        created_at: Utc::now(),
        text: "Vor dem Bericht angekommen".into(),
        files: Vec::new(),
    };
    let envelope = doc.seal(&key.public_key()).unwrap().to_json();
    let key_text = followup::delivery_key(&case, 1);
    receipt_of(push(&inbox.push_url(), INBOX_SECRET, &key_text, &envelope, now).await).await;
    assert!(store::get(&app.state.db, case.as_str())
        .await
        .unwrap()
        .is_none());

    let body = seal(&report(&case), &key, Utc::now());
    receipt_of(push(&inbox.push_url(), INBOX_SECRET, case.as_str(), &body, now).await).await;
    let shown = internetwache::inbox::followups::of_case(inbox.receiver(), case.as_str())
        .await
        .unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(
        shown[0].opened.as_ref().expect("opens").text,
        "Vor dem Bericht angekommen"
    );
    let bundle = export::bundle(inbox.receiver(), "anna", case.as_str(), Utc::now())
        .await
        .unwrap();
    assert_eq!(bundle.followups.len(), 1);
    assert_eq!(bundle.followups[0].document.as_ref().unwrap(), &doc);
}

on_both_engines!(a_report_is_exported_to_the_drop_folder_and_over_the_api);
on_both_engines!(a_followup_before_its_report_is_kept_until_the_report_arrives);
on_both_engines!(the_export_carries_the_followups);
