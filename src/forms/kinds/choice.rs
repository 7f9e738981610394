//! What `select`, `radio` and `checkboxes` share: the `options` key, option views and
//! option labels for display.

use std::collections::BTreeSet;

use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField};
use crate::forms::schema::{Choice, Field};
use crate::forms::view::OptionView;
use crate::i18n::Lang;

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

/// "Please choose one of the answers" for a single choice (select or radios).
pub(crate) fn check_one(
    field: &Field,
    options: &[Choice],
    value: &AnswerValue,
    suffix: &'static str,
) -> super::spec::Checked {
    let text = super::spec::text_of(value);
    if options.iter().any(|o| o.value == text) {
        return Ok(Some(AnswerValue::Text(text.to_string())));
    }
    let (lde, len) = super::spec::quote(&field.label);
    Err((
        suffix,
        format!("Bitte wählen Sie bei {lde} eine der Antworten aus."),
        format!("Please choose one of the answers for {len}."),
    ))
}
