//! Conditional questions on their step page (`forms::reveal`): under the answer they
//! belong to, labelled "(nur wenn …)", never announced as required, and required on
//! submit only when their condition holds.

use super::*;

/// Steps whose conditions nest (radio, yes/no, checkbox answer) and fall back (several
/// answers, a select, a combined condition); the last step depends on the first.
const FORM: &str = r#"
id = "bedingt"
version = 1
category = "test"
title = { de = "Bedingt", en = "Conditional" }
help = { de = "Hilfe", en = "Help" }

[[steps]]
id = "eins"
title = { de = "Eins", en = "One" }

[[steps.fields]]
id = "art"
type = "radio"
required = true
label = { de = "Art", en = "Kind" }
options = [ { value = "privat", label = { de = "Privat", en = "Private" } }, { value = "firma", label = { de = "Firma", en = "Company" } }, { value = "verein", label = { de = "Verein", en = "Club" } } ]

[[steps.fields]]
id = "firma_name"
type = "text"
required = true
show_if = { field = "art", equals = "firma" }
label = { de = "Name der Firma", en = "Company name" }

[[steps.fields]]
id = "name_gruppe"
type = "text"
required = true
show_if = { field = "art", in = ["firma", "verein"] }
label = { de = "Kurzname", en = "Short name" }

[[steps.fields]]
id = "codiert"
type = "yes_no"
label = { de = "Codiert?", en = "Coded?" }

[[steps.fields]]
id = "codierung"
type = "text"
required = true
show_if = { field = "codiert", equals = "yes" }
label = { de = "Codiernummer", en = "Coding number" }

[[steps.fields]]
id = "extras"
type = "checkboxes"
label = { de = "Extras", en = "Extras" }
options = [ { value = "korb", label = { de = "Korb", en = "Basket" } } ]

[[steps.fields]]
id = "korb_farbe"
type = "text"
show_if = { field = "extras", equals = "korb" }
label = { de = "Farbe des Korbs", en = "Colour of the basket" }

[[steps.fields]]
id = "beides"
type = "text"
required = true
show_if = { all = [ { field = "codiert", equals = "yes" }, { field = "art", equals = "firma" } ] }
label = { de = "Beides", en = "Both" }

[[steps]]
id = "zwei"
title = { de = "Zwei", en = "Two" }

[[steps.fields]]
id = "firmensitz"
type = "text"
required = true
show_if = { field = "art", equals = "firma" }
label = { de = "Firmensitz", en = "Registered office" }
"#;

fn form() -> FormVariant {
    parse_upload(&state(), "bedingt.toml", FORM, &Catalog::default()).unwrap()
}

fn step_html(v: &FormVariant, step: usize, answers: &Answers, errors: &[FieldError]) -> String {
    render::StepFields::new(v, step, answers, errors, Lang::De)
        .to_html()
        .unwrap()
}

/// The HTML of the element with this id up to its input (for attribute checks).
fn input_tag<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let start = html[..start].rfind('<').unwrap();
    let end = start + html[start..].find('>').unwrap();
    &html[start..=end]
}

#[test]
fn a_question_sits_under_its_answer_and_is_not_announced_as_required() {
    let v = form();
    let html = step_html(&v, 0, &Answers::default(), &[]);
    // The "Firma" radio controls a container right after it that holds the question.
    let radio = input_tag(&html, "f-art-1");
    assert!(
        radio.contains(r#"data-aria-controls="f-art-1-conditional""#),
        "{radio}"
    );
    let container = html.find(r#"<div class="conditional" id="f-art-1-conditional">"#);
    let question = html.find(r#"id="f-firma_name""#).unwrap();
    let next_option = html.find(r#"id="f-art-2""#).unwrap();
    assert!(container.is_some_and(|c| html.find(r#"id="f-art-1""#).unwrap() < c && c < question));
    assert!(question < next_option, "nested before the next answer");
    let input = input_tag(&html, "f-firma_name");
    assert!(!input.contains("aria-required"), "{input}");
    // The script announces it as required once revealed.
    assert!(input.contains("data-required-when-shown"), "{input}");
    assert!(html.contains(
        r#"Name der Firma <span class="only-if">(nur wenn „Firma“ gewählt)</span></label>"#
    ));
    // Required when it applies: no "(freiwillig)" either.
    assert!(!html.contains(r#"Name der Firma <span class="only-if">(nur wenn „Firma“ gewählt)</span> <span class="optional">"#));

    // yes/no and checkbox answers reveal too; an optional question keeps "(freiwillig)".
    assert!(
        input_tag(&html, "f-codiert-0").contains(r#"data-aria-controls="f-codiert-0-conditional""#)
    );
    assert!(html
        .contains("Codiernummer <span class=\"only-if\">(nur wenn „Ja“ gewählt)</span></label>"));
    assert!(!input_tag(&html, "f-codierung").contains("aria-required"));
    assert!(
        input_tag(&html, "f-extras-0").contains(r#"data-aria-controls="f-extras-0-conditional""#)
    );
    assert!(html.contains(
        "Farbe des Korbs <span class=\"only-if\">(nur wenn „Korb“ angekreuzt)</span> <span class=\"optional\">(freiwillig)</span>"
    ));
    assert!(!input_tag(&html, "f-korb_farbe").contains("data-required-when-shown"));
    // Unconditional fields are still announced as required.
    assert!(input_tag(&html, "f-art-0").starts_with("<input"));
}

#[test]
fn conditions_that_cannot_nest_stay_in_place_with_a_label_and_without_required() {
    let v = form();
    let html = step_html(&v, 0, &Answers::default(), &[]);
    for (id, label, after) in [
        ("f-name_gruppe", "Kurzname <span class=\"only-if\">(nur wenn „Firma“ oder „Verein“ gewählt)</span></label>", "f-art-2"),
        ("f-beides", "Beides <span class=\"only-if\">(nur wenn zutreffend)</span></label>", "f-korb_farbe"),
    ] {
        assert!(html.contains(label), "{label}");
        assert!(!input_tag(&html, id).contains("aria-required"), "{id}");
        // In its declared place: after the choice it depends on has closed.
        let (from, to) = (html.find(&format!(r#"id="{after}""#)).unwrap(), html.find(&format!(r#"id="{id}""#)).unwrap());
        assert!(html[from..to].contains("</fieldset>"), "{id}");
    }
    let en = render::StepFields::new(&v, 0, &Answers::default(), &[], Lang::En)
        .to_html()
        .unwrap();
    assert!(
        en.contains("Company name <span class=\"only-if\">(only if “Company” is chosen)</span>")
    );
    assert!(en.contains("(only if “Basket” is ticked)"));
}

#[test]
fn a_condition_on_an_earlier_step_shows_or_leaves_out_the_field_as_before() {
    let v = form();
    let mut a = Answers::default();
    a.set("art", AnswerValue::Text("privat".into()));
    assert!(!step_html(&v, 1, &a, &[]).contains("f-firmensitz"));
    a.set("art", AnswerValue::Text("firma".into()));
    let html = step_html(&v, 1, &a, &[]);
    let input = input_tag(&html, "f-firmensitz");
    assert!(input.contains(r#"aria-required="true""#), "{input}");
    assert!(!html.contains("only-if"));
}

#[test]
fn a_required_conditional_question_is_required_only_when_its_answer_is_chosen() {
    let v = form();
    let r = fresh(&v, 0, &[("f-art", "privat"), ("f-codiert", "no")]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);

    let r = fresh(&v, 0, &[("f-art", "firma"), ("f-codiert", "yes")]);
    let mut ids: Vec<&str> = r.errors.iter().map(|e| e.input_id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        ["f-beides", "f-codierung", "f-firma_name", "f-name_gruppe"]
    );

    // An answer typed while its condition is false is dropped.
    let r = fresh(&v, 0, &[("f-art", "privat"), ("f-firma_name", "ACME")]);
    assert!(r.answers.get("firma_name").is_none());
}

#[test]
fn re_showing_a_step_after_errors_keeps_the_answer_checked_and_its_question_under_it() {
    let v = form();
    let r = fresh(&v, 0, &[("f-art", "firma")]);
    let html = step_html(&v, 0, &r.answers, &r.errors);
    assert!(input_tag(&html, "f-art-1").contains(" checked"));
    let input = input_tag(&html, "f-firma_name");
    assert!(input.contains(r#"aria-invalid="true""#), "{input}");
    let container = html.find(r#"id="f-art-1-conditional""#).unwrap();
    assert!(container < html.find(r#"id="f-firma_name-error""#).unwrap());
}

#[test]
fn shipped_conditional_questions_are_never_announced_as_required() {
    let c = Catalog::load(&shipped()).unwrap();
    let be = c.variant(&state(), "fahrraddiebstahl").unwrap();
    let step = |id: &str| be.step_index(id).unwrap();
    let person = step_html(be, step("meldende_person"), &Answers::default(), &[]);
    assert!(input_tag(&person, "f-meldende_art-1")
        .contains(r#"data-aria-controls="f-meldende_art-1-conditional""#));
    assert!(!input_tag(&person, "f-firma_name").contains("aria-required"));
    let scene = step_html(be, step("tatort"), &Answers::default(), &[]);
    for id in ["f-tatort_strasse", "f-tatort_plz", "f-tatort_ort"] {
        assert!(!input_tag(&scene, id).contains("aria-required"), "{id}");
    }
    assert!(scene.contains(r#"id="f-tatort_art-0-conditional""#));
    let bike = step_html(be, step("fahrrad"), &Answers::default(), &[]);
    assert!(!input_tag(&bike, "f-codierung").contains("aria-required"));
    assert!(bike.contains(r#"id="f-codiert-0-conditional""#));
}
