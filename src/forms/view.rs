//! The view model a field template gets. The kinds fill it (`kinds/`), `render` lays the
//! common parts out and hands it to `templates/forms/`. Holds answers: no Debug.

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

/// Everything a field template needs, precomputed.
#[derive(Clone, Default)]
pub struct FieldView {
    /// Template to use: TOML type name, or "input" for single-line inputs.
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
