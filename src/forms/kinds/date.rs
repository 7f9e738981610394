//! `date`: one date input (ISO from the browser's picker, or "28.11.2026" typed);
//! `not_in_future` rejects later days. Stored as ISO `YYYY-MM-DD`.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::spec::{bad, local_date, text_of, widen, Checked, Kind, ViewCtx};
use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField, RawPatch};
use crate::forms::schema::{Field, FieldKind, FieldRole};
use crate::forms::values as v;
use crate::forms::view::FieldView;
use crate::i18n::Lang;

pub(crate) struct Date;
pub(crate) const KIND: Date = Date;

/// The schema keys of a `date` field (and of `memorable_date`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Params {
    pub not_in_future: bool,
}

/// `not_in_future` may be switched on by an overlay, never off.
pub(crate) fn patch_not_in_future(ctx: &mut Ctx, p: &RawPatch, field_id: &str, cur: &mut bool) {
    if let Some(v) = &p.not_in_future {
        if *cur && !*v.get_ref() {
            widen(ctx, field_id, v.span(), "not_in_future");
        }
        *cur = *cur || *v.get_ref();
    }
}

pub(crate) fn not_in_future(raw: &RawField) -> bool {
    raw.not_in_future.as_ref().is_some_and(|v| *v.get_ref())
}

impl Kind for Date {
    fn name(&self) -> &'static str {
        "date"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["not_in_future"]
    }

    fn parse(&self, _ctx: &mut Ctx, raw: &RawField, _in_group: bool) -> FieldKind {
        FieldKind::Date(Params {
            not_in_future: not_in_future(raw),
        })
    }

    fn patch(&self, ctx: &mut Ctx, p: &RawPatch, field_id: &str, kind: &mut FieldKind) {
        if let FieldKind::Date(Params { not_in_future }) = kind {
            patch_not_in_future(ctx, p, field_id, not_in_future);
        }
    }

    fn roles(&self) -> &'static [FieldRole] {
        &[FieldRole::ReporterBirthDate]
    }

    fn check(&self, field: &Field, value: &AnswerValue, now: NaiveDateTime) -> Checked {
        let future_ok = !matches!(
            field.kind,
            FieldKind::Date(Params {
                not_in_future: true
            })
        );
        match v::parse_date(text_of(value)) {
            None => bad(
                field,
                "Bitte ein Datum wie 28.11.2026 angeben.",
                "enter a date like 28.11.2026.",
            ),
            Some(d) if !future_ok && d > now.date() => bad(
                field,
                "Das Datum darf nicht in der Zukunft liegen.",
                "the date must not be in the future.",
            ),
            Some(d) => Ok(Some(AnswerValue::Text(d.format("%Y-%m-%d").to_string()))),
        }
    }

    fn display(&self, _field: &Field, value: &AnswerValue, lang: Lang) -> String {
        local_date(text_of(value), lang)
    }

    fn view(&self, _field: &Field, fv: &mut FieldView, _cx: &ViewCtx) {
        fv.input_type = "date";
    }
}
