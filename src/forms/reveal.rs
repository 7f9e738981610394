//! Where a conditional question (`show_if`) goes on its step page, and how it is labelled.
//!
//! A condition on an earlier step is decided before the page is drawn: the field is shown
//! or left out. A condition on a field of the same step cannot be decided until the
//! citizen answers, so the field is on the page either way and never announced as
//! required; the server enforces `required` only when the condition holds. When the
//! condition is one answer of a radio, yes/no or checkbox field of the step, the question
//! sits under that answer (the GOV.UK conditional reveal: a script hides it until the
//! answer is chosen). Otherwise it stays in its place, and its label says when it applies.

use super::answers::{AnswerValue, Answers};
use super::kinds::registry::of;
use super::schema::{Condition, Field, FieldKind, Step};
use super::visibility::condition_holds;
use crate::i18n::Lang;

/// Where one field of a step is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement<'a> {
    /// In its place, as declared (no condition, or one on an earlier step that holds).
    Plain,
    /// Not on the page: its condition on an earlier step does not hold.
    Left,
    /// Under answer `value` of the step's choice field `controller`.
    Under { controller: &'a str, value: &'a str },
    /// In its place, labelled "(nur wenn …)": the condition cannot nest under one answer.
    OnlyIf,
}

/// Where `field` of `step` is drawn, for the answers so far.
pub(crate) fn placement<'a>(field: &'a Field, step: &'a Step, answers: &Answers) -> Placement<'a> {
    let Some(cond) = &field.show_if else {
        return Placement::Plain;
    };
    let mut refs = Vec::new();
    cond.fields(&mut refs);
    if !refs.iter().any(|r| same_step(step, r).is_some()) {
        return match condition_holds(cond, None, answers) {
            true => Placement::Plain,
            false => Placement::Left,
        };
    }
    let single = match cond {
        Condition::Equals { field, value } => Some((field, value)),
        Condition::In { field, values } if values.len() == 1 => Some((field, &values[0])),
        _ => None,
    };
    match single.and_then(|(c, value)| Some((same_step(step, c)?, value))) {
        Some((controller, value)) if controller.id != field.id && reveals(&controller.kind) => {
            Placement::Under {
                controller: &controller.id,
                value,
            }
        }
        _ => Placement::OnlyIf,
    }
}

fn same_step<'a>(step: &'a Step, id: &str) -> Option<&'a Field> {
    step.fields.iter().find(|f| f.id == id)
}

/// Kinds whose answers are inputs a question can sit under.
fn reveals(kind: &FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Radio(_) | FieldKind::YesNo(_) | FieldKind::Checkboxes(_)
    )
}

/// The label suffix of a same-step conditional field: "(nur wenn „Firma“ gewählt)".
pub(crate) fn only_if_text(cond: &Condition, step: &Step, lang: Lang) -> String {
    let named = |field: &str, values: &[&str]| -> Option<String> {
        let f = same_step(step, field)?;
        let answers: Vec<String> = values
            .iter()
            .map(|v| quoted(&answer_label(f, v, lang), lang))
            .collect();
        let ticked = matches!(f.kind, FieldKind::Checkboxes(_));
        Some(match (lang, ticked) {
            (Lang::De, false) => format!("(nur wenn {} gewählt)", answers.join(" oder ")),
            (Lang::De, true) => format!("(nur wenn {} angekreuzt)", answers.join(" oder ")),
            (Lang::En, false) => format!("(only if {} is chosen)", answers.join(" or ")),
            (Lang::En, true) => format!("(only if {} is ticked)", answers.join(" or ")),
        })
    };
    let text = match cond {
        Condition::Equals { field, value } => named(field, &[value]),
        Condition::In { field, values } => named(
            field,
            &values.iter().map(String::as_str).collect::<Vec<_>>(),
        ),
        Condition::IsSet { field } => same_step(step, field).map(|f| {
            let label = quoted(f.label.get(lang), lang);
            lang.t(
                &format!("(nur wenn {label} ausgefüllt)"),
                &format!("(only if {label} is filled in)"),
            )
            .to_string()
        }),
        _ => None,
    };
    text.unwrap_or_else(|| {
        lang.t("(nur wenn zutreffend)", "(only if it applies)")
            .into()
    })
}

/// The label the citizen sees for one answer of a choice field.
fn answer_label(f: &Field, value: &str, lang: Lang) -> String {
    f.kind
        .options()
        .and_then(|o| o.iter().find(|c| c.value == value))
        .map(|c| c.label.get(lang).to_string())
        .unwrap_or_else(|| of(&f.kind).display(f, &AnswerValue::Text(value.into()), lang))
}

fn quoted(s: &str, lang: Lang) -> String {
    match lang {
        Lang::De => format!("„{s}“"),
        Lang::En => format!("“{s}”"),
    }
}
