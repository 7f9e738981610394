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
            Some(n) if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) => {
                let (de, en) = range(min, max).unwrap_or_default();
                bad(
                    field,
                    &format!("Bitte eine ganze Zahl {de} angeben."),
                    &format!("enter a whole number {en}."),
                )
            }
            Some(n) => Ok(Some(AnswerValue::Text(n.to_string()))),
        }
    }

    fn view(&self, field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        fv.inputmode = "numeric";
        if let FieldKind::Number(Params { min, max }) = field.kind {
            let noun = ["Eine ganze Zahl", "A whole number"];
            fv.limit_hint = bounds::limit_hint(min, max, range(min, max), noun, cx.lang);
        }
    }
}

/// The range in words, shown before any error and named in it.
fn range(min: Option<i64>, max: Option<i64>) -> Option<(String, String)> {
    bounds::range_words(min, max, |n| (n.to_string(), n.to_string()))
}
