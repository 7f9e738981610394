//! `time_span`: an exact time (from) or a period (from–to), each as date and optional
//! time; never in the future, from ≤ to. Four inputs: `<base>-from-date`, `-from-time`,
//! `-to-date`, `-to-time`.

use chrono::{NaiveDateTime, NaiveTime};

use super::NoKeys;
use super::spec::{
    field_template, local_date, mismatch, quote, text_input, Checked, Input, Kind, ViewCtx,
};
use crate::forms::answers::{AnswerValue, SpanValue};
use crate::forms::raw::{Ctx, RawField};
use crate::forms::schema::{Field, FieldKind, FieldRole};
use crate::forms::values as v;
use crate::forms::view::{FieldView, RenderFn, SpanView};
use crate::i18n::Lang;

pub(crate) struct TimeSpan;
pub(crate) const KIND: TimeSpan = TimeSpan;
pub type Params = NoKeys;

impl Kind for TimeSpan {
    fn name(&self) -> &'static str {
        "time_span"
    }

    fn parse(&self, _ctx: &mut Ctx, _raw: &RawField, _in_group: bool) -> FieldKind {
        FieldKind::TimeSpan(NoKeys {})
    }

    fn roles(&self) -> &'static [FieldRole] {
        &[FieldRole::IncidentTime]
    }

    fn anchor_suffix(&self) -> &'static str {
        "-from-date"
    }

    fn input_suffixes(&self) -> &'static [&'static str] {
        &["-from-date", "-from-time", "-to-date", "-to-time"]
    }

    fn read(&self, _field: &Field, input: Input) -> AnswerValue {
        let Input { base, raw, .. } = input;
        let part = |p: &str| text_input(raw, &format!("{base}-{p}")).trim().to_string();
        AnswerValue::Span(SpanValue {
            from_date: part("from-date"),
            from_time: part("from-time"),
            to_date: part("to-date"),
            to_time: part("to-time"),
        })
    }

    fn check(&self, field: &Field, value: &AnswerValue, now: NaiveDateTime) -> Checked {
        let AnswerValue::Span(s) = value else {
            return mismatch(field);
        };
        let (lde, len) = quote(&field.label);
        check_span(s, now, &lde, &len)
    }

    fn display(&self, _field: &Field, value: &AnswerValue, lang: Lang) -> String {
        let AnswerValue::Span(s) = value else {
            return super::spec::plain_display(value);
        };
        let at = |d: &str, t: &str| {
            let d = local_date(d, lang);
            if t.is_empty() {
                d
            } else {
                format!("{d}, {t}")
            }
        };
        let from = at(&s.from_date, &s.from_time);
        if s.to_date.is_empty() {
            from
        } else {
            format!("{from} – {}", at(&s.to_date, &s.to_time))
        }
    }

    fn template(&self) -> RenderFn {
        field_template!("forms/time_span.html")
    }

    fn view(&self, _field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        if let Some(AnswerValue::Span(s)) = cx.value {
            fv.span = SpanView {
                from_date: s.from_date.clone(),
                from_time: s.from_time.clone(),
                to_date: s.to_date.clone(),
                to_time: s.to_time.clone(),
                invalid: "",
            };
        }
        fv.span.invalid = match cx.error_input {
            Some("-from-time") => "from-time",
            Some("-to-date") => "to-date",
            Some("-to-time") => "to-time",
            Some(_) => "from-date",
            None => "",
        };
    }
}

fn check_span(s: &SpanValue, now: NaiveDateTime, lde: &str, len: &str) -> Checked {
    let e =
        |suffix, de: &str, en: &str| Err((suffix, format!("{lde}: {de}"), format!("{len}: {en}")));
    let Some(from_date) = v::parse_date(&s.from_date) else {
        return e(
            "-from-date",
            "Bitte ein Datum wie 28.11.2026 angeben.",
            "enter a date like 28.11.2026.",
        );
    };
    let from_time = match s.from_time.as_str() {
        "" => None,
        x => match v::parse_time(x) {
            Some(t) => Some(t),
            None => {
                return e(
                    "-from-time",
                    "Bitte eine Uhrzeit wie 14:30 angeben.",
                    "enter a time like 14:30.",
                )
            }
        },
    };
    let to_date = match s.to_date.as_str() {
        "" if s.to_time.is_empty() => None,
        "" => Some(from_date),
        x => match v::parse_date(x) {
            Some(d) => Some(d),
            None => {
                return e(
                    "-to-date",
                    "Bitte ein Datum wie 28.11.2026 angeben.",
                    "enter a date like 28.11.2026.",
                )
            }
        },
    };
    let to_time = match s.to_time.as_str() {
        "" => None,
        x => match v::parse_time(x) {
            Some(t) => Some(t),
            None => {
                return e(
                    "-to-time",
                    "Bitte eine Uhrzeit wie 14:30 angeben.",
                    "enter a time like 14:30.",
                )
            }
        },
    };
    let from = from_date.and_time(from_time.unwrap_or(NaiveTime::MIN));
    if from > now {
        return e(
            "-from-date",
            "Der Zeitpunkt darf nicht in der Zukunft liegen.",
            "the time must not be in the future.",
        );
    }
    if let Some(td) = to_date {
        let to_cmp = td.and_time(to_time.unwrap_or(NaiveTime::MIN));
        if to_cmp > now {
            return e(
                "-to-date",
                "Das Ende darf nicht in der Zukunft liegen.",
                "the end must not be in the future.",
            );
        }
        let to_end = td.and_time(
            to_time.unwrap_or(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)),
        );
        if to_end < from {
            return e(
                "-to-date",
                "Das Ende muss nach dem Beginn liegen.",
                "the end must be after the start.",
            );
        }
    }
    let fmt_t = |t: Option<NaiveTime>| t.map(|t| t.format("%H:%M").to_string()).unwrap_or_default();
    Ok(Some(AnswerValue::Span(SpanValue {
        from_date: from_date.format("%Y-%m-%d").to_string(),
        from_time: fmt_t(from_time),
        to_date: to_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        to_time: fmt_t(to_time),
    })))
}
