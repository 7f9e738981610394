//! The TOML shape of form files, with spans, and its resolution into `schema` types.
//! Every problem is collected with its line; nothing here panics on bad input.

use std::collections::BTreeSet;
use std::ops::Range;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::Spanned as S;

use super::schema::{At, Choice, Condition, ExitRule, Referral, Step};
use super::Problem;
use crate::i18n::I18nText;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawText {
    pub(crate) de: S<String>,
    pub(crate) en: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChoice {
    pub(crate) value: S<String>,
    pub(crate) label: RawText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCondition {
    pub(crate) field: Option<S<String>>,
    pub(crate) equals: Option<S<String>>,
    #[serde(rename = "in")]
    pub(crate) one_of: Option<S<Vec<String>>>,
    pub(crate) set: Option<S<bool>>,
    pub(crate) not: Option<Box<S<RawCondition>>>,
    pub(crate) all: Option<Vec<S<RawCondition>>>,
    pub(crate) any: Option<Vec<S<RawCondition>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExit {
    pub(crate) when: Option<S<RawCondition>>,
    pub(crate) equals: Option<S<String>>,
    #[serde(rename = "in")]
    pub(crate) one_of: Option<S<Vec<String>>>,
    pub(crate) referral: RawReferral,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReferral {
    pub(crate) title: RawText,
    pub(crate) body: RawText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawField {
    pub(crate) id: S<String>,
    #[serde(rename = "type")]
    pub(crate) kind: S<String>,
    pub(crate) label: RawText,
    pub(crate) hint: Option<RawText>,
    pub(crate) required: Option<S<bool>>,
    pub(crate) role: Option<S<String>>,
    pub(crate) autocomplete: Option<S<String>>,
    pub(crate) show_if: Option<S<RawCondition>>,
    pub(crate) exit_if: Option<S<Vec<RawExit>>>,
    pub(crate) max_length: Option<S<i64>>,
    pub(crate) pattern: Option<S<String>>,
    /// The rule of `pattern` in words, for the hint and the error message.
    pub(crate) pattern_hint: Option<RawText>,
    pub(crate) not_in_future: Option<S<bool>>,
    pub(crate) min: Option<S<i64>>,
    pub(crate) max: Option<S<i64>>,
    pub(crate) options: Option<S<Vec<RawChoice>>>,
    pub(crate) max_files: Option<S<i64>>,
    pub(crate) max_size_kb: Option<S<i64>>,
    pub(crate) accept: Option<S<Vec<String>>>,
    pub(crate) min_items: Option<S<i64>>,
    pub(crate) max_items: Option<S<i64>>,
    pub(crate) item_label: Option<RawText>,
    pub(crate) fields: Option<S<Vec<RawField>>>,
    /// Overlay `add_fields` only: the step to add to, and the field to insert after.
    pub(crate) step: Option<S<String>>,
    pub(crate) after: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    pub(crate) id: Option<S<String>>,
    #[serde(rename = "use")]
    pub(crate) use_: Option<S<String>>,
    pub(crate) title: Option<S<RawText>>,
    pub(crate) intro: Option<RawText>,
    pub(crate) show_if: Option<S<RawCondition>>,
    pub(crate) fields: Option<Vec<RawField>>,
    /// Overlay `add_steps` only: insert after this step.
    pub(crate) after: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPatch {
    pub(crate) field: S<String>,
    pub(crate) label: Option<RawText>,
    pub(crate) hint: Option<RawText>,
    pub(crate) required: Option<S<bool>>,
    pub(crate) max_length: Option<S<i64>>,
    pub(crate) pattern: Option<S<String>>,
    pub(crate) not_in_future: Option<S<bool>>,
    pub(crate) min: Option<S<i64>>,
    pub(crate) max: Option<S<i64>>,
    pub(crate) max_files: Option<S<i64>>,
    pub(crate) max_size_kb: Option<S<i64>>,
    pub(crate) min_items: Option<S<i64>>,
    pub(crate) max_items: Option<S<i64>>,
    pub(crate) add_options: Option<S<Vec<RawChoice>>>,
    pub(crate) remove_options: Option<Vec<S<String>>>,
    pub(crate) relabel_options: Option<Vec<RawChoice>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStepPatch {
    pub(crate) step: S<String>,
    pub(crate) title: Option<RawText>,
    pub(crate) intro: Option<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawForm {
    pub(crate) id: S<String>,
    pub(crate) version: S<i64>,
    pub(crate) category: Option<S<String>>,
    pub(crate) extends: Option<S<String>>,
    pub(crate) title: Option<RawText>,
    pub(crate) help: Option<RawText>,
    pub(crate) steps: Option<S<Vec<RawStep>>>,
    pub(crate) remove_steps: Option<Vec<S<String>>>,
    pub(crate) remove_fields: Option<Vec<S<String>>>,
    pub(crate) add_steps: Option<Vec<RawStep>>,
    pub(crate) add_fields: Option<Vec<RawField>>,
    pub(crate) patch: Option<Vec<RawPatch>>,
    pub(crate) patch_steps: Option<Vec<RawStepPatch>>,
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

    pub(crate) fn at(&self, span: Range<usize>) -> At {
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

    pub(crate) fn id(&mut self, id: &S<String>, what: &str, hyphen: bool) -> String {
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

    pub(crate) fn int(
        &mut self,
        v: &S<i64>,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> i64 {
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

    pub(crate) fn choices(
        &mut self,
        raw: &S<Vec<RawChoice>>,
        seen: &mut BTreeSet<String>,
    ) -> Vec<Choice> {
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

    pub(crate) fn condition(
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

    pub(crate) fn exits(&mut self, raw: &S<Vec<RawExit>>, field_id: &str) -> Vec<ExitRule> {
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
}
