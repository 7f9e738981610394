//! Fixtures for the inbox tests: real keys, real report documents sealed into envelopes,
//! an in-process inbox on a test database, and signed pushes.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use internetwache::crypto::audit_chain::AuditKey;
use internetwache::crypto::keys::{self, GeneratedKey};
use internetwache::crypto::{Envelope, EnvelopeMetadata, PolicePrivateKey};
use internetwache::delivery::receipt;
use internetwache::inbox::context::{ClerkWeb, Inbox};
use internetwache::inbox::keyring::Keyring;
use internetwache::inbox::receiver::Receiver;
use internetwache::inbox::server::{self, PUSH_PATH};
use internetwache::inbox::settings::{InboxSettings, StateSettings};
use internetwache::reports::case_number::CaseNumber;
use internetwache::reports::document::{
    Answer, Attachment, FormRef, Office, ReportDocument, SCHEMA,
};
use internetwache::store::Db;

pub const INBOX_SECRET: &str = "inbox-push-secret-for-tests";
pub const AUDIT_KEY: &[u8] = b"inbox-audit-key-for-tests";

pub fn private_key(dir: &Path, state: &str) -> (GeneratedKey, PolicePrivateKey) {
    let generated = keys::generate(state, dir).expect("generate a key");
    let private = keys::load_private_key(&generated.private_path).expect("load it");
    (generated, private)
}

/// A bicycle-theft report with scene, time, value and one attachment.
pub fn report(case_number: &CaseNumber) -> ReportDocument {
    let answer = |step: &str, field: &str, value: serde_json::Value, display: &str| Answer {
        step_id: step.into(),
        step_title: step.into(),
        field_id: field.into(),
        label: field.into(),
        value,
        display: display.into(),
        columns: Vec::new(),
    };
    ReportDocument {
        schema: SCHEMA.into(),
        case_number: case_number.clone(),
        state: case_number.state().to_ascii_lowercase(),
        form: FormRef {
            id: "fahrraddiebstahl".into(),
            version: 2,
            content_hash: "cd".repeat(32),
            title: "Fahrraddiebstahl".into(),
            titles: [("de", "Fahrraddiebstahl"), ("en", "Bicycle theft")]
                .into_iter()
                .map(|(l, t)| (l.to_owned(), t.to_owned()))
                .collect(),
        },
        submitted_at: Utc::now(),
        language: "de".into(),
        client: None,
        office: Some(Office {
            id: "dir3".into(),
            name: "Direktion 3".into(),
        }),
        answers: vec![
            answer("tatort", "tatort_plz", "10178".into(), "10178"),
            answer("tatort", "tatort_ort", "Berlin".into(), "Berlin"),
            answer(
                "tatzeit",
                "tatzeit",
                serde_json::json!({"from_date": "2026-11-20", "from_time": "08:15",
                                   "to_date": "", "to_time": ""}),
                "20.11.2026 08:15",
            ),
            answer(
                "fahrrad",
                "wert",
                serde_json::json!({"eur_cents": 89900}),
                "899,00 €",
            ),
        ],
        attachments: vec![Attachment {
            field_id: "beweise".into(),
            filename: "rad.txt".into(),
            mime_type: "text/plain".into(),
            size: 3,
            sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
            data: "YWJj".into(),
        }],
    }
}

/// Seals `doc` to `key` exactly as the intake does; returns the envelope JSON.
pub fn seal(doc: &ReportDocument, key: &PolicePrivateKey, at: DateTime<Utc>) -> String {
    let meta = EnvelopeMetadata {
        case_number: doc.case_number.clone(),
        state: doc.state.clone(),
        recipient_key_id: key.key_id.clone(),
        form_id: doc.form.id.clone(),
        form_version: doc.form.version,
        form_content_hash: doc.form.content_hash.clone(),
        submitted_at: at,
        office_id: doc.office.as_ref().map(|o| o.id.clone()),
    };
    let plaintext = doc.to_json_bytes().expect("json");
    Envelope::seal(&meta, &key.public_key(), &plaintext)
        .expect("seal")
        .to_json()
}

/// The clerk pages' part of a test inbox: default settings, a fixed CSRF secret.
pub fn test_clerk_web() -> ClerkWeb {
    let settings = InboxSettings::from_parts(None, BTreeMap::new()).expect("default settings");
    ClerkWeb::new(&settings, b"test csrf secret")
}

/// An inbox on `db` holding `keys`, pushing secret [`INBOX_SECRET`] for `be`.
pub struct TestInbox {
    pub inbox: Arc<Inbox>,
    pub port: u16,
}

impl TestInbox {
    pub fn start(db: &Db, keys: Vec<PolicePrivateKey>) -> TestInbox {
        TestInbox::start_reporting_to(db, keys, None)
    }

    /// Like `start`, sending status messages to the intake at `intake_url`.
    pub fn start_reporting_to(
        db: &Db,
        keys: Vec<PolicePrivateKey>,
        intake_url: Option<String>,
    ) -> TestInbox {
        let mut states = BTreeMap::new();
        states.insert(
            "be".to_string(),
            StateSettings::Push {
                secret: INBOX_SECRET.into(),
                intake_url: None,
            },
        );
        let inbox = Arc::new(Inbox {
            receiver: Receiver::new(
                db.clone(),
                Arc::new(Keyring::from_keys(keys)),
                Arc::new(AuditKey::new(AUDIT_KEY)),
            ),
            states,
            intake_url,
            web: test_clerk_web(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = server::http_server(inbox.clone(), listener).expect("server");
        tokio::spawn(server);
        TestInbox { inbox, port }
    }

    pub fn push_url(&self) -> String {
        format!("http://127.0.0.1:{}{PUSH_PATH}", self.port)
    }

    pub fn receiver(&self) -> &Receiver {
        &self.inbox.receiver
    }
}

/// POSTs `body` as a push, signed with `secret` at `timestamp`.
pub async fn push(
    url: &str,
    secret: &str,
    case_number: &str,
    body: &str,
    timestamp: i64,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("Content-Type", "application/json")
        .header(receipt::HEADER_IDEMPOTENCY_KEY, case_number)
        .header(receipt::HEADER_TIMESTAMP, timestamp.to_string())
        .header(
            receipt::HEADER_SIGNATURE,
            receipt::sign_request(secret.as_bytes(), timestamp, body.as_bytes()),
        )
        .body(body.to_owned())
        .send()
        .await
        .expect("push request")
}

/// The receipt of a 200 answer.
pub async fn receipt_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200, "push was not accepted");
    let body: serde_json::Value = response.json().await.expect("json");
    body["receipt"].as_str().expect("receipt").to_owned()
}

/// The opened report holds every free-text value the citizen entered and the uploaded
/// PNG with its SHA-256.
pub fn assert_holds_what_was_entered(doc: &ReportDocument, filler: &crate::filing::Filler) {
    let text = doc.to_text();
    for value in &filler.sent_text {
        assert!(
            text.contains(value.as_str()),
            "{value} is in the opened report"
        );
    }
    let png_sha = receipt::sha256_hex(crate::filing::PNG);
    assert!(!doc.attachments.is_empty(), "the attachment arrived");
    assert!(doc.attachments.iter().all(|a| a.sha256 == png_sha));
}
