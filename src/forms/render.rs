//! HTML for the fields of one step (`templates/forms/`). The caller embeds the fragment
//! inside its own `<form>`, with error summary, buttons and CSRF token.
//!
//! Without JavaScript nothing appears on the fly, so a field whose `show_if` depends on
//! a field of the same step is always rendered (and ignored on POST if hidden).

use askama::Template;

use super::answers::{Answers, FieldError};
use super::kinds::field_view::field_view;
use super::schema::{Field, FormVariant, Step};
use super::visibility::condition_holds;
use crate::i18n::Lang;

pub use super::view::{DatePartView, FieldView, FileView, ItemView, OptionView, SpanView};

/// Short interface texts in the page language.
#[derive(Debug, Clone)]
pub struct Texts {
    pub optional: &'static str,
    pub error: &'static str,
    pub choose: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub date: &'static str,
    pub time: &'static str,
    pub to_hint: &'static str,
    pub remove: &'static str,
    pub remove_file: &'static str,
    pub uploaded: &'static str,
}

impl Texts {
    fn new(lang: Lang) -> Texts {
        Texts {
            optional: lang.t("(freiwillig)", "(optional)"),
            error: lang.t("Fehler", "Error"),
            choose: lang.t("Bitte auswählen", "Please choose"),
            from: lang.t("Wann genau, oder ab wann?", "When exactly, or from when?"),
            to: lang.t(
                "Bis wann? (nur bei einem Zeitraum)",
                "Until when? (only for a period)",
            ),
            date: lang.t("Datum", "Date"),
            time: lang.t("Uhrzeit", "Time"),
            to_hint: lang.t(
                "Leer lassen, wenn Sie den genauen Zeitpunkt kennen.",
                "Leave empty if you know the exact time.",
            ),
            remove: lang.t("Entfernen", "Remove"),
            remove_file: lang.t("Diese Datei entfernen", "Remove this file"),
            uploaded: lang.t("Bereits hochgeladen:", "Already uploaded:"),
        }
    }
}

/// The fields of one step, ready to render.
#[derive(Template, Clone)]
#[template(path = "forms/step_fields.html")]
pub struct StepFields {
    pub fields: Vec<FieldView>,
    pub t: Texts,
    multipart: bool,
}

impl std::fmt::Debug for StepFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StepFields({} fields)", self.fields.len())
    }
}

impl StepFields {
    pub fn new(
        variant: &FormVariant,
        step_index: usize,
        answers: &Answers,
        errors: &[FieldError],
        lang: Lang,
    ) -> StepFields {
        let mut fields = Vec::new();
        let mut multipart = false;
        if let Some(step) = variant.steps.get(step_index) {
            multipart = step.has_files();
            for f in &step.fields {
                if !render_field(f, step, answers) {
                    continue;
                }
                fields.push(field_view(f, None, answers.get(&f.id), errors, lang));
            }
        }
        StepFields {
            fields,
            t: Texts::new(lang),
            multipart,
        }
    }

    /// The surrounding `<form>` needs `enctype="multipart/form-data"`.
    pub fn needs_multipart(&self) -> bool {
        self.multipart
    }

    /// The HTML fragment.
    pub fn to_html(&self) -> Result<String, askama::Error> {
        self.render()
    }
}

fn render_field(f: &Field, step: &Step, answers: &Answers) -> bool {
    let Some(c) = &f.show_if else { return true };
    let mut refs = Vec::new();
    c.fields(&mut refs);
    let same_step = refs.iter().any(|r| step.fields.iter().any(|x| x.id == *r));
    same_step || condition_holds(c, None, answers)
}
