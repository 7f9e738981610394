//! Confirmation e-mail through a real SMTP conversation on loopback.

use internetwache::store::jobs::JobKind;
use std::time::Duration;

use chrono::Utc;
use internetwache::store::{delivery, jobs};

use crate::delivery_support::*;
use crate::helpers::Backend;
use crate::with_both_engines;

async fn confirmation_arrives_after_an_smtp_outage(backend: Backend) {
    let port = free_port();
    let mail_url = format!("smtp://127.0.0.1:{port}?tls=none");
    let mut overrides = FAST_RETRIES.to_vec();
    overrides.push(("IW_MAIL_URL", &mail_url));
    let Some(app) = spawn(backend, None, &overrides).await else {
        return;
    };
    let db = &app.state.db;
    register_form(db).await;
    let key = police_key(app.dir.path());
    let keyring = &app.state.services.keyring;
    let filed = file_report(
        db,
        &key,
        Some((keyring, "jane.doe@example.org", "de")),
        Utc::now(),
    )
    .await;
    let english = file_report(
        db,
        &key,
        Some((keyring, "john@example.org", "en")),
        Utc::now(),
    )
    .await;
    let workers = workers(&app, 1);

    // The SMTP server is down: attempts fail and are retried, nothing is lost.
    wait_for(
        "two failed attempts per e-mail",
        Duration::from_secs(30),
        || async {
            workers[0].run_until_empty().await.unwrap();
            let mut ok = true;
            for f in [&filed, &english] {
                let email = jobs::for_report(db, f.report_id)
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|j| j.kind == JobKind::Email)
                    .unwrap();
                assert_eq!(email.status, "pending");
                ok &= email.attempts >= 2;
            }
            ok
        },
    )
    .await;
    let email_job = jobs::for_report(db, filed.report_id)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.kind == JobKind::Email)
        .unwrap();
    let error = email_job.last_error.unwrap();
    assert!(error.starts_with("SMTP:"), "{error}");
    assert!(!error.contains("jane"), "{error}");

    // It comes back on the same port; the retries deliver.
    let server = SmtpServer::start(port).await;
    assert_eq!(server.port, port);
    wait_for(
        "both confirmations to arrive",
        Duration::from_secs(60),
        || async {
            workers[0].run_until_empty().await.unwrap();
            server.mails().len() >= 2
        },
    )
    .await;
    let mails = server.mails();
    assert_eq!(mails.len(), 2, "each confirmation exactly once");
    let german = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t.contains("jane.doe@example.org")))
        .expect("mail to the citizen");
    let text = german.decoded();
    assert!(text.contains(&filed.case_number), "{text}");
    assert!(text.contains("Vorgangsnummer"));
    assert!(text.contains("Beweismittel nachreichen"));
    // Routing: the desk and the responsible office from the forms catalog.
    assert!(text.contains("Internetwache der Polizei Berlin"), "{text}");
    assert!(text.contains("Polizeidirektion 3 (Ost)"), "{text}");
    assert!(text.contains("multipart/alternative"));
    assert!(text.contains("text/html"));
    assert!(!text.contains("Fahrrad gestohlen"), "no report content");
    let en = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t.contains("john@example.org")))
        .expect("mail in English");
    let en_text = en.decoded();
    assert!(en_text.contains(&english.case_number));
    assert!(en_text.contains("Case number"));

    // The address is erased once sent.
    let outbox = delivery::outbox(db, filed.report_id)
        .await
        .unwrap()
        .unwrap();
    assert!(outbox.sealed_address.is_none());
    assert!(outbox.sent_at.is_some());
    let done = jobs::for_report(db, filed.report_id).await.unwrap();
    assert!(done
        .iter()
        .any(|j| j.kind == JobKind::Email && j.status == "done"));
    server.stop();
}
with_both_engines!(confirmation_arrives_after_an_smtp_outage);
