//! `country`: a drop-down of all countries, stored as the ISO code.

use chrono::NaiveDateTime;

use super::choice::SELECT_HTML;
use super::NoKeys;
use super::spec::{parsed, text_of, Checked, Kind, Missing, ViewCtx};
use crate::forms::answers::AnswerValue;
use crate::forms::countries::{country, COUNTRIES};
use crate::forms::raw::{Ctx, RawField};
use crate::forms::schema::{Field, FieldKind};
use crate::forms::view::{FieldView, OptionView, RenderFn};
use crate::i18n::Lang;

pub(crate) struct Country;
pub(crate) const KIND: Country = Country;
pub type Params = NoKeys;

impl Kind for Country {
    fn name(&self) -> &'static str {
        "country"
    }

    fn parse(&self, _ctx: &mut Ctx, _raw: &RawField, _in_group: bool) -> FieldKind {
        FieldKind::Country(NoKeys {})
    }

    fn missing(&self) -> Missing {
        Missing::Choose
    }

    fn check(&self, field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        parsed(
            field,
            country(text_of(value)).map(|c| c.code.to_string()),
            "Bitte ein Land aus der Liste wählen.",
            "choose a country from the list.",
        )
    }

    fn display(&self, _field: &Field, value: &AnswerValue, lang: Lang) -> String {
        match country(text_of(value)) {
            Some(c) => lang.t(c.de, c.en).to_string(),
            None => super::spec::plain_display(value),
        }
    }

    fn template(&self) -> RenderFn {
        SELECT_HTML
    }

    fn view(&self, _field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        fv.options = COUNTRIES
            .iter()
            .map(|c| OptionView {
                id: String::new(),
                value: c.code.into(),
                label: cx.lang.t(c.de, c.en).into(),
                checked: cx.value.is_some_and(|a| a.matches(c.code)),
                controls: String::new(),
                nested: Vec::new(),
            })
            .collect();
    }
}
