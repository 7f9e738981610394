//! `yes_no`: two radio buttons, stored as `yes` or `no`.

use chrono::NaiveDateTime;

use super::choice::{option_view, RADIOS_HTML};
use super::NoKeys;
use super::spec::{quote, text_of, Checked, Kind, Missing, ViewCtx};
use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField};
use crate::forms::schema::{Field, FieldKind, FieldRole};
use crate::forms::view::{FieldView, RenderFn};
use crate::i18n::Lang;

pub(crate) struct YesNo;
pub(crate) const KIND: YesNo = YesNo;
pub type Params = NoKeys;

impl Kind for YesNo {
    fn name(&self) -> &'static str {
        "yes_no"
    }

    fn parse(&self, _ctx: &mut Ctx, _raw: &RawField, _in_group: bool) -> FieldKind {
        FieldKind::YesNo(NoKeys {})
    }

    fn roles(&self) -> &'static [FieldRole] {
        &[FieldRole::Consent]
    }

    fn condition_values<'a>(&self, _kind: &'a FieldKind) -> Option<Vec<&'a str>> {
        Some(vec!["yes", "no"])
    }

    fn anchor_suffix(&self) -> &'static str {
        "-0"
    }

    fn missing(&self) -> Missing {
        Missing::YesOrNo
    }

    fn check(&self, field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        let text = text_of(value);
        if text == "yes" || text == "no" {
            return Ok(Some(AnswerValue::Text(text.to_string())));
        }
        let (lde, len) = quote(&field.label);
        Err((
            "-0",
            format!("Bitte wählen Sie bei {lde} Ja oder Nein."),
            format!("Please choose yes or no for {len}."),
        ))
    }

    fn display(&self, _field: &Field, value: &AnswerValue, lang: Lang) -> String {
        match text_of(value) {
            "yes" => lang.t("Ja", "Yes").to_string(),
            "no" => lang.t("Nein", "No").to_string(),
            _ => super::spec::plain_display(value),
        }
    }

    fn template(&self) -> RenderFn {
        RADIOS_HTML
    }

    fn view(&self, _field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        let lang = cx.lang;
        fv.options = vec![
            option_view(cx.base, 0, "yes", lang.t("Ja", "Yes"), cx.value),
            option_view(cx.base, 1, "no", lang.t("Nein", "No"), cx.value),
        ];
    }
}
