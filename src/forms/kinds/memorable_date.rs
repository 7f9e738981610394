//! `memorable_date`: a date the citizen knows by heart (date of birth), typed into three
//! boxes Tag / Monat / Jahr as in the GOV.UK date-input pattern. Inputs
//! `<base>-day`, `<base>-month`, `<base>-year`; stored as ISO `YYYY-MM-DD`. While a part
//! is wrong, the three entries are kept as typed (a list of day, month, year).

use chrono::{NaiveDate, NaiveDateTime};

use super::date::{not_in_future, patch_not_in_future};
pub use super::date::Params;
use super::spec::{
    field_template, local_date, quote, text_input, text_of, Checked, Input, Invalid, Kind, ViewCtx,
};
use crate::forms::answers::AnswerValue;
use crate::forms::raw::{Ctx, RawField, RawPatch};
use crate::forms::schema::{Field, FieldKind, FieldRole};
use crate::forms::view::{DatePartView, FieldView, RenderFn};
use crate::i18n::Lang;

pub(crate) struct MemorableDate;
pub(crate) const KIND: MemorableDate = MemorableDate;

/// The three boxes: input suffix, German and English name, width, autocomplete.
const PARTS: [(&str, &str, &str, u8, &str); 3] = [
    ("-day", "Tag", "Day", 2, "bday-day"),
    ("-month", "Monat", "Month", 2, "bday-month"),
    ("-year", "Jahr", "Year", 4, "bday-year"),
];

/// The entries as typed: (day, month, year).
fn entries(value: &AnswerValue) -> [String; 3] {
    match value {
        AnswerValue::List(l) => [0, 1, 2].map(|i| l.get(i).cloned().unwrap_or_default()),
        AnswerValue::Text(iso) => match NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
            Ok(d) => [d.format("%d"), d.format("%m"), d.format("%Y")].map(|p| p.to_string()),
            Err(_) => Default::default(),
        },
        _ => Default::default(),
    }
}

/// "Das Datum muss einen Tag und einen Monat enthalten." for the parts left empty.
fn missing_parts(field: &Field, empty: &[usize]) -> Invalid {
    let (lde, len) = quote(&field.label);
    let de: Vec<String> = empty
        .iter()
        .map(|i| format!("{} {}", ["einen", "einen", "ein"][*i], PARTS[*i].1))
        .collect();
    let en: Vec<&str> = empty
        .iter()
        .map(|i| ["a day", "a month", "a year"][*i])
        .collect();
    (
        PARTS[empty[0]].0,
        format!("{lde}: Das Datum muss {} enthalten.", de.join(" und ")),
        format!("{len}: the date must include {}.", en.join(" and ")),
    )
}

fn wrong(field: &Field, suffix: &'static str, de: &str, en: &str) -> Checked {
    let (lde, len) = quote(&field.label);
    Err((suffix, format!("{lde}: {de}"), format!("{len}: {en}")))
}

/// A part as a number within `range`, accepting leading zeros.
fn number(part: &str, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    let ok = !part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| part.parse().ok())
        .flatten()
        .filter(|n| range.contains(n))
}

impl Kind for MemorableDate {
    fn name(&self) -> &'static str {
        "memorable_date"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["not_in_future"]
    }

    fn parse(&self, _ctx: &mut Ctx, raw: &RawField, _in_group: bool) -> FieldKind {
        FieldKind::MemorableDate(Params {
            not_in_future: not_in_future(raw),
        })
    }

    fn patch(&self, ctx: &mut Ctx, p: &RawPatch, field_id: &str, kind: &mut FieldKind) {
        if let FieldKind::MemorableDate(Params { not_in_future }) = kind {
            patch_not_in_future(ctx, p, field_id, not_in_future);
        }
    }

    fn roles(&self) -> &'static [FieldRole] {
        &[FieldRole::ReporterBirthDate]
    }

    fn anchor_suffix(&self) -> &'static str {
        "-day"
    }

    fn input_suffixes(&self) -> &'static [&'static str] {
        &["-day", "-month", "-year"]
    }

    /// Three empty boxes are no answer; otherwise the entries are kept as typed.
    fn read(&self, _field: &Field, input: Input) -> AnswerValue {
        let Input { base, raw, .. } = input;
        let parts = PARTS.map(|p| {
            text_input(raw, &format!("{base}{}", p.0))
                .trim()
                .to_string()
        });
        if parts.iter().all(String::is_empty) {
            return AnswerValue::Text(String::new());
        }
        AnswerValue::List(parts.to_vec())
    }

    fn check(&self, field: &Field, value: &AnswerValue, now: NaiveDateTime) -> Checked {
        let [day, month, year] = entries(value);
        let parts = [&day, &month, &year];
        let empty: Vec<usize> = (0..3).filter(|i| parts[*i].is_empty()).collect();
        if !empty.is_empty() {
            return Err(missing_parts(field, &empty));
        }
        let Some(d) = number(&day, 1..=31) else {
            let en = "the day must be a number from 1 to 31.";
            return wrong(
                field,
                "-day",
                "Der Tag muss eine Zahl von 1 bis 31 sein.",
                en,
            );
        };
        let Some(m) = number(&month, 1..=12) else {
            let en = "the month must be a number from 1 to 12.";
            return wrong(
                field,
                "-month",
                "Der Monat muss eine Zahl von 1 bis 12 sein.",
                en,
            );
        };
        let Some(y) = number(&year, 1900..=2999).filter(|_| year.len() == 4) else {
            let de = "Das Jahr muss vier Ziffern haben, z. B. 1985.";
            return wrong(
                field,
                "-year",
                de,
                "the year must have four digits, e.g. 1985.",
            );
        };
        let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d) else {
            let de = "Dieses Datum gibt es nicht. Bitte Tag und Monat prüfen.";
            let en = "this date does not exist. Check the day and month.";
            return wrong(field, "-day", de, en);
        };
        let future_ok = !matches!(
            field.kind,
            FieldKind::MemorableDate(Params {
                not_in_future: true
            })
        );
        if !future_ok && date > now.date() {
            let de = "Das Datum darf nicht in der Zukunft liegen.";
            return wrong(field, "-day", de, "the date must not be in the future.");
        }
        Ok(Some(AnswerValue::Text(date.format("%Y-%m-%d").to_string())))
    }

    fn display(&self, _field: &Field, value: &AnswerValue, lang: Lang) -> String {
        local_date(text_of(value), lang)
    }

    fn template(&self) -> RenderFn {
        field_template!("forms/memorable_date.html")
    }

    fn view(&self, field: &Field, fv: &mut FieldView, cx: &ViewCtx) {
        fv.value.clear();
        let values = cx.value.map(entries).unwrap_or_default();
        let birthday = field.role == Some(FieldRole::ReporterBirthDate);
        fv.parts = PARTS
            .iter()
            .zip(values)
            .map(
                |((suffix, de, en, width, autocomplete), value)| DatePartView {
                    id: format!("{}{suffix}", cx.base),
                    label: cx.lang.t(de, en).to_string(),
                    value,
                    width: *width,
                    autocomplete: if birthday { autocomplete } else { "" },
                    invalid: cx.error_input == Some(*suffix),
                },
            )
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::answers::RawStepInput;
    use crate::forms::kinds::registry::of;
    use crate::i18n::I18nText;

    fn field(not_in_future: bool) -> Field {
        Field {
            id: "geburtsdatum".into(),
            kind: FieldKind::MemorableDate(Params { not_in_future }),
            label: I18nText::new("Geburtsdatum", "Date of birth"),
            hint: None,
            required: true,
            role: Some(FieldRole::ReporterBirthDate),
            autocomplete: None,
            show_if: None,
            exit_if: Vec::new(),
            at: Default::default(),
        }
    }

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("valid")
    }

    fn typed(d: &str, m: &str, y: &str) -> AnswerValue {
        AnswerValue::List(vec![d.into(), m.into(), y.into()])
    }

    fn check(value: AnswerValue) -> Checked {
        MemorableDate.check(&field(true), &value, now())
    }

    #[test]
    fn accepts_leading_zeros_and_stores_iso() {
        let iso = AnswerValue::Text("1985-03-27".into());
        assert_eq!(check(typed("27", "03", "1985")), Ok(Some(iso.clone())));
        assert_eq!(check(typed("27", "3", "1985")), Ok(Some(iso.clone())));
        assert_eq!(
            check(typed("007", "3", "1985")).ok(),
            Some(Some(AnswerValue::Text("1985-03-07".into())))
        );
        // At submit the stored ISO value is checked again and still holds.
        assert_eq!(check(iso.clone()), Ok(Some(iso)));
    }

    fn read_parts(raw: &RawStepInput) -> AnswerValue {
        let input = Input {
            base: "f-g",
            raw,
            prev: None,
            errors: &mut Vec::new(),
        };
        MemorableDate.read(&field(true), input)
    }

    #[test]
    fn reading_trims_spaces_and_keeps_entries() {
        let raw = RawStepInput {
            pairs: vec![
                ("f-g-day".into(), " 27 ".into()),
                ("f-g-month".into(), "03".into()),
                ("f-g-year".into(), "1985 ".into()),
            ],
            files: Vec::new(),
        };
        let read = read_parts(&raw);
        assert_eq!(read, typed("27", "03", "1985"));
        let empty = RawStepInput {
            pairs: Vec::new(),
            files: Vec::new(),
        };
        let read = read_parts(&empty);
        assert!(!read.is_set(), "three empty boxes are no answer");
    }

    #[test]
    fn names_the_part_that_is_wrong() {
        let (suffix, de, en) = check(typed("27", "", "1985")).unwrap_err();
        assert_eq!(suffix, "-month");
        assert_eq!(de, "„Geburtsdatum“: Das Datum muss einen Monat enthalten.");
        assert_eq!(en, "“Date of birth”: the date must include a month.");
        let (suffix, de, _) = check(typed("", "", "1985")).unwrap_err();
        assert_eq!(suffix, "-day");
        assert!(de.contains("einen Tag und einen Monat"), "{de}");
        assert_eq!(check(typed("32", "1", "1985")).unwrap_err().0, "-day");
        assert_eq!(check(typed("1", "13", "1985")).unwrap_err().0, "-month");
        assert_eq!(check(typed("1", "x", "1985")).unwrap_err().0, "-month");
        assert_eq!(check(typed("1", "1", "85")).unwrap_err().0, "-year");
    }

    #[test]
    fn rejects_impossible_and_future_dates() {
        let (suffix, de, _) = check(typed("31", "02", "1985")).unwrap_err();
        assert_eq!(suffix, "-day");
        assert!(de.contains("gibt es nicht"), "{de}");
        assert!(check(typed("29", "02", "2024")).is_ok());
        let (_, de, _) = check(typed("1", "1", "2027")).unwrap_err();
        assert!(de.contains("Zukunft"), "{de}");
        let future_allowed = MemorableDate.check(&field(false), &typed("1", "1", "2027"), now());
        assert!(future_allowed.is_ok());
    }

    #[test]
    fn review_shows_the_german_date() {
        let iso = AnswerValue::Text("1985-03-27".into());
        let kind = of(&field(true).kind);
        assert_eq!(kind.display(&field(true), &iso, Lang::De), "27.03.1985");
        assert_eq!(kind.display(&field(true), &iso, Lang::En), "27/03/1985");
    }
}
