//! Turning a step's POST into typed answers, and re-checking them all at submit. What
//! a field reads and accepts is its kind's business (`kinds/`).
//!
//! Input naming (`base` = `f-<field>`; inside a group item `f-<group>-<i>-<field>`):
//! single-value fields use base as `name` and `id`; choices number their options
//! `<base>-<k>`; kinds with several inputs document theirs in their own file.
//! Errors link to the first input ([`anchor_id`]).

use chrono::NaiveDateTime;

use super::answers::{AnswerValue, Answers, FieldError, RawStepInput, StepResult};
use super::kinds::registry::{anchor_id, of};
use super::kinds::spec::{input_base, Input};
use super::schema::{Field, FieldRole, FormVariant};
use super::visibility::{condition_holds, shown};

impl FormVariant {
    /// The value of the visible field with this role, as normalised text.
    pub fn role_value(&self, answers: &Answers, role: FieldRole) -> Option<String> {
        let field = self
            .steps
            .iter()
            .filter(|s| shown(&s.show_if, None, answers))
            .flat_map(|s| s.fields.iter())
            .find(|f| f.role == Some(role) && shown(&f.show_if, None, answers))?;
        match answers.get(&field.id)? {
            AnswerValue::Text(s) if !s.trim().is_empty() => Some(s.clone()),
            AnswerValue::List(l) if !l.is_empty() => Some(l.join(",")),
            AnswerValue::Money(c) => Some(c.to_string()),
            AnswerValue::Span(s) if !s.from_date.is_empty() => Some(
                format!("{} {}", s.from_date, s.from_time)
                    .trim()
                    .to_string(),
            ),
            _ => None,
        }
    }
}

/// Validates the POST of one step and merges it into `previous`.
pub fn validate_step(
    variant: &FormVariant,
    step_index: usize,
    raw: &RawStepInput,
    previous: &Answers,
    now: NaiveDateTime,
) -> StepResult {
    let mut answers = previous.clone();
    let mut errors = Vec::new();
    let Some(step) = variant.steps.get(step_index) else {
        return StepResult {
            answers,
            errors,
            exit: None,
        };
    };
    let mut read_errors = Vec::new();
    for f in &step.fields {
        let base = input_base(None, &f.id);
        let val = of(&f.kind).read(
            f,
            Input {
                base: &base,
                raw,
                prev: previous.get(&f.id),
                errors: &mut read_errors,
            },
        );
        answers.set(f.id.clone(), val);
    }
    let step_shown = shown(&step.show_if, None, &answers);
    let snapshot = answers.clone();
    let mut exit = None;
    for f in &step.fields {
        if !step_shown || !shown(&f.show_if, None, &snapshot) {
            answers.remove(&f.id);
            continue;
        }
        let base = input_base(None, &f.id);
        let read_errs: Vec<FieldError> = read_errors
            .iter()
            .filter(|e| belongs(f, &e.field_id))
            .cloned()
            .collect();
        let n = errors.len();
        of(&f.kind).validate(f, &base, &mut answers, &snapshot, now, &mut errors);
        // A rejected upload already explains an empty file field.
        if !read_errs.is_empty() && f.kind.takes_files() {
            errors.truncate(n);
        }
        errors.extend(read_errs);
        if exit.is_none() {
            exit = f
                .exit_if
                .iter()
                .find(|r| condition_holds(&r.when, None, &answers))
                .map(|r| r.referral.clone());
        }
    }
    StepResult {
        answers,
        errors,
        exit,
    }
}

fn belongs(f: &Field, field_id: &str) -> bool {
    f.id == field_id || f.kind.sub_fields().iter().any(|s| s.id == field_id)
}

/// Re-validates everything at submit, against the pinned variant.
pub fn validate_all(
    variant: &FormVariant,
    answers: &Answers,
    now: NaiveDateTime,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut scratch = answers.clone();
    for i in variant.visible_steps(answers) {
        for f in &variant.steps[i].fields {
            if shown(&f.show_if, None, answers) {
                of(&f.kind).validate(
                    f,
                    &input_base(None, &f.id),
                    &mut scratch,
                    answers,
                    now,
                    &mut errors,
                );
                for r in &f.exit_if {
                    if condition_holds(&r.when, None, answers) {
                        errors.push(FieldError {
                            input_id: anchor_id(f, &input_base(None, &f.id)),
                            field_id: f.id.clone(),
                            message: r.referral.title.clone(),
                        });
                    }
                }
            }
        }
    }
    errors
}

/// Drops answers of hidden steps and fields (call before review and submit).
pub fn prune_hidden(variant: &FormVariant, answers: &Answers) -> Answers {
    let mut out = Answers::default();
    for i in variant.visible_steps(answers) {
        for f in &variant.steps[i].fields {
            if shown(&f.show_if, None, answers) {
                if let Some(val) = answers.get(&f.id) {
                    out.set(f.id.clone(), val.clone());
                }
            }
        }
    }
    out
}
