//! Issue 14: the citizen's status page (case number + status code) on both engines.

use chrono::{Duration, Utc};
use internetwache::store::{delivery, reports, status_events};

use crate::filing::{csrf_token, file_report, location, postal_code_for, Filed, Filler};
use crate::helpers::{spawn_app_with, Backend, TestApp};
use crate::on_both_engines;

/// The status code the confirmation page shows.
fn status_code(html: &str) -> String {
    let marker = "id=\"status-code\">";
    let start = html.find(marker).expect("page shows the status code") + marker.len();
    html[start..start + html[start..].find('<').unwrap()]
        .trim()
        .to_owned()
}

async fn file(app: &TestApp) -> (Filed, String) {
    let mut filler = Filler::new(&postal_code_for(app, "be"), "Status");
    filler.attach_files = false;
    let filed = file_report(app, "be", "betrug", &mut filler).await;
    let code = status_code(&filed.confirmation);
    (filed, code)
}

/// POSTs the look-up form from a fresh page, as a browser without JavaScript does.
async fn look_up(app: &TestApp, case_number: &str, code: &str) -> reqwest::Response {
    let form = app.get("/status").await.text().await.unwrap();
    app.client
        .post(app.url("/status"))
        .form(&[
            ("csrf_token", csrf_token(&form).as_str()),
            ("case_number", case_number),
            ("status_code", code),
        ])
        .send()
        .await
        .unwrap()
}

/// The status page after a look-up that must succeed.
async fn timeline(app: &TestApp, case_number: &str, code: &str) -> String {
    let res = look_up(app, case_number, code).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let to = location(&res);
    assert_eq!(to, "/status/vorgang");
    assert!(!to.contains(code) && !to.contains(case_number));
    let page = app.get(&to).await;
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

/// A valid code (check symbol right) that is not this report's.
fn another_code(code: &str) -> String {
    loop {
        let other = internetwache::reports::status_code::StatusCode::generate().unwrap();
        if other.expose() != code {
            return other.expose().to_owned();
        }
    }
}

async fn metric(app: &TestApp, name: &str) -> u64 {
    let body = app.metrics().await;
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0)
}

async fn the_timeline_shows_two_status_events_with_dates(app: TestApp) {
    let (filed, code) = file(&app).await;
    assert_eq!(code.len(), 24, "five groups of four");
    assert!(filed.confirmation.contains("href=\"/status\""));
    let db = &app.state.db;
    let case = internetwache::reports::case_number::CaseNumber::parse(&filed.case_number).unwrap();
    let report = reports::get_by_case_number(db, &case)
        .await
        .unwrap()
        .unwrap();
    let now = Utc::now();
    assert!(
        delivery::record_receipt(db, report.id, "v1=aa", None, now, None)
            .await
            .unwrap()
    );
    // Before any status: received and delivered only.
    let page = timeline(
        &app,
        &filed.case_number,
        &code.to_lowercase().replace('-', " "),
    )
    .await;
    assert!(page.contains("Eingegangen") && page.contains("Zugestellt an die Polizei"));
    assert!(!page.contains("In Bearbeitung"));

    let d1 = now + Duration::days(2);
    let d2 = now + Duration::days(9);
    status_events::insert(db, "ev-1", &case, "in_bearbeitung", Some("dir-3"), d1, now)
        .await
        .unwrap();
    status_events::insert(db, "ev-2", &case, "abgeschlossen", None, d2, now)
        .await
        .unwrap();
    // Still signed in for a few minutes: no code needed again.
    let page = app.get("/status/vorgang").await.text().await.unwrap();
    let date = |d: chrono::DateTime<Utc>| {
        d.with_timezone(&chrono_tz::Europe::Berlin)
            .format("%d.%m.%Y")
            .to_string()
    };
    let in_progress = page.find("In Bearbeitung bei").expect("in progress shown");
    let closed = page.find("Abgeschlossen").expect("closed shown");
    assert!(in_progress < closed, "oldest first");
    assert!(page[in_progress..closed].contains(&date(d1)), "{page}");
    assert!(page[closed..].contains(&date(d2)), "{page}");
    // No report content (the filler's distinctive texts), and no status code.
    assert!(!page.contains("StatusZ") && !page.contains("Status1Zq"));
    assert!(!page.contains(&code));

    // Leaving ends the session.
    let csrf = csrf_token(&page);
    let res = app
        .client
        .post(app.url("/status/ende"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = app.get("/status/vorgang").await;
    assert_eq!(location(&res), "/status");
}

/// The confirmation e-mail carries the status code and where to use it.
async fn the_confirmation_mail_carries_the_status_code(app: TestApp) {
    let (filed, code) = file(&app).await;
    let print = app.get("/be/betrug/ausdruck").await.text().await.unwrap();
    assert_eq!(status_code(&print), code, "the printable copy shows it too");
    let case = internetwache::reports::case_number::CaseNumber::parse(&filed.case_number).unwrap();
    let db = &app.state.db;
    let report = reports::get_by_case_number(db, &case)
        .await
        .unwrap()
        .unwrap();
    let worker = &crate::delivery_support::workers(&app, 1)[0];
    let mail_dir = app.dir.path().join("mail");
    // Sent means: the mail is written and the sealed address and code are erased.
    crate::delivery_support::wait_for(
        "the confirmation mail",
        std::time::Duration::from_secs(30),
        || async {
            worker.run_until_empty().await.unwrap();
            let outbox = delivery::outbox(db, report.id).await.unwrap().unwrap();
            outbox.sealed_address.is_none()
        },
    )
    .await;
    let entry = std::fs::read_dir(&mail_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let mail = crate::delivery_support::ReceivedMail {
        to: Vec::new(),
        data: std::fs::read_to_string(entry.path()).unwrap(),
    }
    .decoded();
    assert!(mail.contains(&filed.case_number));
    assert!(mail.contains(&format!("Statuscode: {code}")), "{mail}");
    assert!(mail.contains("/status"));
}

async fn a_wrong_code_and_an_unknown_case_get_the_same_answer(app: TestApp) {
    let (filed, code) = file(&app).await;
    let wrong = another_code(&code);
    let unknown = internetwache::reports::case_number::CaseNumber::generate("be").unwrap();
    let a = look_up(&app, &filed.case_number, &wrong).await;
    let b = look_up(&app, unknown.as_str(), &wrong).await;
    assert_eq!(a.status(), b.status());
    assert_eq!(a.status(), 200);
    let a = a.text().await.unwrap();
    let b = b.text().await.unwrap();
    assert!(a.contains("passen nicht zusammen"), "{a}");
    // Identical but for the echo of what was typed into the case number field.
    assert_eq!(
        a.replace(&filed.case_number, "TYPED"),
        b.replace(unknown.as_str(), "TYPED")
    );
    assert!(!a.contains(&wrong), "the code typed is not echoed");
    // A typing error in the code is caught by its check symbol, before any look-up.
    let mut typo = code.clone().into_bytes();
    typo[0] = if typo[0] == b'2' { b'3' } else { b'2' };
    let res = look_up(
        &app,
        &filed.case_number,
        std::str::from_utf8(&typo).unwrap(),
    )
    .await;
    let body = res.text().await.unwrap();
    assert!(body.contains("20 Zeichen"), "{body}");
}

/// Per case number: five look-ups at once, then each waits a little (counted, not timed);
/// an unknown number waits the same; the right code still gets in (no lockout).
/// The metrics recorder is one per test process: the two engine variants take turns.
static DELAY_COUNTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn look_ups_of_one_case_slow_down_but_never_lock_out(app: TestApp) {
    let (filed, code) = file(&app).await;
    let wrong = another_code(&code);
    let _turn = DELAY_COUNTER.lock().await;
    let delayed = || metric(&app, "status_lookups_delayed_total");
    let before = delayed().await;
    for _ in 0..5 {
        look_up(&app, &filed.case_number, &wrong).await;
    }
    assert_eq!(delayed().await, before, "a burst of five is not delayed");
    look_up(&app, &filed.case_number, &wrong).await;
    assert_eq!(delayed().await, before + 1);
    let unknown = internetwache::reports::case_number::CaseNumber::generate("be").unwrap();
    for _ in 0..5 {
        look_up(&app, unknown.as_str(), &wrong).await;
    }
    assert_eq!(delayed().await, before + 1);
    look_up(&app, unknown.as_str(), &wrong).await;
    assert_eq!(delayed().await, before + 2, "unknown numbers wait the same");
    // The citizen with the right code is delayed, not refused.
    let page = timeline(&app, &filed.case_number, &code).await;
    assert!(page.contains("Eingegangen"));
    assert_eq!(delayed().await, before + 3);
}

async fn too_many_look_ups_from_one_address_get_429(backend: Backend) {
    let Some(app) = spawn_app_with(backend, &[("IW_STATUS_ATTEMPTS_PER_HOUR", "3")]).await else {
        return;
    };
    let (filed, code) = file(&app).await;
    let wrong = another_code(&code);
    for _ in 0..3 {
        assert_eq!(
            look_up(&app, &filed.case_number, &wrong).await.status(),
            200
        );
    }
    let res = look_up(&app, &filed.case_number, &code).await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0);
}

async fn after_retention_the_case_is_no_longer_online(app: TestApp) {
    let (filed, code) = file(&app).await;
    let db = &app.state.db;
    let case = internetwache::reports::case_number::CaseNumber::parse(&filed.case_number).unwrap();
    let report = reports::get_by_case_number(db, &case)
        .await
        .unwrap()
        .unwrap();
    let t0 = Utc::now();
    delivery::record_receipt(db, report.id, "v1=aa", None, t0, None)
        .await
        .unwrap();
    let sweep = |now| {
        internetwache::retention::sweep(
            db,
            &app.state.settings,
            app.state.directory.as_ref(),
            now,
            false,
        )
    };
    // Berlin keeps the index 180 days (state.toml).
    sweep(t0 + Duration::days(181)).await.unwrap().unwrap();
    assert!(reports::get_by_id(db, report.id).await.unwrap().is_none());
    let res = look_up(&app, &filed.case_number, &code).await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains("nicht mehr online verfügbar"), "{body}");
    // A wrong code learns nothing about it.
    let wrong = another_code(&code);
    let body = look_up(&app, &filed.case_number, &wrong)
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("passen nicht zusammen"));
    // The tombstone itself goes one more index period later.
    sweep(t0 + Duration::days(362)).await.unwrap().unwrap();
    let body = look_up(&app, &filed.case_number, &code)
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("passen nicht zusammen"), "{body}");
}

on_both_engines!(
    the_timeline_shows_two_status_events_with_dates,
    the_confirmation_mail_carries_the_status_code,
    a_wrong_code_and_an_unknown_case_get_the_same_answer,
    look_ups_of_one_case_slow_down_but_never_lock_out,
    after_retention_the_case_is_no_longer_online,
);

mod address_limit {
    #[tokio::test]
    async fn sqlite() {
        super::too_many_look_ups_from_one_address_get_429(super::Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres() {
        super::too_many_look_ups_from_one_address_get_429(super::Backend::Postgres).await;
    }
}

// ---- Nachreichen: follow-ups sealed, delivered to the real inbox, limited per day ----

mod nachreichen {
    use std::time::Duration;

    use chrono::Utc;
    use internetwache::crypto::Envelope;
    use internetwache::reports::case_number::CaseNumber;
    use internetwache::reports::followup;
    use internetwache::store::{followups as store_followups, Db};

    use crate::delivery_support::{drain, spawn, workers};
    use crate::filing::{csrf_token, PNG};
    use crate::helpers::{Backend, TestApp};
    use crate::inbox_support::{private_key, push, TestInbox, INBOX_SECRET};
    use crate::sealing::dump;

    /// Adds a follow-up from the status page as a browser without JavaScript does.
    async fn add(app: &TestApp, text: &str, png: Option<&str>) -> reqwest::Response {
        let page = app.get("/status/nachreichen").await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("name=\"f-nachricht\""), "{page}");
        let mut form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf_token(&page))
            .text("f-nachricht", text.to_owned());
        if let Some(name) = png {
            form = form.part(
                "f-beweise",
                reqwest::multipart::Part::bytes(PNG.to_vec())
                    .file_name(name.to_owned())
                    .mime_str("image/png")
                    .unwrap(),
            );
        }
        app.client
            .post(app.url("/status/nachreichen"))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    fn holds_bytes(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    async fn a_followup_with_a_png_arrives_in_the_inbox(backend: Backend) {
        let dir = tempfile::tempdir().unwrap();
        let (_, key) = private_key(&dir.path().join("keys"), "be");
        let inbox_db = Db::connect_lazy(
            &format!("sqlite://{}/inbox.db", dir.path().display())
                .parse()
                .unwrap(),
            2,
        )
        .unwrap();
        inbox_db.migrate().await.unwrap();
        let inbox = TestInbox::start(&inbox_db, vec![key.clone()]);
        let config = format!(
            "[police.be]\n[[police.be.keys]]\nkey_id = \"{}\"\npublic_key = \"{}\"\n\
             [police.be.delivery]\nmode = \"push\"\nurl = \"{}\"\nsecret = \"{INBOX_SECRET}\"\n",
            key.key_id,
            key.public_key().public_base64(),
            inbox.push_url()
        );
        let Some(app) = spawn(
            backend,
            Some(&config),
            &[("IW_WORKERS", "0"), ("IW_FOLLOWUPS_PER_DAY", "2")],
        )
        .await
        else {
            return;
        };
        let db = &app.state.db;
        let workers = workers(&app, 1);
        let (filed, code) = super::file(&app).await;
        assert!(
            filed.confirmation.contains("id=\"add-information-hint\""),
            "the confirmation points to the status page for evidence found later"
        );
        drain(db, &workers, Duration::from_secs(30)).await;
        let case = CaseNumber::parse(&filed.case_number).unwrap();

        // Without a look-up session the form sends the browser to the look-up.
        let res = app.get("/status/nachreichen").await;
        assert_eq!(res.status(), 303);
        let timeline = super::timeline(&app, &filed.case_number, &code).await;
        assert!(timeline.contains("href=\"/status/nachreichen\""));

        // Nothing entered: the error summary, nothing stored.
        let res = add(&app, "", None).await;
        assert_eq!(res.status(), 422);
        let page = res.text().await.unwrap();
        assert!(page.contains("error-summary"));
        assert!(!page.contains("id=\"files-again\""), "no file was chosen");

        let secret = "Rahmennummer WTU-FOLLOWUP-7731 am Zaun gefunden";
        let res = add(&app, secret, Some("rad.png")).await;
        assert_eq!(res.status(), 200);
        let page = res.text().await.unwrap();
        assert!(page.contains("id=\"followup-seq\">1<"), "{page}");
        assert!(page.contains("rad.png") && page.contains(&secret.chars().count().to_string()));
        assert!(
            !page.contains(secret),
            "the confirmation does not echo the text"
        );
        drain(db, &workers, Duration::from_secs(30)).await;

        // Arrived in the inbox, linked to the case, opened with the inbox's keyring.
        let arrived = internetwache::inbox::followups::of_case(inbox.receiver(), case.as_str())
            .await
            .unwrap();
        assert_eq!(arrived.len(), 1);
        let doc = arrived[0].opened.as_ref().expect("the follow-up opens");
        assert_eq!(doc.seq, 1);
        assert_eq!(doc.text, secret);
        assert_eq!(doc.files.len(), 1);
        let png_sha = internetwache::delivery::receipt::sha256_hex(PNG);
        assert_eq!(doc.files[0].sha256, png_sha);
        assert_eq!(doc.files[0].bytes().expect("content matches sha256"), PNG);
        assert_eq!(doc.files[0].media_type, "image/png");

        // The intake holds a receipt and nothing readable: neither the text nor the PNG.
        let row = internetwache::with_db!(db, pool => sqlx::query_as::<_, (i64, Option<String>)>(
            "SELECT id, receipt FROM followups",
        )
        .fetch_one(pool)
        .await
        .unwrap());
        assert!(
            row.1.as_deref().is_some_and(|r| r.starts_with("v1=")),
            "receipted"
        );
        let bytes = dump(&app).await;
        assert!(!crate::sealing::contains(&bytes, "WTU-FOLLOWUP-7731"));
        assert!(
            !holds_bytes(&bytes, PNG),
            "the PNG is not in the intake database"
        );

        // The associated data binds case and seq: the same envelope pushed as seq 2 or for
        // another case is refused, and rewritten metadata does not open.
        let envelope_json = store_followups::envelope(db, row.0).await.unwrap().unwrap();
        let now = Utc::now().timestamp();
        for key_text in [
            followup::delivery_key(&case, 2),
            followup::delivery_key(&CaseNumber::generate("be").unwrap(), 1),
        ] {
            let res = push(
                &inbox.push_url(),
                INBOX_SECRET,
                &key_text,
                &envelope_json,
                now,
            )
            .await;
            assert_eq!(res.status(), 400, "{key_text}");
        }
        let envelope = Envelope::from_json(&envelope_json).unwrap();
        let mut meta = followup::metadata(&envelope).unwrap();
        meta.seq = 2;
        let mut moved = envelope.clone();
        moved.aad = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            serde_json::to_vec(&meta).unwrap(),
        );
        assert!(followup::open(&moved, &key, &case, 2).is_err());
        assert!(followup::open(&envelope, &key, &case, 1).is_ok());

        // The per-day limit (2 here): the third gets a clear 429 page with the text kept.
        assert_eq!(add(&app, "Noch ein Hinweis", None).await.status(), 200);
        let res = add(&app, "Dritter Hinweis XYZ-KEPT", Some("noch.png")).await;
        assert_eq!(res.status(), 429);
        let page = res.text().await.unwrap();
        assert!(page.contains("XYZ-KEPT"), "the text is kept");
        assert!(
            page.contains("id=\"files-again\"")
                && page.contains("Bitte wählen Sie Ihre Dateien noch einmal aus."),
            "the citizen is told to choose the file again: {page}"
        );
        assert!(page.contains("höchstens 2-mal in 24 Stunden"), "{page}");
        let count = internetwache::with_db!(db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM followups",
        )
        .fetch_one(pool)
        .await
        .unwrap());
        assert_eq!(count, 2);
    }

    const PULL_SECRET: &str = "pull-receipt-secret-for-followup-tests";

    /// Berlin's intake in pull mode (no workers of its own) with one filed report and one
    /// follow-up `text` with a PNG named `file_name`, delivered as far as pull goes.
    struct PullSetup {
        app: TestApp,
        key: internetwache::crypto::PolicePrivateKey,
        dir: tempfile::TempDir,
        filed: crate::filing::Filed,
        token: String,
    }

    async fn pull_setup(backend: Backend, text: &str, file_name: &str) -> Option<PullSetup> {
        let dir = tempfile::tempdir().unwrap();
        let (_, key) = private_key(&dir.path().join("keys"), "be");
        let config = format!(
            "[police.be]\n[[police.be.keys]]\nkey_id = \"{}\"\npublic_key = \"{}\"\n\
             [police.be.delivery]\nmode = \"pull\"\nreceipt_secret = \"{PULL_SECRET}\"\n",
            key.key_id,
            key.public_key().public_base64()
        );
        let app = spawn(backend, Some(&config), &[("IW_WORKERS", "0")]).await?;
        let workers = workers(&app, 1);
        let (filed, code) = super::file(&app).await;
        super::timeline(&app, &filed.case_number, &code).await;
        assert_eq!(add(&app, text, Some(file_name)).await.status(), 200);
        for w in &workers {
            w.run_until_empty().await.unwrap();
        }
        let token = crate::staff::add_token(&app, "be").await;
        Some(PullSetup {
            app,
            key,
            dir,
            filed,
            token,
        })
    }

    /// A pull-only police system lists, downloads and confirms a follow-up by the API; a
    /// receipt keyed for another seq is refused.
    async fn a_pull_system_fetches_and_confirms_a_followup(backend: Backend) {
        let Some(PullSetup {
            app,
            key,
            dir: _dir,
            filed,
            token,
        }) = pull_setup(backend, "Per Pull abzuholen", "a.png").await
        else {
            return;
        };
        let db = &app.state.db;
        let secret = PULL_SECRET;
        let api = reqwest::Client::new();
        let list: serde_json::Value = api
            .get(app.url("/api/v1/followups"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{list}");
        assert_eq!(items[0]["case_number"], filed.case_number.as_str());
        assert_eq!(items[0]["seq"], 1);
        let url = format!("/api/v1/followups/{}/1", filed.case_number);
        let envelope = api
            .get(app.url(&url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(envelope.status(), 200);
        let bytes = envelope.bytes().await.unwrap();
        let case = CaseNumber::parse(&filed.case_number).unwrap();
        let opened = followup::open(
            &Envelope::from_json(std::str::from_utf8(&bytes).unwrap()).unwrap(),
            &key,
            &case,
            1,
        )
        .unwrap();
        assert_eq!(opened.1.text, "Per Pull abzuholen");
        let post = |receipt: String| {
            api.post(app.url(&format!("{url}/receipt")))
                .bearer_auth(&token)
                .json(&serde_json::json!({ "receipt": receipt }))
                .send()
        };
        let wrong = internetwache::delivery::receipt::compute(
            secret.as_bytes(),
            &followup::delivery_key(&case, 2),
            &bytes,
        );
        assert_eq!(post(wrong).await.unwrap().status(), 422);
        let right = internetwache::delivery::receipt::compute(
            secret.as_bytes(),
            &followup::delivery_key(&case, 1),
            &bytes,
        );
        let res = post(right).await.unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["first"], true);
        let list: serde_json::Value = api
            .get(app.url("/api/v1/followups"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            list["items"].as_array().unwrap().is_empty(),
            "confirmed: no longer listed"
        );
        let job_status = internetwache::with_db!(db, pool => sqlx::query_scalar::<_, String>(
            "SELECT status FROM jobs WHERE kind = 'deliver_followup'",
        )
        .fetch_one(pool)
        .await
        .unwrap());
        assert_eq!(job_status, "done", "the receipt completes the waiting job");
    }

    /// The follow-up list comes in pages: a police system that leaves the oldest ones
    /// unconfirmed still reaches the newer ones by the cursor, and bad page parameters get a
    /// problem answer.
    async fn the_followup_list_pages_past_unconfirmed_ones(backend: Backend) {
        let Some(PullSetup {
            app,
            dir: _dir,
            filed,
            token,
            ..
        }) = pull_setup(backend, "Erster Hinweis", "a.png").await
        else {
            return;
        };
        for text in ["Zweiter Hinweis", "Dritter Hinweis", "Vierter Hinweis"] {
            assert_eq!(add(&app, text, None).await.status(), 200);
        }
        let api = reqwest::Client::new();
        let list = |query: String| {
            api.get(app.url(&format!("/api/v1/followups{query}")))
                .bearer_auth(&token)
                .send()
        };
        let seqs = |page: &serde_json::Value| -> Vec<i64> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    assert_eq!(i["case_number"], filed.case_number.as_str());
                    i["seq"].as_i64().unwrap()
                })
                .collect()
        };

        let all: serde_json::Value = list(String::new()).await.unwrap().json().await.unwrap();
        assert_eq!(seqs(&all), [1, 2, 3, 4], "{all}");
        assert!(all.get("next_cursor").is_none(), "one page: {all}");

        let first: serde_json::Value = list("?limit=2".into()).await.unwrap().json().await.unwrap();
        assert_eq!(seqs(&first), [1, 2]);
        let cursor = first["next_cursor"]
            .as_str()
            .expect("more follow")
            .to_owned();
        // Seq 1 and 2 stay unconfirmed: the next page still has 3 and 4, and is the last.
        let second: serde_json::Value = list(format!("?limit=2&cursor={cursor}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(seqs(&second), [3, 4], "{second}");
        assert!(second.get("next_cursor").is_none(), "{second}");

        for bad in [
            "?limit=0",
            "?limit=501",
            "?cursor=abc",
            "?cursor=1&cursor=2",
        ] {
            let res = list(bad.into()).await.unwrap();
            assert_eq!(res.status(), 400, "{bad}");
            assert_eq!(
                res.headers()["content-type"],
                "application/problem+json",
                "{bad}"
            );
        }
    }

    /// The inbox in pull mode fetches the report and then its follow-up in one round,
    /// stores both, and only then posts the receipts; a second round fetches nothing.
    async fn the_pull_inbox_fetches_a_followup_after_its_report(backend: Backend) {
        use std::collections::BTreeMap;
        use std::sync::Arc;

        use internetwache::crypto::audit_chain::AuditKey;
        use internetwache::inbox::context::Inbox;
        use internetwache::inbox::keyring::Keyring;
        use internetwache::inbox::receiver::Receiver;
        use internetwache::inbox::settings::StateSettings;

        let Some(PullSetup {
            app,
            key,
            dir,
            filed,
            token,
        }) = pull_setup(backend, "Vom Posteingang abgeholt", "zaun.png").await
        else {
            return;
        };
        let secret = PULL_SECRET;
        let db = &app.state.db;
        let inbox_db = Db::connect_lazy(
            &format!("sqlite://{}/inbox.db", dir.path().display())
                .parse()
                .unwrap(),
            2,
        )
        .unwrap();
        inbox_db.migrate().await.unwrap();
        let inbox = Inbox {
            receiver: Receiver::new(
                inbox_db.clone(),
                Arc::new(Keyring::from_keys([key])),
                Arc::new(AuditKey::new(b"audit")),
            ),
            states: BTreeMap::from([(
                "be".to_string(),
                StateSettings::Pull {
                    intake_url: app.address.clone(),
                    token,
                    receipt_secret: secret.into(),
                },
            )]),
            intake_url: None,
            web: crate::inbox_support::test_clerk_web(),
        };

        assert_eq!(
            internetwache::inbox::pull::pull_once(&inbox).await.unwrap(),
            2,
            "the report and its follow-up"
        );
        assert_eq!(
            internetwache::inbox::pull::pull_once(&inbox).await.unwrap(),
            0,
            "nothing is pending any more"
        );
        let arrived = internetwache::inbox::followups::of_case(&inbox.receiver, &filed.case_number)
            .await
            .unwrap();
        assert_eq!(arrived.len(), 1);
        let doc = arrived[0].opened.as_ref().expect("the follow-up opens");
        assert_eq!(doc.text, "Vom Posteingang abgeholt");
        assert_eq!(doc.files[0].name, "zaun.png");
        assert_eq!(doc.files[0].bytes().expect("content matches sha256"), PNG);

        // The intake has the receipt: the follow-up's job is done, and it is no longer listed.
        let (receipt, job_status) = internetwache::with_db!(db, pool => sqlx::query_as::<_, (Option<String>, String)>(
            "SELECT f.receipt, j.status FROM followups f, jobs j WHERE j.kind = 'deliver_followup'",
        )
        .fetch_one(pool)
        .await
        .unwrap());
        assert!(receipt.is_some_and(|r| r.starts_with("v1=")), "receipted");
        assert_eq!(job_status, "done");
    }

    /// Intake retention: a follow-up's envelope is emptied `envelope_days` (Berlin: 30) after
    /// its own receipt, and the row goes with its report's index (180 days).
    async fn followup_envelopes_follow_the_envelope_rule(backend: Backend) {
        use chrono::Duration as Days;
        use internetwache::store::{delivery, reports};

        let dir = tempfile::tempdir().unwrap();
        let (_, key) = private_key(&dir.path().join("keys"), "be");
        let config = format!(
            "[police.be]\n[[police.be.keys]]\nkey_id = \"{}\"\npublic_key = \"{}\"\n\
             [police.be.delivery]\nmode = \"pull\"\nreceipt_secret = \"s\"\n",
            key.key_id,
            key.public_key().public_base64()
        );
        let Some(app) = spawn(backend, Some(&config), &[("IW_WORKERS", "0")]).await else {
            return;
        };
        let db = &app.state.db;
        let (filed, code) = super::file(&app).await;
        super::timeline(&app, &filed.case_number, &code).await;
        assert_eq!(add(&app, "Wird gelöscht", None).await.status(), 200);
        let case = CaseNumber::parse(&filed.case_number).unwrap();
        let report = reports::get_by_case_number(db, &case)
            .await
            .unwrap()
            .unwrap();
        let t0 = Utc::now();
        delivery::record_receipt(db, report.id, "v1=aa", None, t0, None)
            .await
            .unwrap();
        let id = internetwache::with_db!(db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT id FROM followups",
        )
        .fetch_one(pool)
        .await
        .unwrap());
        store_followups::RECEIPT
            .record(db, id, "v1=bb", None, t0 + Days::days(10), None)
            .await
            .unwrap();
        let sweep = |now| {
            internetwache::retention::sweep(
                db,
                &app.state.settings,
                app.state.directory.as_ref(),
                now,
                false,
            )
        };
        // 30 days after the report's receipt, but not after the follow-up's: kept.
        sweep(t0 + Days::days(31)).await.unwrap().unwrap();
        assert!(store_followups::envelope(db, id).await.unwrap().is_some());
        sweep(t0 + Days::days(41)).await.unwrap().unwrap();
        assert!(
            store_followups::envelope(db, id).await.unwrap().is_none(),
            "emptied 30 days after its own receipt"
        );
        assert!(store_followups::get(db, id).await.unwrap().is_some());
        sweep(t0 + Days::days(181)).await.unwrap().unwrap();
        assert!(
            store_followups::get(db, id).await.unwrap().is_none(),
            "gone with the index"
        );
    }

    crate::with_both_engines!(
        followup_envelopes_follow_the_envelope_rule,
        a_followup_with_a_png_arrives_in_the_inbox,
        a_pull_system_fetches_and_confirms_a_followup,
        the_followup_list_pages_past_unconfirmed_ones,
        the_pull_inbox_fetches_a_followup_after_its_report,
    );
}
