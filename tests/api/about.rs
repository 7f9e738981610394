//! The pages every German public site must link (BITV 2.0 § 4), and the small page fixes
//! of issue 15: error titles, the landing page's error summary, staff texts.

use crate::filing::{csrf_token, error_summary, start};
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::staff::{add_user, sign_in, upload_multipart};

const REQUIRED_LINKS: [&str; 4] = [
    "href=\"/leichte-sprache\"",
    "href=\"/gebaerdensprache\"",
    "href=\"/barrierefreiheit\"",
    "href=\"/datenschutz\"",
];

fn title(html: &str) -> &str {
    let start = html.find("<title>").expect("a title") + "<title>".len();
    let end = html[start..].find("</title>").expect("title closed") + start;
    &html[start..end]
}

fn footer(html: &str) -> &str {
    let start = html.find("<footer").expect("a footer");
    &html[start..]
}

/// Uploads `bytes` as the variant file, as the signed-in admin; returns the page (200).
async fn upload_file(app: &TestApp, bytes: Vec<u8>) -> String {
    let file = reqwest::multipart::Part::bytes(bytes).file_name("variant.toml");
    upload_multipart(app, reqwest::multipart::Form::new().part("file", file)).await
}

async fn page(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn every_page_links_the_required_pages_in_its_footer() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let step = start(&app, "be", "betrug").await;
    for path in [
        "/",
        "/be",
        "/be/betrug",
        step.as_str(),
        "/melden/bundesland",
        "/anmelden",
        "/leichte-sprache",
        "/gebaerdensprache",
        "/barrierefreiheit",
        "/datenschutz",
    ] {
        let html = page(&app, path).await;
        for link in REQUIRED_LINKS {
            assert!(footer(&html).contains(link), "{path}: footer lacks {link}");
        }
    }
    // Error pages too.
    let missing = app.get("/be/gibt-es-nicht").await;
    assert_eq!(missing.status(), 404);
    let html = missing.text().await.unwrap();
    for link in REQUIRED_LINKS {
        assert!(
            footer(&html).contains(link),
            "404 page: footer lacks {link}"
        );
    }
}

#[tokio::test]
async fn the_required_pages_speak_german_and_english() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let cases = [
        ("/leichte-sprache", "in Leichter Sprache", "in easy read"),
        (
            "/gebaerdensprache",
            "Deutscher Gebärdensprache",
            "German Sign Language",
        ),
        (
            "/barrierefreiheit",
            "Erklärung zur Barrierefreiheit",
            "Accessibility statement",
        ),
        ("/datenschutz", "Datenschutzhinweise", "Privacy notice"),
    ];
    for (path, de, _) in cases {
        let html = page(&app, path).await;
        assert!(html.contains("<html lang=\"de\">"), "{path}");
        assert!(html.contains(de), "{path} in German says {de}");
    }
    app.get("/sprache/en?next=/").await;
    for (path, _, en) in cases {
        let html = page(&app, path).await;
        assert!(html.contains("<html lang=\"en\">"), "{path}");
        assert!(html.contains(en), "{path} in English says {en}");
    }
}

#[tokio::test]
async fn easy_language_and_sign_language_pages_carry_the_same_text() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let easy = page(&app, "/leichte-sprache").await;
    let sign = page(&app, "/gebaerdensprache").await;
    for text in [
        "Die Telefon-Nummer ist <a href=\"tel:110\">110</a>.",
        "Was können Sie hier melden?",
        "Nach 60 Minuten Pause löscht die Seite Ihre Antworten.",
        "Ihre Antworten sind geheim.",
    ] {
        assert!(easy.contains(text), "Leichte Sprache says {text}");
        assert!(sign.contains(text), "the DGS transcript says {text}");
    }
    // The video is a placeholder with its transcript, and nothing comes from elsewhere.
    assert!(sign.contains("<figure") && sign.contains("<figcaption>"));
    assert!(!sign.contains("<video") && !sign.contains("<iframe"));
}

#[tokio::test]
async fn statement_and_privacy_pages_link_every_states_own_notice() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let statement = page(&app, "/barrierefreiheit").await;
    let privacy = page(&app, "/datenschutz").await;
    for state in app.state.forms.catalog().states() {
        assert!(
            statement.contains(&format!("href=\"{}\"", state.accessibility_url)),
            "statement links {}",
            state.code
        );
        assert!(
            statement.contains(&state.central_office.phone),
            "statement names the desk of {}",
            state.code
        );
        assert!(
            privacy.contains(&format!("href=\"{}\"", state.privacy_url)),
            "privacy page links {}",
            state.code
        );
    }
}

#[tokio::test]
async fn landing_without_a_state_shows_an_error_summary() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    for path in ["/melden", "/melden?state=", "/melden?state=%3Cb%3E"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 422, "{path}");
        let html = res.text().await.unwrap();
        assert!(
            title(&html).starts_with("Fehler: "),
            "{path}: {}",
            title(&html)
        );
        let summary = error_summary(&html).expect("an error summary");
        assert!(summary.contains("Wählen Sie das Bundesland"), "{summary}");
        assert!(
            summary.contains("href=\"#state-"),
            "the summary links the first radio"
        );
        assert!(html.contains("aria-describedby=\"state-hint state-error\""));
    }
    let fine = app.get("/").await.text().await.unwrap();
    assert!(error_summary(&fine).is_none());
    assert!(!title(&fine).starts_with("Fehler"));
}

#[tokio::test]
async fn postal_code_finder_titles_its_error() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let html = page(&app, "/melden/bundesland").await;
    assert!(!title(&html).starts_with("Fehler"));
    let csrf = csrf_token(&html);
    let res = app
        .client
        .post(app.url("/melden/bundesland"))
        .form(&[("csrf_token", csrf.as_str()), ("postal_code", "99")])
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(title(&html).starts_with("Fehler: "), "{}", title(&html));
}

#[tokio::test]
async fn staff_pages_title_errors_speak_the_page_language_and_show_local_time() {
    let mut app = spawn_app(Backend::Sqlite).await.unwrap();
    add_user(&app, "ada", "admin", Some("be")).await;
    add_user(&app, "carl", "clerk", Some("be")).await;

    sign_in(&app, "carl").await;
    let list = page(&app, "/polizei/berichte").await;
    assert!(!title(&list).starts_with("Fehler"));
    let bad = page(&app, "/polizei/berichte?from=gestern").await;
    assert!(title(&bad).starts_with("Fehler: "), "{}", title(&bad));

    app.client_reset();
    sign_in(&app, "ada").await;
    // The audit log: German local time to the second, no microseconds, no "UTC".
    let audit = page(&app, "/verwaltung/protokoll").await;
    assert!(audit.contains("<td>ada</td>"), "the sign-in is logged");
    let first_row = &audit[audit.find("<tbody>").unwrap()..];
    let cells: Vec<&str> = first_row.split("<td>").skip(1).take(2).collect();
    let time = &cells[1][..cells[1].find("</td>").unwrap()];
    assert_eq!(time.len(), "30.11.2026, 17:45:09".len(), "{time}");
    assert_eq!(&time[2..3], ".", "{time}");
    assert!(!audit.contains("(UTC)"));

    // A file that is not text: a problem in the page's language, not a bare 400.
    app.get("/sprache/en?next=/").await;
    let html = upload_file(&app, vec![0xff, 0xfe, 0x00, 0x80]).await;
    assert!(title(&html).starts_with("Error: "), "{}", title(&html));
    assert!(
        html.contains("The file is not UTF-8 text."),
        "English message"
    );
}

#[tokio::test]
async fn a_too_large_variant_upload_is_explained_on_the_upload_page() {
    let app = crate::helpers::spawn_app_with(Backend::Sqlite, &[("IW_MAX_UPLOAD_MB", "1")])
        .await
        .unwrap();
    add_user(&app, "ada", "admin", Some("be")).await;
    sign_in(&app, "ada").await;
    let html = upload_file(&app, vec![b'#'; 1_100_000]).await;
    assert!(title(&html).starts_with("Fehler: "), "{}", title(&html));
    assert!(html.contains("Die Datei ist zu groß. Erlaubt sind höchstens 1 MB."));
}

#[tokio::test]
async fn steps_link_the_state_polices_own_privacy_notice_as_the_consent_hint_says() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let be = internetwache::state_code::StateCode::parse("be").unwrap();
    let notice = app
        .state
        .forms
        .catalog()
        .state(&be)
        .unwrap()
        .privacy_url
        .clone();
    let consent = start(&app, "be", "betrug")
        .await
        .replace("meldende_person", "abschluss");
    let html = page(&app, &consent).await;
    assert!(
        html.contains("Datenschutzhinweise Ihres Bundeslandes finden Sie unten auf jeder Seite")
    );
    assert!(
        footer(&html).contains(&format!("href=\"{notice}\"")),
        "the consent step's footer links {notice}"
    );
    assert!(footer(&html).contains("Datenschutzhinweise der Polizei Berlin"));
}
