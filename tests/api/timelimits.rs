//! Issue 15, item 2: the time limit is stated and can be extended, every POST of a step
//! saves what was typed (the language switch too), and a draft can be saved and resumed
//! later through an e-mailed link whose secret the server does not keep.

use std::time::Duration;

use chrono::Utc;
use internetwache::crypto::DraftSecret;
use internetwache::state_code::StateCode;
use internetwache::store::resume_mails;
use internetwache::with_db;

use crate::delivery_support::{free_port, spawn, wait_for, workers, SmtpServer, FAST_RETRIES};
use crate::filing::{complete_step, csrf_token, error_summary, location, post_step, start};
use crate::filing::{Filler, StepPost};
use crate::helpers::{Backend, TestApp};
use crate::sealing::{contains, dump};
use crate::{on_both_engines, with_both_engines};

const FORM: &str = "fahrraddiebstahl";
const STEP: &str = "/be/fahrraddiebstahl/schritt/fahrrad";

/// A new draft of the bicycle form, filled up to its bicycle step; returns that step's CSRF.
async fn at_bicycle_step(app: &TestApp) -> String {
    let code = StateCode::parse("be").unwrap();
    let variant = app
        .state
        .forms
        .live(&app.state.db, &code, FORM)
        .await
        .unwrap()
        .unwrap();
    let mut filler = Filler::new("10115", "Tl");
    let mut url = start(app, "be", FORM).await;
    while url != STEP {
        assert!(
            url.contains("/schritt/"),
            "the bicycle step comes before {url}"
        );
        url = complete_step(app, &variant, &url, &mut filler).await;
    }
    csrf_token(&app.get(STEP).await.text().await.unwrap())
}

/// What the citizen typed on the bicycle step: a make, and a frame height that is not a
/// number (invalid, and kept as typed all the same).
fn typed(marker: &str) -> StepPost {
    let mut post = StepPost::default();
    post.set("f-marke", &format!("{marker}Marke"));
    post.set("f-rahmenhoehe", "zweiundfuenfzig");
    post
}

fn assert_typed_kept(html: &str, marker: &str) {
    assert!(
        html.contains(&format!("value=\"{marker}Marke\"")),
        "the make is kept"
    );
    assert!(
        html.contains("value=\"zweiundfuenfzig\""),
        "the invalid frame height is kept as typed"
    );
}

async fn idle_expiry(app: &TestApp) -> chrono::DateTime<Utc> {
    with_db!(&app.state.db, pool => sqlx::query_scalar::<_, chrono::DateTime<Utc>>(
        "SELECT idle_expires_at FROM drafts",
    )
    .fetch_one(pool)
    .await
    .unwrap())
}

async fn set_idle_expiry(app: &TestApp, at: chrono::DateTime<Utc>) {
    with_db!(&app.state.db, pool => sqlx::query("UPDATE drafts SET idle_expires_at = $1")
        .bind(at)
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap());
}

async fn extend_renews_the_expiry_and_keeps_typed_values(app: TestApp) {
    let csrf = at_bicycle_step(&app).await;
    // Two minutes left: the page says so, to the minute, in German local time.
    let soon = Utc::now() + chrono::Duration::minutes(2);
    set_idle_expiry(&app, soon).await;
    let page = app.get(STEP).await.text().await.unwrap();
    let shown = internetwache::clock::local_display(soon, Utc::now(), true);
    assert!(
        page.contains(&format!("Ihre Eingaben werden bis {shown} Uhr gespeichert")),
        "the step states the time limit"
    );
    assert!(page.contains("value=\"extend\""), "a button extends it");

    let res = post_step(&app, STEP, &csrf, &typed("Ext"), "extend").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert_typed_kept(&html, "Ext");
    assert!(error_summary(&html).is_none(), "extending judges nothing");
    let renewed = idle_expiry(&app).await;
    assert!(
        renewed > Utc::now() + chrono::Duration::minutes(55),
        "the idle expiry is renewed to 60 minutes, got {renewed}"
    );
    let shown = internetwache::clock::local_display(renewed, Utc::now(), true);
    assert!(
        html.contains(&format!("bis {shown} Uhr")),
        "the new time is stated"
    );
    // Saved, not only echoed: a fresh GET shows the same.
    assert_typed_kept(&app.get(STEP).await.text().await.unwrap(), "Ext");
}
on_both_engines!(extend_renews_the_expiry_and_keeps_typed_values);

async fn the_language_switch_saves_what_was_typed(app: TestApp) {
    let csrf = at_bicycle_step(&app).await;
    let page = app.get(STEP).await.text().await.unwrap();
    assert!(
        page.contains("form=\"step-form\" name=\"action\" value=\"lang\""),
        "on a step the switch is a button of the step form"
    );
    let res = post_step(&app, STEP, &csrf, &typed("Lang"), "lang").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), STEP, "the same step comes back");
    let html = app.get(STEP).await.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"), "now in English");
    assert_typed_kept(&html, "Lang");
    assert!(error_summary(&html).is_none());
}
on_both_engines!(the_language_switch_saves_what_was_typed);

/// The resume page with a code; returns the response.
async fn post_code(app: &TestApp, code: &str) -> reqwest::Response {
    let page = app.get("/be/fortsetzen").await;
    assert_eq!(page.status(), 200);
    let csrf = csrf_token(&page.text().await.unwrap());
    app.client
        .post(app.url("/be/fortsetzen"))
        .form(&[("csrf_token", csrf.as_str()), ("code", code)])
        .send()
        .await
        .unwrap()
}

/// The error summary of the resume page, which must not depend on the code sent.
async fn refusal(app: &TestApp, code: &str) -> String {
    let res = post_code(app, code).await;
    assert_eq!(res.status(), 422, "a code that opens nothing");
    error_summary(&res.text().await.unwrap()).expect("an error summary")
}

async fn save_and_return_by_mail(backend: Backend) {
    let port = free_port();
    let smtp = SmtpServer::start(port).await;
    let mail_url = format!("smtp://127.0.0.1:{port}?tls=none");
    let mut overrides = FAST_RETRIES.to_vec();
    overrides.push(("IW_MAIL_URL", &mail_url));
    let Some(mut app) = spawn(backend, None, &overrides).await else {
        return;
    };
    let csrf = at_bicycle_step(&app).await;
    let res = post_step(&app, STEP, &csrf, &typed("Later"), "later").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/be/fahrraddiebstahl/spaeter");

    let page = app.get("/be/fahrraddiebstahl/spaeter").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("7 Tage lang"),
        "the page states the longer expiry"
    );
    let csrf = csrf_token(&page);
    let send = |email: &'static str, csrf: String| {
        let request = app
            .client
            .post(app.url("/be/fahrraddiebstahl/spaeter"))
            .form(&[("csrf_token", csrf), ("email", email.to_owned())]);
        async move { request.send().await.unwrap() }
    };
    let bad = send("jane.doe@", csrf.clone()).await;
    assert_eq!(bad.status(), 422);
    let bad = bad.text().await.unwrap();
    assert!(error_summary(&bad).unwrap().contains("im richtigen Format"));
    assert!(
        bad.contains("value=\"jane.doe@\""),
        "the address is kept as typed"
    );
    let saved = send("jane.doe@example.org", csrf_token(&bad)).await;
    assert_eq!(saved.status(), 200);
    let saved = saved.text().await.unwrap();
    assert!(saved.contains("id=\"saved-until\""));
    let kept = idle_expiry(&app).await;
    assert!(
        kept > Utc::now() + chrono::Duration::days(6),
        "a draft saved for later is kept 7 days, got {kept}"
    );
    let until =
        internetwache::clock::local_display(kept, Utc::now() - chrono::Duration::days(1), true);
    assert!(saved.contains(&until), "the page states the date: {until}");

    // Queued sealed: neither address nor anything of the secret in the outbox row.
    let queued = resume_mails::all_sealed(&app.state.db).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert!(!contains(&queued[0].1, "jane.doe"));

    let worker = workers(&app, 1);
    wait_for("the resume e-mail", Duration::from_secs(20), || async {
        worker[0].run_until_empty().await.unwrap();
        !smtp.mails().is_empty()
    })
    .await;
    let mail = smtp.mails().remove(0);
    assert_eq!(mail.to, vec!["jane.doe@example.org".to_owned()]);
    // The maildir keeps bare newlines: join quoted-printable soft breaks of either kind.
    let text = mail.decoded().replace("=\n", "");
    let marker = "/be/fortsetzen#";
    let at = text.find(marker).expect("the mail holds the resume link") + marker.len();
    let secret_text: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let secret = DraftSecret::parse(&secret_text)
        .unwrap_or_else(|| panic!("the link carries the draft secret: {text}"));
    let code = secret.typeable();
    assert!(text.contains(&code), "the mail prints the code to type");
    assert!(text.contains(&until), "the mail states until when");

    // Sent: the sealed copy is gone, and the database holds no copy of the secret.
    assert!(resume_mails::all_sealed(&app.state.db)
        .await
        .unwrap()
        .is_empty());
    let db = dump(&app).await;
    for form in [secret.encoded(), code.clone(), code.replace('-', "")] {
        assert!(
            !contains(&db, &form),
            "the database holds no copy of the secret"
        );
    }
    assert!(!contains(&db, "jane.doe@example.org"), "nor the address");

    // A wrong code and an unknown one get the same answer.
    app.client_reset();
    let mut wrong = code.clone().into_bytes();
    wrong[0] = if wrong[0] == b'7' { b'8' } else { b'7' };
    let wrong = refusal(&app, std::str::from_utf8(&wrong).unwrap()).await;
    let unknown = refusal(&app, &DraftSecret::generate().unwrap().typeable()).await;
    let garbage = refusal(&app, "hallo").await;
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, garbage);

    // A new browser resumes with the typed code and lands on the step it left.
    let res = post_code(&app, &code.to_lowercase()).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), STEP);
    assert_typed_kept(&app.get(STEP).await.text().await.unwrap(), "Later");
    // And another with the link's own form of it (what the script posts).
    app.client_reset();
    let res = post_code(&app, &secret_text).await;
    assert_eq!(location(&res), STEP);
    assert_typed_kept(&app.get(STEP).await.text().await.unwrap(), "Later");
    smtp.stop();
}
with_both_engines!(save_and_return_by_mail);

/// Resume codes are limited per client address like status look-ups: then 429 with
/// Retry-After, for right and wrong codes alike.
#[tokio::test]
async fn resume_attempts_are_limited_per_address() {
    let app =
        crate::helpers::spawn_app_with(Backend::Sqlite, &[("IW_STATUS_ATTEMPTS_PER_HOUR", "2")])
            .await
            .unwrap();
    let unknown = DraftSecret::generate().unwrap().typeable();
    for _ in 0..2 {
        assert_eq!(post_code(&app, &unknown).await.status(), 422);
    }
    let limited = post_code(&app, &unknown).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}
