//! What `select`, `radio` and `checkboxes` share: the `options` key, option views and
//! option labels for display; and the one-answer behaviour of `select` and `radio`.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::spec::{field_template, quote, text_of, Checked, Kind, Missing, ViewCtx};
use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField};
use crate::forms::schema::{Choice, Field, FieldKind, FieldRole};
use crate::forms::view::{FieldView, OptionView, RenderFn};
use crate::i18n::Lang;

/// The schema keys of `select`, `radio` and `checkboxes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Options {
    pub options: Vec<Choice>,
}

impl FieldKind {
    /// The options of a `select`, `radio` or `checkboxes` field.
    pub fn options(&self) -> Option<&[Choice]> {
        match self {
            FieldKind::Select(o) | FieldKind::Radio(o) | FieldKind::Checkboxes(o) => {
                Some(&o.options)
            }
            _ => None,
        }
    }

    pub(crate) fn options_mut(&mut self) -> Option<&mut Vec<Choice>> {
        match self {
            FieldKind::Select(o) | FieldKind::Radio(o) | FieldKind::Checkboxes(o) => {
                Some(&mut o.options)
            }
            _ => None,
        }
    }
}

/// Reads the required, non-empty `options`.
pub(crate) fn parse_options(ctx: &mut Ctx, raw: &RawField, kind_name: &str) -> Vec<Choice> {
    match &raw.options {
        Some(o) => {
            if o.get_ref().is_empty() {
                ctx.err(o.span(), "`options` must not be empty");
            }
            ctx.choices(o, &mut BTreeSet::new())
        }
        None => {
            ctx.err(
                raw.kind.span(),
                format!("type `{kind_name}` needs `options`"),
            );
            Vec::new()
        }
    }
}

/// One option view per choice; ids are `<base>-<k>`.
pub(crate) fn option_views(
    options: &[Choice],
    base: &str,
    value: Option<&AnswerValue>,
    lang: Lang,
) -> Vec<OptionView> {
    options
        .iter()
        .enumerate()
        .map(|(k, c)| option_view(base, k, &c.value, c.label.get(lang), value))
        .collect()
}

pub(crate) fn option_view(
    base: &str,
    k: usize,
    value: &str,
    label: &str,
    answer: Option<&AnswerValue>,
) -> OptionView {
    OptionView {
        id: format!("{base}-{k}"),
        value: value.to_string(),
        label: label.to_string(),
        checked: answer.is_some_and(|a| a.matches(value)),
        controls: String::new(),
        nested: Vec::new(),
    }
}

/// The values a condition may compare with.
pub(crate) fn values(options: &[Choice]) -> Option<Vec<&str>> {
    Some(options.iter().map(|c| c.value.as_str()).collect())
}

/// The label of an option value, or the value itself if it is not an option.
pub(crate) fn label(field: &Field, value: &str, lang: Lang) -> String {
    field
        .kind
        .options()
        .and_then(|o| o.iter().find(|c| c.value == value))
        .map(|c| c.label.get(lang).to_string())
        .unwrap_or_else(|| value.to_string())
}

/// The templates of the choice kinds; `country` and `yes_no` reuse them.
pub(crate) const SELECT_HTML: RenderFn = field_template!("forms/select.html");
pub(crate) const RADIOS_HTML: RenderFn = field_template!("forms/radios.html");

/// A choice of one option (`select`, `radio`); each declares itself in its own file.
pub(crate) struct SingleChoice {
    pub name: &'static str,
    /// The schema value of the kind, from its options.
    pub kind: fn(Vec<Choice>) -> FieldKind,
    pub template: RenderFn,
    /// Where errors link: a select is one input, radios link to their first option (`-0`).
    pub anchor: &'static str,
    /// What an empty required answer says.
    pub missing: Missing,
}

impl Kind for SingleChoice {
    fn name(&self) -> &'static str {
        self.name
    }

    fn keys(&self) -> &'static [&'static str] {
        &["options"]
    }

    fn parse(&self, ctx: &mut Ctx, raw: &RawField, _in_group: bool) -> FieldKind {
        (self.kind)(parse_options(ctx, raw, self.name))
    }

    fn roles(&self) -> &'static [FieldRole] {
        &[FieldRole::SceneKind, FieldRole::ReporterKind]
    }

    fn condition_values<'a>(&self, kind: &'a FieldKind) -> Option<Vec<&'a str>> {
        values(kind.options()?)
    }

    fn anchor_suffix(&self) -> &'static str {
        self.anchor
    }

    fn missing(&self) -> Missing {
        self.missing
    }

    fn check(&self, field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        let options = field.kind.options().unwrap_or_default();
        let text = text_of(value);
        if options.iter().any(|o| o.value == text) {
            return Ok(Some(AnswerValue::Text(text.to_string())));
        }
        let (lde, len) = quote(&field.label);
        Err((
            self.anchor,
            format!("Bitte wählen Sie bei {lde} eine der Antworten aus."),
            format!("Please choose one of the answers for {len}."),
        ))
    }

    fn display(&self, field: &Field, value: &AnswerValue, lang: Lang) -> String {
        label(field, text_of(value), lang)
    }

    fn template(&self) -> RenderFn {
        self.template
    }

    fn view(&self, field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        let options = field.kind.options().unwrap_or_default();
        fv.options = option_views(options, cx.base, cx.value, cx.lang);
        if self.anchor.is_empty() {
            // One <select>: its options need no ids of their own.
            fv.options.iter_mut().for_each(|o| o.id.clear());
        }
    }
}
