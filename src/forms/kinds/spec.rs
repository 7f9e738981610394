//! The contract every field kind fulfils, and helpers the kinds share. Each kind
//! implements [`Kind`] in its own file; `kinds/mod.rs` registers it. This module imports
//! no kind, so the kinds can import it.

use std::ops::{Range, RangeInclusive};

use chrono::NaiveDateTime;
use toml::Spanned as S;

use crate::forms::answers::{AnswerValue, Answers, FieldError, RawStepInput};
use crate::forms::raw::{Ctx, RawField, RawPatch};
use crate::forms::schema::{Field, FieldKind, FieldRole};
use crate::forms::values as v;
use crate::forms::view::{FieldView, RenderFn};
use crate::i18n::{I18nText, Lang};

/// A rejected value: the input it is about (suffix of the field's base id) and the
/// message in German and English.
pub(crate) type Invalid = (&'static str, String, String);
/// A normalised value (None = empty), or why it was rejected.
pub(crate) type Checked = Result<Option<AnswerValue>, Invalid>;

/// What a required field that was left empty asks for.
#[derive(Clone, Copy)]
pub(crate) enum Missing {
    FillIn,
    /// A list to choose from (select, country, checkboxes): named, as its label is short.
    Choose,
    /// Radio buttons right under their question: a short message, no repeated question.
    Pick,
    /// Yes/no radios: "Ja oder Nein".
    YesOrNo,
    Upload,
}

/// What a kind needs to fill its part of a [`FieldView`].
pub(crate) struct ViewCtx<'a> {
    /// The field's input base id (`f-<field>` or `f-<group>-<i>-<field>`).
    pub base: &'a str,
    pub value: Option<&'a AnswerValue>,
    /// All errors of the step (a group passes them on to its items).
    pub errors: &'a [FieldError],
    /// The input this field's error is about, as a suffix of `base` ("", "-to-date").
    pub error_input: Option<&'a str>,
    pub lang: Lang,
}

/// A [`RenderFn`] for one template under `templates/`, which sees the field as `f` and
/// the interface texts as `t`.
macro_rules! field_template {
    ($path:literal) => {{
        #[derive(askama::Template)]
        #[template(path = $path)]
        struct Html<'a> {
            f: &'a crate::forms::view::FieldView,
            t: &'a crate::forms::view::Texts,
        }
        let render: crate::forms::view::RenderFn = |f, t| askama::Template::render(&Html { f, t });
        render
    }};
}
pub(crate) use field_template;

/// What a kind reads one field's value from.
pub(crate) struct Input<'a> {
    /// The field's input base id.
    pub base: &'a str,
    pub raw: &'a RawStepInput,
    /// The value stored before this POST (kept files, group items).
    pub prev: Option<&'a AnswerValue>,
    /// Problems found while reading (a rejected upload).
    pub errors: &'a mut Vec<FieldError>,
}

/// One field kind (`type = "..."`): its schema keys, how it reads, checks, shows and
/// renders a value.
pub(crate) trait Kind: Sync {
    /// The name used in TOML.
    fn name(&self) -> &'static str;

    /// The optional schema keys this kind takes besides the common ones.
    fn keys(&self) -> &'static [&'static str] {
        &[]
    }

    /// Builds the kind from its schema keys; problems go to `ctx` with their lines.
    fn parse(&self, ctx: &mut Ctx, raw: &RawField, in_group: bool) -> FieldKind;

    /// Applies an overlay's `[[patch]]` keys of this kind; it may only narrow.
    fn patch(&self, _ctx: &mut Ctx, _p: &RawPatch, _field_id: &str, _kind: &mut FieldKind) {}

    /// Roles that need a particular kind and that this kind can carry.
    fn roles(&self) -> &'static [FieldRole] {
        &[]
    }

    /// Whether roles that need no particular kind (names, street, ...) fit this kind.
    fn takes_plain_roles(&self) -> bool {
        true
    }

    /// The values a condition may compare this field with, if the set is fixed.
    fn condition_values<'a>(&self, _kind: &'a FieldKind) -> Option<Vec<&'a str>> {
        None
    }

    /// Suffix of the input an error links to (the first input of the field).
    fn anchor_suffix(&self) -> &'static str {
        ""
    }

    /// Suffixes of further inputs an error can be about (besides base and anchor).
    fn input_suffixes(&self) -> &'static [&'static str] {
        &[]
    }

    fn missing(&self) -> Missing {
        Missing::FillIn
    }

    /// Reads the raw input of a POST. Invalid values are kept as entered.
    fn read(&self, _field: &Field, input: Input) -> AnswerValue {
        AnswerValue::Text(text_input(input.raw, input.base).trim().to_string())
    }

    /// Checks a value that is set; returns it normalised.
    fn check(&self, field: &Field, value: &AnswerValue, now: NaiveDateTime) -> Checked;

    /// Validates the field's entry in `map` in place (normalising it, or keeping the raw
    /// input on error). `top` is the whole answer set, for conditions inside groups.
    fn validate(
        &self,
        field: &Field,
        base: &str,
        map: &mut Answers,
        _top: &Answers,
        now: NaiveDateTime,
        errors: &mut Vec<FieldError>,
    ) {
        validate_value(self, field, base, map, now, errors)
    }

    /// Plain-text display on the review page and in the report.
    fn display(&self, _field: &Field, value: &AnswerValue, _lang: Lang) -> String {
        plain_display(value)
    }

    /// Fills the kind's part of the view (input attributes, options, ...).
    fn view(&self, field: &Field, fv: &mut FieldView, cx: &ViewCtx);

    /// How the view renders: a one-line input unless the kind has its own template.
    fn template(&self) -> RenderFn {
        field_template!("forms/input.html")
    }
}

/// The default validation: required check, then [`Kind::check`].
pub(crate) fn validate_value<K: Kind + ?Sized>(
    kind: &K,
    field: &Field,
    base: &str,
    map: &mut Answers,
    now: NaiveDateTime,
    errors: &mut Vec<FieldError>,
) {
    let value = map
        .get(&field.id)
        .cloned()
        .unwrap_or(AnswerValue::Text(String::new()));
    let checked = if value.is_set() {
        kind.check(field, &value, now)
    } else if field.required {
        Err(missing(kind, field))
    } else {
        Ok(None)
    };
    match checked {
        Ok(Some(norm)) => map.set(field.id.clone(), norm),
        Ok(None) => {
            map.remove(&field.id);
        }
        Err((suffix, de, en)) => errors.push(error(format!("{base}{suffix}"), field, de, en)),
    }
}

fn missing<K: Kind + ?Sized>(kind: &K, field: &Field) -> Invalid {
    let (lde, len) = quote(&field.label);
    let (de, en) = match kind.missing() {
        Missing::Choose => (
            format!("Bitte wählen Sie bei {lde} eine Antwort aus."),
            format!("Please choose an answer for {len}."),
        ),
        Missing::Pick => (
            "Bitte wählen Sie eine Antwort aus.".to_string(),
            "Select an answer.".to_string(),
        ),
        Missing::YesOrNo => (
            "Bitte wählen Sie Ja oder Nein.".to_string(),
            "Select yes or no.".to_string(),
        ),
        Missing::Upload => (
            format!("Bitte laden Sie bei {lde} eine Datei hoch."),
            format!("Please upload a file for {len}."),
        ),
        Missing::FillIn => (
            format!("Bitte füllen Sie {lde} aus."),
            format!("Please fill in {len}."),
        ),
    };
    (kind.anchor_suffix(), de, en)
}

pub(crate) fn error(input_id: String, field: &Field, de: String, en: String) -> FieldError {
    FieldError {
        input_id,
        field_id: field.id.clone(),
        message: I18nText::new(de, en),
    }
}

/// A field's label in German and English quotation marks.
pub(crate) fn quote(label: &I18nText) -> (String, String) {
    (format!("„{}“", label.de), format!("“{}”", label.en))
}

/// "<label>: <message>" about the field's main input.
pub(crate) fn bad(field: &Field, de: &str, en: &str) -> Checked {
    let (lde, len) = quote(&field.label);
    Err(("", format!("{lde}: {de}"), format!("{len}: {en}")))
}

/// A text value a parser accepted, or the parser's complaint.
pub(crate) fn parsed(field: &Field, value: Option<String>, de: &str, en: &str) -> Checked {
    match value {
        Some(s) => Ok(Some(AnswerValue::Text(s))),
        None => bad(field, de, en),
    }
}

/// The value has a shape this kind never stores (e.g. a list for a text field).
pub(crate) fn mismatch(field: &Field) -> Checked {
    bad(
        field,
        "Die Angabe passt nicht zum Feld.",
        "the answer does not fit this field.",
    )
}

/// The text of a text value; other shapes read as empty.
pub(crate) fn text_of(value: &AnswerValue) -> &str {
    match value {
        AnswerValue::Text(s) => s,
        _ => "",
    }
}

/// One input of the POST, with browser line endings normalised.
pub(crate) fn text_input(raw: &RawStepInput, name: &str) -> String {
    raw.first(name).unwrap_or("").replace("\r\n", "\n")
}

/// Display of a value by its shape alone.
pub(crate) fn plain_display(value: &AnswerValue) -> String {
    match value {
        AnswerValue::Text(s) => s.clone(),
        AnswerValue::List(l) => l.join(", "),
        AnswerValue::Group(items) => format!("{} items", items.len()),
        AnswerValue::Money(c) => c.to_string(),
        AnswerValue::Span(s) => s.from_date.clone(),
        AnswerValue::Files(f) => format!("{} files", f.len()),
    }
}

/// An ISO date as "27.03.1985" (German) or "27/03/1985" (English); as stored otherwise.
pub(crate) fn local_date(iso: &str, lang: Lang) -> String {
    match v::parse_date(iso) {
        Some(d) if lang == Lang::De => d.format("%d.%m.%Y").to_string(),
        Some(d) => d.format("%d/%m/%Y").to_string(),
        None => iso.to_string(),
    }
}

/// An optional integer key within `range`, or `default`.
pub(crate) fn int_key(
    ctx: &mut Ctx,
    v: &Option<S<i64>>,
    name: &str,
    range: RangeInclusive<i64>,
    default: i64,
) -> i64 {
    v.as_ref()
        .map(|v| ctx.int(v, name, range))
        .unwrap_or(default)
}

/// Reports an overlay patch that would loosen a constraint.
pub(crate) fn widen(ctx: &mut Ctx, field_id: &str, span: Range<usize>, what: &str) {
    ctx.err(span, format!("patch `{field_id}`: widening `{what}` is not allowed (an overlay may only narrow constraints)"));
}

/// Patches an upper bound: it may only go down (and not below 0).
pub(crate) fn narrow_upper(ctx: &mut Ctx, field_id: &str, v: &S<i64>, cur: &mut u32, what: &str) {
    let new = *v.get_ref();
    if new >= 0 && new <= i64::from(*cur) {
        *cur = new as u32;
    } else {
        widen(ctx, field_id, v.span(), what);
    }
}

/// Patches a lower bound: it may only go up, to at most `max`.
pub(crate) fn narrow_lower(
    ctx: &mut Ctx,
    field_id: &str,
    v: &S<i64>,
    cur: &mut u32,
    max: u32,
    what: &str,
) {
    let new = *v.get_ref();
    if new >= i64::from(*cur) && new <= i64::from(max) {
        *cur = new as u32;
    } else {
        widen(ctx, field_id, v.span(), what);
    }
}

/// The element id of item `i` of the group whose inputs start with `base` (`f-zeugen`):
/// "add" and "remove" land there with a URL fragment. Sub-field ids continue with a digit
/// (`f-zeugen-0-name`), so `item-` cannot clash with them.
pub fn item_anchor(base: &str, i: usize) -> String {
    format!("{base}-item-{i}")
}

/// HTML id/name of a field: `f-<field>`, or `f-<group>-<i>-<field>` inside a group item.
pub fn input_base(group: Option<(&str, usize)>, field_id: &str) -> String {
    match group {
        Some((g, i)) => format!("f-{g}-{i}-{field_id}"),
        None => format!("f-{field_id}"),
    }
}
