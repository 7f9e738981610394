//! The plaintext that is sealed to the police: schema `internetwache.report.v1`.
//! Plain data, independent of the forms module, so a receiver can parse it
//! with nothing but this file (or the README's envelope specification).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::reports::case_number::CaseNumber;

pub const SCHEMA: &str = "internetwache.report.v1";

/// Debug is redacted: answers and attachments are personal data.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDocument {
    /// Always [`SCHEMA`].
    pub schema: String,
    pub case_number: CaseNumber,
    /// Lower-case state code, e.g. `be`.
    pub state: String,
    pub form: FormRef,
    pub submitted_at: DateTime<Utc>,
    /// Language the citizen used, e.g. `de` or `en`.
    pub language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<Office>,
    /// In the order the citizen saw them.
    pub answers: Vec<Answer>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Evidence in case the report is abused (§ 145d, § 164 StGB), only where the state's
    /// `seal_client_address` is on. Sealed like everything here: the police alone read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientEvidence>,
}

/// Where the report came from, as the intake saw it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientEvidence {
    /// The client's IP address.
    pub address: String,
    /// The `User-Agent` header, empty when none was sent.
    pub user_agent: String,
}

impl std::fmt::Debug for ClientEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientEvidence(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormRef {
    pub id: String,
    pub version: u32,
    /// Hex SHA-256 of the pinned form variant.
    pub content_hash: String,
    /// The title in the citizen's language.
    pub title: String,
    /// The title in every language the form offers, by language code (`de`, `en`), as the
    /// citizen's form showed it; empty in documents sealed before titles were carried.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub titles: BTreeMap<String, String>,
}

impl FormRef {
    /// The title in `lang` (a language code), else the citizen's title, else the form id.
    pub fn title_in(&self, lang: &str) -> &str {
        self.titles
            .get(lang)
            .map(String::as_str)
            .or(Some(self.title.as_str()))
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(&self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    pub id: String,
    pub name: String,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub step_id: String,
    pub step_title: String,
    pub field_id: String,
    pub label: String,
    /// A string, a list of strings, or for groups a list of objects
    /// mapping field id to value.
    pub value: serde_json::Value,
    /// The answer as the citizen saw it on the review page.
    pub display: String,
    /// For a repeatable group: its columns in form order, with the labels the citizen saw,
    /// so a reader can show the entries as a table. Empty (and absent) for other answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<Column>,
}

/// One field of a repeatable group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub field_id: String,
    pub label: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub field_id: String,
    pub filename: String,
    pub mime_type: String,
    /// Bytes before base64.
    pub size: u64,
    /// Hex SHA-256 of the raw bytes.
    pub sha256: String,
    /// Standard base64 with padding.
    pub data: String,
}

impl std::fmt::Debug for ReportDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportDocument")
            .field("case_number", &self.case_number)
            .field("form", &self.form.id)
            .field("answers", &self.answers.len())
            .field("attachments", &self.attachments.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("field_id", &self.field_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("field_id", &self.field_id)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl ReportDocument {
    pub fn to_json_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// A plain-text rendering for clerks, one answer per line, grouped by step.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Case number:  {}", self.case_number);
        let _ = writeln!(out, "State:        {}", self.state);
        let _ = writeln!(
            out,
            "Form:         {} ({} v{}, {})",
            self.form.title, self.form.id, self.form.version, self.form.content_hash
        );
        let _ = writeln!(
            out,
            "Submitted at: {}",
            self.submitted_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        );
        let _ = writeln!(out, "Language:     {}", self.language);
        if let Some(o) = &self.office {
            let _ = writeln!(out, "Office:       {} ({})", o.name, o.id);
        }
        let mut step: Option<&str> = None;
        for a in &self.answers {
            if step != Some(a.step_id.as_str()) {
                let _ = writeln!(out, "\n== {} ==", a.step_title);
                step = Some(a.step_id.as_str());
            }
            let mut lines = a.display.lines();
            let _ = writeln!(out, "{}: {}", a.label, lines.next().unwrap_or(""));
            for l in lines {
                let _ = writeln!(out, "    {l}");
            }
        }
        if !self.attachments.is_empty() {
            let _ = writeln!(out, "\n== Attachments ==");
            for f in &self.attachments {
                let _ = writeln!(
                    out,
                    "{} ({}, {} bytes, sha256 {}) [{}]",
                    f.filename, f.mime_type, f.size, f.sha256, f.field_id
                );
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(case_number: CaseNumber) -> ReportDocument {
        ReportDocument {
            schema: SCHEMA.into(),
            state: case_number.state().to_ascii_lowercase(),
            case_number,
            form: FormRef {
                id: "fahrraddiebstahl".into(),
                version: 3,
                content_hash: "ab".repeat(32),
                title: "Fahrraddiebstahl".into(),
                titles: [("de", "Fahrraddiebstahl"), ("en", "Bicycle theft")]
                    .into_iter()
                    .map(|(l, t)| (l.to_owned(), t.to_owned()))
                    .collect(),
            },
            submitted_at: DateTime::parse_from_rfc3339("2026-11-28T17:58:00Z")
                .expect("date")
                .with_timezone(&Utc),
            language: "de".into(),
            office: Some(Office {
                id: "be-lka-online".into(),
                name: "LKA Berlin, Internetwache".into(),
            }),
            answers: vec![
                Answer {
                    step_id: "tat".into(),
                    step_title: "Tat".into(),
                    field_id: "ort".into(),
                    label: "Tatort".into(),
                    value: serde_json::json!("Alexanderplatz 1"),
                    display: "Alexanderplatz 1".into(),
                    columns: Vec::new(),
                },
                Answer {
                    step_id: "rad".into(),
                    step_title: "Fahrrad".into(),
                    field_id: "merkmale".into(),
                    label: "Merkmale".into(),
                    value: serde_json::json!(["rot", "Korb"]),
                    display: "rot\nKorb".into(),
                    columns: Vec::new(),
                },
            ],
            attachments: vec![Attachment {
                field_id: "kaufbeleg".into(),
                filename: "beleg.txt".into(),
                mime_type: "text/plain".into(),
                size: 3,
                sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
                data: "YWJj".into(),
            }],
            client: None,
        }
    }

    #[test]
    fn json_roundtrip_and_text() {
        let doc = sample(CaseNumber::generate("be").expect("case number"));
        let bytes = doc.to_json_bytes().expect("json");
        assert_eq!(ReportDocument::from_json_bytes(&bytes).expect("parse"), doc);
        let text = doc.to_text();
        assert!(text.contains(doc.case_number.as_str()));
        assert!(text.contains("== Fahrrad ==\nMerkmale: rot\n    Korb"));
        assert!(text.contains("beleg.txt (text/plain, 3 bytes"));
        let debug = format!("{doc:?}");
        assert!(!debug.contains("Alexanderplatz") && !debug.contains("YWJj"));
    }

    #[test]
    fn documents_without_titles_stay_readable() {
        let mut doc = sample(CaseNumber::generate("be").expect("case number"));
        assert_eq!(doc.form.title_in("en"), "Bicycle theft");
        let mut json: serde_json::Value =
            serde_json::from_slice(&doc.to_json_bytes().expect("json")).expect("value");
        json["form"].as_object_mut().expect("form").remove("titles");
        let old = ReportDocument::from_json_bytes(json.to_string().as_bytes()).expect("parses");
        assert!(old.form.titles.is_empty());
        assert_eq!(old.form.title_in("en"), "Fahrraddiebstahl");
        doc.form.title.clear();
        doc.form.titles.clear();
        assert_eq!(doc.form.title_in("de"), "fahrraddiebstahl");
    }
}
