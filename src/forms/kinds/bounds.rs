//! `min`/`max` keys shared by `number` and `money` (whole numbers, in euros for money).

use serde::{Deserialize, Serialize};
use toml::Spanned as S;

use super::spec::widen;
use crate::forms::raw::{Ctx, RawField, RawPatch};
use crate::i18n::Lang;

/// The schema keys of a `number` or `money` field.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bounds {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// Reads `min`/`max`, reporting min > max.
pub(crate) fn parse(ctx: &mut Ctx, raw: &RawField) -> (Option<i64>, Option<i64>) {
    let min = raw.min.as_ref().map(|v| *v.get_ref());
    let max = raw.max.as_ref().map(|v| *v.get_ref());
    if let (Some(lo), Some(hi), Some(span)) = (min, max, raw.min.as_ref().map(|v| v.span())) {
        if lo > hi {
            ctx.err(span, format!("min ({lo}) is greater than max ({hi})"));
        }
    }
    (min, max)
}

/// Narrows `min` (only up) and `max` (only down).
pub(crate) fn patch(
    ctx: &mut Ctx,
    p: &RawPatch,
    field_id: &str,
    min: &mut Option<i64>,
    max: &mut Option<i64>,
) {
    let keys: [(&Option<S<i64>>, bool); 2] = [(&p.min, true), (&p.max, false)];
    for (v, is_min) in keys {
        let Some(v) = v else { continue };
        let new = *v.get_ref();
        if is_min {
            if min.is_some_and(|m| new < m) {
                widen(ctx, field_id, v.span(), "min");
            } else {
                *min = Some(new);
            }
        } else if max.is_some_and(|m| new > m) {
            widen(ctx, field_id, v.span(), "max");
        } else {
            *max = Some(new);
        }
        if let (Some(lo), Some(hi)) = (*min, *max) {
            if lo > hi {
                ctx.err(v.span(), format!("min ({lo}) is greater than max ({hi})"));
            }
        }
    }
}

/// The allowed range in words, German and English: "zwischen 10 und 80", "von mindestens 10",
/// "von höchstens 80"; `None` without bounds. `show` writes one bound in each language.
pub(crate) fn range_words(
    min: Option<i64>,
    max: Option<i64>,
    show: impl Fn(i64) -> (String, String),
) -> Option<(String, String)> {
    match (min.map(&show), max.map(&show)) {
        (Some((lo_de, lo_en)), Some((hi_de, hi_en))) => Some((
            format!("zwischen {lo_de} und {hi_de}"),
            format!("between {lo_en} and {hi_en}"),
        )),
        (Some((de, en)), None) => {
            Some((format!("von mindestens {de}"), format!("of at least {en}")))
        }
        (None, Some((de, en))) => Some((format!("von höchstens {de}"), format!("of at most {en}"))),
        (None, None) => None,
    }
}

/// The hint shown before any error: "Eine ganze Zahl zwischen 10 und 80." (`noun` in
/// German and English, `words` from [`range_words`]). Empty without bounds, and for a
/// lone `min = 0`, which only rules out negative numbers nobody means to enter.
pub(crate) fn limit_hint(
    min: Option<i64>,
    max: Option<i64>,
    words: Option<(String, String)>,
    noun: [&str; 2],
    lang: Lang,
) -> String {
    let hinted = max.is_some() || min.is_some_and(|m| m != 0);
    match (words.filter(|_| hinted), lang) {
        (Some((de, _)), Lang::De) => format!("{} {de}.", noun[0]),
        (Some((_, en)), Lang::En) => format!("{} {en}.", noun[1]),
        (None, _) => String::new(),
    }
}
