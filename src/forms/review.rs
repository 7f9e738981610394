//! The "check your answers" rows; each kind shows its own value.

use super::answers::{AnswerValue, Answers};
use super::kinds::registry::{anchor_id, of};
use super::kinds::spec::input_base;
use super::schema::{Field, FieldKind, FormVariant};
use super::visibility::shown;
use crate::i18n::Lang;

/// One row of the "check your answers" page. Holds answers: Debug is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct ReviewRow {
    pub field_id: String,
    pub label: String,
    /// Plain text (may contain line breaks); escape when rendering.
    pub display: String,
}

impl std::fmt::Debug for ReviewRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReviewRow({})", self.field_id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewStep {
    pub step_index: usize,
    pub step_id: String,
    pub title: String,
    pub rows: Vec<ReviewRow>,
}

/// Plain-text display of one answer.
pub fn display_value(field: &Field, value: &AnswerValue, lang: Lang) -> String {
    of(&field.kind).display(field, value, lang)
}

/// The answered, visible fields of every visible step, for review and the report.
pub fn review(variant: &FormVariant, answers: &Answers, lang: Lang) -> Vec<ReviewStep> {
    variant
        .visible_steps(answers)
        .into_iter()
        .map(|i| {
            let step = &variant.steps[i];
            let rows = step
                .fields
                .iter()
                .filter(|f| shown(&f.show_if, None, answers))
                .filter_map(|f| {
                    let val = answers.get(&f.id).filter(|x| x.is_set())?;
                    Some(ReviewRow {
                        field_id: f.id.clone(),
                        label: f.label.get(lang).to_string(),
                        display: display_value(f, val, lang),
                    })
                })
                .collect();
            ReviewStep {
                step_index: i,
                step_id: step.id.clone(),
                title: step.title.get(lang).to_string(),
                rows,
            }
        })
        .collect()
}

/// One line of "Angaben prüfen": a single answer, or one answer of one group entry
/// ("Zeugin/Zeuge 1 – Name"), with the id of its input on its step, so each line gets its
/// own "Ändern" link. Holds answers: Debug is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct AnswerRow {
    pub label: String,
    /// Plain text (may contain line breaks); escape when rendering.
    pub display: String,
    /// The element id the change link's fragment names: never data, only ids.
    pub anchor: String,
}

impl std::fmt::Debug for AnswerRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AnswerRow({})", self.anchor)
    }
}

/// The lines of one reviewed answer: one, or for a repeatable group one per answered
/// sub-field of each entry.
pub fn answer_rows(
    variant: &FormVariant,
    answers: &Answers,
    row: &ReviewRow,
    lang: Lang,
) -> Vec<AnswerRow> {
    let Some(field) = variant.field(&row.field_id) else {
        return Vec::new();
    };
    match (&field.kind, answers.get(&field.id)) {
        (FieldKind::Group(group), Some(AnswerValue::Group(items))) => {
            let mut rows = Vec::new();
            for (i, item) in items.iter().enumerate() {
                for sub in &group.fields {
                    let Some(val) = item.get(&sub.id).filter(|x| x.is_set()) else {
                        continue;
                    };
                    let n = i + 1;
                    rows.push(AnswerRow {
                        label: format!(
                            "{} {n} – {}",
                            group.item_label.get(lang),
                            sub.label.get(lang)
                        ),
                        display: display_value(sub, val, lang),
                        anchor: anchor_id(sub, &input_base(Some((&field.id, i)), &sub.id)),
                    });
                }
            }
            rows
        }
        _ => vec![AnswerRow {
            label: row.label.clone(),
            display: row.display.clone(),
            anchor: anchor_id(field, &input_base(None, &field.id)),
        }],
    }
}
