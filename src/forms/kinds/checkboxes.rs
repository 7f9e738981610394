//! `checkboxes`: any number of `options`, stored as a list in option order.

use chrono::NaiveDateTime;

use super::choice;
use super::spec::{field_template, mismatch, quote, Checked, Input, Kind, Missing, ViewCtx};
use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField};
use crate::forms::schema::{Field, FieldKind, FieldRole};
use crate::forms::view::{FieldView, RenderFn};
use crate::i18n::Lang;

pub(crate) struct Checkboxes;
pub(crate) const KIND: Checkboxes = Checkboxes;
pub type Params = choice::Options;

impl Kind for Checkboxes {
    fn name(&self) -> &'static str {
        "checkboxes"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["options"]
    }

    fn parse(&self, ctx: &mut Ctx, raw: &RawField, _in_group: bool) -> FieldKind {
        FieldKind::Checkboxes(Params {
            options: choice::parse_options(ctx, raw, "checkboxes"),
        })
    }

    fn roles(&self) -> &'static [FieldRole] {
        &[FieldRole::Consent]
    }

    fn condition_values<'a>(&self, kind: &'a FieldKind) -> Option<Vec<&'a str>> {
        choice::values(kind.options()?)
    }

    fn anchor_suffix(&self) -> &'static str {
        "-0"
    }

    fn missing(&self) -> Missing {
        Missing::Choose
    }

    fn read(&self, _field: &Field, input: Input) -> AnswerValue {
        let Input { base, raw, .. } = input;
        let ticked = raw.all(base).into_iter().filter(|s| !s.is_empty());
        AnswerValue::List(ticked.map(str::to_string).collect())
    }

    fn check(&self, field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        let (FieldKind::Checkboxes(Params { options }), AnswerValue::List(l)) = (&field.kind, value) else {
            return mismatch(field);
        };
        if l.iter().all(|x| options.iter().any(|o| &o.value == x)) {
            let ordered = options
                .iter()
                .filter(|o| l.contains(&o.value))
                .map(|o| o.value.clone())
                .collect();
            return Ok(Some(AnswerValue::List(ordered)));
        }
        let (lde, len) = quote(&field.label);
        Err((
            "-0",
            format!("Bitte wählen Sie bei {lde} nur Antworten aus der Liste."),
            format!("Please choose only listed answers for {len}."),
        ))
    }

    fn display(&self, field: &Field, value: &AnswerValue, lang: Lang) -> String {
        match value {
            AnswerValue::List(l) => l
                .iter()
                .map(|x| choice::label(field, x, lang))
                .collect::<Vec<_>>()
                .join(", "),
            _ => super::spec::plain_display(value),
        }
    }

    fn template(&self) -> RenderFn {
        field_template!("forms/checkboxes.html")
    }

    fn view(&self, field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        let options = field.kind.options().unwrap_or_default();
        fv.options = choice::option_views(options, cx.base, cx.value, cx.lang);
    }
}
