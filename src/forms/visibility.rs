//! Which steps and fields are shown for a set of answers (`show_if`).

use super::answers::{AnswerValue, Answers};
use super::schema::{Condition, FormVariant};

/// Whether a condition holds; inside a group `item` is searched before `top`.
pub fn condition_holds(cond: &Condition, item: Option<&Answers>, top: &Answers) -> bool {
    let get = |f: &str| item.and_then(|i| i.get(f)).or_else(|| top.get(f));
    match cond {
        Condition::Equals { field, value } => get(field).is_some_and(|a| a.matches(value)),
        Condition::In { field, values } => {
            get(field).is_some_and(|a| values.iter().any(|x| a.matches(x)))
        }
        Condition::IsSet { field } => get(field).is_some_and(AnswerValue::is_set),
        Condition::Not(c) => !condition_holds(c, item, top),
        Condition::All(cs) => cs.iter().all(|c| condition_holds(c, item, top)),
        Condition::Any(cs) => cs.iter().any(|c| condition_holds(c, item, top)),
    }
}

pub(crate) fn shown(cond: &Option<Condition>, item: Option<&Answers>, top: &Answers) -> bool {
    cond.as_ref().is_none_or(|c| condition_holds(c, item, top))
}

impl FormVariant {
    /// Indexes of the steps whose `show_if` holds.
    pub fn visible_steps(&self, answers: &Answers) -> Vec<usize> {
        (0..self.steps.len())
            .filter(|i| shown(&self.steps[*i].show_if, None, answers))
            .collect()
    }

    /// Whether a top-level field (and its step) is shown for these answers.
    pub fn field_is_visible(&self, field_id: &str, answers: &Answers) -> bool {
        self.steps.iter().any(|s| {
            shown(&s.show_if, None, answers)
                && s.fields
                    .iter()
                    .any(|f| f.id == field_id && shown(&f.show_if, None, answers))
        })
    }
}
