//! HTML for the fields of one step (`templates/forms/`). The caller embeds the fragment
//! inside its own `<form>`, with error summary, buttons and CSRF token.
//!
//! Without JavaScript nothing appears on the fly, so a field whose `show_if` depends on
//! a field of the same step is always rendered (and ignored on POST if hidden): under the
//! answer it belongs to where it can, and never announced as required (`reveal`).

use askama::Template;

use super::answers::{Answers, FieldError};
use super::kinds::field_view::field_view;
use super::reveal::{only_if_text, placement, Placement};
use super::schema::{FormVariant, Step};
use crate::i18n::Lang;

pub use super::view::{DatePartView, FieldView, FileView, ItemView, OptionView, SpanView, Texts};

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
            let page = Page {
                step,
                placements: step
                    .fields
                    .iter()
                    .map(|f| placement(f, step, answers))
                    .collect(),
                answers,
                errors,
                lang,
            };
            fields = (0..step.fields.len())
                .filter(|i| matches!(page.placements[*i], Placement::Plain | Placement::OnlyIf))
                .map(|i| page.view(i))
                .collect();
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

/// One step being drawn: where each field goes.
struct Page<'a> {
    step: &'a Step,
    placements: Vec<Placement<'a>>,
    answers: &'a Answers,
    errors: &'a [FieldError],
    lang: Lang,
}

impl Page<'_> {
    /// The view of field `i`, with the questions that sit under its answers.
    fn view(&self, i: usize) -> FieldView {
        let f = &self.step.fields[i];
        let mut fv = field_view(f, None, self.answers.get(&f.id), self.errors, self.lang);
        if let (Placement::Under { .. } | Placement::OnlyIf, Some(cond)) =
            (self.placements[i], &f.show_if)
        {
            fv.required_when_shown = fv.required;
            fv.required = false;
            fv.only_if = only_if_text(cond, self.step, self.lang);
        }
        for o in &mut fv.options {
            let under: Vec<usize> = (0..self.placements.len())
                .filter(|j| {
                    self.placements[*j]
                        == Placement::Under {
                            controller: &f.id,
                            value: &o.value,
                        }
                })
                .collect();
            if !under.is_empty() {
                o.controls = format!("{}-conditional", o.id);
                o.nested = under.into_iter().map(|j| self.view(j)).collect();
            }
        }
        fv
    }
}
