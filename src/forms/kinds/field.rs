//! Converting one `[[fields]]` table: the keys every field has, then its kind's own.

use super::registry::{named, names};
use crate::forms::raw::{Ctx, RawField};
use crate::forms::schema::{Field, FieldRole};

/// Which optional kind keys were written, and where.
fn written_keys(raw: &RawField) -> [(&'static str, Option<std::ops::Range<usize>>); 14] {
    [
        ("max_length", raw.max_length.as_ref().map(|v| v.span())),
        ("pattern", raw.pattern.as_ref().map(|v| v.span())),
        (
            "not_in_future",
            raw.not_in_future.as_ref().map(|v| v.span()),
        ),
        ("min", raw.min.as_ref().map(|v| v.span())),
        ("max", raw.max.as_ref().map(|v| v.span())),
        ("options", raw.options.as_ref().map(|v| v.span())),
        ("max_files", raw.max_files.as_ref().map(|v| v.span())),
        ("max_size_kb", raw.max_size_kb.as_ref().map(|v| v.span())),
        ("accept", raw.accept.as_ref().map(|v| v.span())),
        ("min_items", raw.min_items.as_ref().map(|v| v.span())),
        ("max_items", raw.max_items.as_ref().map(|v| v.span())),
        ("fields", raw.fields.as_ref().map(|v| v.span())),
        // A translated text has no span of its own; the `type` line stands for it.
        (
            "item_label",
            raw.item_label.as_ref().map(|_| raw.kind.span()),
        ),
        (
            "pattern_hint",
            raw.pattern_hint.as_ref().map(|_| raw.kind.span()),
        ),
    ]
}

/// Converts one field definition. `placement` allows `step`/`after` (overlay adds).
pub(crate) fn parse_field(
    ctx: &mut Ctx,
    raw: &RawField,
    in_group: bool,
    placement: bool,
) -> Option<Field> {
    let id = ctx.id(&raw.id, "field", false);
    if !placement {
        for key in [&raw.step, &raw.after].into_iter().flatten() {
            ctx.err(
                key.span(),
                "`step` and `after` are only allowed in `add_fields`",
            );
        }
    }
    let kind_name = raw.kind.get_ref().as_str();
    let Some(kind) = named(kind_name) else {
        let known = names().join(", ");
        let message = format!("unknown field type `{kind_name}` (known: {known})");
        ctx.err(raw.kind.span(), message);
        return None;
    };
    for (key, span) in written_keys(raw) {
        if let Some(span) = span {
            if !kind.keys().contains(&key) {
                ctx.err(
                    span,
                    format!("`{key}` does not apply to type `{kind_name}`"),
                );
            }
        }
    }
    let field_kind = kind.parse(ctx, raw, in_group);
    let role = raw.role.as_ref().and_then(|r| {
        let role = FieldRole::parse(r.get_ref());
        if role.is_none() {
            ctx.err(r.span(), format!("unknown role `{}`", r.get_ref()));
        }
        role
    });
    let mut at = ctx.at(raw.id.span());
    let show_if = raw.show_if.as_ref().and_then(|c| {
        at.show_if_line = ctx.line(c.span());
        ctx.condition(c, None)
    });
    let exit_if = match &raw.exit_if {
        Some(e) => {
            at.exit_if_line = ctx.line(e.span());
            ctx.exits(e, &id)
        }
        None => Vec::new(),
    };
    Some(Field {
        id,
        kind: field_kind,
        label: ctx.text(&raw.label),
        hint: raw.hint.as_ref().map(|h| ctx.text(h)),
        required: raw.required.as_ref().is_some_and(|r| *r.get_ref()),
        role,
        autocomplete: raw.autocomplete.as_ref().map(|a| a.get_ref().clone()),
        show_if,
        exit_if,
        at,
    })
}
