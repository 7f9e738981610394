//! `textarea`: several lines, at most `max_length` characters, with a visible limit and a
//! live count; longer text is kept and reported, never cut.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::spec::{
    bad, field_template, int_key, mismatch, narrow_upper, text_input, Checked, Input, Kind, ViewCtx,
};
use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField, RawPatch};
use crate::forms::schema::{Field, FieldKind};
use crate::forms::view::{FieldView, RenderFn};
use crate::i18n::Lang;

pub(crate) struct Textarea;
pub(crate) const KIND: Textarea = Textarea;

/// The schema keys of a `textarea` field.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Params {
    pub max_length: u32,
}

impl Kind for Textarea {
    fn name(&self) -> &'static str {
        "textarea"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["max_length"]
    }

    fn parse(&self, ctx: &mut Ctx, raw: &RawField, _in_group: bool) -> FieldKind {
        let max_length = int_key(ctx, &raw.max_length, "max_length", 1..=20_000, 2000) as u32;
        FieldKind::Textarea(Params { max_length })
    }

    fn patch(&self, ctx: &mut Ctx, p: &RawPatch, field_id: &str, kind: &mut FieldKind) {
        if let (FieldKind::Textarea(Params { max_length }), Some(v)) = (kind, &p.max_length) {
            narrow_upper(ctx, field_id, v, max_length, "max_length");
        }
    }

    /// Leading spaces may be indentation; only trailing ones are dropped.
    fn read(&self, _field: &Field, input: Input) -> AnswerValue {
        let Input { base, raw, .. } = input;
        AnswerValue::Text(text_input(raw, base).trim_end().to_string())
    }

    fn check(&self, field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        let (FieldKind::Textarea(Params { max_length }), AnswerValue::Text(s)) = (&field.kind, value)
        else {
            return mismatch(field);
        };
        let n = s.chars().count();
        if n > *max_length as usize {
            return bad(
                field,
                &format!("zu lang: höchstens {max_length} Zeichen, jetzt {n}. Bitte kürzen Sie den Text."),
                &format!("too long: at most {max_length} characters, now {n}. Please shorten the text."),
            );
        }
        Ok(Some(value.clone()))
    }

    fn template(&self) -> RenderFn {
        field_template!("forms/textarea.html")
    }

    fn view(&self, field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        let FieldKind::Textarea(Params { max_length }) = field.kind else {
            return;
        };
        fv.maxlength = max_length;
        fv.limit_hint = match cx.lang {
            Lang::De => format!("Höchstens {max_length} Zeichen."),
            Lang::En => format!("At most {max_length} characters."),
        };
    }
}
