//! The view of one field: the parts every kind shares (label, hint, error, ids), then
//! the kind's own (see [`super::spec::Kind::view`]).

use super::registry::of;
use super::spec::{input_base, ViewCtx};
use crate::forms::answers::{AnswerValue, FieldError};
use crate::forms::schema::Field;
use crate::forms::view::FieldView;
use crate::i18n::Lang;

pub(crate) fn field_view(
    f: &Field,
    group: Option<(&str, usize)>,
    value: Option<&AnswerValue>,
    errors: &[FieldError],
    lang: Lang,
) -> FieldView {
    let kind = of(&f.kind);
    let base = input_base(group, &f.id);
    let found = errors.iter().find(|e| {
        e.field_id == f.id
            && e.input_id
                .strip_prefix(base.as_str())
                .is_some_and(|suffix| {
                    suffix.is_empty()
                        || suffix == kind.anchor_suffix()
                        || kind.input_suffixes().contains(&suffix)
                })
    });
    let hint = f
        .hint
        .as_ref()
        .map(|h| h.get(lang).to_string())
        .unwrap_or_default();
    let autocomplete = f
        .autocomplete
        .clone()
        .or_else(|| f.role.and_then(|r| r.autocomplete()).map(str::to_string))
        .unwrap_or_default();
    let mut fv = FieldView {
        render: Some(kind.template()),
        id: base.clone(),
        name: base.clone(),
        label: f.label.get(lang).to_string(),
        hint,
        required: f.required,
        error: found
            .map(|e| e.message.get(lang).to_string())
            .unwrap_or_default(),
        value: match value {
            Some(AnswerValue::Text(s)) => s.clone(),
            _ => String::new(),
        },
        input_type: "text",
        autocomplete,
        add_value: format!("add:{}", f.id),
        ..FieldView::default()
    };
    let cx = ViewCtx {
        base: &base,
        value,
        errors,
        error_input: found.and_then(|e| e.input_id.strip_prefix(base.as_str())),
        lang,
    };
    kind.view(f, &mut fv, &cx);
    let mut describedby = Vec::new();
    if !fv.hint.is_empty() {
        describedby.push(format!("{base}-hint"));
    }
    if !fv.limit_hint.is_empty() {
        describedby.push(format!("{base}-limit"));
    }
    if !fv.error.is_empty() {
        describedby.push(format!("{base}-error"));
    }
    fv.describedby = describedby.join(" ");
    fv
}
