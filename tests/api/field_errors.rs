//! Every field type, given an invalid value in a real form: error summary, field message
//! (saying how to fix it where the kind knows), the entered values kept, never a 5xx.

use internetwache::forms::{Condition, Field, FieldKind, FormVariant};

use crate::filing::{complete_step, csrf_token, error_summary, post_step, start, Filler, StepPost};
use crate::helpers::{spawn_app, Backend};

/// An invalid entry for a field, and whether the page must show it again.
fn invalid(field: &Field, base: &str, post: &mut StepPost) -> Option<String> {
    let mut set = |v: &str| {
        post.set(base, v);
        Some(v.to_owned())
    };
    match &field.kind {
        FieldKind::Text(p) => match p.pattern {
            Some(_) => set("!!"),
            None => set(&"x".repeat(p.max_length as usize + 1)),
        },
        FieldKind::Textarea(p) => set(&"y".repeat(p.max_length as usize + 1)),
        FieldKind::Email(_) => set("keine-adresse"),
        FieldKind::Phone(_) => set("anrufen bitte"),
        FieldKind::Date(p) if p.not_in_future => set("2099-01-01"),
        FieldKind::Date(_) => set("2023-02-30"),
        FieldKind::Time(_) => set("25:61"),
        FieldKind::MemorableDate(_) => {
            post.set(&format!("{base}-day"), "31");
            post.set(&format!("{base}-month"), "02");
            post.set(&format!("{base}-year"), "1985");
            Some("31".into())
        }
        FieldKind::TimeSpan(_) => {
            post.set(&format!("{base}-from-date"), "2025-10-02");
            post.set(&format!("{base}-from-time"), "10:00");
            post.set(&format!("{base}-to-date"), "2025-10-01");
            post.set(&format!("{base}-to-time"), "09:00");
            Some("2025-10-02".into())
        }
        FieldKind::Select(_) | FieldKind::Radio(_) | FieldKind::YesNo(_) => {
            post.set(base, "gibt-es-nicht");
            None
        }
        FieldKind::Checkboxes(_) => {
            post.pairs.retain(|(k, _)| k != base);
            post.pairs.push((base.to_owned(), "gibt-es-nicht".into()));
            None
        }
        FieldKind::Number(_) => set("zwölf"),
        FieldKind::Money(_) => set("12,3,4"),
        FieldKind::PostalCode(_) => set("1234"),
        FieldKind::Country(_) => {
            post.set(base, "XX");
            None
        }
        FieldKind::Iban(_) => set("DE00 1234 5678"),
        FieldKind::LicencePlate(_) => set("123-ABC-!"),
        FieldKind::Vin(_) => set("ABC"),
        FieldKind::FrameNumber(_) => set("!"),
        FieldKind::Url(_) => set("javascript:alert(1)"),
        FieldKind::File(_) => {
            post.files.retain(|(k, ..)| k != base);
            post.files.push((
                base.to_owned(),
                "fake.png".into(),
                "image/png",
                b"not an image at all".to_vec(),
            ));
            None
        }
        FieldKind::Group(p) => {
            let fields = &p.fields;
            let group = &field.id;
            post.set(&format!("{base}-count"), "1");
            let sub = fields
                .iter()
                .find(|f| {
                    matches!(
                        f.kind,
                        FieldKind::Email(_)
                            | FieldKind::Phone(_)
                            | FieldKind::PostalCode(_)
                            | FieldKind::Date(_)
                    )
                })
                .or_else(|| fields.first())
                .expect("group has fields");
            invalid(sub, &format!("f-{group}-0-{}", sub.id), post)
        }
    }
}

/// The answer that makes a simple `show_if` hold: (field id, value).
fn enabling_answer(condition: &Condition) -> Option<(String, String)> {
    match condition {
        Condition::Equals { field, value } => Some((field.clone(), value.clone())),
        Condition::In { field, values } => Some((field.clone(), values.first()?.clone())),
        _ => None,
    }
}

/// (state, form, step id, field) for one use of each type: unconditional where possible,
/// else behind a simple `show_if` the test can satisfy.
fn targets(variants: &[std::sync::Arc<FormVariant>]) -> Vec<(String, String, String, Field)> {
    let mut found: Vec<(String, String, String, Field)> = Vec::new();
    for pass in [false, true] {
        for v in variants {
            for step in &v.steps {
                let step_ok = match &step.show_if {
                    None => true,
                    Some(c) => pass && enabling_answer(c).is_some(),
                };
                for f in step
                    .fields
                    .iter()
                    .filter(|f| step_ok && f.exit_if.is_empty())
                {
                    let usable = match &f.show_if {
                        None => true,
                        Some(c) => pass && enabling_answer(c).is_some(),
                    };
                    if usable
                        && !found
                            .iter()
                            .any(|(_, _, _, g)| g.kind.name() == f.kind.name())
                    {
                        found.push((
                            v.state.to_string(),
                            v.id.clone(),
                            step.id.clone(),
                            f.clone(),
                        ));
                    }
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn every_field_type_reports_invalid_values_and_keeps_entries() {
    let mut app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut variants = Vec::new();
    for state in ["be", "bb", "mv"] {
        let code = internetwache::state_code::StateCode::parse(state).unwrap();
        variants.extend(
            app.state
                .forms
                .live_for_state(&app.state.db, &code)
                .await
                .unwrap(),
        );
    }
    let targets = targets(&variants);
    let kinds: Vec<&str> = targets.iter().map(|t| t.3.kind.name()).collect();
    for kind in FieldKind::NAMES {
        assert!(
            kinds.contains(kind),
            "no shipped form uses the field type {kind} unconditionally"
        );
    }
    for (state, form, step_id, field) in &targets {
        app.client_reset();
        let variant = variants
            .iter()
            .find(|v| v.state.as_str() == state && v.id == *form)
            .unwrap();
        let plz = crate::filing::postal_code_for(&app, state);
        let mut filler = Filler::new(&plz, "Keep");
        let step_condition = variant
            .steps
            .iter()
            .find(|s| s.id == *step_id)
            .and_then(|s| s.show_if.as_ref());
        for condition in [field.show_if.as_ref(), step_condition]
            .into_iter()
            .flatten()
        {
            if let Some((id, value)) = enabling_answer(condition) {
                filler.overrides.insert(format!("f-{id}"), value);
            }
        }
        let mut url = start(&app, state, form).await;
        while !url.ends_with(&format!("/schritt/{step_id}")) {
            assert!(
                url.contains("/schritt/"),
                "step {step_id} of {state}/{form} was never reached"
            );
            url = complete_step(&app, variant, &url, &mut filler).await;
        }
        let html = app.get(&url).await.text().await.unwrap();
        let csrf = csrf_token(&html);
        let step = variant.steps.iter().find(|s| s.id == *step_id).unwrap();
        let mut post = StepPost::default();
        let before = filler.sent_text.len();
        for f in &step.fields {
            if f.id != field.id {
                filler.fill(f, &format!("f-{}", f.id), &mut post);
            }
        }
        let kept_others: Vec<String> = filler.sent_text[before..].to_vec();
        let base = format!("f-{}", field.id);
        let shown_again = invalid(field, &base, &mut post);
        let res = post_step(&app, &url, &csrf, &post, "next").await;
        let status = res.status();
        let kind = field.kind.name();
        assert!(!status.is_server_error(), "{kind}: {status}");
        assert_eq!(status, 200, "{kind}: the step is shown again");
        let body = res.text().await.unwrap();
        let summary = error_summary(&body).unwrap_or_else(|| panic!("{kind}: no error summary"));
        assert!(
            summary.contains("href=\"#f-"),
            "{kind}: the summary links to the field: {summary}"
        );
        for link in summary.split("href=\"#").skip(1) {
            let target = &link[..link.find('"').unwrap()];
            assert!(
                body.contains(&format!("id=\"{target}\"")),
                "{kind}: the summary link #{target} has a target on the page"
            );
        }
        assert!(
            body.contains("class=\"field-error\""),
            "{kind}: the field shows its message; {state}/{form}/{step_id} {summary}"
        );
        // The message says how to fix it (issue 15).
        let how_to_fix = match &field.kind {
            FieldKind::Textarea(_) => Some("zu lang: höchstens".to_owned()),
            FieldKind::File(_) => Some("muss ein JPG, PNG, WEBP oder PDF sein".to_owned()),
            FieldKind::Group(p) => Some(format!(" von {} 1“", p.item_label.de)),
            _ => None,
        };
        if let Some(text) = how_to_fix {
            assert!(
                summary.contains(&text),
                "{kind}: the message says {text:?}: {summary}"
            );
        }
        assert!(
            body.contains("aria-invalid=\"true\"")
                || kind == "group"
                || kind == "file"
                || kind == "checkboxes"
                || kind == "radio"
                || kind == "yes_no"
                || kind == "time_span",
            "{kind}: the input is marked invalid"
        );
        if let Some(value) = shown_again {
            let escaped = value
                .replace('&', "&amp;")
                .replace('"', "&#34;")
                .replace('\'', "&#39;");
            assert!(
                body.contains(&value) || body.contains(&escaped),
                "{kind}: the invalid entry {value:?} is kept"
            );
        }
        for value in &kept_others {
            assert!(
                body.contains(value.as_str()),
                "{kind}: the other entry {value} is kept"
            );
        }
        println!(
            "{kind:>14}: {state}/{form}/{step_id} -> error summary, field message, entries kept"
        );
    }
    println!("{} field types checked", targets.len());
}

/// "Name der Firma" is required, but only after "Für eine Firma …": left empty after
/// "Für mich" the step goes on; after "Firma" the error summary asks for it. The page
/// never announces it as required.
#[tokio::test]
async fn a_required_conditional_question_is_required_only_when_its_answer_is_chosen() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let code = internetwache::state_code::StateCode::parse("be").unwrap();
    let variants = app
        .state
        .forms
        .live_for_state(&app.state.db, &code)
        .await
        .unwrap();
    let variant = variants
        .iter()
        .find(|v| v.id == "fahrraddiebstahl")
        .unwrap();
    let step = variant
        .steps
        .iter()
        .find(|s| s.id == "meldende_person")
        .unwrap();
    let plz = crate::filing::postal_code_for(&app, "be");
    let mut filler = Filler::new(&plz, "Cond");
    let mut url = start(&app, "be", "fahrraddiebstahl").await;
    while !url.ends_with("/schritt/meldende_person") {
        url = complete_step(&app, variant, &url, &mut filler).await;
    }
    let html = app.get(&url).await.text().await.unwrap();
    let input = &html[html.find(r#"id="f-firma_name""#).unwrap()..];
    let input = &input[..input.find('>').unwrap()];
    assert!(!input.contains("aria-required"), "{input}");
    assert!(
        html.contains("(nur wenn „Für eine Firma, einen Verein oder eine Einrichtung“ gewählt)")
    );
    let csrf = csrf_token(&html);

    let post_with = |kind: &str, filler: &mut Filler| {
        let mut post = StepPost::default();
        for f in step.fields.iter().filter(|f| f.id != "firma_name") {
            filler.fill(f, &format!("f-{}", f.id), &mut post);
        }
        post.set("f-meldende_art", kind);
        post
    };
    let res = post_step(&app, &url, &csrf, &post_with("firma", &mut filler), "next").await;
    assert_eq!(res.status(), 200, "the step is shown again");
    let body = res.text().await.unwrap();
    let summary = error_summary(&body).expect("an error summary");
    assert!(summary.contains(r##"href="#f-firma_name""##), "{summary}");
    assert_eq!(summary.matches("href=").count(), 1, "{summary}");
    assert!(body.contains(r#"id="f-meldende_art-1" name="f-meldende_art" value="firma" checked"#));

    let res = post_step(&app, &url, &csrf, &post_with("privat", &mut filler), "next").await;
    assert_eq!(
        res.status(),
        303,
        "empty and not applicable: the step goes on"
    );
    assert!(crate::filing::location(&res).ends_with("/schritt/tatzeit"));
}
