//! `radio`: radio buttons over `options`; one answer. Errors link to the first option.

use chrono::NaiveDateTime;

use super::choice;
use super::spec::{mismatch, text_of, Checked, Kind, Missing, ViewCtx};
use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField};
use crate::forms::schema::{Field, FieldKind, FieldRole};
use crate::forms::view::FieldView;
use crate::i18n::Lang;

pub(crate) struct Radio;

impl Kind for Radio {
    fn name(&self) -> &'static str {
        "radio"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["options"]
    }

    fn parse(&self, ctx: &mut Ctx, raw: &RawField, _in_group: bool) -> FieldKind {
        FieldKind::Radio {
            options: choice::parse_options(ctx, raw, "radio"),
        }
    }

    fn roles(&self) -> &'static [FieldRole] {
        &[FieldRole::SceneKind, FieldRole::ReporterKind]
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

    fn check(&self, field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        match &field.kind {
            FieldKind::Radio { options } => choice::check_one(field, options, value, "-0"),
            _ => mismatch(field),
        }
    }

    fn display(&self, field: &Field, value: &AnswerValue, lang: Lang) -> String {
        choice::label(field, text_of(value), lang)
    }

    fn view(&self, field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        fv.kind = "radio";
        let options = field.kind.options().unwrap_or_default();
        fv.options = choice::option_views(options, cx.base, cx.value, cx.lang);
    }
}
