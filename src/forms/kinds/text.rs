//! `text`: one line, at most `max_length` characters, optionally matching `pattern`, whose
//! rule `pattern_hint` puts in words (shown under the label and in the error).

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::spec::{bad, int_key, mismatch, narrow_upper, widen, Checked, Kind, ViewCtx};
use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField, RawPatch};
use crate::forms::schema::{Field, FieldKind};
use crate::forms::view::FieldView;
use crate::i18n::I18nText;

pub(crate) struct Text;
pub(crate) const KIND: Text = Text;

/// The schema keys of a `text` field.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Params {
    pub max_length: u32,
    pub pattern: Option<String>,
    /// The pattern's rule in words ("6–30 Buchstaben, Ziffern oder Leerzeichen").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_hint: Option<I18nText>,
}

/// Why a `pattern` is not a valid regex, in one line.
fn regex_problem(pattern: &str) -> Option<String> {
    let e = regex::Regex::new(pattern).err()?;
    let first = e
        .to_string()
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_string();
    Some(format!("invalid regex pattern: {first}"))
}

/// Patterns compiled so far; they come from published forms only, so they are few.
const MAX_COMPILED: usize = 1024;

/// `^(?:pattern)$`, compiled once per pattern rather than on every validation.
fn anchored(pattern: &str) -> Option<regex::Regex> {
    static COMPILED: OnceLock<RwLock<HashMap<String, regex::Regex>>> = OnceLock::new();
    let compiled = COMPILED.get_or_init(Default::default);
    if let Some(re) = compiled
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(pattern)
    {
        return Some(re.clone());
    }
    let re = regex::Regex::new(&format!("^(?:{pattern})$")).ok()?;
    let mut compiled = compiled.write().unwrap_or_else(|e| e.into_inner());
    if compiled.len() < MAX_COMPILED {
        compiled.insert(pattern.to_owned(), re.clone());
    }
    Some(re)
}

impl Kind for Text {
    fn name(&self) -> &'static str {
        "text"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["max_length", "pattern", "pattern_hint"]
    }

    fn parse(&self, ctx: &mut Ctx, raw: &RawField, _in_group: bool) -> FieldKind {
        let max_length = int_key(ctx, &raw.max_length, "max_length", 1..=20_000, 200) as u32;
        let pattern = raw.pattern.as_ref().map(|p| {
            if let Some(problem) = regex_problem(p.get_ref()) {
                ctx.err(p.span(), problem);
            }
            p.get_ref().clone()
        });
        let pattern_hint = raw.pattern_hint.as_ref().map(|h| ctx.text(h));
        if pattern_hint.is_some() && pattern.is_none() {
            ctx.err(raw.kind.span(), "`pattern_hint` needs a `pattern`");
        }
        FieldKind::Text(Params {
            max_length,
            pattern,
            pattern_hint,
        })
    }

    fn patch(&self, ctx: &mut Ctx, p: &RawPatch, field_id: &str, kind: &mut FieldKind) {
        let FieldKind::Text(Params {
            max_length,
            pattern,
            ..
        }) = kind
        else {
            return;
        };
        if let Some(v) = &p.max_length {
            narrow_upper(ctx, field_id, v, max_length, "max_length");
        }
        if let Some(v) = &p.pattern {
            if pattern.is_some() {
                let what = "pattern (a pattern can only be added, not replaced)";
                widen(ctx, field_id, v.span(), what);
            } else if let Some(problem) = regex_problem(v.get_ref()) {
                ctx.err(v.span(), problem);
            } else {
                *pattern = Some(v.get_ref().clone());
            }
        }
    }

    fn check(&self, field: &Field, value: &AnswerValue, _now: NaiveDateTime) -> Checked {
        let (
            FieldKind::Text(Params {
                max_length,
                pattern,
                pattern_hint,
            }),
            AnswerValue::Text(s),
        ) = (&field.kind, value)
        else {
            return mismatch(field);
        };
        if s.chars().count() > *max_length as usize {
            return bad(
                field,
                &format!("höchstens {max_length} Zeichen."),
                &format!("at most {max_length} characters."),
            );
        }
        if let Some(p) = pattern {
            let ok = anchored(p).is_some_and(|re| re.is_match(s));
            if !ok {
                return match pattern_hint {
                    Some(rule) => bad(
                        field,
                        &format!("Bitte geben Sie {} ein.", rule.de),
                        &format!("enter {}.", rule.en),
                    ),
                    None => bad(field, "Das Format stimmt nicht.", "the format is not valid."),
                };
            }
        }
        Ok(Some(value.clone()))
    }

    fn view(&self, field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        if let FieldKind::Text(p) = &field.kind {
            fv.maxlength = p.max_length;
            if let Some(rule) = &p.pattern_hint {
                fv.limit_hint = format!("{}.", capitalised(rule.get(cx.lang)));
            }
        }
    }
}

/// The rule as a sentence start: "6–30 Buchstaben" stays, "letters …" becomes "Letters …".
fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
