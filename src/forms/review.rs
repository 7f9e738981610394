//! The "check your answers" rows; each kind shows its own value.

use super::answers::{AnswerValue, Answers};
use super::kinds::registry::of;
use super::schema::{Field, FormVariant};
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
