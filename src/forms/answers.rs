//! What a citizen entered. These types hold personal data: their Debug output is
//! redacted and they have no Display.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::schema::Referral;
use crate::i18n::I18nText;

/// Answers by field id. Inside a group, each item is an `Answers` of its own.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Answers(pub BTreeMap<String, AnswerValue>);

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerValue {
    /// A normalised value, or the raw input if it was invalid.
    Text(String),
    /// Ticked checkbox values.
    List(Vec<String>),
    /// A valid euro amount in cents.
    Money(i64),
    /// Exact time (from) or span (from–to), each part as entered or normalised
    /// (dates ISO `YYYY-MM-DD`, times `HH:MM`).
    Span(SpanValue),
    Files(Vec<UploadedFile>),
    Group(Vec<Answers>),
}

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanValue {
    pub from_date: String,
    pub from_time: String,
    pub to_date: String,
    pub to_time: String,
}

/// An evidence file whose type was checked by its magic bytes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedFile {
    pub file_name: String,
    /// From the magic bytes, not from what the browser declared.
    pub mime_type: String,
    pub size: u64,
    /// SHA-256 hex of the content.
    pub sha256: String,
    #[serde(flatten)]
    pub content: FileContent,
}

/// Where a file's bytes are. A draft payload names only stored files: the bytes live sealed
/// in a row of their own, so saving a step does not rewrite them (`drafts`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileContent {
    /// Just uploaded (or, read from a draft saved before 0011, inline base64). Never
    /// written into a payload: serializing it is an error, so no save can inline bytes.
    #[serde(
        rename = "bytes",
        skip_serializing,
        deserialize_with = "b64::deserialize"
    )]
    Bytes(Vec<u8>),
    /// Stored apart from the draft payload under this id (`draft_files`).
    #[serde(rename = "file_id")]
    Stored(String),
}

impl UploadedFile {
    /// The bytes, if this value holds them (fresh uploads; not stored draft files).
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.content {
            FileContent::Bytes(b) => Some(b),
            FileContent::Stored(_) => None,
        }
    }
}

mod b64 {
    use super::Engine;
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for Answers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Answers({} fields)", self.0.len())
    }
}

impl fmt::Debug for AnswerValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerValue::Text(_) => f.write_str("Text(<redacted>)"),
            AnswerValue::List(l) => write!(f, "List({} items)", l.len()),
            AnswerValue::Money(_) => f.write_str("Money(<redacted>)"),
            AnswerValue::Span(_) => f.write_str("Span(<redacted>)"),
            AnswerValue::Files(l) => write!(f, "Files({} files)", l.len()),
            AnswerValue::Group(l) => write!(f, "Group({} items)", l.len()),
        }
    }
}

impl fmt::Debug for SpanValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpanValue(<redacted>)")
    }
}

impl fmt::Debug for UploadedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UploadedFile({}, {} bytes)", self.mime_type, self.size)
    }
}

impl Answers {
    /// Every file answer, also those inside group items.
    pub fn files_mut(&mut self) -> Vec<&mut UploadedFile> {
        self.files_by_field_mut()
            .into_iter()
            .map(|(_, f)| f)
            .collect()
    }

    /// Every file answer with the id of the top-level field that holds it.
    pub fn files_by_field_mut(&mut self) -> Vec<(&str, &mut UploadedFile)> {
        let mut out = Vec::new();
        for (field_id, value) in self.0.iter_mut() {
            match value {
                AnswerValue::Files(files) => {
                    out.extend(files.iter_mut().map(|f| (field_id.as_str(), f)));
                }
                AnswerValue::Group(items) => {
                    for item in items {
                        out.extend(item.files_mut().into_iter().map(|f| (field_id.as_str(), f)));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Whether a file's bytes are held inline, not yet in a row of their own (an upload
    /// not yet saved, or a draft saved before files had rows).
    pub fn holds_file_bytes(&self) -> bool {
        self.0.values().any(|value| match value {
            AnswerValue::Files(files) => files
                .iter()
                .any(|f| matches!(f.content, FileContent::Bytes(_))),
            AnswerValue::Group(items) => items.iter().any(Answers::holds_file_bytes),
            _ => false,
        })
    }

    /// The ids of the stored files the answers name.
    pub fn stored_file_ids(&self) -> Vec<String> {
        let mut out = Vec::new();
        for value in self.0.values() {
            match value {
                AnswerValue::Files(files) => {
                    out.extend(files.iter().filter_map(|f| match &f.content {
                        FileContent::Stored(id) => Some(id.clone()),
                        FileContent::Bytes(_) => None,
                    }))
                }
                AnswerValue::Group(items) => {
                    for item in items {
                        out.extend(item.stored_file_ids());
                    }
                }
                _ => {}
            }
        }
        out
    }

    pub fn get(&self, field_id: &str) -> Option<&AnswerValue> {
        self.0.get(field_id)
    }

    pub fn text(&self, field_id: &str) -> Option<&str> {
        match self.0.get(field_id) {
            Some(AnswerValue::Text(s)) => Some(s),
            _ => None,
        }
    }

    pub fn set(&mut self, field_id: impl Into<String>, value: AnswerValue) {
        self.0.insert(field_id.into(), value);
    }

    pub fn remove(&mut self, field_id: &str) -> Option<AnswerValue> {
        self.0.remove(field_id)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl AnswerValue {
    /// Whether anything was entered.
    pub fn is_set(&self) -> bool {
        match self {
            AnswerValue::Text(s) => !s.trim().is_empty(),
            AnswerValue::List(l) => !l.is_empty(),
            AnswerValue::Money(_) => true,
            AnswerValue::Span(s) => {
                !(s.from_date.trim().is_empty()
                    && s.from_time.trim().is_empty()
                    && s.to_date.trim().is_empty()
                    && s.to_time.trim().is_empty())
            }
            AnswerValue::Files(l) => !l.is_empty(),
            AnswerValue::Group(l) => !l.is_empty(),
        }
    }

    /// Whether the value equals `v` (for lists: contains it).
    pub fn matches(&self, v: &str) -> bool {
        match self {
            AnswerValue::Text(s) => s == v,
            AnswerValue::List(l) => l.iter().any(|x| x == v),
            _ => false,
        }
    }
}

/// One file part of a multipart POST, as received.
#[derive(Clone)]
pub struct RawFile {
    pub input_name: String,
    pub file_name: String,
    pub declared_type: String,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for RawFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RawFile({}, {} bytes)",
            self.input_name,
            self.bytes.len()
        )
    }
}

/// Exactly what an urlencoded or multipart POST of one step carried.
#[derive(Clone, Default)]
pub struct RawStepInput {
    pub pairs: Vec<(String, String)>,
    pub files: Vec<RawFile>,
}

impl fmt::Debug for RawStepInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RawStepInput({} pairs, {} files)",
            self.pairs.len(),
            self.files.len()
        )
    }
}

impl RawStepInput {
    pub fn first(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A problem with one input, for the error summary and the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// HTML id of the input to link to from the error summary.
    pub input_id: String,
    /// Schema id of the field (inside a group: the sub-field's id).
    pub field_id: String,
    pub message: I18nText,
}

/// The outcome of validating one step.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// Merged, normalised answers; always returned so entered values are kept.
    pub answers: Answers,
    pub errors: Vec<FieldError>,
    /// Set when an `exit_if` rule of this step applies.
    pub exit: Option<Referral>,
}

impl StepResult {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty() && self.exit.is_none()
    }
}
