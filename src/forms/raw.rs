//! The TOML shape of form files, with spans, and its resolution into `schema` types.
//! Every problem is collected with its line; nothing here panics on bad input.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::Spanned as S;

use super::schema::{
    At, Choice, Condition, ExitRule, Field, FieldKind, FieldRole, FileType, Referral, Step,
};
use super::Problem;
use crate::i18n::I18nText;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawText {
    de: S<String>,
    en: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    value: S<String>,
    label: RawText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    field: Option<S<String>>,
    equals: Option<S<String>>,
    #[serde(rename = "in")]
    one_of: Option<S<Vec<String>>>,
    set: Option<S<bool>>,
    not: Option<Box<S<RawCondition>>>,
    all: Option<Vec<S<RawCondition>>>,
    any: Option<Vec<S<RawCondition>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExit {
    when: Option<S<RawCondition>>,
    equals: Option<S<String>>,
    #[serde(rename = "in")]
    one_of: Option<S<Vec<String>>>,
    referral: RawReferral,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReferral {
    title: RawText,
    body: RawText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawField {
    id: S<String>,
    #[serde(rename = "type")]
    kind: S<String>,
    label: RawText,
    hint: Option<RawText>,
    required: Option<S<bool>>,
    role: Option<S<String>>,
    autocomplete: Option<S<String>>,
    show_if: Option<S<RawCondition>>,
    exit_if: Option<S<Vec<RawExit>>>,
    max_length: Option<S<i64>>,
    pattern: Option<S<String>>,
    not_in_future: Option<S<bool>>,
    min: Option<S<i64>>,
    max: Option<S<i64>>,
    options: Option<S<Vec<RawChoice>>>,
    max_files: Option<S<i64>>,
    max_size_kb: Option<S<i64>>,
    accept: Option<S<Vec<String>>>,
    min_items: Option<S<i64>>,
    max_items: Option<S<i64>>,
    item_label: Option<RawText>,
    fields: Option<S<Vec<RawField>>>,
    /// Overlay `add_fields` only: the step to add to, and the field to insert after.
    step: Option<S<String>>,
    after: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    id: Option<S<String>>,
    #[serde(rename = "use")]
    use_: Option<S<String>>,
    title: Option<S<RawText>>,
    intro: Option<RawText>,
    show_if: Option<S<RawCondition>>,
    fields: Option<Vec<RawField>>,
    /// Overlay `add_steps` only: insert after this step.
    after: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPatch {
    field: S<String>,
    label: Option<RawText>,
    hint: Option<RawText>,
    required: Option<S<bool>>,
    max_length: Option<S<i64>>,
    pattern: Option<S<String>>,
    not_in_future: Option<S<bool>>,
    min: Option<S<i64>>,
    max: Option<S<i64>>,
    max_files: Option<S<i64>>,
    max_size_kb: Option<S<i64>>,
    min_items: Option<S<i64>>,
    max_items: Option<S<i64>>,
    add_options: Option<S<Vec<RawChoice>>>,
    remove_options: Option<Vec<S<String>>>,
    relabel_options: Option<Vec<RawChoice>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStepPatch {
    step: S<String>,
    title: Option<RawText>,
    intro: Option<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawForm {
    id: S<String>,
    version: S<i64>,
    category: Option<S<String>>,
    extends: Option<S<String>>,
    title: Option<RawText>,
    help: Option<RawText>,
    steps: Option<S<Vec<RawStep>>>,
    remove_steps: Option<Vec<S<String>>>,
    remove_fields: Option<Vec<S<String>>>,
    add_steps: Option<Vec<RawStep>>,
    add_fields: Option<Vec<RawField>>,
    patch: Option<Vec<RawPatch>>,
    patch_steps: Option<Vec<RawStepPatch>>,
}

/// A form as resolved from a base file or a variant file, before it is bound to a state.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub id: String,
    pub version: u32,
    pub category: String,
    pub title: I18nText,
    pub help: I18nText,
    pub steps: Vec<Step>,
}

pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// An optional key, where it was written, and the field types it applies to.
type KeyUse<'a> = (&'a str, Option<Range<usize>>, &'a [&'a str]);

/// Collects problems for one file.
pub(crate) struct Ctx<'a> {
    pub path: &'a str,
    pub src: &'a str,
    pub problems: Vec<Problem>,
}

impl<'a> Ctx<'a> {
    pub fn new(path: &'a str, src: &'a str) -> Self {
        Ctx {
            path,
            src,
            problems: Vec::new(),
        }
    }

    pub fn line(&self, span: Range<usize>) -> usize {
        line_of(self.src, span.start)
    }

    pub fn err(&mut self, span: Range<usize>, message: impl Into<String>) {
        let line = self.line(span);
        self.err_line(line, message);
    }

    pub fn err_line(&mut self, line: usize, message: impl Into<String>) {
        self.problems.push(Problem {
            path: self.path.to_string(),
            line,
            message: message.into(),
        });
    }

    pub fn parse<T: DeserializeOwned>(&mut self) -> Option<T> {
        match toml::from_str::<T>(self.src) {
            Ok(v) => Some(v),
            Err(e) => {
                let line = e.span().map(|s| self.line(s)).unwrap_or(1);
                let message = e.message().trim().replace('\n', " ");
                self.err_line(line, message);
                None
            }
        }
    }

    fn at(&self, span: Range<usize>) -> At {
        At {
            path: self.path.to_string(),
            line: self.line(span),
            show_if_line: 0,
            exit_if_line: 0,
        }
    }

    pub fn text(&mut self, raw: &RawText) -> I18nText {
        for (s, lang) in [(&raw.de, "de"), (&raw.en, "en")] {
            if s.get_ref().trim().is_empty() {
                self.err(s.span(), format!("missing translation: `{lang}` is empty"));
            }
        }
        I18nText::new(raw.de.get_ref().clone(), raw.en.get_ref().clone())
    }

    fn id(&mut self, id: &S<String>, what: &str, hyphen: bool) -> String {
        let s = id.get_ref();
        let ok = s.len() <= 60
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || (hyphen && c == '-')
            });
        if !ok {
            let allowed = if hyphen {
                "a-z, 0-9, _ and -"
            } else {
                "a-z, 0-9 and _"
            };
            self.err(
                id.span(),
                format!("invalid {what} id `{s}` (use {allowed}, starting with a letter)"),
            );
        }
        s.clone()
    }

    fn int(&mut self, v: &S<i64>, name: &str, range: std::ops::RangeInclusive<i64>) -> i64 {
        let n = *v.get_ref();
        if !range.contains(&n) {
            self.err(
                v.span(),
                format!(
                    "`{name}` must be between {} and {}",
                    range.start(),
                    range.end()
                ),
            );
        }
        n.clamp(*range.start(), *range.end())
    }

    fn choices(&mut self, raw: &S<Vec<RawChoice>>, seen: &mut BTreeSet<String>) -> Vec<Choice> {
        let mut out = Vec::new();
        for c in raw.get_ref() {
            let value = c.value.get_ref().trim().to_string();
            if value.is_empty() || value.contains(['\n', '\r']) {
                self.err(c.value.span(), "an option value must not be empty");
            }
            if !seen.insert(value.clone()) {
                self.err(c.value.span(), format!("duplicate option value `{value}`"));
            }
            out.push(Choice {
                value,
                label: self.text(&c.label),
            });
        }
        out
    }

    fn condition(
        &mut self,
        raw: &S<RawCondition>,
        default_field: Option<&str>,
    ) -> Option<Condition> {
        let r = raw.get_ref();
        let ops = [
            r.equals.is_some(),
            r.one_of.is_some(),
            r.set.is_some(),
            r.not.is_some(),
            r.all.is_some(),
            r.any.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if ops != 1 {
            self.err(
                raw.span(),
                "a condition needs exactly one of `equals`, `in`, `set`, `not`, `all`, `any`",
            );
            return None;
        }
        let field = r
            .field
            .as_ref()
            .map(|f| f.get_ref().clone())
            .or(default_field.map(str::to_string));
        let compound = r.not.is_some() || r.all.is_some() || r.any.is_some();
        if compound {
            if let Some(f) = &r.field {
                self.err(f.span(), "`not`, `all` and `any` take no `field`");
            }
        } else if field.is_none() {
            self.err(raw.span(), "a condition needs a `field`");
            return None;
        }
        let field = field.unwrap_or_default();
        if let Some(v) = &r.equals {
            return Some(Condition::Equals {
                field,
                value: v.get_ref().clone(),
            });
        }
        if let Some(vs) = &r.one_of {
            if vs.get_ref().is_empty() {
                self.err(vs.span(), "`in` needs at least one value");
            }
            return Some(Condition::In {
                field,
                values: vs.get_ref().clone(),
            });
        }
        if let Some(set) = &r.set {
            let c = Condition::IsSet { field };
            return Some(if *set.get_ref() {
                c
            } else {
                Condition::Not(Box::new(c))
            });
        }
        if let Some(inner) = &r.not {
            return Some(Condition::Not(Box::new(self.condition(inner, None)?)));
        }
        let (list, all) = match (&r.all, &r.any) {
            (Some(l), _) => (l, true),
            (_, Some(l)) => (l, false),
            _ => return None,
        };
        if list.is_empty() {
            self.err(raw.span(), "`all`/`any` needs at least one condition");
        }
        let mut cs = Vec::new();
        for c in list {
            cs.push(self.condition(c, None)?);
        }
        Some(if all {
            Condition::All(cs)
        } else {
            Condition::Any(cs)
        })
    }

    fn exits(&mut self, raw: &S<Vec<RawExit>>, field_id: &str) -> Vec<ExitRule> {
        let mut out = Vec::new();
        for e in raw.get_ref() {
            let when = match (&e.when, &e.equals, &e.one_of) {
                (Some(w), None, None) => self.condition(w, None),
                (None, Some(v), None) => Some(Condition::Equals {
                    field: field_id.to_string(),
                    value: v.get_ref().clone(),
                }),
                (None, None, Some(vs)) => Some(Condition::In {
                    field: field_id.to_string(),
                    values: vs.get_ref().clone(),
                }),
                _ => {
                    self.err(
                        raw.span(),
                        "an exit_if entry needs exactly one of `when`, `equals`, `in`",
                    );
                    None
                }
            };
            let referral = Referral {
                title: self.text(&e.referral.title),
                body: self.text(&e.referral.body),
            };
            if let Some(when) = when {
                out.push(ExitRule { when, referral });
            }
        }
        out
    }

    /// Converts one field definition. `placement` allows `step`/`after` (overlay adds).
    pub fn field(&mut self, raw: &RawField, in_group: bool, placement: bool) -> Option<Field> {
        let id = self.id(&raw.id, "field", false);
        if !placement {
            for key in [&raw.step, &raw.after].into_iter().flatten() {
                self.err(
                    key.span(),
                    "`step` and `after` are only allowed in `add_fields`",
                );
            }
        }
        let kind_name = raw.kind.get_ref().as_str();
        if !FieldKind::NAMES.contains(&kind_name) {
            self.err(
                raw.kind.span(),
                format!(
                    "unknown field type `{kind_name}` (known: {})",
                    FieldKind::NAMES.join(", ")
                ),
            );
            return None;
        }
        // Which optional keys apply to which types.
        let keyed: [KeyUse; 12] = [
            (
                "max_length",
                raw.max_length.as_ref().map(|v| v.span()),
                &["text", "textarea"],
            ),
            ("pattern", raw.pattern.as_ref().map(|v| v.span()), &["text"]),
            (
                "not_in_future",
                raw.not_in_future.as_ref().map(|v| v.span()),
                &["date"],
            ),
            (
                "min",
                raw.min.as_ref().map(|v| v.span()),
                &["number", "money"],
            ),
            (
                "max",
                raw.max.as_ref().map(|v| v.span()),
                &["number", "money"],
            ),
            (
                "options",
                raw.options.as_ref().map(|v| v.span()),
                &["select", "radio", "checkboxes"],
            ),
            (
                "max_files",
                raw.max_files.as_ref().map(|v| v.span()),
                &["file"],
            ),
            (
                "max_size_kb",
                raw.max_size_kb.as_ref().map(|v| v.span()),
                &["file"],
            ),
            ("accept", raw.accept.as_ref().map(|v| v.span()), &["file"]),
            (
                "min_items",
                raw.min_items.as_ref().map(|v| v.span()),
                &["group"],
            ),
            (
                "max_items",
                raw.max_items.as_ref().map(|v| v.span()),
                &["group"],
            ),
            ("fields", raw.fields.as_ref().map(|v| v.span()), &["group"]),
        ];
        for (key, span, types) in keyed {
            if let Some(span) = span {
                if !types.contains(&kind_name) {
                    self.err(
                        span,
                        format!("`{key}` does not apply to type `{kind_name}`"),
                    );
                }
            }
        }
        let int = |ctx: &mut Self, v: &Option<S<i64>>, name: &str, range, default: i64| {
            v.as_ref()
                .map(|v| ctx.int(v, name, range))
                .unwrap_or(default)
        };
        let kind = match kind_name {
            "text" | "textarea" => {
                let default = if kind_name == "text" { 200 } else { 2000 };
                let max_length =
                    int(self, &raw.max_length, "max_length", 1..=20_000, default) as u32;
                if kind_name == "textarea" {
                    FieldKind::Textarea { max_length }
                } else {
                    let pattern = raw.pattern.as_ref().map(|p| {
                        if let Err(e) = regex::Regex::new(p.get_ref()) {
                            let first = e
                                .to_string()
                                .lines()
                                .last()
                                .unwrap_or("")
                                .trim()
                                .to_string();
                            self.err(p.span(), format!("invalid regex pattern: {first}"));
                        }
                        p.get_ref().clone()
                    });
                    FieldKind::Text {
                        max_length,
                        pattern,
                    }
                }
            }
            "date" => FieldKind::Date {
                not_in_future: raw.not_in_future.as_ref().is_some_and(|v| *v.get_ref()),
            },
            "number" | "money" => {
                let min = raw.min.as_ref().map(|v| *v.get_ref());
                let max = raw.max.as_ref().map(|v| *v.get_ref());
                if let (Some(lo), Some(hi), Some(span)) =
                    (min, max, raw.min.as_ref().map(|v| v.span()))
                {
                    if lo > hi {
                        self.err(span, format!("min ({lo}) is greater than max ({hi})"));
                    }
                }
                if kind_name == "money" {
                    if min.is_some_and(|m| m < 0) {
                        self.err(
                            raw.min.as_ref().map(|v| v.span()).unwrap_or(0..0),
                            "money `min` must not be negative",
                        );
                    }
                    FieldKind::Money { min, max }
                } else {
                    FieldKind::Number { min, max }
                }
            }
            "select" | "radio" | "checkboxes" => {
                let options = match &raw.options {
                    Some(o) => {
                        if o.get_ref().is_empty() {
                            self.err(o.span(), "`options` must not be empty");
                        }
                        self.choices(o, &mut BTreeSet::new())
                    }
                    None => {
                        self.err(
                            raw.kind.span(),
                            format!("type `{kind_name}` needs `options`"),
                        );
                        Vec::new()
                    }
                };
                match kind_name {
                    "select" => FieldKind::Select { options },
                    "radio" => FieldKind::Radio { options },
                    _ => FieldKind::Checkboxes { options },
                }
            }
            "file" => {
                let max_files = int(self, &raw.max_files, "max_files", 1..=20, 5) as u32;
                let max_size_kb =
                    int(self, &raw.max_size_kb, "max_size_kb", 1..=20_480, 10_240) as u32;
                let mut accept = Vec::new();
                match &raw.accept {
                    Some(a) => {
                        for name in a.get_ref() {
                            match FileType::parse(name) {
                                Some(t) => accept.push(t),
                                None => self.err(
                                    a.span(),
                                    format!(
                                        "unknown file type `{name}` (known: jpeg, png, webp, pdf)"
                                    ),
                                ),
                            }
                        }
                        if accept.is_empty() {
                            self.err(a.span(), "`accept` must name at least one file type");
                        }
                    }
                    None => {
                        accept = vec![FileType::Jpeg, FileType::Png, FileType::Webp, FileType::Pdf]
                    }
                }
                FieldKind::File {
                    max_files,
                    max_size_kb,
                    accept,
                }
            }
            "group" => {
                if in_group {
                    self.err(raw.kind.span(), "a group cannot contain another group");
                }
                let min_items = int(self, &raw.min_items, "min_items", 0..=20, 0) as u32;
                let max_items = int(self, &raw.max_items, "max_items", 1..=20, 5) as u32;
                if min_items > max_items {
                    let span = raw
                        .min_items
                        .as_ref()
                        .map(|v| v.span())
                        .unwrap_or(raw.id.span());
                    self.err(
                        span,
                        format!("min_items ({min_items}) is greater than max_items ({max_items})"),
                    );
                }
                let item_label = match &raw.item_label {
                    Some(t) => self.text(t),
                    None => {
                        self.err(raw.kind.span(), "type `group` needs `item_label`");
                        I18nText::default()
                    }
                };
                let mut fields = Vec::new();
                match &raw.fields {
                    Some(fs) => {
                        if fs.get_ref().is_empty() {
                            self.err(fs.span(), "a group needs at least one field");
                        }
                        for f in fs.get_ref() {
                            if f.kind.get_ref() == "file" {
                                self.err(f.kind.span(), "a group cannot contain file fields");
                            }
                            if let Some(f) = self.field(f, true, false) {
                                fields.push(f);
                            }
                        }
                    }
                    None => self.err(raw.kind.span(), "type `group` needs `fields`"),
                }
                FieldKind::Group {
                    min_items,
                    max_items,
                    item_label,
                    fields,
                }
            }
            "email" => FieldKind::Email,
            "phone" => FieldKind::Phone,
            "time" => FieldKind::Time,
            "time_span" => FieldKind::TimeSpan,
            "yes_no" => FieldKind::YesNo,
            "postal_code" => FieldKind::PostalCode,
            "country" => FieldKind::Country,
            "iban" => FieldKind::Iban,
            "licence_plate" => FieldKind::LicencePlate,
            "vin" => FieldKind::Vin,
            "frame_number" => FieldKind::FrameNumber,
            _ => FieldKind::Url,
        };
        if raw.item_label.is_some() && kind_name != "group" {
            self.err(
                raw.kind.span(),
                format!("`item_label` does not apply to type `{kind_name}`"),
            );
        }
        let role = raw.role.as_ref().and_then(|r| {
            let role = FieldRole::parse(r.get_ref());
            if role.is_none() {
                self.err(r.span(), format!("unknown role `{}`", r.get_ref()));
            }
            role
        });
        let mut at = self.at(raw.id.span());
        let show_if = raw.show_if.as_ref().and_then(|c| {
            at.show_if_line = self.line(c.span());
            self.condition(c, None)
        });
        let exit_if = match &raw.exit_if {
            Some(e) => {
                at.exit_if_line = self.line(e.span());
                self.exits(e, &id)
            }
            None => Vec::new(),
        };
        Some(Field {
            id,
            kind,
            label: self.text(&raw.label),
            hint: raw.hint.as_ref().map(|h| self.text(h)),
            required: raw.required.as_ref().is_some_and(|r| *r.get_ref()),
            role,
            autocomplete: raw.autocomplete.as_ref().map(|a| a.get_ref().clone()),
            show_if,
            exit_if,
            at,
        })
    }

    /// Converts a step, resolving `use = "shared/<name>"` from `shared`.
    pub fn step(
        &mut self,
        raw: &RawStep,
        shared: &BTreeMap<String, Step>,
        placement: bool,
    ) -> Option<Step> {
        if !placement {
            if let Some(a) = &raw.after {
                self.err(a.span(), "`after` is only allowed in `add_steps`");
            }
        }
        if let Some(u) = &raw.use_ {
            let extra = raw.id.is_some()
                || raw.title.is_some()
                || raw.intro.is_some()
                || raw.show_if.is_some()
                || raw.fields.is_some();
            if extra {
                self.err(
                    u.span(),
                    "a step with `use` takes no other keys (except `after`)",
                );
            }
            return match shared.get(u.get_ref()) {
                Some(s) => Some(s.clone()),
                None => {
                    self.err(
                        u.span(),
                        format!(
                            "shared step `{}` does not exist (expected shared/<name>)",
                            u.get_ref()
                        ),
                    );
                    None
                }
            };
        }
        let (Some(id), Some(title)) = (&raw.id, &raw.title) else {
            let line = raw.id.as_ref().map(|i| self.line(i.span())).unwrap_or(1);
            self.err_line(line, "a step needs `id` and `title` (or `use`)");
            return None;
        };
        let mut at = self.at(id.span());
        let id = self.id(id, "step", false);
        let show_if = raw.show_if.as_ref().and_then(|c| {
            at.show_if_line = self.line(c.span());
            self.condition(c, None)
        });
        let mut fields = Vec::new();
        for f in raw.fields.iter().flatten() {
            if let Some(f) = self.field(f, false, false) {
                fields.push(f);
            }
        }
        if fields.is_empty() {
            self.err_line(at.line, format!("step `{id}` has no fields"));
        }
        Some(Step {
            id,
            title: self.text(title.get_ref()),
            intro: raw.intro.as_ref().map(|t| self.text(t)),
            show_if,
            fields,
            at,
        })
    }

    fn version(&mut self, v: &S<i64>) -> u32 {
        self.int(v, "version", 1..=1_000_000) as u32
    }

    /// Resolves a form file: standalone, or an overlay on one of `bases`.
    pub fn form(
        &mut self,
        raw: &RawForm,
        shared: &BTreeMap<String, Step>,
        bases: &BTreeMap<String, Resolved>,
    ) -> Option<Resolved> {
        let id = self.id(&raw.id, "form", true);
        let version = self.version(&raw.version);
        let mut resolved = match &raw.extends {
            None => {
                let overlay_keys = [
                    raw.remove_steps
                        .as_ref()
                        .map(|v| v.first().map(|s| s.span())),
                    raw.remove_fields
                        .as_ref()
                        .map(|v| v.first().map(|s| s.span())),
                    raw.add_steps.as_ref().map(|_| None),
                    raw.add_fields.as_ref().map(|_| None),
                    raw.patch
                        .as_ref()
                        .map(|v| v.first().map(|p| p.field.span())),
                    raw.patch_steps
                        .as_ref()
                        .map(|v| v.first().map(|p| p.step.span())),
                ];
                if overlay_keys.iter().any(Option::is_some) {
                    self.err(raw.id.span(), "remove_*/add_*/patch* need `extends`");
                }
                let mut missing = Vec::new();
                if raw.category.is_none() {
                    missing.push("category");
                }
                if raw.title.is_none() {
                    missing.push("title");
                }
                if raw.help.is_none() {
                    missing.push("help");
                }
                if raw.steps.is_none() {
                    missing.push("steps");
                }
                if !missing.is_empty() {
                    self.err(
                        raw.id.span(),
                        format!("a form without `extends` needs {}", missing.join(", ")),
                    );
                    return None;
                }
                let mut steps = Vec::new();
                for s in raw.steps.iter().flat_map(|s| s.get_ref()) {
                    if let Some(s) = self.step(s, shared, false) {
                        steps.push(s);
                    }
                }
                Resolved {
                    id: id.clone(),
                    version,
                    category: String::new(),
                    title: I18nText::default(),
                    help: I18nText::default(),
                    steps,
                }
            }
            Some(ext) => {
                if let Some(s) = &raw.steps {
                    self.err(s.span(), "a form with `extends` changes steps with add_steps/remove_steps, not `steps`");
                }
                let Some(base) = bases.get(ext.get_ref()) else {
                    self.err(
                        ext.span(),
                        format!(
                            "`extends` target `{}` does not exist (expected base/<form_id>)",
                            ext.get_ref()
                        ),
                    );
                    return None;
                };
                let mut r = base.clone();
                r.id = id.clone();
                r.version = version;
                self.overlay(raw, &mut r, shared);
                r
            }
        };
        if let Some(c) = &raw.category {
            resolved.category = self.id(c, "category", true);
        }
        if let Some(t) = &raw.title {
            resolved.title = self.text(t);
        }
        if let Some(h) = &raw.help {
            resolved.help = self.text(h);
        }
        self.check_resolved(&resolved);
        Some(resolved)
    }

    fn overlay(&mut self, raw: &RawForm, r: &mut Resolved, shared: &BTreeMap<String, Step>) {
        for s in raw.remove_steps.iter().flatten() {
            match r.steps.iter().position(|x| &x.id == s.get_ref()) {
                Some(i) => {
                    r.steps.remove(i);
                }
                None => self.err(
                    s.span(),
                    format!("remove_steps: unknown step `{}`", s.get_ref()),
                ),
            }
        }
        let mut removed = Vec::new();
        for f in raw.remove_fields.iter().flatten() {
            let found = r
                .steps
                .iter_mut()
                .any(|s| remove_field(&mut s.fields, f.get_ref()));
            if found {
                removed.push(f);
            } else {
                self.err(
                    f.span(),
                    format!("remove_fields: unknown field `{}`", f.get_ref()),
                );
            }
        }
        // A removed field must not be what another (inherited) field depends on.
        for f in removed {
            for (owner, cond) in conditions(&r.steps) {
                let mut refs = Vec::new();
                cond.fields(&mut refs);
                if refs.contains(&f.get_ref().as_str()) {
                    self.err(
                        f.span(),
                        format!(
                            "remove_fields: `{}` is still used in a condition of `{owner}`",
                            f.get_ref()
                        ),
                    );
                }
            }
        }
        for s in raw.add_steps.iter().flatten() {
            let Some(step) = self.step(s, shared, true) else {
                continue;
            };
            let pos = match &s.after {
                Some(a) => match r.steps.iter().position(|x| &x.id == a.get_ref()) {
                    Some(i) => i + 1,
                    None => {
                        self.err(
                            a.span(),
                            format!("add_steps: unknown step `{}` in `after`", a.get_ref()),
                        );
                        r.steps.len()
                    }
                },
                None => r.steps.len(),
            };
            r.steps.insert(pos, step);
        }
        for f in raw.add_fields.iter().flatten() {
            let Some(step_id) = &f.step else {
                self.err(f.id.span(), "add_fields: each field needs `step`");
                continue;
            };
            let Some(field) = self.field(f, false, true) else {
                continue;
            };
            let Some(step) = r.steps.iter_mut().find(|s| &s.id == step_id.get_ref()) else {
                self.err(
                    step_id.span(),
                    format!("add_fields: unknown step `{}`", step_id.get_ref()),
                );
                continue;
            };
            let pos = match &f.after {
                Some(a) => match step.fields.iter().position(|x| &x.id == a.get_ref()) {
                    Some(i) => i + 1,
                    None => {
                        self.err(
                            a.span(),
                            format!("add_fields: unknown field `{}` in `after`", a.get_ref()),
                        );
                        step.fields.len()
                    }
                },
                None => step.fields.len(),
            };
            step.fields.insert(pos, field);
        }
        for p in raw.patch_steps.iter().flatten() {
            let Some(step) = r.steps.iter_mut().find(|s| &s.id == p.step.get_ref()) else {
                self.err(
                    p.step.span(),
                    format!("patch_steps: unknown step `{}`", p.step.get_ref()),
                );
                continue;
            };
            if let Some(t) = &p.title {
                step.title = self.text(t);
            }
            if let Some(t) = &p.intro {
                step.intro = Some(self.text(t));
            }
        }
        for p in raw.patch.iter().flatten() {
            let Some(field) = r
                .steps
                .iter_mut()
                .find_map(|s| find_field_mut(&mut s.fields, p.field.get_ref()))
            else {
                self.err(
                    p.field.span(),
                    format!("patch: unknown field `{}`", p.field.get_ref()),
                );
                continue;
            };
            self.patch(p, field);
        }
    }

    fn patch(&mut self, p: &RawPatch, field: &mut Field) {
        if let Some(l) = &p.label {
            field.label = self.text(l);
        }
        if let Some(h) = &p.hint {
            field.hint = Some(self.text(h));
        }
        let kind_name = field.kind.name();
        let fid = field.id.clone();
        let widen = |ctx: &mut Self, span: Range<usize>, what: &str| {
            ctx.err(span, format!("patch `{fid}`: widening `{what}` is not allowed (an overlay may only narrow constraints)"));
        };
        let wrong = |ctx: &mut Self, span: Range<usize>, what: &str| {
            ctx.err(
                span,
                format!("patch: `{what}` does not apply to type `{kind_name}`"),
            );
        };
        if let Some(req) = &p.required {
            if field.required && !*req.get_ref() {
                widen(self, req.span(), "required");
            }
            field.required = field.required || *req.get_ref();
        }
        // Upper bounds may only go down, lower bounds only up.
        fn upper(cur: &mut u32, new: i64) -> bool {
            let ok = new >= 0 && new <= i64::from(*cur);
            if ok {
                *cur = new as u32;
            }
            ok
        }
        fn lower(cur: &mut u32, new: i64, max: u32) -> bool {
            let ok = new >= i64::from(*cur) && new <= i64::from(max);
            if ok {
                *cur = new as u32;
            }
            ok
        }
        if let Some(v) = &p.max_length {
            match &mut field.kind {
                FieldKind::Text { max_length, .. } | FieldKind::Textarea { max_length } => {
                    if !upper(max_length, *v.get_ref()) {
                        widen(self, v.span(), "max_length");
                    }
                }
                _ => wrong(self, v.span(), "max_length"),
            }
        }
        if let Some(v) = &p.pattern {
            match &mut field.kind {
                FieldKind::Text { pattern, .. } => {
                    if pattern.is_some() {
                        widen(
                            self,
                            v.span(),
                            "pattern (a pattern can only be added, not replaced)",
                        );
                    } else if let Err(e) = regex::Regex::new(v.get_ref()) {
                        let first = e
                            .to_string()
                            .lines()
                            .last()
                            .unwrap_or("")
                            .trim()
                            .to_string();
                        self.err(v.span(), format!("invalid regex pattern: {first}"));
                    } else {
                        *pattern = Some(v.get_ref().clone());
                    }
                }
                _ => wrong(self, v.span(), "pattern"),
            }
        }
        if let Some(v) = &p.not_in_future {
            match &mut field.kind {
                FieldKind::Date { not_in_future } => {
                    if *not_in_future && !*v.get_ref() {
                        widen(self, v.span(), "not_in_future");
                    }
                    *not_in_future = *not_in_future || *v.get_ref();
                }
                _ => wrong(self, v.span(), "not_in_future"),
            }
        }
        for (v, is_min) in [(&p.min, true), (&p.max, false)] {
            let Some(v) = v else { continue };
            match &mut field.kind {
                FieldKind::Number { min, max } | FieldKind::Money { min, max } => {
                    let new = *v.get_ref();
                    if is_min {
                        if min.is_some_and(|m| new < m) {
                            widen(self, v.span(), "min");
                        } else {
                            *min = Some(new);
                        }
                    } else if max.is_some_and(|m| new > m) {
                        widen(self, v.span(), "max");
                    } else {
                        *max = Some(new);
                    }
                    if let (Some(lo), Some(hi)) = (*min, *max) {
                        if lo > hi {
                            self.err(v.span(), format!("min ({lo}) is greater than max ({hi})"));
                        }
                    }
                }
                _ => wrong(self, v.span(), if is_min { "min" } else { "max" }),
            }
        }
        if let Some(v) = &p.max_files {
            match &mut field.kind {
                FieldKind::File { max_files, .. } if *v.get_ref() >= 1 => {
                    if !upper(max_files, *v.get_ref()) {
                        widen(self, v.span(), "max_files");
                    }
                }
                FieldKind::File { .. } => self.err(v.span(), "`max_files` must be at least 1"),
                _ => wrong(self, v.span(), "max_files"),
            }
        }
        if let Some(v) = &p.max_size_kb {
            match &mut field.kind {
                FieldKind::File { max_size_kb, .. } if *v.get_ref() >= 1 => {
                    if !upper(max_size_kb, *v.get_ref()) {
                        widen(self, v.span(), "max_size_kb");
                    }
                }
                FieldKind::File { .. } => self.err(v.span(), "`max_size_kb` must be at least 1"),
                _ => wrong(self, v.span(), "max_size_kb"),
            }
        }
        if let Some(v) = &p.max_items {
            match &mut field.kind {
                FieldKind::Group {
                    max_items,
                    min_items,
                    ..
                } if *v.get_ref() >= 1 => {
                    if !upper(max_items, *v.get_ref()) {
                        widen(self, v.span(), "max_items");
                    } else if *min_items > *max_items {
                        self.err(
                            v.span(),
                            format!(
                                "min_items ({min_items}) is greater than max_items ({max_items})"
                            ),
                        );
                    }
                }
                FieldKind::Group { .. } => self.err(v.span(), "`max_items` must be at least 1"),
                _ => wrong(self, v.span(), "max_items"),
            }
        }
        if let Some(v) = &p.min_items {
            match &mut field.kind {
                FieldKind::Group {
                    min_items,
                    max_items,
                    ..
                } => {
                    let max = *max_items;
                    if *v.get_ref() > i64::from(max) {
                        self.err(
                            v.span(),
                            format!(
                                "min_items ({}) is greater than max_items ({max})",
                                v.get_ref()
                            ),
                        );
                    } else if !lower(min_items, *v.get_ref(), max) {
                        widen(self, v.span(), "min_items");
                    }
                }
                _ => wrong(self, v.span(), "min_items"),
            }
        }
        let has_option_ops =
            p.add_options.is_some() || p.remove_options.is_some() || p.relabel_options.is_some();
        if has_option_ops && field.kind.options().is_none() {
            self.err(
                p.field.span(),
                format!("patch: `{kind_name}` has no options"),
            );
            return;
        }
        for v in p.remove_options.iter().flatten() {
            let Some(opts) = field.kind.options_mut() else {
                break;
            };
            match opts.iter().position(|o| &o.value == v.get_ref()) {
                Some(i) => {
                    opts.remove(i);
                }
                None => self.err(
                    v.span(),
                    format!("remove_options: unknown option `{}`", v.get_ref()),
                ),
            }
        }
        for c in p.relabel_options.iter().flatten() {
            let label = self.text(&c.label);
            let Some(opts) = field.kind.options_mut() else {
                break;
            };
            match opts.iter_mut().find(|o| &o.value == c.value.get_ref()) {
                Some(o) => o.label = label,
                None => self.err(
                    c.value.span(),
                    format!("relabel_options: unknown option `{}`", c.value.get_ref()),
                ),
            }
        }
        if let Some(add) = &p.add_options {
            let mut seen: BTreeSet<String> = field
                .kind
                .options()
                .unwrap_or_default()
                .iter()
                .map(|o| o.value.clone())
                .collect();
            let new = self.choices(add, &mut seen);
            if let Some(opts) = field.kind.options_mut() {
                opts.extend(new);
            }
        }
        if field.kind.options().is_some_and(|o| o.is_empty()) {
            self.err(
                p.field.span(),
                format!("patch `{fid}`: no options left", fid = field.id),
            );
        }
    }

    /// Checks that need the whole resolved form: duplicate ids, condition references, roles.
    pub fn check_resolved(&mut self, r: &Resolved) {
        if r.steps.is_empty() {
            self.err_line(1, "a form needs at least one step");
        }
        let mut step_ids = BTreeSet::new();
        for s in &r.steps {
            if !step_ids.insert(s.id.as_str()) {
                self.problem_at(&s.at, s.at.line, format!("duplicate step id `{}`", s.id));
            }
        }
        let mut all: BTreeMap<&str, &Field> = BTreeMap::new();
        let mut roles: BTreeMap<FieldRole, &str> = BTreeMap::new();
        for f in all_fields(&r.steps) {
            if all.insert(f.id.as_str(), f).is_some() {
                self.problem_at(&f.at, f.at.line, format!("duplicate field id `{}`", f.id));
            }
            if let Some(role) = f.role {
                if let Some(prev) = roles.insert(role, &f.id) {
                    self.problem_at(
                        &f.at,
                        f.at.line,
                        format!("role already given to field `{prev}`"),
                    );
                }
                let fits = match role {
                    FieldRole::ReporterEmail => matches!(f.kind, FieldKind::Email),
                    FieldRole::ReporterPhone => matches!(f.kind, FieldKind::Phone),
                    FieldRole::ReporterPostalCode | FieldRole::ScenePostalCode => {
                        matches!(f.kind, FieldKind::PostalCode)
                    }
                    FieldRole::ReporterBirthDate => matches!(f.kind, FieldKind::Date { .. }),
                    FieldRole::IncidentTime => matches!(f.kind, FieldKind::TimeSpan),
                    FieldRole::SceneKind | FieldRole::ReporterKind => {
                        matches!(f.kind, FieldKind::Radio { .. } | FieldKind::Select { .. })
                    }
                    FieldRole::Consent => {
                        matches!(f.kind, FieldKind::Checkboxes { .. } | FieldKind::YesNo)
                    }
                    _ => !matches!(f.kind, FieldKind::Group { .. } | FieldKind::File { .. }),
                };
                if !fits {
                    self.problem_at(
                        &f.at,
                        f.at.line,
                        format!("role does not fit field type `{}`", f.kind.name()),
                    );
                }
            }
        }
        // Conditions: every referenced field exists, and compared values are real options.
        let check = |ctx: &mut Self, at: &At, line: usize, cond: &Condition, siblings: &[Field]| {
            let mut stack = vec![cond];
            while let Some(c) = stack.pop() {
                let (field, values): (&str, Vec<&String>) = match c {
                    Condition::Equals { field, value } => (field, vec![value]),
                    Condition::In { field, values } => (field, values.iter().collect()),
                    Condition::IsSet { field } => (field, vec![]),
                    Condition::Not(inner) => {
                        stack.push(inner);
                        continue;
                    }
                    Condition::All(cs) | Condition::Any(cs) => {
                        stack.extend(cs.iter());
                        continue;
                    }
                };
                let target = siblings.iter().find(|f| f.id == field).or_else(|| {
                    r.steps
                        .iter()
                        .flat_map(|s| s.fields.iter())
                        .find(|f| f.id == field)
                });
                let Some(target) = target else {
                    ctx.problem_at(
                        at,
                        line,
                        format!("condition refers to unknown field `{field}`"),
                    );
                    continue;
                };
                let allowed: Option<Vec<&str>> = match &target.kind {
                    FieldKind::YesNo => Some(vec!["yes", "no"]),
                    k => k
                        .options()
                        .map(|o| o.iter().map(|c| c.value.as_str()).collect()),
                };
                if let Some(allowed) = allowed {
                    for v in values {
                        if !allowed.contains(&v.as_str()) {
                            ctx.problem_at(at, line, format!("condition compares `{field}` with `{v}`, which is not one of its options ({})", allowed.join(", ")));
                        }
                    }
                }
            }
        };
        for s in &r.steps {
            if let Some(c) = &s.show_if {
                check(self, &s.at, s.at.show_if_line, c, &[]);
            }
            let visit = |ctx: &mut Self, f: &Field, siblings: &[Field]| {
                if let Some(c) = &f.show_if {
                    check(ctx, &f.at, f.at.show_if_line, c, siblings);
                }
                for e in &f.exit_if {
                    check(ctx, &f.at, f.at.exit_if_line, &e.when, siblings);
                }
            };
            for f in &s.fields {
                visit(self, f, &[]);
                if let FieldKind::Group { fields, .. } = &f.kind {
                    for sub in fields {
                        visit(self, sub, fields);
                    }
                }
            }
        }
    }

    /// Problems about inherited elements are reported only where they were written in
    /// this file or a shared fragment, never against a base the overlay did not break.
    fn problem_at(&mut self, at: &At, line: usize, message: String) {
        let path = if at.path.is_empty() {
            self.path
        } else {
            at.path.as_str()
        };
        if path != self.path && !at.path.contains("/shared/") && !at.path.starts_with("shared/") {
            return;
        }
        self.problems.push(Problem {
            path: path.to_string(),
            line: line.max(1),
            message,
        });
    }
}

fn remove_field(fields: &mut Vec<Field>, id: &str) -> bool {
    if let Some(i) = fields.iter().position(|f| f.id == id) {
        fields.remove(i);
        return true;
    }
    fields.iter_mut().any(|f| match &mut f.kind {
        FieldKind::Group { fields, .. } => remove_field(fields, id),
        _ => false,
    })
}

fn find_field_mut<'a>(fields: &'a mut [Field], id: &str) -> Option<&'a mut Field> {
    for f in fields.iter_mut() {
        if f.id == id {
            return Some(f);
        }
        if let FieldKind::Group { fields, .. } = &mut f.kind {
            if let Some(found) = find_field_mut(fields, id) {
                return Some(found);
            }
        }
    }
    None
}

pub(crate) fn all_fields(steps: &[Step]) -> Vec<&Field> {
    let mut out = Vec::new();
    for s in steps {
        for f in &s.fields {
            out.push(f);
            if let FieldKind::Group { fields, .. } = &f.kind {
                out.extend(fields.iter());
            }
        }
    }
    out
}

/// Every condition with the id of the step or field that owns it.
fn conditions(steps: &[Step]) -> Vec<(String, &Condition)> {
    let mut out = Vec::new();
    for s in steps {
        if let Some(c) = &s.show_if {
            out.push((s.id.clone(), c));
        }
    }
    for f in all_fields(steps) {
        if let Some(c) = &f.show_if {
            out.push((f.id.clone(), c));
        }
        for e in &f.exit_if {
            out.push((f.id.clone(), &e.when));
        }
    }
    out
}
