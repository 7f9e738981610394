//! The inbox's clerk pages on both engines: sign-in with the shared staff code, the
//! Posteingang (filters, search, bounded paging), the report page with every entered value,
//! attachments in a sandboxed response, triage forms with CSRF, and state isolation.

use chrono::Utc;
use internetwache::delivery::receipt;
use internetwache::reports::case_number::CaseNumber;
use internetwache::reports::document::{Answer, Attachment, Column, ReportDocument};
use internetwache::store::inbox as store;

use crate::filing::{csrf_token, PNG};
use crate::helpers::{browser, TestApp};
use crate::inbox_support::*;
use crate::on_both_engines;
use crate::staff::{add_user, binary, PASSWORD};

/// A browser on the test inbox's pages.
pub struct Clerk {
    client: reqwest::Client,
    base: String,
}

impl Clerk {
    pub fn new(inbox: &TestInbox) -> Clerk {
        Clerk {
            client: browser(),
            base: format!("http://127.0.0.1:{}", inbox.port),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET")
    }

    pub async fn text(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.text().await.unwrap()
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// Signs in; returns the answer's status.
    pub async fn sign_in(&self, name: &str, password: &str) -> reqwest::Response {
        let csrf = csrf_token(&self.text("/anmelden").await);
        self.post(
            "/anmelden",
            &[
                ("csrf_token", &csrf),
                ("username", name),
                ("password", password),
            ],
        )
        .await
    }

    /// A CSRF token issued to this browser by a page it may see.
    pub async fn csrf(&self) -> String {
        csrf_token(&self.text("/posteingang").await)
    }
}

/// The test report with a PNG and a repeatable group (two stolen items).
fn report_with_png(case: &CaseNumber) -> ReportDocument {
    let mut doc = report(case);
    doc.answers.push(Answer {
        step_id: "gegenstaende".into(),
        step_title: "Gestohlene Gegenstände".into(),
        field_id: "gegenstaende".into(),
        label: "Weitere Gegenstände".into(),
        value: serde_json::json!([
            {"art": "Fahrradschloss", "wert": "25,00 €"},
            {"art": "Satteltasche", "wert": "40,00 €"}
        ]),
        display: "Fahrradschloss, Satteltasche".into(),
        columns: vec![
            Column {
                field_id: "art".into(),
                label: "Art des Gegenstands".into(),
            },
            Column {
                field_id: "wert".into(),
                label: "Wert".into(),
            },
        ],
    });
    use base64::Engine;
    doc.attachments.push(Attachment {
        field_id: "fotos".into(),
        filename: "rad.png".into(),
        mime_type: "image/png".into(),
        size: PNG.len() as u64,
        sha256: receipt::sha256_hex(PNG),
        data: base64::engine::general_purpose::STANDARD.encode(PNG),
    });
    doc
}

pub async fn deliver(
    inbox: &TestInbox,
    doc: &ReportDocument,
    key: &internetwache::crypto::PolicePrivateKey,
) {
    let body = seal(doc, key, Utc::now());
    let case = doc.case_number.as_str();
    receipt_of(
        push(
            &inbox.push_url(),
            INBOX_SECRET,
            case,
            &body,
            Utc::now().timestamp(),
        )
        .await,
    )
    .await;
}

async fn clerk_reads_and_triages_a_report(app: TestApp) {
    let db = &app.state.db;
    let (_, key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(db, vec![key.clone()]);
    let case = CaseNumber::generate("be").unwrap();
    let doc = report_with_png(&case);
    deliver(&inbox, &doc, &key).await;
    // Anna leads the desk: she also re-routes (a clerk may not, see below).
    add_user(&app, "anna", "lead", Some("be")).await;
    let clerk = Clerk::new(&inbox);

    // Without a session every page sends the visitor to sign in.
    let res = clerk.get("/posteingang").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/anmelden");
    let wrong = clerk.sign_in("anna", "not the password").await;
    assert_eq!(wrong.status(), 200);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("Benutzername oder Passwort ist falsch"));
    assert_eq!(clerk.sign_in("anna", PASSWORD).await.status(), 303);

    // The list: index columns, the count of new reports, filters and search.
    let list = clerk.text("/posteingang").await;
    for shown in [
        case.as_str(),
        "<td>Fahrraddiebstahl</td>",
        "10178 Berlin",
        "2026-11-20 08:15",
        "899,00 €",
        "eingegangen",
        "dir3",
    ] {
        assert!(list.contains(shown), "the list shows {shown}");
    }
    assert!(
        list.contains("<strong>1</strong> neuer Bericht"),
        "one new report at a glance"
    );
    let search = clerk
        .text(&format!("/posteingang?q={}", case.as_str()))
        .await;
    assert!(search.contains(case.as_str()));
    let other = clerk.text("/posteingang?status=abgeschlossen").await;
    assert!(
        !other.contains(case.as_str()),
        "the status filter narrows the list"
    );
    let other = clerk.text("/posteingang?assignee=bernd").await;
    assert!(
        !other.contains(case.as_str()),
        "the assignee filter narrows the list"
    );
    let dated = clerk
        .text("/posteingang?from=2000-01-01&to=2000-01-02")
        .await;
    assert!(
        !dated.contains(case.as_str()),
        "the date range narrows the list"
    );
    let bad = clerk.text("/posteingang?from=gestern&q=nix").await;
    assert!(
        bad.contains("error-summary")
            && bad.contains("kein Datum")
            && bad.contains("keine Vorgangsnummer")
    );
    for page in ["0", "-3", "abc", "1001", "99999999999999999999999"] {
        let res = clerk.get(&format!("/posteingang?page={page}")).await;
        assert_eq!(
            res.status(),
            400,
            "page={page} is refused, not a server error"
        );
    }

    // The report page shows every entered value with its label, and the form version.
    let path = format!("/posteingang/{}", case.as_str());
    let page = clerk.text(&path).await;
    for a in &doc.answers {
        assert!(page.contains(&a.label), "label {}", a.label);
        if a.value.is_array() {
            for v in ["Fahrradschloss", "Satteltasche", "25,00 €", "40,00 €"] {
                assert!(page.contains(v), "group value {v}");
            }
            // Columns carry the labels the citizen saw, in form order.
            assert!(
                page.contains(
                    r#"<th scope="col">Art des Gegenstands</th><th scope="col">Wert</th>"#
                ),
                "group columns by label"
            );
        } else {
            assert!(page.contains(&a.display), "value {}", a.display);
        }
    }
    assert!(page.contains(&doc.form.content_hash) && page.contains("Fahrraddiebstahl"));
    assert!(page.contains("rad.png") && page.contains(&receipt::sha256_hex(PNG)));

    // The image attachment, sandboxed, byte for byte; the text file only as a download.
    let res = clerk.get(&format!("{path}/anhang/1")).await;
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("sandbox"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline"));
    assert_eq!(
        receipt::sha256_hex(&res.bytes().await.unwrap()),
        receipt::sha256_hex(PNG)
    );
    let res = clerk.get(&format!("{path}/anhang/0")).await;
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(clerk.get(&format!("{path}/anhang/7")).await.status(), 404);
    let print = clerk.text(&format!("{path}/druck")).await;
    assert!(print.contains("899,00 €") && !print.contains("csrf_token"));
    let res = clerk.get(&format!("{path}/pdf")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let needle = case.as_str().as_bytes();
    assert!(
        pdf.windows(needle.len()).any(|w| w == needle),
        "the PDF names the case number"
    );

    // Triage: without the CSRF field nothing happens; a wrong step is explained.
    let res = clerk
        .post(&format!("{path}/status"), &[("status", "in_pruefung")])
        .await;
    assert_eq!(res.status(), 403);
    let csrf = clerk.csrf().await;
    let res = clerk
        .post(
            &format!("{path}/status"),
            &[("csrf_token", &csrf), ("status", "abgeschlossen")],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("nicht möglich"));
    for (action, form) in [
        ("status", vec![("status", "in_pruefung")]),
        ("zuweisen", vec![("assignee", "anna")]),
        ("weiterleiten", vec![("office", "dir5")]),
        ("notiz", vec![("note", "Rückruf vereinbart")]),
    ] {
        let mut fields = vec![("csrf_token", csrf.as_str())];
        fields.extend(form);
        let res = clerk.post(&format!("{path}/{action}"), &fields).await;
        assert_eq!(res.status(), 303, "{action}");
    }
    let row = store::get(db, case.as_str()).await.unwrap().unwrap();
    assert_eq!(row.status, "in_pruefung");
    assert_eq!(row.assigned_to.as_deref(), Some("anna"));
    assert_eq!(row.status_office_id.as_deref(), Some("dir5"));
    let page = clerk.text(&path).await;
    assert!(page.contains("in Prüfung") && page.contains("Rückruf vereinbart"));
    let list = clerk
        .text("/posteingang?assignee=anna&office=dir5&status=in_pruefung")
        .await;
    assert!(list.contains(case.as_str()) && list.contains("<strong>0</strong> neue Berichte"));

    // Every view, print and attachment is in the inbox's audit log under the clerk's name.
    let entries = internetwache::store::audit::recent(db, Some("be"), 200)
        .await
        .unwrap();
    for action in [
        "inbox_view",
        "inbox_print",
        "inbox_attachment_download",
        "inbox_status",
        "sign_in",
    ] {
        assert!(
            entries
                .iter()
                .any(|e| e.action == action && e.actor == "anna"),
            "{action} is audited"
        );
    }
}

async fn a_clerk_sees_nothing_of_another_state(app: TestApp) {
    let db = &app.state.db;
    let (_, be_key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(db, vec![be_key.clone()]);
    let case = CaseNumber::generate("be").unwrap();
    deliver(&inbox, &report_with_png(&case), &be_key).await;
    add_user(&app, "bernd", "clerk", Some("bb")).await;
    add_user(&app, "olaf", "operator", None).await;

    let operator = Clerk::new(&inbox);
    assert_eq!(
        operator.sign_in("olaf", PASSWORD).await.status(),
        200,
        "the inbox serves clerks, leads and admins, not the intake's operators"
    );

    let clerk = Clerk::new(&inbox);
    assert_eq!(clerk.sign_in("bernd", PASSWORD).await.status(), 303);
    let list = clerk.text("/posteingang").await;
    assert!(!list.contains(case.as_str()));
    let found = clerk
        .text(&format!("/posteingang?q={}", case.as_str()))
        .await;
    assert!(!found.contains(&format!("/posteingang/{}", case.as_str())));
    let path = format!("/posteingang/{}", case.as_str());
    for get in [
        path.clone(),
        format!("{path}/druck"),
        format!("{path}/anhang/0"),
    ] {
        assert_eq!(clerk.get(&get).await.status(), 404, "GET {get}");
    }
    let csrf = clerk.csrf().await;
    for action in ["status", "zuweisen", "weiterleiten", "notiz"] {
        let res = clerk
            .post(
                &format!("{path}/{action}"),
                &[
                    ("csrf_token", &csrf),
                    ("status", "in_pruefung"),
                    ("assignee", "bernd"),
                    ("office", "x"),
                    ("note", "x"),
                ],
            )
            .await;
        assert_eq!(res.status(), 404, "POST {action}");
    }
    let row = store::get(db, case.as_str()).await.unwrap().unwrap();
    assert_eq!(
        (row.status.as_str(), row.assigned_to),
        ("eingegangen", None)
    );
    assert!(store::notes(db, row.id).await.unwrap().is_empty());
}

/// `internetwache inbox user add ...` as a real process on the test inbox's database.
async fn inbox_user_add(app: &TestApp, args: &[&str]) -> (bool, String) {
    use std::process::Stdio;
    use tokio::io::AsyncWriteExt;
    let mut child = binary()
        .args(["inbox", "user", "add"])
        .args(args)
        .env("IW_INBOX_DATABASE_URL", &app.database_url)
        .env("IW_INBOX_DATA_DIR", &app.data_dir)
        .current_dir(app.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .await
        .unwrap();
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn office_scope_and_roles(app: TestApp) {
    let db = &app.state.db;
    let (_, key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(db, vec![key.clone()]);
    let ours = CaseNumber::generate("be").unwrap();
    deliver(&inbox, &report_with_png(&ours), &key).await;
    let theirs = CaseNumber::generate("be").unwrap();
    let mut other = report_with_png(&theirs);
    other.office = Some(internetwache::reports::document::Office {
        id: "dir7".into(),
        name: "Direktion 7".into(),
    });
    deliver(&inbox, &other, &key).await;
    // Each report gets a follow-up with the PNG (Nachreichen).
    for case in [&ours, &theirs] {
        use internetwache::reports::followup::{self, FollowupDocument, FollowupFile};
        let doc = FollowupDocument {
            schema: followup::SCHEMA.into(),
            case_number: case.clone(),
            seq: 1,
            created_at: Utc::now(),
            text: String::new(),
            files: vec![FollowupFile::of("nachtrag.png", "image/png", PNG)],
        };
        let envelope = doc.seal(&key.public_key()).unwrap().to_json();
        let key_text = followup::delivery_key(case, 1);
        let now = Utc::now().timestamp();
        receipt_of(push(&inbox.push_url(), INBOX_SECRET, &key_text, &envelope, now).await).await;
    }

    // Accounts come from the inbox's own command line, with role and office.
    let (ok, out) = inbox_user_add(
        &app,
        &[
            "--role",
            "clerk",
            "--state",
            "be",
            "--office",
            "dir3",
            "--username",
            "carla",
        ],
    )
    .await;
    assert!(
        ok && out.contains("added clerk carla for be, office dir3"),
        "{out}"
    );
    let (ok, out) = inbox_user_add(
        &app,
        &["--role", "lead", "--state", "be", "--username", "lena"],
    )
    .await;
    assert!(ok, "{out}");
    let (ok, out) = inbox_user_add(
        &app,
        &["--role", "chief", "--state", "be", "--username", "x"],
    )
    .await;
    assert!(!ok && out.contains("clerk, lead, admin"), "{out}");

    // A clerk of office dir3 sees dir3's report and nothing of dir7's.
    let carla = Clerk::new(&inbox);
    assert_eq!(carla.sign_in("carla", PASSWORD).await.status(), 303);
    let list = carla.text("/posteingang").await;
    assert!(list.contains(ours.as_str()) && !list.contains(theirs.as_str()));
    assert!(
        list.contains("BE · dir3"),
        "the navigation names the office"
    );
    let found = carla
        .text(&format!("/posteingang?q={}", theirs.as_str()))
        .await;
    assert!(!found.contains(&format!("/posteingang/{}", theirs.as_str())));
    let theirs_path = format!("/posteingang/{}", theirs.as_str());
    for get in ["", "/druck", "/pdf", "/anhang/0", "/nachreichung/1/0"] {
        let res = carla.get(&format!("{theirs_path}{get}")).await;
        assert_eq!(res.status(), 404, "GET {get}");
    }
    // Her own report's follow-up file downloads, byte for byte.
    let res = carla
        .get(&format!("/posteingang/{}/nachreichung/1/0", ours.as_str()))
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    assert_eq!(receipt::sha256_hex(&bytes), receipt::sha256_hex(PNG));
    let csrf = carla.csrf().await;
    for action in ["status", "zuweisen", "weiterleiten", "notiz"] {
        let res = carla
            .post(
                &format!("{theirs_path}/{action}"),
                &[
                    ("csrf_token", &csrf),
                    ("status", "in_pruefung"),
                    ("assignee", "carla"),
                    ("office", "dir3"),
                    ("note", "x"),
                ],
            )
            .await;
        assert_eq!(res.status(), 404, "POST {action}");
    }

    // On her own report she triages and takes it, but does not route it elsewhere.
    let path = format!("/posteingang/{}", ours.as_str());
    let page = carla.text(&path).await;
    assert!(page.contains("Mir zuweisen") && !page.contains("/weiterleiten\""));
    for (action, form) in [
        ("weiterleiten", vec![("office", "dir7")]),
        ("zuweisen", vec![("assignee", "lena")]),
        ("status", vec![("status", "abgegeben"), ("office", "dir7")]),
    ] {
        let mut fields = vec![("csrf_token", csrf.as_str())];
        fields.extend(form);
        let res = carla.post(&format!("{path}/{action}"), &fields).await;
        assert_eq!(res.status(), 403, "{action}");
        let text = res.text().await.unwrap();
        assert!(
            text.contains("dürfen nur Teamleitung und Verwaltung"),
            "{action}: the page says why"
        );
    }
    let row = store::get(db, ours.as_str()).await.unwrap().unwrap();
    assert_eq!(
        (row.status.as_str(), row.status_office_id, row.assigned_to),
        ("eingegangen", None, None),
        "nothing refused changed the report"
    );
    for (action, form) in [
        ("zuweisen", vec![("assignee", "carla")]),
        ("status", vec![("status", "in_pruefung")]),
        ("notiz", vec![("note", "Zeugin anrufen")]),
    ] {
        let mut fields = vec![("csrf_token", csrf.as_str())];
        fields.extend(form);
        let res = carla.post(&format!("{path}/{action}"), &fields).await;
        assert_eq!(res.status(), 303, "{action}");
    }

    // The lead assigns to someone else and re-routes to dir7; carla loses sight of it.
    let lena = Clerk::new(&inbox);
    assert_eq!(lena.sign_in("lena", PASSWORD).await.status(), 303);
    let list = lena.text("/posteingang").await;
    assert!(list.contains(ours.as_str()) && list.contains(theirs.as_str()));
    assert!(lena.text(&path).await.contains("/weiterleiten\""));
    let csrf = lena.csrf().await;
    for (action, form) in [
        ("zuweisen", vec![("assignee", "bernd")]),
        ("weiterleiten", vec![("office", "dir7")]),
    ] {
        let mut fields = vec![("csrf_token", csrf.as_str())];
        fields.extend(form);
        let res = lena.post(&format!("{path}/{action}"), &fields).await;
        assert_eq!(res.status(), 303, "{action}");
    }
    let row = store::get(db, ours.as_str()).await.unwrap().unwrap();
    assert_eq!(row.assigned_to.as_deref(), Some("bernd"));
    assert_eq!(row.status_office_id.as_deref(), Some("dir7"));
    assert_eq!(carla.get(&path).await.status(), 404);
    assert!(!carla.text("/posteingang").await.contains(ours.as_str()));

    // The audit log has each action, and each refusal, under the account's name.
    let entries = internetwache::store::audit::recent(db, Some("be"), 200)
        .await
        .unwrap();
    let count = |actor: &str, action: &str| {
        entries
            .iter()
            .filter(|e| e.actor == actor && e.action == action)
            .count()
    };
    assert_eq!(count("carla", "inbox_refused"), 3);
    for (actor, action) in [
        ("carla", "inbox_assign"),
        ("carla", "inbox_status"),
        ("carla", "inbox_note"),
        ("lena", "inbox_assign"),
        ("lena", "inbox_reroute"),
    ] {
        assert_eq!(count(actor, action), 1, "{actor} {action}");
    }
    assert_eq!(count("carla", "inbox_reroute"), 0);
}

/// The list and its category filter show the title the citizen's form had, in the page's
/// language; a document sealed before titles were carried shows its id.
async fn the_list_shows_category_titles(app: TestApp) {
    let (_, key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(&app.state.db, vec![key.clone()]);
    let titled = CaseNumber::generate("be").unwrap();
    deliver(&inbox, &report(&titled), &key).await;
    let old = CaseNumber::generate("be").unwrap();
    let mut untitled = report(&old);
    untitled.form.id = "sachbeschaedigung".into();
    untitled.form.title = String::new();
    untitled.form.titles.clear();
    deliver(&inbox, &untitled, &key).await;
    add_user(&app, "anna", "clerk", Some("be")).await;
    let clerk = Clerk::new(&inbox);
    assert_eq!(clerk.sign_in("anna", PASSWORD).await.status(), 303);

    let german = clerk.text("/posteingang").await;
    assert!(german.contains("<td>Fahrraddiebstahl</td>"), "{german}");
    assert!(german.contains("<td>sachbeschaedigung</td>"));
    assert!(german.contains(r#"<option value="fahrraddiebstahl">Fahrraddiebstahl</option>"#));
    let only = clerk.text("/posteingang?category=fahrraddiebstahl").await;
    assert!(only.contains(titled.as_str()) && !only.contains(old.as_str()));
    assert!(only.contains(r#"<option value="fahrraddiebstahl" selected>"#));

    let res = clerk.get("/sprache/en?next=/posteingang").await;
    assert_eq!(res.status(), 303);
    let english = clerk.text("/posteingang").await;
    assert!(english.contains("<td>Bicycle theft</td>"), "{english}");
    assert!(english.contains(r#"<option value="fahrraddiebstahl">Bicycle theft</option>"#));
}

/// Every link in the inbox's footer opens a page of the inbox itself (BITV 2.0: a statement
/// and a privacy notice), without signing in; none points to the citizen service's pages.
async fn every_footer_link_of_the_inbox_opens(app: TestApp) {
    let inbox = TestInbox::start(&app.state.db, Vec::new());
    let clerk = Clerk::new(&inbox);
    let page = clerk.text("/anmelden").await;
    let footer = footer(&page);
    assert_eq!(footer_links(footer), INBOX_FOOTER_LINKS, "{footer}");
    for (link, heading) in [
        (
            "/barrierefreiheit",
            "Erklärung zur Barrierefreiheit des Posteingangs",
        ),
        ("/datenschutz", "Datenschutzhinweise für Beschäftigte"),
    ] {
        let body = clerk.text(link).await;
        assert!(body.contains(heading), "{link}: {body}");
    }
    assert!(
        !footer.contains("110"),
        "no citizen emergency notice: {footer}"
    );
}

const INBOX_FOOTER_LINKS: [&str; 2] = ["/barrierefreiheit", "/datenschutz"];

fn footer(page: &str) -> &str {
    &page[page.find("<footer").expect("a footer")..]
}

fn footer_links(footer: &str) -> Vec<&str> {
    footer
        .split("href=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect()
}

/// An unknown address and a report the clerk may not see both answer with the inbox's own
/// error page (language, title, staff footer), never a bare 404 or the citizen footer;
/// the push API's problem JSON stays as it is.
async fn the_inbox_answers_errors_with_its_own_page(app: TestApp) {
    let inbox = TestInbox::start(&app.state.db, Vec::new());
    add_user(&app, "bernd", "clerk", Some("bb")).await;
    let clerk = Clerk::new(&inbox);
    assert_eq!(clerk.sign_in("bernd", PASSWORD).await.status(), 303);
    for (path, lang, title) in [
        ("/gibt-es-nicht", "de", "Seite nicht gefunden"),
        (
            "/posteingang/BE-AAAA-BBBB-CCCC-D",
            "de",
            "Seite nicht gefunden",
        ),
        ("/gibt-es-nicht", "en", "Page not found"),
        ("/posteingang/nicht-da", "en", "Page not found"),
    ] {
        if lang == "en" {
            // The clerk's language choice (a cookie) reaches the error pages too.
            assert_eq!(clerk.get("/sprache/en?next=/").await.status(), 303);
        }
        let res = clerk.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains(&format!("<html lang=\"{lang}\">")),
            "{path}: {page}"
        );
        assert!(
            page.contains(&format!("<title>{title}</title>")),
            "{path}: {page}"
        );
        assert_eq!(footer_links(footer(&page)), INBOX_FOOTER_LINKS, "{path}");
    }
    let push = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/api/v1/push", inbox.port))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(push.status(), 401);
    assert_eq!(push.headers()["content-type"], "application/problem+json");
}

on_both_engines!(
    clerk_reads_and_triages_a_report,
    every_footer_link_of_the_inbox_opens,
    the_inbox_answers_errors_with_its_own_page,
    a_clerk_sees_nothing_of_another_state,
    office_scope_and_roles,
    the_list_shows_category_titles
);
