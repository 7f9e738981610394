//! `time`: a time of day ("14:30", "14.30"), stored as `HH:MM`.

use chrono::NaiveDateTime;

use super::NoKeys;
use super::spec::{bad, text_of, Checked, Kind, ViewCtx};
use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField};
use crate::forms::schema::{Field, FieldKind};
use crate::forms::values as v;
use crate::forms::view::FieldView;

pub(crate) struct Time;
pub(crate) const KIND: Time = Time;
pub type Params = NoKeys;

impl Kind for Time {
    fn name(&self) -> &'static str {
        "time"
    }

    fn parse(&self, _ctx: &mut Ctx, _raw: &RawField, _in_group: bool) -> FieldKind {
        FieldKind::Time(NoKeys {})
    }

    fn check(&self, field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        match v::parse_time(text_of(value)) {
            None => bad(
                field,
                "Bitte eine Uhrzeit wie 14:30 angeben.",
                "enter a time like 14:30.",
            ),
            Some(tm) => Ok(Some(AnswerValue::Text(tm.format("%H:%M").to_string()))),
        }
    }

    fn view(&self, _field: &Field, fv: &mut FieldView, _cx: &ViewCtx) {
        fv.input_type = "time";
    }
}
