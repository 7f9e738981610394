//! `number`: a whole number, optionally within `min`..=`max`.

use chrono::NaiveDateTime;

use super::bounds;
use super::spec::{bad, text_of, Checked, Kind, ViewCtx};
use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField, RawPatch};
use crate::forms::schema::{Field, FieldKind};
use crate::forms::values as v;
use crate::forms::view::FieldView;

pub(crate) struct Number;
pub(crate) const KIND: Number = Number;
pub type Params = bounds::Bounds;

impl Kind for Number {
    fn name(&self) -> &'static str {
        "number"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["min", "max"]
    }

    fn parse(&self, ctx: &mut Ctx, raw: &RawField, _in_group: bool) -> FieldKind {
        let (min, max) = bounds::parse(ctx, raw);
        FieldKind::Number(Params { min, max })
    }

    fn patch(&self, ctx: &mut Ctx, p: &RawPatch, field_id: &str, kind: &mut FieldKind) {
        if let FieldKind::Number(Params { min, max }) = kind {
            bounds::patch(ctx, p, field_id, min, max);
        }
    }

    fn check(&self, field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        let FieldKind::Number(Params { min, max }) = field.kind else {
            return super::spec::mismatch(field);
        };
        match v::parse_integer(text_of(value)) {
            None => bad(
                field,
                "Bitte eine ganze Zahl angeben.",
                "enter a whole number.",
            ),
            Some(n) if min.is_some_and(|m| n < m) => bad(
                field,
                &format!("mindestens {}.", min.unwrap_or(0)),
                &format!("at least {}.", min.unwrap_or(0)),
            ),
            Some(n) if max.is_some_and(|m| n > m) => bad(
                field,
                &format!("höchstens {}.", max.unwrap_or(0)),
                &format!("at most {}.", max.unwrap_or(0)),
            ),
            Some(n) => Ok(Some(AnswerValue::Text(n.to_string()))),
        }
    }

    fn view(&self, _field: &Field, fv: &mut FieldView, _cx: &ViewCtx) {
        fv.inputmode = "numeric";
    }
}
