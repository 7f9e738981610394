//! The citizen's journey over real HTTP, on both engines.

use chrono::Utc;
use internetwache::reports::case_number::CaseNumber;
use internetwache::state_code::StateCode;
use internetwache::store::forms::{self as store_forms, NewFormVersion, Origin};
use internetwache::store::reports;

use crate::filing::{
    complete_step, csrf_token, error_summary, file_report, location, post_step, postal_code_for,
    start, submit_from_review, Filler, StepPost,
};
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_engines;

async fn every_state_and_category_can_be_filed(mut app: TestApp) {
    let states: Vec<String> = app
        .state
        .forms
        .catalog()
        .states()
        .map(|s| s.code.to_string())
        .collect();
    assert_eq!(states.len(), 3, "be, bb and mv ship");
    let mut filed = 0;
    for state in &states {
        let code = StateCode::parse(state).unwrap();
        let forms = app
            .state
            .forms
            .live_for_state(&app.state.db, &code)
            .await
            .unwrap();
        assert_eq!(forms.len(), 7, "{state} offers the seven categories");
        for form in forms {
            let mut filler = Filler::new(&postal_code_for(&app, state), "Mk");
            let report = file_report(&app, state, &form.id, &mut filler).await;
            let number = CaseNumber::parse(&report.case_number).expect("valid case number");
            assert_eq!(number.state(), state.to_uppercase());
            let row = reports::get_by_case_number(&app.state.db, &number)
                .await
                .unwrap()
                .expect("report stored");
            assert_eq!(row.form_id, form.id);
            assert_eq!(row.form_version, i64::from(form.version));
            assert_eq!(row.content_hash, form.content_hash);
            assert!(row.office_id.is_some(), "routed to an office");
            // Each new browser session: a fresh cookie jar per report.
            app.client_reset();
            filed += 1;
        }
    }
    println!("filed {filed} reports over HTTP on {:?}", app.backend);
    assert_eq!(filed, 21);
}
on_both_engines!(every_state_and_category_can_be_filed);

async fn double_submit_shows_the_same_case_number(app: TestApp) {
    let mut filler = Filler::new("10115", "Dbl");
    let first = file_report(&app, "be", "betrug", &mut filler).await;
    // The browser sends the same submit again (double click, back button).
    let csrf = csrf_token(&first.review);
    let res = app
        .client
        .post(app.url("/be/betrug/absenden"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let again = app.get(&location(&res)).await.text().await.unwrap();
    assert_eq!(crate::filing::case_number(&again), first.case_number);
    let count: i64 = internetwache::with_db!(&app.state.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM reports").fetch_one(pool).await.unwrap());
    assert_eq!(count, 1, "one report, not two");
}
on_both_engines!(double_submit_shows_the_same_case_number);

/// The confirmation page and the printable copy name the office stored with the report, as
/// the e-mail does, not one worked out again from today's catalog.
async fn confirmation_names_the_office_stored_with_the_report(app: TestApp) {
    let mut filler = Filler::new("10115", "Off");
    let filed = file_report(&app, "be", "betrug", &mut filler).await;
    let case = CaseNumber::parse(&filed.case_number).unwrap();
    let row = reports::get_by_case_number(&app.state.db, &case)
        .await
        .unwrap()
        .unwrap();
    // As if the catalog had routed the report elsewhere when it was filed.
    let (other, name) = if row.office_id.as_deref() == Some("dir3") {
        ("dir2", "Polizeidirektion 2 (West)")
    } else {
        ("dir3", "Polizeidirektion 3 (Ost)")
    };
    internetwache::with_db!(&app.state.db, pool => sqlx::query("UPDATE reports SET office_id = $1 WHERE id = $2")
        .bind(other).bind(row.id).execute(pool).await.map(|_| ()).unwrap());
    for path in ["/be/betrug/bestaetigung", "/be/betrug/ausdruck"] {
        let page = app.get(path).await.text().await.unwrap();
        assert!(page.contains(name), "{path} does not name {name}");
    }
}
on_both_engines!(confirmation_names_the_office_stored_with_the_report);

async fn a_draft_finishes_on_the_version_it_started_with(mut app: TestApp) {
    let db = &app.state.db;
    let code = StateCode::parse("bb").unwrap();
    let old = app
        .state
        .forms
        .live(db, &code, "sachbeschaedigung")
        .await
        .unwrap()
        .unwrap();
    let mut filler = Filler::new("14467", "Pin");
    let mut url = start(&app, "bb", "sachbeschaedigung").await;
    url = complete_step(&app, &old, &url, &mut filler).await;

    // A state admin publishes version N+1 while this draft is open.
    let mut newer = (*old).clone();
    newer.version += 1;
    newer.title.de = format!("{} (neu)", newer.title.de);
    newer.content_hash = "f".repeat(64);
    let definition = serde_json::to_string(&newer).unwrap();
    store_forms::register(
        db,
        &NewFormVersion {
            state: "bb",
            form_id: "sachbeschaedigung",
            version: i64::from(newer.version),
            content_hash: &newer.content_hash,
            category: &newer.category,
            definition: &definition,
            origin: Origin::Upload,
            created_by: Some("test"),
        },
        Utc::now(),
        None,
    )
    .await
    .unwrap();
    let live = app
        .state
        .forms
        .live(db, &code, "sachbeschaedigung")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.version, old.version + 1, "new drafts get N+1");

    while url.contains("/schritt/") {
        url = complete_step(&app, &old, &url, &mut filler).await;
    }
    let filed = submit_from_review(&app, &url, old.clone()).await;
    let row = reports::get_by_case_number(db, &filed.case_number.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.form_version,
        i64::from(old.version),
        "the report records the pinned version"
    );
    assert_eq!(row.content_hash, old.content_hash);

    // A draft started now is pinned to N+1.
    app.client_reset();
    let start_page = app.get("/bb/sachbeschaedigung").await.text().await.unwrap();
    assert!(start_page.contains("(neu)"));
}
on_both_engines!(a_draft_finishes_on_the_version_it_started_with);

const PAYLOADS: [&str; 3] = [
    "<script>alert('xss')</script>",
    "\"><img src=x onerror=alert(1)>",
    "</textarea><svg onload=alert(2)>",
];

async fn script_payloads_come_out_escaped(mut app: TestApp) {
    for payload in PAYLOADS {
        let mut filler = Filler::new("10115", "Xs");
        let code = StateCode::parse("be").unwrap();
        let variant = app
            .state
            .forms
            .live(&app.state.db, &code, "hass-im-netz")
            .await
            .unwrap()
            .unwrap();
        // Every free-text field gets the payload.
        for step in &variant.steps {
            for f in &step.fields {
                let free_text = match &f.kind {
                    internetwache::forms::FieldKind::Text(p) => p.pattern.is_none(),
                    internetwache::forms::FieldKind::Textarea(_) => true,
                    _ => false,
                };
                if free_text {
                    filler
                        .overrides
                        .insert(format!("f-{}", f.id), payload.to_owned());
                }
            }
        }
        let filed = file_report(&app, "be", "hass-im-netz", &mut filler).await;
        let print = app
            .get("/be/hass-im-netz/ausdruck")
            .await
            .text()
            .await
            .unwrap();
        for (name, page) in [
            ("review", &filed.review),
            ("confirmation", &filed.confirmation),
            ("print", &print),
        ] {
            assert!(
                !page.contains(payload),
                "{name} page contains the raw payload {payload}"
            );
        }
        let escaped = payload.replace('<', "&lt;");
        assert!(
            filed.review.contains(&escaped[..12]) || filed.review.contains("&#60;"),
            "the review shows the payload as text"
        );
        app.client_reset();
    }
}
on_both_engines!(script_payloads_come_out_escaped);

#[tokio::test]
async fn back_never_loses_entered_data() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let code = StateCode::parse("be").unwrap();
    let variant = app
        .state
        .forms
        .live(&app.state.db, &code, "fahrraddiebstahl")
        .await
        .unwrap()
        .unwrap();
    let mut filler = Filler::new("10115", "Bk");
    let first = start(&app, "be", "fahrraddiebstahl").await;
    let second = complete_step(&app, &variant, &first, &mut filler).await;
    let entered = filler.sent_text.clone();
    // On the second step, type something and press "Zurück".
    let html = app.get(&second).await.text().await.unwrap();
    let csrf = csrf_token(&html);
    let step_id = second.rsplit('/').next().unwrap();
    let step = variant.steps.iter().find(|s| s.id == step_id).unwrap();
    let mut post = StepPost::default();
    let mut second_filler = Filler::new("10115", "Sec");
    for f in step.fields.iter().filter(|f| f.show_if.is_none()) {
        second_filler.fill(f, &format!("f-{}", f.id), &mut post);
    }
    assert!(
        !second_filler.sent_text.is_empty(),
        "the step has free-text fields"
    );
    let res = post_step(&app, &second, &csrf, &post, "back").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), first);
    let back = app.get(&first).await.text().await.unwrap();
    for value in &entered {
        assert!(
            back.contains(value.as_str()),
            "value {value} kept on the first step"
        );
    }
    let again = app.get(&second).await.text().await.unwrap();
    for value in second_filler
        .sent_text
        .iter()
        .filter(|v| v.starts_with("Sec"))
    {
        assert!(
            again.contains(value.as_str()),
            "value {value} typed before Zurück is kept"
        );
    }
}

#[tokio::test]
async fn add_and_remove_land_on_the_new_or_the_next_item() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    start(&app, "be", "fahrraddiebstahl").await;
    let step = "/be/fahrraddiebstahl/schritt/beteiligte";
    let press = |action: &'static str| {
        let app = &app;
        async move {
            let csrf = csrf_token(&app.get(step).await.text().await.unwrap());
            let res = post_step(app, step, &csrf, &StepPost::default(), action).await;
            assert_eq!(res.status(), 303, "{action}");
            location(&res)
        }
    };
    // The fragment is an element id, never data; without JavaScript it scrolls there.
    assert_eq!(press("add:zeugen").await, format!("{step}#f-zeugen-item-0"));
    assert_eq!(press("add:zeugen").await, format!("{step}#f-zeugen-item-1"));
    assert_eq!(
        press("remove:zeugen.0").await,
        format!("{step}#f-zeugen-item-0")
    );
    let page = app.get(step).await.text().await.unwrap();
    assert!(page.contains(r#"id="f-zeugen-item-0" tabindex="-1""#));
    assert!(!page.contains(r#"id="f-zeugen-item-1""#));
    // The last one gone: "add" is where the list was.
    assert_eq!(
        press("remove:zeugen.0").await,
        format!("{step}#f-zeugen-add")
    );
}

#[tokio::test]
async fn posts_without_csrf_token_are_refused() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let first = start(&app, "be", "betrug").await;
    let res = app
        .client
        .post(app.url(&first))
        .form(&[("action", "next")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .post(app.url("/be/betrug/start"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn an_expired_draft_gets_a_clear_page() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let first = start(&app, "mv", "diebstahl").await;
    internetwache::with_db!(&app.state.db, pool => sqlx::query("UPDATE drafts SET idle_expires_at = $1").bind(Utc::now() - chrono::Duration::minutes(1)).execute(pool).await.unwrap().rows_affected());
    let res = app.get(&first).await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains("Ihre Sitzung ist abgelaufen"), "{body}");
    assert!(
        body.contains("href=\"/mv/diebstahl\""),
        "offers to start again"
    );
    let count: i64 = internetwache::with_db!(&app.state.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM drafts").fetch_one(pool).await.unwrap());
    assert_eq!(count, 0, "the expired draft is deleted");
}

#[tokio::test]
async fn the_page_tells_when_the_draft_expires_and_shows_progress() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let first = start(&app, "be", "betrug").await;
    let html = app.get(&first).await.text().await.unwrap();
    assert!(html.contains("Schritt 1 von"), "progress shown");
    assert!(html.contains("Ihre Eingaben werden bis"), "expiry shown");
    let cookie_headers = app.get("/be/betrug").await;
    assert_eq!(cookie_headers.status(), 200);
}

#[tokio::test]
async fn unknown_state_is_found_by_postal_code() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let res = app.get("/melden?state=unknown").await;
    assert_eq!(location(&res), "/melden/bundesland");
    let html = app.get("/melden/bundesland").await.text().await.unwrap();
    let csrf = csrf_token(&html);
    for (code, expected) in [("14467", "/bb"), ("18055", "/mv"), ("10115", "/be")] {
        let res = app
            .client
            .post(app.url("/melden/bundesland"))
            .form(&[("csrf_token", csrf.as_str()), ("postal_code", code)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{code}");
        assert_eq!(location(&res), expected, "{code}");
    }
    let res = app
        .client
        .post(app.url("/melden/bundesland"))
        .form(&[("csrf_token", csrf.as_str()), ("postal_code", "1234")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(
        error_summary(&body).is_some(),
        "a wrong postal code gets the error summary"
    );
    assert!(body.contains("value=\"1234\""), "the entry is kept");
}

#[tokio::test]
async fn english_journey_has_correct_lang_and_texts() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    app.get("/sprache/en?next=/").await;
    let mut filler = Filler::new("14467", "En");
    let filed = file_report(&app, "bb", "betrug", &mut filler).await;
    assert!(filed.confirmation.contains("<html lang=\"en\""));
    assert!(filed.confirmation.contains("Your case number"));
    assert!(filed.review.contains("Check your answers"));
}
