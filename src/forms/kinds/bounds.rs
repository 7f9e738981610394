//! `min`/`max` keys shared by `number` and `money` (whole numbers, in euros for money).

use serde::{Deserialize, Serialize};
use toml::Spanned as S;

use super::spec::widen;
use crate::forms::raw::{Ctx, RawField, RawPatch};

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
