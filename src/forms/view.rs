//! The view model a field template gets. The kinds fill it (`kinds/`), `render` lays the
//! common parts out and hands it to `templates/forms/`. Holds answers: no Debug.

use crate::i18n::Lang;

/// One option of a radio, checkbox or select list. Holds nested views: no Debug.
#[derive(Clone)]
pub struct OptionView {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
    /// Id of the container of the questions that belong to this answer (see
    /// `forms::reveal`); empty if none.
    pub controls: String,
    /// The questions that apply only when this answer is chosen.
    pub nested: Vec<FieldView>,
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
    /// The item's element id, the fragment "add" and "remove" land on.
    pub id: String,
    pub legend: String,
    pub remove_value: String,
    pub fields: Vec<FieldView>,
}

/// One box of a date typed in parts (day, month, year).
#[derive(Clone)]
pub struct DatePartView {
    pub id: String,
    pub label: String,
    pub value: String,
    /// Characters the box is sized for (2 or 4).
    pub width: u8,
    pub autocomplete: &'static str,
    pub invalid: bool,
}

/// Renders a field with its kind's template (see `kinds::spec::field_template`).
pub(crate) type RenderFn = fn(&FieldView, &Texts) -> askama::Result<String>;

/// Everything a field template needs, precomputed.
#[derive(Clone, Default)]
pub struct FieldView {
    /// The kind's template; every view the kinds build has one.
    pub(crate) render: Option<RenderFn>,
    pub id: String,
    pub name: String,
    pub label: String,
    pub hint: String,
    /// Announced as required (`aria-required`): never for a question whose condition
    /// depends on an answer on the same page.
    pub required: bool,
    /// Required, but only when its condition holds: no "(freiwillig)", no `aria-required`
    /// (`data-required-when-shown` lets the script add it once it reveals the question).
    pub required_when_shown: bool,
    /// "(nur wenn „Firma“ gewählt)" for a question that depends on an answer on the same
    /// page; empty otherwise.
    pub only_if: String,
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
    pub parts: Vec<DatePartView>,
    pub files: Vec<FileView>,
    pub accept: String,
    pub multiple: bool,
    pub items: Vec<ItemView>,
    pub count: usize,
    pub can_add: bool,
    pub add_value: String,
    pub add_label: String,
}

impl FieldView {
    /// The label says "(freiwillig)".
    pub fn optional(&self) -> bool {
        !self.required && !self.required_when_shown
    }

    /// The field's HTML: each kind renders itself, so the templates need no dispatch.
    pub fn html(&self, t: &Texts) -> askama::Result<String> {
        self.render
            .map_or(Ok(String::new()), |render| render(self, t))
    }
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
    pub(crate) fn new(lang: Lang) -> Texts {
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
