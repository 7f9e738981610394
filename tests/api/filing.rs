//! Files reports over real HTTP the way a browser without JavaScript does: GET each step,
//! fill every field with a valid value, POST, follow the redirect.

use std::collections::BTreeMap;

use internetwache::forms::{condition_holds, AnswerValue, Answers, Field, FieldKind, FormVariant};
use internetwache::state_code::StateCode;

use crate::helpers::TestApp;

/// A minimal valid PNG (1×1 pixel).
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// A valid IBAN that appears in no form text (the hints use the usual example).
pub const IBAN: &str = "DE02 1203 0000 0000 2020 51";

pub fn csrf_token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("page has a CSRF token") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

pub fn case_number(html: &str) -> String {
    let marker = "id=\"case-number\">";
    let start = html.find(marker).expect("page shows the case number") + marker.len();
    html[start..start + html[start..].find('<').unwrap()]
        .trim()
        .to_owned()
}

/// Text between `class="error-summary"` and its end, for assertion messages.
pub fn error_summary(html: &str) -> Option<String> {
    let start = html.find("class=\"error-summary\"")?;
    let end = html[start..]
        .find("</div>")
        .map(|e| start + e)
        .unwrap_or(html.len());
    Some(html[start..end].to_owned())
}

/// What to send for one step: text pairs and files.
#[derive(Default, Clone)]
pub struct StepPost {
    pub pairs: Vec<(String, String)>,
    pub files: Vec<(String, String, &'static str, Vec<u8>)>,
}

impl StepPost {
    pub fn set(&mut self, name: &str, value: &str) {
        self.pairs.retain(|(k, _)| k != name);
        self.pairs.push((name.to_owned(), value.to_owned()));
    }
}

/// Chooses valid values; `marker` makes every free-text value distinctive and traceable.
pub struct Filler {
    pub postal_code: String,
    pub marker: String,
    pub counter: usize,
    /// Every free-text value sent, to look for later (e.g. in a database dump).
    pub sent_text: Vec<String>,
    /// Overrides by input name.
    pub overrides: BTreeMap<String, String>,
    pub attach_files: bool,
    /// What a file field gets (`PNG` unless a test makes it distinctive).
    pub png: Vec<u8>,
    /// The top-level choices made so far, to skip fields whose `show_if` does not hold.
    chosen: Answers,
}

impl Filler {
    pub fn new(postal_code: &str, marker: &str) -> Self {
        Filler {
            postal_code: postal_code.to_owned(),
            marker: marker.to_owned(),
            counter: 0,
            sent_text: Vec::new(),
            overrides: BTreeMap::new(),
            attach_files: true,
            png: PNG.to_vec(),
            chosen: Answers::default(),
        }
    }

    fn distinctive(&mut self) -> String {
        self.counter += 1;
        let v = format!("{}{}Zq", self.marker, self.counter);
        self.sent_text.push(v.clone());
        v
    }

    /// Fills one field (top level or inside a group item) into `post`.
    pub fn fill(&mut self, field: &Field, base: &str, post: &mut StepPost) {
        let top_level = base == format!("f-{}", field.id);
        if top_level {
            if let Some(condition) = &field.show_if {
                if !condition_holds(condition, None, &self.chosen) {
                    return;
                }
            }
        }
        if let Some(v) = self.overrides.get(base).cloned() {
            post.set(base, &v);
            if top_level {
                self.chosen.set(field.id.clone(), AnswerValue::Text(v));
            }
            return;
        }
        let value: Option<String> = match &field.kind {
            FieldKind::Text(p) => {
                let v = self.distinctive();
                Some(v.chars().take(p.max_length as usize).collect())
            }
            FieldKind::Textarea(_) => {
                let v = self.distinctive();
                Some(format!("Beschreibung {v} mit Umlauten äöüß"))
            }
            FieldKind::Email(_) => {
                let v = format!("{}{}@example.org", self.marker.to_lowercase(), self.counter);
                self.sent_text.push(v.clone());
                Some(v)
            }
            FieldKind::Phone(_) => Some("+49 30 1234567".into()),
            FieldKind::Date(_) => Some("1985-05-17".into()),
            FieldKind::Time(_) => Some("14:30".into()),
            FieldKind::MemorableDate(_) => {
                post.set(&format!("{base}-day"), "17");
                post.set(&format!("{base}-month"), "05");
                post.set(&format!("{base}-year"), "1985");
                None
            }
            FieldKind::TimeSpan(_) => {
                post.set(&format!("{base}-from-date"), "2025-10-01");
                post.set(&format!("{base}-from-time"), "10:00");
                post.set(&format!("{base}-to-date"), "2025-10-01");
                post.set(&format!("{base}-to-time"), "12:30");
                None
            }
            FieldKind::Select(p) | FieldKind::Radio(p) => {
                let values: Vec<String> = p.options.iter().map(|o| o.value.clone()).collect();
                Some(safe_choice(field, &values))
            }
            FieldKind::YesNo(_) => Some(safe_choice(field, &["no".into(), "yes".into()])),
            FieldKind::Checkboxes(p) => {
                let options = &p.options;
                for o in options {
                    post.pairs.push((base.to_owned(), o.value.clone()));
                }
                if top_level {
                    let all = options.iter().map(|o| o.value.clone()).collect();
                    self.chosen.set(field.id.clone(), AnswerValue::List(all));
                }
                None
            }
            FieldKind::Number(p) => Some(p.min.unwrap_or(1).max(1).to_string()),
            FieldKind::Money(p) => Some(format!("{},45", p.min.unwrap_or(0).max(120))),
            FieldKind::PostalCode(_) => Some(self.postal_code.clone()),
            FieldKind::Country(_) => Some("DE".into()),
            FieldKind::Iban(_) => Some(IBAN.into()),
            FieldKind::LicencePlate(_) => Some("B-AB 1234".into()),
            FieldKind::Vin(_) => Some("WVWZZZ1JZXW000001".into()),
            FieldKind::FrameNumber(_) => Some("WBK12345678".into()),
            FieldKind::Url(_) => Some("https://shop.example/angebot/123".into()),
            FieldKind::File(_) => {
                if self.attach_files {
                    post.files.push((
                        base.to_owned(),
                        "beweis.png".into(),
                        "image/png",
                        self.png.clone(),
                    ));
                }
                None
            }
            FieldKind::Group(p) => {
                let items = p.min_items.max(1) as usize;
                post.set(&format!("{base}-count"), &items.to_string());
                let group_id = &field.id;
                for i in 0..items {
                    for sub in &p.fields {
                        let sub_base = format!("f-{group_id}-{i}-{}", sub.id);
                        self.fill(sub, &sub_base, post);
                    }
                }
                None
            }
        };
        if let Some(v) = value {
            post.set(base, &v);
            if top_level {
                self.chosen.set(field.id.clone(), AnswerValue::Text(v));
            }
        }
    }
}

/// The first option for which none of the field's exit rules holds.
fn safe_choice(field: &Field, values: &[String]) -> String {
    for v in values {
        let mut answers = Answers::default();
        answers.set(field.id.clone(), AnswerValue::Text(v.clone()));
        if !field
            .exit_if
            .iter()
            .any(|rule| condition_holds(&rule.when, None, &answers))
        {
            return v.clone();
        }
    }
    values.first().cloned().unwrap_or_default()
}

#[allow(dead_code)] // not every test reads every page
pub struct Filed {
    pub case_number: String,
    pub confirmation: String,
    pub review: String,
    pub variant: std::sync::Arc<FormVariant>,
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("{} is not a redirect ({})", res.url(), res.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

pub async fn post_step(
    app: &TestApp,
    url: &str,
    csrf: &str,
    post: &StepPost,
    action: &str,
) -> reqwest::Response {
    let mut pairs = post.pairs.clone();
    pairs.push(("csrf_token".into(), csrf.to_owned()));
    pairs.push(("action".into(), action.to_owned()));
    let req = if post.files.is_empty() {
        app.client.post(app.url(url)).form(&pairs)
    } else {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in pairs {
            form = form.text(k, v);
        }
        for (name, file_name, mime, bytes) in &post.files {
            let part = reqwest::multipart::Part::bytes(bytes.clone())
                .file_name(file_name.clone())
                .mime_str(mime)
                .unwrap();
            form = form.part(name.clone(), part);
        }
        app.client.post(app.url(url)).multipart(form)
    };
    req.send().await.expect("step POST")
}

/// Starts a draft of `/{state}/{form}`; returns the URL of the first step.
pub async fn start(app: &TestApp, state: &str, form: &str) -> String {
    let page = app.get(&format!("/{state}/{form}")).await;
    assert_eq!(page.status(), 200, "start page of {state}/{form}");
    let csrf = csrf_token(&page.text().await.unwrap());
    let res = app
        .client
        .post(app.url(&format!("/{state}/{form}/start")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "start {state}/{form}");
    location(&res)
}

/// Fills and posts one step; returns the next location.
pub async fn complete_step(
    app: &TestApp,
    variant: &FormVariant,
    url: &str,
    filler: &mut Filler,
) -> String {
    let page = app.get(url).await;
    assert_eq!(page.status(), 200, "GET {url}");
    let html = page.text().await.unwrap();
    let csrf = csrf_token(&html);
    let step_id = url.rsplit('/').next().unwrap();
    let step = variant
        .steps
        .iter()
        .find(|s| s.id == step_id)
        .expect("step exists");
    let mut post = StepPost::default();
    for field in &step.fields {
        filler.fill(field, &format!("f-{}", field.id), &mut post);
    }
    let res = post_step(app, url, &csrf, &post, "next").await;
    if res.status() != 303 {
        let status = res.status();
        let body = res.text().await.unwrap();
        panic!(
            "step {url} was not accepted ({status}): {}",
            error_summary(&body).unwrap_or_else(|| body.chars().take(2000).collect())
        );
    }
    location(&res)
}

/// Files a complete report and returns its case number and pages.
pub async fn file_report(app: &TestApp, state: &str, form: &str, filler: &mut Filler) -> Filed {
    let code = StateCode::parse(state).unwrap();
    let variant = app
        .state
        .forms
        .live(&app.state.db, &code, form)
        .await
        .unwrap()
        .expect("form is live");
    let mut url = start(app, state, form).await;
    let mut guard = 0;
    while url.contains("/schritt/") {
        url = complete_step(app, &variant, &url, filler).await;
        guard += 1;
        assert!(guard < 40, "the flow does not end");
    }
    assert!(
        url.ends_with("/pruefen"),
        "after the last step comes the review, not {url}"
    );
    submit_from_review(app, &url, variant).await
}

pub async fn submit_from_review(
    app: &TestApp,
    review_url: &str,
    variant: std::sync::Arc<FormVariant>,
) -> Filed {
    let review = app.get(review_url).await;
    assert_eq!(review.status(), 200);
    let review = review.text().await.unwrap();
    assert!(
        error_summary(&review).is_none(),
        "review shows errors: {review}"
    );
    let csrf = csrf_token(&review);
    let submit_url = review_url.replace("/pruefen", "/absenden");
    let res = app
        .client
        .post(app.url(&submit_url))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "submit");
    let confirmation_url = location(&res);
    assert!(confirmation_url.ends_with("/bestaetigung"));
    let confirmation = app.get(&confirmation_url).await.text().await.unwrap();
    Filed {
        case_number: case_number(&confirmation),
        confirmation,
        review,
        variant,
    }
}

/// A postal code inside the state's area, for routing.
pub fn postal_code_for(app: &TestApp, state: &str) -> String {
    let code = StateCode::parse(state).unwrap();
    let info = app
        .state
        .forms
        .catalog()
        .state(&code)
        .expect("state exists");
    let from = info
        .postal_codes
        .first()
        .expect("state has postal codes")
        .from;
    format!("{from:05}")
}

/// Files `n` reports of `/{state}/{form}` over HTTP from `concurrency` browsers at once,
/// against `address` (the app itself, or another process on the same database).
#[allow(dead_code)] // used by the delivery and process tests
pub async fn file_concurrently(
    app: &TestApp,
    address: &str,
    (state, form): (&'static str, &'static str),
    n: usize,
    concurrency: usize,
) -> Vec<String> {
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let mut browser = crate::helpers::browser_app(app);
        browser.address = address.to_owned();
        let count = n / concurrency + usize::from(t < n % concurrency);
        let postal_code = postal_code_for(app, state);
        tasks.push(tokio::spawn(async move {
            let mut cases = Vec::with_capacity(count);
            for i in 0..count {
                let mut filler = Filler::new(&postal_code, &format!("C{t}x{i}"));
                filler.attach_files = false;
                cases.push(
                    file_report(&browser, state, form, &mut filler)
                        .await
                        .case_number,
                );
                browser.client_reset();
            }
            cases
        }));
    }
    let mut cases = Vec::with_capacity(n);
    for task in tasks {
        cases.extend(task.await.expect("filing task"));
    }
    cases
}
