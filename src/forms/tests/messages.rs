//! Error messages say how to fix it (issue 15): the rule of a pattern, the number range
//! (also in the hint before any error), file types by their names, the group entry's
//! position, and short messages for unanswered radios.

use super::*;

const FORM: &str = r#"
id = "hinweise"
version = 1
category = "test"
title = { de = "Hinweise", en = "Hints" }
help = { de = "Hilfe", en = "Help" }

[[steps]]
id = "eins"
title = { de = "Eins", en = "One" }

[[steps.fields]]
id = "code"
type = "text"
max_length = 30
pattern = "[A-Za-z0-9 ]{6,30}"
pattern_hint = { de = "6–30 Buchstaben, Ziffern oder Leerzeichen", en = "6–30 letters, digits or spaces" }
label = { de = "Codiernummer", en = "Coding number" }

[[steps.fields]]
id = "hoehe"
type = "number"
min = 10
max = 80
label = { de = "Rahmenhöhe", en = "Frame height" }

[[steps.fields]]
id = "schaden"
type = "money"
min = 5
label = { de = "Schaden", en = "Damage" }

[[steps.fields]]
id = "anzahl"
type = "number"
min = 0
label = { de = "Anzahl", en = "Count" }

[[steps.fields]]
id = "art"
type = "radio"
required = true
label = { de = "Wo ist es passiert, und wann haben Sie es bemerkt?", en = "Where did it happen, and when did you notice?" }
options = [ { value = "a", label = { de = "A", en = "A" } }, { value = "b", label = { de = "B", en = "B" } } ]

[[steps.fields]]
id = "codiert"
type = "yes_no"
required = true
label = { de = "Ist Ihr Fahrrad codiert (z. B. FEIN-Codierung)?", en = "Is your bicycle coded?" }

[[steps.fields]]
id = "bilder"
type = "file"
label = { de = "Bilder", en = "Pictures" }

[[steps.fields]]
id = "zeugen"
type = "group"
item_label = { de = "Zeugin/Zeuge", en = "Witness" }
label = { de = "Zeuginnen und Zeugen", en = "Witnesses" }

[[steps.fields.fields]]
id = "name"
type = "text"
required = true
label = { de = "Name", en = "Name" }
"#;

fn form() -> FormVariant {
    parse_upload(&state(), "hinweise.toml", FORM, &Catalog::default()).unwrap()
}

/// The German and English message of the error on `input_id`.
fn message(r: &StepResult, input_id: &str) -> (String, String) {
    let e = r
        .errors
        .iter()
        .find(|e| e.input_id == input_id)
        .unwrap_or_else(|| panic!("no error on {input_id}: {:?}", r.errors));
    (e.message.de.clone(), e.message.en.clone())
}

/// Asserts the error on `input_id` says `de` and `en`.
fn says(r: &StepResult, input_id: &str, de: &str, en: &str) {
    assert_eq!(message(r, input_id), (de.to_owned(), en.to_owned()));
}

const FILLED: &[(&str, &str)] = &[("f-art", "a"), ("f-codiert", "no")];

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    FILLED.iter().chain(extra).copied().collect()
}

#[test]
fn a_pattern_error_names_the_rule_which_the_hint_shows_first() {
    let v = form();
    let r = fresh(&v, 0, &with(&[("f-code", "ab!")]));
    says(
        &r,
        "f-code",
        "„Codiernummer“: Bitte geben Sie 6–30 Buchstaben, Ziffern oder Leerzeichen ein.",
        "“Coding number”: enter 6–30 letters, digits or spaces.",
    );
    let html = first_step_html(&v, &fresh(&v, 0, &[]));
    assert!(
        html.contains(r#"id="f-code-limit">6–30 Buchstaben, Ziffern oder Leerzeichen.</p>"#),
        "{html}"
    );
}

#[test]
fn number_ranges_stand_in_the_hint_and_in_the_error() {
    let v = form();
    let html = first_step_html(&v, &fresh(&v, 0, &[]));
    assert!(
        html.contains("Eine ganze Zahl zwischen 10 und 80."),
        "{html}"
    );
    assert!(
        !html.contains("mindestens 0"),
        "a lone min = 0 gets no hint: {html}"
    );
    for value in ["9", "81"] {
        let r = fresh(&v, 0, &with(&[("f-hoehe", value)]));
        says(
            &r,
            "f-hoehe",
            "„Rahmenhöhe“: Bitte eine ganze Zahl zwischen 10 und 80 angeben.",
            "“Frame height”: enter a whole number between 10 and 80.",
        );
    }
    assert!(html.contains("Ein Betrag von mindestens 5 €."), "{html}");
    let r = fresh(&v, 0, &with(&[("f-schaden", "3")]));
    says(
        &r,
        "f-schaden",
        "„Schaden“: Bitte einen Betrag von mindestens 5 € angeben.",
        "“Damage”: enter an amount of at least €5.",
    );
}

#[test]
fn a_wrong_file_type_is_named_as_people_know_it() {
    let v = form();
    let mut raw = post(&with(&[]));
    raw.files = vec![RawFile {
        input_name: "f-bilder".into(),
        file_name: "notiz.txt".into(),
        declared_type: "text/plain".into(),
        bytes: b"nur Text".to_vec(),
    }];
    let r = validate_step(&v, 0, &raw, &Answers::default(), now());
    says(
        &r,
        "f-bilder",
        "Die Datei „notiz.txt“ muss ein JPG, PNG, WEBP oder PDF sein.",
        "The file “notiz.txt” must be a JPG, PNG, WEBP or PDF.",
    );
    let html = first_step_html(&v, &fresh(&v, 0, &[]));
    assert!(
        html.contains("JPG, PNG, WEBP oder PDF; höchstens"),
        "{html}"
    );
}

#[test]
fn group_entries_name_their_position() {
    let v = form();
    let r = fresh(
        &v,
        0,
        &with(&[
            ("f-zeugen-count", "2"),
            ("f-zeugen-0-name", ""),
            ("f-zeugen-1-name", ""),
        ]),
    );
    assert_eq!(
        message(&r, "f-zeugen-0-name").0,
        "Bitte füllen Sie „Name von Zeugin/Zeuge 1“ aus."
    );
    says(
        &r,
        "f-zeugen-1-name",
        "Bitte füllen Sie „Name von Zeugin/Zeuge 2“ aus.",
        "Please fill in “Name of witness 2”.",
    );
}

#[test]
fn unanswered_radios_get_a_short_message_without_the_question() {
    let v = form();
    let r = fresh(&v, 0, &[]);
    says(
        &r,
        "f-art-0",
        "Bitte wählen Sie eine Antwort aus.",
        "Select an answer.",
    );
    says(
        &r,
        "f-codiert-0",
        "Bitte wählen Sie Ja oder Nein.",
        "Select yes or no.",
    );
}

#[test]
fn a_pattern_hint_without_a_pattern_is_refused() {
    let source = FORM.replace("pattern = \"[A-Za-z0-9 ]{6,30}\"\n", "");
    let problems = parse_upload(&state(), "hinweise.toml", &source, &Catalog::default())
        .expect_err("pattern_hint alone");
    assert!(
        format!("{problems:?}").contains("`pattern_hint` needs a `pattern`"),
        "{problems:?}"
    );
}
