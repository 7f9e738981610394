//! HTML for the fields of one step (`templates/forms/`). The caller embeds the fragment
//! inside its own `<form>`, with error summary, buttons and CSRF token.
//!
//! Without JavaScript nothing appears on the fly, so a field whose `show_if` depends on
//! a field of the same step is always rendered (and ignored on POST if hidden).

use askama::Template;

use super::answers::{AnswerValue, Answers, FieldError};
use super::countries::COUNTRIES;
use super::schema::{Field, FieldKind, FormVariant, Step};
use super::validate::{anchor_id, condition_holds, input_base};
use super::values::format_cents;
use crate::i18n::Lang;

/// One option of a radio, checkbox or select list.
#[derive(Debug, Clone)]
pub struct OptionView {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Clone, Default)]
pub struct SpanView {
    pub from_date: String,
    pub from_time: String,
    pub to_date: String,
    pub to_time: String,
    /// Which of the four inputs the error is about: "from-date", "to-time", ...
    pub invalid: &'static str,
}

#[derive(Clone)]
pub struct FileView {
    pub name: String,
    pub size_kb: u64,
    pub sha256: String,
    pub id: String,
}

#[derive(Clone)]
pub struct ItemView {
    pub legend: String,
    pub remove_value: String,
    pub fields: Vec<FieldView>,
}

/// Everything a field template needs, precomputed. Holds answers: no Debug.
#[derive(Clone)]
pub struct FieldView {
    /// TOML type name, or "input" for single-line inputs.
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    pub label: String,
    pub hint: String,
    pub required: bool,
    pub error: String,
    pub describedby: String,
    pub value: String,
    pub input_type: &'static str,
    pub inputmode: &'static str,
    pub autocomplete: String,
    pub maxlength: u32,
    pub limit_hint: String,
    pub suffix: String,
    pub options: Vec<OptionView>,
    pub span: SpanView,
    pub files: Vec<FileView>,
    pub accept: String,
    pub multiple: bool,
    pub items: Vec<ItemView>,
    pub count: usize,
    pub can_add: bool,
    pub add_value: String,
    pub add_label: String,
}

/// Short interface texts in the page language.
#[derive(Debug, Clone)]
pub struct Texts {
    pub optional: &'static str,
    pub error: &'static str,
    pub choose: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub date: &'static str,
    pub time: &'static str,
    pub to_hint: &'static str,
    pub remove: &'static str,
    pub remove_file: &'static str,
    pub uploaded: &'static str,
}

impl Texts {
    fn new(lang: Lang) -> Texts {
        Texts {
            optional: lang.t("(freiwillig)", "(optional)"),
            error: lang.t("Fehler", "Error"),
            choose: lang.t("Bitte auswählen", "Please choose"),
            from: lang.t("Wann genau, oder ab wann?", "When exactly, or from when?"),
            to: lang.t(
                "Bis wann? (nur bei einem Zeitraum)",
                "Until when? (only for a period)",
            ),
            date: lang.t("Datum", "Date"),
            time: lang.t("Uhrzeit", "Time"),
            to_hint: lang.t(
                "Leer lassen, wenn Sie den genauen Zeitpunkt kennen.",
                "Leave empty if you know the exact time.",
            ),
            remove: lang.t("Entfernen", "Remove"),
            remove_file: lang.t("Diese Datei entfernen", "Remove this file"),
            uploaded: lang.t("Bereits hochgeladen:", "Already uploaded:"),
        }
    }
}

/// The fields of one step, ready to render.
#[derive(Template, Clone)]
#[template(path = "forms/step_fields.html")]
pub struct StepFields {
    pub fields: Vec<FieldView>,
    pub t: Texts,
    multipart: bool,
}

impl std::fmt::Debug for StepFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StepFields({} fields)", self.fields.len())
    }
}

impl StepFields {
    pub fn new(
        variant: &FormVariant,
        step_index: usize,
        answers: &Answers,
        errors: &[FieldError],
        lang: Lang,
    ) -> StepFields {
        let mut fields = Vec::new();
        let mut multipart = false;
        if let Some(step) = variant.steps.get(step_index) {
            multipart = step.has_files();
            for f in &step.fields {
                if !render_field(f, step, answers) {
                    continue;
                }
                fields.push(view(f, None, answers.get(&f.id), errors, lang));
            }
        }
        StepFields {
            fields,
            t: Texts::new(lang),
            multipart,
        }
    }

    /// The surrounding `<form>` needs `enctype="multipart/form-data"`.
    pub fn needs_multipart(&self) -> bool {
        self.multipart
    }

    /// The HTML fragment.
    pub fn to_html(&self) -> Result<String, askama::Error> {
        self.render()
    }
}

fn render_field(f: &Field, step: &Step, answers: &Answers) -> bool {
    let Some(c) = &f.show_if else { return true };
    let mut refs = Vec::new();
    c.fields(&mut refs);
    let same_step = refs.iter().any(|r| step.fields.iter().any(|x| x.id == *r));
    same_step || condition_holds(c, None, answers)
}

fn text_value(v: Option<&AnswerValue>, lang: Lang) -> String {
    match v {
        Some(AnswerValue::Text(s)) => s.clone(),
        Some(AnswerValue::Money(c)) => format_cents(*c, lang == Lang::De),
        _ => String::new(),
    }
}

fn view(
    f: &Field,
    group: Option<(&str, usize)>,
    value: Option<&AnswerValue>,
    errors: &[FieldError],
    lang: Lang,
) -> FieldView {
    let base = input_base(group, &f.id);
    let anchor = anchor_id(f, &base);
    let ids = [
        base.clone(),
        anchor.clone(),
        format!("{base}-from-date"),
        format!("{base}-from-time"),
        format!("{base}-to-date"),
        format!("{base}-to-time"),
    ];
    let found = errors
        .iter()
        .find(|e| e.field_id == f.id && ids.contains(&e.input_id));
    let error = found
        .map(|e| e.message.get(lang).to_string())
        .unwrap_or_default();
    let span_invalid = match found.map(|e| e.input_id.strip_prefix(base.as_str())) {
        Some(Some("-from-time")) => "from-time",
        Some(Some("-to-date")) => "to-date",
        Some(Some("-to-time")) => "to-time",
        Some(_) => "from-date",
        None => "",
    };
    let hint = f
        .hint
        .as_ref()
        .map(|h| h.get(lang).to_string())
        .unwrap_or_default();
    let mut limit_hint = String::new();
    let mut describedby = Vec::new();
    if !hint.is_empty() {
        describedby.push(format!("{base}-hint"));
    }
    let (mut input_type, mut inputmode, mut maxlength, mut suffix) = ("text", "", 0, String::new());
    let mut options = Vec::new();
    let mut kind = "input";
    let choice = |v: &str, label: String, k: usize, checked: bool| OptionView {
        id: format!("{base}-{k}"),
        value: v.to_string(),
        label,
        checked,
    };
    let checked = |x: &str| value.is_some_and(|a| a.matches(x));
    let mut view_span = SpanView::default();
    let mut files = Vec::new();
    let mut accept = String::new();
    let mut items = Vec::new();
    let (mut can_add, mut add_label) = (false, String::new());
    match &f.kind {
        FieldKind::Text { max_length, .. } => maxlength = *max_length,
        FieldKind::Textarea { max_length } => {
            kind = "textarea";
            maxlength = *max_length;
            limit_hint = match lang {
                Lang::De => format!("Höchstens {max_length} Zeichen."),
                Lang::En => format!("At most {max_length} characters."),
            };
            describedby.push(format!("{base}-limit"));
        }
        FieldKind::Email => input_type = "email",
        FieldKind::Phone => input_type = "tel",
        FieldKind::Url => input_type = "url",
        FieldKind::Date { .. } => input_type = "date",
        FieldKind::Time => input_type = "time",
        FieldKind::Number { .. } => inputmode = "numeric",
        FieldKind::Money { .. } => {
            inputmode = "decimal";
            suffix = "€".into();
        }
        FieldKind::PostalCode => {
            inputmode = "numeric";
            maxlength = 5;
        }
        FieldKind::Iban => maxlength = 42,
        FieldKind::LicencePlate => maxlength = 14,
        FieldKind::Vin => maxlength = 20,
        FieldKind::FrameNumber => maxlength = 30,
        FieldKind::Select { options: o }
        | FieldKind::Radio { options: o }
        | FieldKind::Checkboxes { options: o } => {
            kind = f.kind.name();
            options = o
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    choice(
                        &c.value,
                        c.label.get(lang).to_string(),
                        k,
                        checked(&c.value),
                    )
                })
                .collect();
            if kind == "select" {
                options.iter_mut().for_each(|o| o.id.clear());
            }
        }
        FieldKind::YesNo => {
            kind = "radio";
            options = vec![
                choice("yes", lang.t("Ja", "Yes").into(), 0, checked("yes")),
                choice("no", lang.t("Nein", "No").into(), 1, checked("no")),
            ];
        }
        FieldKind::Country => {
            kind = "select";
            options = COUNTRIES
                .iter()
                .map(|c| OptionView {
                    id: String::new(),
                    value: c.code.into(),
                    label: lang.t(c.de, c.en).into(),
                    checked: checked(c.code),
                })
                .collect();
        }
        FieldKind::TimeSpan => {
            kind = "time_span";
            if let Some(AnswerValue::Span(s)) = value {
                view_span = SpanView {
                    from_date: s.from_date.clone(),
                    from_time: s.from_time.clone(),
                    to_date: s.to_date.clone(),
                    to_time: s.to_time.clone(),
                    invalid: "",
                };
            }
            view_span.invalid = span_invalid;
        }
        FieldKind::File {
            max_files,
            max_size_kb,
            accept: types,
        } => {
            kind = "file";
            accept = types.iter().map(|t| t.mime()).collect::<Vec<_>>().join(",");
            let names: Vec<&str> = types
                .iter()
                .map(|t| match t.mime() {
                    "application/pdf" => "PDF",
                    "image/png" => "PNG",
                    "image/webp" => "WebP",
                    _ => "JPEG",
                })
                .collect();
            let mb = f64::from(*max_size_kb) / 1024.0;
            limit_hint = match lang {
                Lang::De => format!(
                    "{}; höchstens {} Dateien, je bis {} MB.",
                    names.join(", "),
                    max_files,
                    format!("{mb:.1}").replace('.', ",")
                ),
                Lang::En => format!(
                    "{}; at most {} files, up to {:.1} MB each.",
                    names.join(", "),
                    max_files,
                    mb
                ),
            };
            describedby.push(format!("{base}-limit"));
            if let Some(AnswerValue::Files(list)) = value {
                files = list
                    .iter()
                    .enumerate()
                    .map(|(k, u)| FileView {
                        name: u.file_name.clone(),
                        size_kb: u.size.div_ceil(1024),
                        sha256: u.sha256.clone(),
                        id: format!("{base}-remove-{k}"),
                    })
                    .collect();
            }
        }
        FieldKind::Group {
            max_items,
            item_label,
            fields,
            ..
        } => {
            kind = "group";
            let list = match value {
                Some(AnswerValue::Group(l)) => l.clone(),
                _ => Vec::new(),
            };
            can_add = list.len() < *max_items as usize;
            add_label = match lang {
                Lang::De => format!("{} hinzufügen", item_label.de),
                Lang::En => format!("Add {}", item_label.en.to_lowercase()),
            };
            for (i, item) in list.iter().enumerate() {
                let sub_views = fields
                    .iter()
                    .map(|sub| view(sub, Some((&f.id, i)), item.get(&sub.id), errors, lang))
                    .collect();
                items.push(ItemView {
                    legend: format!("{} {}", item_label.get(lang), i + 1),
                    remove_value: format!("remove:{}.{i}", f.id),
                    fields: sub_views,
                });
            }
        }
    }
    if !error.is_empty() {
        describedby.push(format!("{base}-error"));
    }
    let autocomplete = f
        .autocomplete
        .clone()
        .or_else(|| f.role.and_then(|r| r.autocomplete()).map(str::to_string))
        .unwrap_or_default();
    FieldView {
        kind,
        id: base.clone(),
        name: base.clone(),
        label: f.label.get(lang).to_string(),
        hint,
        required: f.required,
        error,
        describedby: describedby.join(" "),
        value: text_value(value, lang),
        input_type,
        inputmode,
        autocomplete,
        maxlength,
        limit_hint,
        suffix,
        options,
        span: view_span,
        files,
        accept,
        multiple: matches!(f.kind, FieldKind::File { max_files, .. } if max_files > 1),
        count: items.len(),
        items,
        can_add,
        add_value: format!("add:{}", f.id),
        add_label,
    }
}
