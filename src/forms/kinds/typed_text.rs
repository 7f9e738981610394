//! A one-line input whose value a parser checks and normalises (e-mail, IBAN, ...).
//! The kinds built on it each declare theirs in one constant in their own file.

use chrono::NaiveDateTime;

use super::spec::{parsed, text_of, Checked, Kind, ViewCtx};
use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField};
use crate::forms::schema::{Field, FieldKind, FieldRole};
use crate::forms::view::FieldView;

pub(crate) struct TypedText {
    pub name: &'static str,
    /// The schema value of the kind (these kinds take no keys).
    pub kind: fn() -> FieldKind,
    /// Normalises what was typed, or None if it is not a valid value.
    pub parse: fn(&str) -> Option<String>,
    /// What is wrong, in German and English, after "<label>: ".
    pub de: &'static str,
    pub en: &'static str,
    pub input_type: &'static str,
    pub inputmode: &'static str,
    pub maxlength: u32,
    pub roles: &'static [FieldRole],
}

impl Kind for TypedText {
    fn name(&self) -> &'static str {
        self.name
    }

    fn parse(&self, _ctx: &mut Ctx, _raw: &RawField, _in_group: bool) -> FieldKind {
        (self.kind)()
    }

    fn roles(&self) -> &'static [FieldRole] {
        self.roles
    }

    fn check(&self, field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        parsed(field, (self.parse)(text_of(value)), self.de, self.en)
    }

    fn view(&self, _field: &Field, fv: &mut FieldView, _cx: &ViewCtx) {
        fv.input_type = self.input_type;
        fv.inputmode = self.inputmode;
        fv.maxlength = self.maxlength;
    }
}
