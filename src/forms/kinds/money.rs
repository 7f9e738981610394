//! `money`: an amount in euros, stored in cents; `min`/`max` in whole euros.

use chrono::NaiveDateTime;

use super::bounds;
use super::spec::{bad, mismatch, text_of, Checked, Kind, ViewCtx};
use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField, RawPatch};
use crate::forms::schema::{Field, FieldKind};
use crate::forms::values as v;
use crate::forms::view::FieldView;
use crate::i18n::Lang;

pub(crate) struct Money;
pub(crate) const KIND: Money = Money;
pub type Params = bounds::Bounds;

impl Kind for Money {
    fn name(&self) -> &'static str {
        "money"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["min", "max"]
    }

    fn parse(&self, ctx: &mut Ctx, raw: &RawField, _in_group: bool) -> FieldKind {
        let (min, max) = bounds::parse(ctx, raw);
        if min.is_some_and(|m| m < 0) {
            let span = raw.min.as_ref().map(|v| v.span()).unwrap_or(0..0);
            ctx.err(span, "money `min` must not be negative");
        }
        FieldKind::Money(Params { min, max })
    }

    fn patch(&self, ctx: &mut Ctx, p: &RawPatch, field_id: &str, kind: &mut FieldKind) {
        if let FieldKind::Money(Params { min, max }) = kind {
            bounds::patch(ctx, p, field_id, min, max);
        }
    }

    fn check(&self, field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        let FieldKind::Money(Params { min, max }) = field.kind else {
            return mismatch(field);
        };
        let cents = match value {
            AnswerValue::Money(c) => Some(*c),
            _ => v::parse_money_cents(text_of(value)),
        };
        match cents {
            None => bad(
                field,
                "Bitte einen Betrag in Euro angeben, z. B. 1.234,56.",
                "enter an amount in euros, e.g. 1,234.56.",
            ),
            Some(c)
                if min.is_some_and(|m| c < m.saturating_mul(100))
                    || max.is_some_and(|m| c > m.saturating_mul(100)) =>
            {
                let (de, en) = range(min, max).unwrap_or_default();
                bad(
                    field,
                    &format!("Bitte einen Betrag {de} angeben."),
                    &format!("enter an amount {en}."),
                )
            }
            Some(c) => Ok(Some(AnswerValue::Money(c))),
        }
    }

    fn display(&self, _field: &Field, value: &AnswerValue, lang: Lang) -> String {
        match (value, lang) {
            (AnswerValue::Money(c), Lang::De) => format!("{} €", v::format_cents(*c, true)),
            (AnswerValue::Money(c), Lang::En) => format!("€{}", v::format_cents(*c, false)),
            _ => super::spec::plain_display(value),
        }
    }

    fn view(&self, field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        if let Some(AnswerValue::Money(c)) = cx.value {
            fv.value = v::format_cents(*c, cx.lang == Lang::De);
        }
        fv.inputmode = "decimal";
        fv.suffix = "€".into();
        if let FieldKind::Money(Params { min, max }) = field.kind {
            let noun = ["Ein Betrag", "An amount"];
            fv.limit_hint = bounds::limit_hint(min, max, range(min, max), noun, cx.lang);
        }
    }
}

/// The range in whole euros in words, shown before any error and named in it.
fn range(min: Option<i64>, max: Option<i64>) -> Option<(String, String)> {
    bounds::range_words(min, max, |n| (format!("{n} €"), format!("€{n}")))
}
