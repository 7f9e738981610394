//! Turning a step's POST into typed answers, conditions, repeatable groups, review rows.
//!
//! Input naming (`base` = `f-<field>`; inside a group item `f-<group>-<i>-<field>`):
//! - single-value fields: `name` and `id` = base
//! - radio, yes_no, checkboxes: `name` = base, `id` of option k = `<base>-<k>`
//! - time_span: `<base>-from-date`, `<base>-from-time`, `<base>-to-date`, `<base>-to-time`
//! - file: `name` = `id` = base (multiple); keep/remove: checkbox `<base>-remove` = sha256
//! - group: hidden `<base>-count` (items shown), buttons `action=add:<group>` (id
//!   `<base>-add`) and `action=remove:<group>.<i>`
//!
//! Errors link to the first input: base, `<base>-0`, `<base>-from-date` or `<base>-add`.

use chrono::{NaiveDateTime, NaiveTime};

use super::answers::{
    AnswerValue, Answers, FieldError, RawStepInput, SpanValue, StepResult, UploadedFile,
};
use super::countries::country;
use super::schema::{Condition, Field, FieldKind, FieldRole, FormVariant};
use super::values as v;
use crate::i18n::{I18nText, Lang};

/// HTML id/name of a field: `f-<field>`, or `f-<group>-<i>-<field>` inside a group item.
pub fn input_base(group: Option<(&str, usize)>, field_id: &str) -> String {
    match group {
        Some((g, i)) => format!("f-{g}-{i}-{field_id}"),
        None => format!("f-{field_id}"),
    }
}

/// The id the error summary links to for a field with this base.
pub fn anchor_id(field: &Field, base: &str) -> String {
    match field.kind {
        FieldKind::Radio { .. } | FieldKind::Checkboxes { .. } | FieldKind::YesNo => {
            format!("{base}-0")
        }
        FieldKind::TimeSpan => format!("{base}-from-date"),
        FieldKind::Group { .. } => format!("{base}-add"),
        _ => base.to_string(),
    }
}

fn quote(label: &I18nText) -> (String, String) {
    (format!("„{}“", label.de), format!("“{}”", label.en))
}

/// Whether a condition holds; inside a group `item` is searched before `top`.
pub fn condition_holds(cond: &Condition, item: Option<&Answers>, top: &Answers) -> bool {
    let get = |f: &str| item.and_then(|i| i.get(f)).or_else(|| top.get(f));
    match cond {
        Condition::Equals { field, value } => get(field).is_some_and(|a| a.matches(value)),
        Condition::In { field, values } => {
            get(field).is_some_and(|a| values.iter().any(|x| a.matches(x)))
        }
        Condition::IsSet { field } => get(field).is_some_and(AnswerValue::is_set),
        Condition::Not(c) => !condition_holds(c, item, top),
        Condition::All(cs) => cs.iter().all(|c| condition_holds(c, item, top)),
        Condition::Any(cs) => cs.iter().any(|c| condition_holds(c, item, top)),
    }
}

fn shown(cond: &Option<Condition>, item: Option<&Answers>, top: &Answers) -> bool {
    cond.as_ref().is_none_or(|c| condition_holds(c, item, top))
}

impl FormVariant {
    /// Indexes of the steps whose `show_if` holds.
    pub fn visible_steps(&self, answers: &Answers) -> Vec<usize> {
        (0..self.steps.len())
            .filter(|i| shown(&self.steps[*i].show_if, None, answers))
            .collect()
    }

    /// Whether a top-level field (and its step) is shown for these answers.
    pub fn field_is_visible(&self, field_id: &str, answers: &Answers) -> bool {
        self.steps.iter().any(|s| {
            shown(&s.show_if, None, answers)
                && s.fields
                    .iter()
                    .any(|f| f.id == field_id && shown(&f.show_if, None, answers))
        })
    }

    /// The value of the visible field with this role, as normalised text.
    pub fn role_value(&self, answers: &Answers, role: FieldRole) -> Option<String> {
        let field = self
            .steps
            .iter()
            .filter(|s| shown(&s.show_if, None, answers))
            .flat_map(|s| s.fields.iter())
            .find(|f| f.role == Some(role) && shown(&f.show_if, None, answers))?;
        match answers.get(&field.id)? {
            AnswerValue::Text(s) if !s.trim().is_empty() => Some(s.clone()),
            AnswerValue::List(l) if !l.is_empty() => Some(l.join(",")),
            AnswerValue::Money(c) => Some(c.to_string()),
            AnswerValue::Span(s) if !s.from_date.is_empty() => Some(
                format!("{} {}", s.from_date, s.from_time)
                    .trim()
                    .to_string(),
            ),
            _ => None,
        }
    }
}

fn err(input_id: String, field: &Field, de: String, en: String) -> FieldError {
    FieldError {
        input_id,
        field_id: field.id.clone(),
        message: I18nText::new(de, en),
    }
}

/// Reads one field's raw input. Invalid values are kept as entered.
fn read(
    field: &Field,
    base: &str,
    raw: &RawStepInput,
    prev: Option<&AnswerValue>,
    errors: &mut Vec<FieldError>,
) -> Option<AnswerValue> {
    let text = |name: &str| raw.first(name).unwrap_or("").replace("\r\n", "\n");
    match &field.kind {
        FieldKind::Checkboxes { .. } => Some(AnswerValue::List(
            raw.all(base)
                .into_iter()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        )),
        FieldKind::TimeSpan => Some(AnswerValue::Span(SpanValue {
            from_date: text(&format!("{base}-from-date")).trim().to_string(),
            from_time: text(&format!("{base}-from-time")).trim().to_string(),
            to_date: text(&format!("{base}-to-date")).trim().to_string(),
            to_time: text(&format!("{base}-to-time")).trim().to_string(),
        })),
        FieldKind::File {
            max_files,
            max_size_kb,
            accept,
        } => {
            let remove = raw.all(&format!("{base}-remove"));
            let mut files: Vec<UploadedFile> = match prev {
                Some(AnswerValue::Files(f)) => f
                    .iter()
                    .filter(|f| !remove.contains(&f.sha256.as_str()))
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            let (label_de, label_en) = quote(&field.label);
            for rf in raw.files.iter().filter(|f| f.input_name == base) {
                if rf.bytes.is_empty() {
                    // Browsers send an empty part when no file was chosen.
                    if !rf.file_name.is_empty() {
                        errors.push(err(
                            base.into(),
                            field,
                            format!("Die Datei „{}“ ist leer.", rf.file_name),
                            format!("The file “{}” is empty.", rf.file_name),
                        ));
                    }
                    continue;
                }
                let name: String = rf
                    .file_name
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or("")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                let kind = v::sniff_file_type(&rf.bytes).filter(|t| accept.contains(t));
                let Some(kind) = kind else {
                    let types: Vec<&str> = accept.iter().map(|t| t.mime()).collect();
                    errors.push(err(
                        base.into(),
                        field,
                        format!(
                            "Die Datei „{name}“ hat kein erlaubtes Format ({}).",
                            types.join(", ")
                        ),
                        format!(
                            "The file “{name}” is not an allowed format ({}).",
                            types.join(", ")
                        ),
                    ));
                    continue;
                };
                if rf.bytes.len() as u64 > u64::from(*max_size_kb) * 1024 {
                    errors.push(err(
                        base.into(),
                        field,
                        format!("Die Datei „{name}“ ist größer als {} KB.", max_size_kb),
                        format!("The file “{name}” is larger than {} KB.", max_size_kb),
                    ));
                    continue;
                }
                let sha256 = hex::encode(ring::digest::digest(&ring::digest::SHA256, &rf.bytes));
                if files.iter().any(|f| f.sha256 == sha256) {
                    continue;
                }
                if files.len() >= *max_files as usize {
                    errors.push(err(
                        base.into(),
                        field,
                        format!("Bei {label_de} sind höchstens {max_files} Dateien möglich."),
                        format!("{label_en} takes at most {max_files} files."),
                    ));
                    break;
                }
                files.push(UploadedFile {
                    file_name: if name.is_empty() {
                        "datei".into()
                    } else {
                        name
                    },
                    mime_type: kind.mime().to_string(),
                    size: rf.bytes.len() as u64,
                    sha256,
                    bytes: rf.bytes.clone(),
                });
            }
            Some(AnswerValue::Files(files))
        }
        FieldKind::Group {
            max_items, fields, ..
        } => {
            let prev_items = match prev {
                Some(AnswerValue::Group(items)) => items.clone(),
                _ => Vec::new(),
            };
            let count = raw
                .first(&format!("{base}-count"))
                .and_then(|c| c.trim().parse::<usize>().ok())
                .unwrap_or(prev_items.len())
                .min(*max_items as usize);
            let mut items = Vec::new();
            for i in 0..count {
                let mut item = Answers::default();
                let group_id = field.id.as_str();
                for sub in fields {
                    let sub_base = input_base(Some((group_id, i)), &sub.id);
                    let prev_sub = prev_items.get(i).and_then(|p| p.get(&sub.id));
                    if let Some(val) = read(sub, &sub_base, raw, prev_sub, errors) {
                        item.set(sub.id.clone(), val);
                    }
                }
                items.push(item);
            }
            Some(AnswerValue::Group(items))
        }
        _ => {
            let s = text(base);
            let s = if matches!(field.kind, FieldKind::Textarea { .. }) {
                s.trim_end().to_string()
            } else {
                s.trim().to_string()
            };
            Some(AnswerValue::Text(s))
        }
    }
}

/// Checks a value; returns the normalised value (None = empty) or (input id suffix, error).
fn check(
    field: &Field,
    value: &AnswerValue,
    now: NaiveDateTime,
) -> Result<Option<AnswerValue>, (&'static str, String, String)> {
    let (lde, len) = quote(&field.label);
    if !value.is_set() {
        if field.required {
            let choice = matches!(
                field.kind,
                FieldKind::Radio { .. }
                    | FieldKind::Checkboxes { .. }
                    | FieldKind::YesNo
                    | FieldKind::Select { .. }
                    | FieldKind::Country
            );
            let suffix = match field.kind {
                FieldKind::Radio { .. } | FieldKind::Checkboxes { .. } | FieldKind::YesNo => "-0",
                FieldKind::TimeSpan => "-from-date",
                _ => "",
            };
            return Err(if choice {
                (
                    suffix,
                    format!("Bitte wählen Sie bei {lde} eine Antwort aus."),
                    format!("Please choose an answer for {len}."),
                )
            } else if matches!(field.kind, FieldKind::File { .. }) {
                (
                    suffix,
                    format!("Bitte laden Sie bei {lde} eine Datei hoch."),
                    format!("Please upload a file for {len}."),
                )
            } else {
                (
                    suffix,
                    format!("Bitte füllen Sie {lde} aus."),
                    format!("Please fill in {len}."),
                )
            });
        }
        return Ok(None);
    }
    let text = match value {
        AnswerValue::Text(s) => s.as_str(),
        _ => "",
    };
    let bad = |de: &str, en: &str| Err(("", format!("{lde}: {de}"), format!("{len}: {en}")));
    let t = |s: String| Ok(Some(AnswerValue::Text(s)));
    let parsed = |o: Option<String>, de: &str, en: &str| match o {
        Some(s) => t(s),
        None => bad(de, en),
    };
    match (&field.kind, value) {
        (
            FieldKind::Text {
                max_length,
                pattern,
            },
            AnswerValue::Text(s),
        ) => {
            if s.chars().count() > *max_length as usize {
                return bad(
                    &format!("höchstens {max_length} Zeichen."),
                    &format!("at most {max_length} characters."),
                );
            }
            if let Some(p) = pattern {
                let ok = regex::Regex::new(&format!("^(?:{p})$")).is_ok_and(|re| re.is_match(s));
                if !ok {
                    return bad("Das Format stimmt nicht.", "the format is not valid.");
                }
            }
            t(s.clone())
        }
        (FieldKind::Textarea { max_length }, AnswerValue::Text(s)) => {
            let n = s.chars().count();
            if n > *max_length as usize {
                return bad(
                    &format!("höchstens {max_length} Zeichen (jetzt {n})."),
                    &format!("at most {max_length} characters (now {n})."),
                );
            }
            t(s.clone())
        }
        (FieldKind::Email, _) => parsed(
            v::parse_email(text),
            "Bitte eine E-Mail-Adresse wie name@example.de angeben.",
            "enter an e-mail address like name@example.com.",
        ),
        (FieldKind::Phone, _) => parsed(
            v::parse_phone(text),
            "Bitte eine Telefonnummer aus Ziffern angeben, z. B. 030 1234567.",
            "enter a phone number in digits, e.g. +49 30 1234567.",
        ),
        (FieldKind::Url, _) => parsed(
            v::parse_url(text),
            "Bitte eine Adresse mit http:// oder https:// angeben.",
            "enter an address starting with http:// or https://.",
        ),
        (FieldKind::PostalCode, _) => parsed(
            v::parse_postal_code(text),
            "Eine Postleitzahl hat 5 Ziffern.",
            "a postal code has 5 digits.",
        ),
        (FieldKind::Iban, _) => parsed(
            v::parse_iban(text),
            "Das ist keine gültige IBAN (Prüfziffer oder Länge falsch).",
            "this is not a valid IBAN (check digits or length wrong).",
        ),
        (FieldKind::LicencePlate, _) => parsed(
            v::parse_licence_plate(text),
            "Bitte ein Kennzeichen wie B-AB 1234 angeben.",
            "enter a number plate like B-AB 1234.",
        ),
        (FieldKind::Vin, _) => parsed(
            v::parse_vin(text),
            "Eine Fahrzeug-Identifizierungsnummer hat 17 Zeichen (ohne I, O, Q).",
            "a vehicle identification number has 17 characters (no I, O, Q).",
        ),
        (FieldKind::FrameNumber, _) => parsed(
            v::parse_frame_number(text),
            "4 bis 30 Zeichen: Buchstaben, Ziffern, - / .",
            "4 to 30 characters: letters, digits, - / .",
        ),
        (FieldKind::Country, _) => parsed(
            country(text).map(|c| c.code.to_string()),
            "Bitte ein Land aus der Liste wählen.",
            "choose a country from the list.",
        ),
        (FieldKind::Date { not_in_future }, _) => match v::parse_date(text) {
            None => bad(
                "Bitte ein Datum wie 28.11.2026 angeben.",
                "enter a date like 28.11.2026.",
            ),
            Some(d) if *not_in_future && d > now.date() => bad(
                "Das Datum darf nicht in der Zukunft liegen.",
                "the date must not be in the future.",
            ),
            Some(d) => t(d.format("%Y-%m-%d").to_string()),
        },
        (FieldKind::Time, _) => match v::parse_time(text) {
            None => bad(
                "Bitte eine Uhrzeit wie 14:30 angeben.",
                "enter a time like 14:30.",
            ),
            Some(tm) => t(tm.format("%H:%M").to_string()),
        },
        (FieldKind::Select { options } | FieldKind::Radio { options }, _) => {
            if options.iter().any(|o| o.value == text) {
                t(text.to_string())
            } else {
                // A select is one input; radios link to their first option.
                let suffix = if matches!(field.kind, FieldKind::Select { .. }) {
                    ""
                } else {
                    "-0"
                };
                Err((
                    suffix,
                    format!("Bitte wählen Sie bei {lde} eine der Antworten aus."),
                    format!("Please choose one of the answers for {len}."),
                ))
            }
        }
        (FieldKind::YesNo, _) => {
            if text == "yes" || text == "no" {
                t(text.to_string())
            } else {
                Err((
                    "-0",
                    format!("Bitte wählen Sie bei {lde} Ja oder Nein."),
                    format!("Please choose yes or no for {len}."),
                ))
            }
        }
        (FieldKind::Checkboxes { options }, AnswerValue::List(l)) => {
            if l.iter().all(|x| options.iter().any(|o| &o.value == x)) {
                let ordered = options
                    .iter()
                    .filter(|o| l.contains(&o.value))
                    .map(|o| o.value.clone())
                    .collect();
                Ok(Some(AnswerValue::List(ordered)))
            } else {
                Err((
                    "-0",
                    format!("Bitte wählen Sie bei {lde} nur Antworten aus der Liste."),
                    format!("Please choose only listed answers for {len}."),
                ))
            }
        }
        (FieldKind::Number { min, max }, _) => match v::parse_integer(text) {
            None => bad("Bitte eine ganze Zahl angeben.", "enter a whole number."),
            Some(n) if min.is_some_and(|m| n < m) => bad(
                &format!("mindestens {}.", min.unwrap_or(0)),
                &format!("at least {}.", min.unwrap_or(0)),
            ),
            Some(n) if max.is_some_and(|m| n > m) => bad(
                &format!("höchstens {}.", max.unwrap_or(0)),
                &format!("at most {}.", max.unwrap_or(0)),
            ),
            Some(n) => t(n.to_string()),
        },
        (FieldKind::Money { min, max }, _) => {
            let cents = match value {
                AnswerValue::Money(c) => Some(*c),
                _ => v::parse_money_cents(text),
            };
            match cents {
                None => bad(
                    "Bitte einen Betrag in Euro angeben, z. B. 1.234,56.",
                    "enter an amount in euros, e.g. 1,234.56.",
                ),
                Some(c) if min.is_some_and(|m| c < m.saturating_mul(100)) => bad(
                    &format!("mindestens {} €.", min.unwrap_or(0)),
                    &format!("at least €{}.", min.unwrap_or(0)),
                ),
                Some(c) if max.is_some_and(|m| c > m.saturating_mul(100)) => bad(
                    &format!("höchstens {} €.", max.unwrap_or(0)),
                    &format!("at most €{}.", max.unwrap_or(0)),
                ),
                Some(c) => Ok(Some(AnswerValue::Money(c))),
            }
        }
        (FieldKind::TimeSpan, AnswerValue::Span(s)) => check_span(s, now, &lde, &len),
        (FieldKind::File { max_files, .. }, AnswerValue::Files(f)) => {
            if f.len() > *max_files as usize {
                return bad(
                    &format!("höchstens {max_files} Dateien."),
                    &format!("at most {max_files} files."),
                );
            }
            Ok(Some(value.clone()))
        }
        _ => bad(
            "Die Angabe passt nicht zum Feld.",
            "the answer does not fit this field.",
        ),
    }
}

fn check_span(
    s: &SpanValue,
    now: NaiveDateTime,
    lde: &str,
    len: &str,
) -> Result<Option<AnswerValue>, (&'static str, String, String)> {
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

/// Validates one field in `map` in place (normalising it, or keeping raw input on error).
/// `top` is the whole answer set for conditions of group sub-fields.
fn validate_field(
    field: &Field,
    base: &str,
    map: &mut Answers,
    top: &Answers,
    now: NaiveDateTime,
    errors: &mut Vec<FieldError>,
) {
    if let FieldKind::Group {
        min_items,
        max_items,
        fields,
        ..
    } = &field.kind
    {
        let mut items = match map.remove(&field.id) {
            Some(AnswerValue::Group(items)) => items,
            _ => Vec::new(),
        };
        items.truncate(*max_items as usize);
        let (lde, len) = quote(&field.label);
        let min = if field.required {
            (*min_items).max(1)
        } else {
            *min_items
        };
        if (items.len() as u32) < min {
            errors.push(err(
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
                validate_field(sub, &sub_base, item, top, now, errors);
            }
        }
        if !items.is_empty() {
            map.set(field.id.clone(), AnswerValue::Group(items));
        }
        return;
    }
    let value = map
        .get(&field.id)
        .cloned()
        .unwrap_or(AnswerValue::Text(String::new()));
    match check(field, &value, now) {
        Ok(Some(norm)) => map.set(field.id.clone(), norm),
        Ok(None) => {
            map.remove(&field.id);
        }
        Err((suffix, de, en)) => {
            errors.push(err(format!("{base}{suffix}"), field, de, en));
        }
    }
}

/// Validates the POST of one step and merges it into `previous`.
pub fn validate_step(
    variant: &FormVariant,
    step_index: usize,
    raw: &RawStepInput,
    previous: &Answers,
    now: NaiveDateTime,
) -> StepResult {
    let mut answers = previous.clone();
    let mut errors = Vec::new();
    let Some(step) = variant.steps.get(step_index) else {
        return StepResult {
            answers,
            errors,
            exit: None,
        };
    };
    let mut read_errors = Vec::new();
    for f in &step.fields {
        let base = input_base(None, &f.id);
        match read(f, &base, raw, previous.get(&f.id), &mut read_errors) {
            Some(val) => answers.set(f.id.clone(), val),
            None => {
                answers.remove(&f.id);
            }
        }
    }
    let step_shown = shown(&step.show_if, None, &answers);
    let snapshot = answers.clone();
    let mut exit = None;
    for f in &step.fields {
        if !step_shown || !shown(&f.show_if, None, &snapshot) {
            answers.remove(&f.id);
            continue;
        }
        let base = input_base(None, &f.id);
        let read_errs: Vec<FieldError> = read_errors
            .iter()
            .filter(|e| belongs(f, &e.field_id))
            .cloned()
            .collect();
        let n = errors.len();
        validate_field(f, &base, &mut answers, &snapshot, now, &mut errors);
        // A rejected upload already explains an empty file field.
        if !read_errs.is_empty() && matches!(f.kind, FieldKind::File { .. }) {
            errors.truncate(n);
        }
        errors.extend(read_errs);
        if exit.is_none() {
            exit = f
                .exit_if
                .iter()
                .find(|r| condition_holds(&r.when, None, &answers))
                .map(|r| r.referral.clone());
        }
    }
    StepResult {
        answers,
        errors,
        exit,
    }
}

fn belongs(f: &Field, field_id: &str) -> bool {
    f.id == field_id
        || matches!(&f.kind, FieldKind::Group { fields, .. } if fields.iter().any(|s| s.id == field_id))
}

/// Re-validates everything at submit, against the pinned variant.
pub fn validate_all(
    variant: &FormVariant,
    answers: &Answers,
    now: NaiveDateTime,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut scratch = answers.clone();
    for i in variant.visible_steps(answers) {
        for f in &variant.steps[i].fields {
            if shown(&f.show_if, None, answers) {
                validate_field(
                    f,
                    &input_base(None, &f.id),
                    &mut scratch,
                    answers,
                    now,
                    &mut errors,
                );
                for r in &f.exit_if {
                    if condition_holds(&r.when, None, answers) {
                        errors.push(FieldError {
                            input_id: anchor_id(f, &input_base(None, &f.id)),
                            field_id: f.id.clone(),
                            message: r.referral.title.clone(),
                        });
                    }
                }
            }
        }
    }
    errors
}

/// Drops answers of hidden steps and fields (call before review and submit).
pub fn prune_hidden(variant: &FormVariant, answers: &Answers) -> Answers {
    let mut out = Answers::default();
    for i in variant.visible_steps(answers) {
        for f in &variant.steps[i].fields {
            if shown(&f.show_if, None, answers) {
                if let Some(val) = answers.get(&f.id) {
                    out.set(f.id.clone(), val.clone());
                }
            }
        }
    }
    out
}

fn group(variant: &FormVariant, group_id: &str) -> Option<u32> {
    match &variant.field(group_id)?.kind {
        FieldKind::Group { max_items, .. } => Some(*max_items),
        _ => None,
    }
}

/// Appends an empty item to a repeatable group; false if unknown or full.
pub fn add_group_item(variant: &FormVariant, answers: &mut Answers, group_id: &str) -> bool {
    let Some(max) = group(variant, group_id) else {
        return false;
    };
    let mut items = match answers.remove(group_id) {
        Some(AnswerValue::Group(items)) => items,
        _ => Vec::new(),
    };
    let added = items.len() < max as usize;
    if added {
        items.push(Answers::default());
    }
    answers.set(group_id.to_string(), AnswerValue::Group(items));
    added
}

/// Removes item `index` of a repeatable group; false if there was none.
pub fn remove_group_item(
    variant: &FormVariant,
    answers: &mut Answers,
    group_id: &str,
    index: usize,
) -> bool {
    if group(variant, group_id).is_none() {
        return false;
    }
    match answers.0.get_mut(group_id) {
        Some(AnswerValue::Group(items)) if index < items.len() => {
            items.remove(index);
            if items.is_empty() {
                answers.remove(group_id);
            }
            true
        }
        _ => false,
    }
}

/// A group button's `action` value: `add:<group>` or `remove:<group>.<index>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupAction {
    Add(String),
    Remove(String, usize),
}

impl GroupAction {
    pub fn parse(action: &str) -> Option<GroupAction> {
        if let Some(g) = action.strip_prefix("add:") {
            return Some(GroupAction::Add(g.to_string()));
        }
        let (g, i) = action.strip_prefix("remove:")?.rsplit_once('.')?;
        Some(GroupAction::Remove(g.to_string(), i.parse().ok()?))
    }

    /// Applies the action; false if it changed nothing.
    pub fn apply(&self, variant: &FormVariant, answers: &mut Answers) -> bool {
        match self {
            GroupAction::Add(g) => add_group_item(variant, answers, g),
            GroupAction::Remove(g, i) => remove_group_item(variant, answers, g, *i),
        }
    }
}

/// One row of the "check your answers" page. Holds answers: Debug is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct ReviewRow {
    pub field_id: String,
    pub label: String,
    /// Plain text (may contain line breaks); escape when rendering.
    pub display: String,
}

impl std::fmt::Debug for ReviewRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReviewRow({})", self.field_id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewStep {
    pub step_index: usize,
    pub step_id: String,
    pub title: String,
    pub rows: Vec<ReviewRow>,
}

fn german_date(iso: &str, lang: Lang) -> String {
    match v::parse_date(iso) {
        Some(d) if lang == Lang::De => d.format("%d.%m.%Y").to_string(),
        Some(d) => d.format("%d/%m/%Y").to_string(),
        None => iso.to_string(),
    }
}

/// Plain-text display of one answer.
pub fn display_value(field: &Field, value: &AnswerValue, lang: Lang) -> String {
    let option_label = |x: &str| {
        field
            .kind
            .options()
            .and_then(|o| o.iter().find(|c| c.value == x))
            .map(|c| c.label.get(lang).to_string())
            .unwrap_or_else(|| x.to_string())
    };
    match (&field.kind, value) {
        (FieldKind::YesNo, AnswerValue::Text(s)) => match s.as_str() {
            "yes" => lang.t("Ja", "Yes").to_string(),
            "no" => lang.t("Nein", "No").to_string(),
            _ => s.clone(),
        },
        (FieldKind::Select { .. } | FieldKind::Radio { .. }, AnswerValue::Text(s)) => {
            option_label(s)
        }
        (FieldKind::Country, AnswerValue::Text(s)) => country(s)
            .map(|c| lang.t(c.de, c.en).to_string())
            .unwrap_or_else(|| s.clone()),
        (FieldKind::Date { .. }, AnswerValue::Text(s)) => german_date(s, lang),
        (_, AnswerValue::Text(s)) => s.clone(),
        (_, AnswerValue::List(l)) => l
            .iter()
            .map(|x| option_label(x))
            .collect::<Vec<_>>()
            .join(", "),
        (_, AnswerValue::Money(c)) => match lang {
            Lang::De => format!("{} €", v::format_cents(*c, true)),
            Lang::En => format!("€{}", v::format_cents(*c, false)),
        },
        (_, AnswerValue::Span(s)) => {
            let at = |d: &str, t: &str| {
                let d = german_date(d, lang);
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
        (_, AnswerValue::Files(f)) => f
            .iter()
            .map(|f| format!("{} ({} KB)", f.file_name, f.size.div_ceil(1024)))
            .collect::<Vec<_>>()
            .join("\n"),
        (
            FieldKind::Group {
                item_label, fields, ..
            },
            AnswerValue::Group(items),
        ) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let parts: Vec<String> = fields
                    .iter()
                    .filter_map(|sub| {
                        let val = item.get(&sub.id).filter(|x| x.is_set())?;
                        Some(format!(
                            "{}: {}",
                            sub.label.get(lang),
                            display_value(sub, val, lang)
                        ))
                    })
                    .collect();
                format!("{} {}: {}", item_label.get(lang), i + 1, parts.join("; "))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        (_, AnswerValue::Group(items)) => format!("{} items", items.len()),
    }
}

/// The answered, visible fields of every visible step, for review and the report.
pub fn review(variant: &FormVariant, answers: &Answers, lang: Lang) -> Vec<ReviewStep> {
    variant
        .visible_steps(answers)
        .into_iter()
        .map(|i| {
            let step = &variant.steps[i];
            let rows = step
                .fields
                .iter()
                .filter(|f| shown(&f.show_if, None, answers))
                .filter_map(|f| {
                    let val = answers.get(&f.id).filter(|x| x.is_set())?;
                    Some(ReviewRow {
                        field_id: f.id.clone(),
                        label: f.label.get(lang).to_string(),
                        display: display_value(f, val, lang),
                    })
                })
                .collect();
            ReviewStep {
                step_index: i,
                step_id: step.id.clone(),
                title: step.title.get(lang).to_string(),
                rows,
            }
        })
        .collect()
}
