//! `group`: a repeatable set of sub-fields ("add another"), without JavaScript.
//! Hidden `<base>-count` holds the items shown; buttons `action=add:<group>` (id
//! `<base>-add`) and `action=remove:<group>.<i>`. Sub-field inputs are
//! `f-<group>-<i>-<field>`.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::field::parse_field;
use super::field_view::field_view;
use super::registry::of;
use super::spec::{
    error, field_template, input_base, item_anchor, quote, Checked, Input, Kind, ViewCtx,
};
use crate::forms::answers::{AnswerValue, Answers, FieldError};
use crate::forms::raw::{Ctx, RawField, RawPatch};
use crate::forms::schema::{Field, FieldKind};
use crate::forms::view::{FieldView, ItemView, RenderFn};
use crate::forms::visibility::shown;
use crate::i18n::{I18nText, Lang};

pub(crate) struct Group;
pub(crate) const KIND: Group = Group;

/// The schema keys of a repeatable `group`, with its sub-fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Params {
    pub min_items: u32,
    pub max_items: u32,
    pub item_label: I18nText,
    pub fields: Vec<Field>,
}

impl FieldKind {
    /// The sub-fields of a group; none for other kinds.
    pub fn sub_fields(&self) -> &[Field] {
        match self {
            FieldKind::Group(p) => &p.fields,
            _ => &[],
        }
    }

    /// The sub-fields of a group, to change (overlays remove fields from groups).
    pub(crate) fn sub_fields_mut(&mut self) -> Option<&mut Vec<Field>> {
        match self {
            FieldKind::Group(p) => Some(&mut p.fields),
            _ => None,
        }
    }

    /// How many items a group holds at most.
    pub fn max_items(&self) -> Option<u32> {
        match self {
            FieldKind::Group(p) => Some(p.max_items),
            _ => None,
        }
    }
}

fn sub_fields(ctx: &mut Ctx, raw: &RawField) -> Vec<Field> {
    let Some(fs) = &raw.fields else {
        ctx.err(raw.kind.span(), "type `group` needs `fields`");
        return Vec::new();
    };
    if fs.get_ref().is_empty() {
        ctx.err(fs.span(), "a group needs at least one field");
    }
    let mut fields = Vec::new();
    for f in fs.get_ref() {
        if f.kind.get_ref() == "file" {
            ctx.err(f.kind.span(), "a group cannot contain file fields");
        }
        if let Some(f) = parse_field(ctx, f, true, false) {
            fields.push(f);
        }
    }
    fields
}

impl Kind for Group {
    fn name(&self) -> &'static str {
        "group"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["min_items", "max_items", "fields", "item_label"]
    }

    fn parse(&self, ctx: &mut Ctx, raw: &RawField, in_group: bool) -> FieldKind {
        if in_group {
            ctx.err(raw.kind.span(), "a group cannot contain another group");
        }
        let min_items = super::spec::int_key(ctx, &raw.min_items, "min_items", 0..=20, 0) as u32;
        let max_items = super::spec::int_key(ctx, &raw.max_items, "max_items", 1..=20, 5) as u32;
        if min_items > max_items {
            let span = raw.min_items.as_ref().map_or(raw.id.span(), |v| v.span());
            ctx.err(
                span,
                format!("min_items ({min_items}) is greater than max_items ({max_items})"),
            );
        }
        let item_label = match &raw.item_label {
            Some(t) => ctx.text(t),
            None => {
                ctx.err(raw.kind.span(), "type `group` needs `item_label`");
                I18nText::default()
            }
        };
        FieldKind::Group(Params {
            min_items,
            max_items,
            item_label,
            fields: sub_fields(ctx, raw),
        })
    }

    fn patch(&self, ctx: &mut Ctx, p: &RawPatch, field_id: &str, kind: &mut FieldKind) {
        let FieldKind::Group(Params {
            min_items,
            max_items,
            ..
        }) = kind
        else {
            return;
        };
        if let Some(v) = &p.max_items {
            if *v.get_ref() < 1 {
                ctx.err(v.span(), "`max_items` must be at least 1");
            } else {
                super::spec::narrow_upper(ctx, field_id, v, max_items, "max_items");
                if *min_items > *max_items {
                    let message =
                        format!("min_items ({min_items}) is greater than max_items ({max_items})");
                    ctx.err(v.span(), message);
                }
            }
        }
        if let Some(v) = &p.min_items {
            let max = *max_items;
            if *v.get_ref() > i64::from(max) {
                let message = format!(
                    "min_items ({}) is greater than max_items ({max})",
                    v.get_ref()
                );
                ctx.err(v.span(), message);
            } else {
                super::spec::narrow_lower(ctx, field_id, v, min_items, max, "min_items");
            }
        }
    }

    fn takes_plain_roles(&self) -> bool {
        false
    }

    fn anchor_suffix(&self) -> &'static str {
        "-add"
    }

    fn read(&self, field: &Field, input: Input) -> AnswerValue {
        let FieldKind::Group(Params {
            max_items, fields, ..
        }) = &field.kind
        else {
            return AnswerValue::Group(Vec::new());
        };
        let prev_items = match input.prev {
            Some(AnswerValue::Group(items)) => items.as_slice(),
            _ => &[],
        };
        let count = input
            .raw
            .first(&format!("{}-count", input.base))
            .and_then(|c| c.trim().parse::<usize>().ok())
            .unwrap_or(prev_items.len())
            .min(*max_items as usize);
        let items = (0..count).map(|i| {
            let mut item = Answers::default();
            for sub in fields {
                let sub_base = input_base(Some((&field.id, i)), &sub.id);
                let prev_sub = prev_items.get(i).and_then(|p| p.get(&sub.id));
                let val = of(&sub.kind).read(
                    sub,
                    Input {
                        base: &sub_base,
                        raw: input.raw,
                        prev: prev_sub,
                        errors: &mut *input.errors,
                    },
                );
                item.set(sub.id.clone(), val);
            }
            item
        });
        AnswerValue::Group(items.collect())
    }

    /// Items are validated in [`Kind::validate`]; a group value needs no other check.
    fn check(&self, _field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        Ok(Some(value.clone()))
    }

    fn validate(
        &self,
        field: &Field,
        base: &str,
        map: &mut Answers,
        top: &Answers,
        now: NaiveDateTime,
        errors: &mut Vec<FieldError>,
    ) {
        let FieldKind::Group(Params {
            min_items,
            max_items,
            fields,
            item_label,
        }) = &field.kind
        else {
            return;
        };
        let mut items = match map.remove(&field.id) {
            Some(AnswerValue::Group(items)) => items,
            _ => Vec::new(),
        };
        items.truncate(*max_items as usize);
        let min = if field.required {
            (*min_items).max(1)
        } else {
            *min_items
        };
        if (items.len() as u32) < min {
            let (lde, len) = quote(&field.label);
            errors.push(error(
                format!("{base}-add"),
                field,
                format!("Bei {lde} sind mindestens {min} Einträge nötig."),
                format!("{len} needs at least {min} entries."),
            ));
        }
        for (i, item) in items.iter_mut().enumerate() {
            let snapshot = item.clone();
            for sub in fields {
                let sub_base = input_base(Some((&field.id, i)), &sub.id);
                if !shown(&sub.show_if, Some(&snapshot), top) {
                    item.remove(&sub.id);
                    continue;
                }
                let sub = &in_item(sub, item_label, i);
                of(&sub.kind).validate(sub, &sub_base, item, top, now, errors);
            }
        }
        if !items.is_empty() {
            map.set(field.id.clone(), AnswerValue::Group(items));
        }
    }

    fn display(&self, field: &Field, value: &AnswerValue, lang: Lang) -> String {
        let (
            FieldKind::Group(Params {
                item_label, fields, ..
            }),
            AnswerValue::Group(items),
        ) = (&field.kind, value)
        else {
            return super::spec::plain_display(value);
        };
        let item_text = |(i, item): (usize, &Answers)| {
            let parts: Vec<String> = fields
                .iter()
                .filter_map(|sub| {
                    let val = item.get(&sub.id).filter(|x| x.is_set())?;
                    let shown = of(&sub.kind).display(sub, val, lang);
                    Some(format!("{}: {shown}", sub.label.get(lang)))
                })
                .collect();
            format!("{} {}: {}", item_label.get(lang), i + 1, parts.join("; "))
        };
        let lines: Vec<String> = items.iter().enumerate().map(item_text).collect();
        lines.join("\n")
    }

    fn template(&self) -> RenderFn {
        field_template!("forms/group.html")
    }

    fn view(&self, field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        let FieldKind::Group(Params {
            max_items,
            item_label,
            fields,
            ..
        }) = &field.kind
        else {
            return;
        };
        let list = match cx.value {
            Some(AnswerValue::Group(l)) => l.as_slice(),
            _ => &[],
        };
        fv.can_add = list.len() < *max_items as usize;
        fv.add_label = match cx.lang {
            Lang::De => format!("{} hinzufügen", item_label.de),
            Lang::En => format!("Add {}", item_label.en.to_lowercase()),
        };
        for (i, item) in list.iter().enumerate() {
            let group = Some((field.id.as_str(), i));
            let sub_views = fields
                .iter()
                .map(|sub| field_view(sub, group, item.get(&sub.id), cx.errors, cx.lang))
                .collect();
            fv.items.push(ItemView {
                id: item_anchor(&fv.id, i),
                legend: format!("{} {}", item_label.get(cx.lang), i + 1),
                remove_value: format!("remove:{}.{i}", field.id),
                fields: sub_views,
            });
        }
        fv.count = fv.items.len();
    }
}

/// A field of a group's item, labelled for its messages with the item it is in:
/// "Name von Zeugin/Zeuge 2", so two entries' errors read apart.
fn in_item(sub: &Field, item_label: &I18nText, i: usize) -> Field {
    let n = i + 1;
    let mut named = sub.clone();
    named.label = I18nText::new(
        format!("{} von {} {n}", sub.label.de, item_label.de),
        format!("{} of {} {n}", sub.label.en, item_label.en.to_lowercase()),
    );
    named
}
