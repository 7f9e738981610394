//! The triage index taken from a report when it arrives, and the status flow clerks move a
//! report through:
//!
//! ```text
//! eingegangen → in_pruefung → abgegeben (an Dienststelle X) → abgeschlossen
//!                    ├──────→ zurueckgewiesen
//!                    └──────→ rueckfrage → in_pruefung
//! ```
//!
//! The index is what a copy of the inbox database shows without the key file, so it holds
//! only what triage needs: category, office, postal code and place of the scene, time of
//! the offence, damage in euros.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::reports::document::ReportDocument;
use crate::store::inbox::TriageColumns;

/// Field ids of the shipped shared steps `tatort` and `tatzeit` (roles `scene_postal_code`,
/// `scene_city`, `incident_time`); every form that asks for the scene uses these steps.
const SCENE_POSTAL_CODE: &str = "tatort_plz";
const SCENE_PLACE: &str = "tatort_ort";
const OFFENCE_TIME: &str = "tatzeit";

/// The index of an opened report.
pub fn index_of(doc: &ReportDocument) -> TriageColumns {
    let text = |field: &str| {
        answer(doc, field)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    TriageColumns {
        form_id: Some(doc.form.id.clone()),
        form_version: Some(i64::from(doc.form.version)),
        // Every shipped form's category is its form id (overlays keep the base's id).
        category: Some(doc.form.id.clone()),
        category_title_de: title(doc, "de"),
        category_title_en: title(doc, "en"),
        office_id: doc.office.as_ref().map(|o| o.id.clone()),
        scene_postal_code: text(SCENE_POSTAL_CODE),
        scene_place: text(SCENE_PLACE),
        offence_time: answer(doc, OFFENCE_TIME).and_then(offence_time),
        // Money fields are the ones whose value is `{"eur_cents": N}`; the first one is the
        // loss or value the form asks for.
        damage_eur_cents: doc
            .answers
            .iter()
            .find_map(|a| a.value.get("eur_cents").and_then(Value::as_i64)),
    }
}

/// The form's title in `lang`: from `form.titles`, or (documents sealed before titles were
/// carried) the one title when the citizen used `lang`; `None` otherwise.
fn title(doc: &ReportDocument, lang: &str) -> Option<String> {
    let own = (doc.language == lang).then_some(&doc.form.title);
    doc.form
        .titles
        .get(lang)
        .or(own)
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn answer<'a>(doc: &'a ReportDocument, field_id: &str) -> Option<&'a Value> {
    doc.answers
        .iter()
        .find(|a| a.field_id == field_id)
        .map(|a| &a.value)
}

/// `YYYY-MM-DD[ HH:MM]`, or `from – to` for a span.
fn offence_time(value: &Value) -> Option<String> {
    let part = |date: &str, time: &str| {
        let date = value.get(date).and_then(Value::as_str).unwrap_or("").trim();
        let time = value.get(time).and_then(Value::as_str).unwrap_or("").trim();
        match (date.is_empty(), time.is_empty()) {
            (true, _) => None,
            (false, true) => Some(date.to_owned()),
            (false, false) => Some(format!("{date} {time}")),
        }
    };
    let from = part("from_date", "from_time")?;
    Some(match part("to_date", "to_time") {
        Some(to) => format!("{from} – {to}"),
        None => from,
    })
}

/// Where a report stands in the police inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Eingegangen,
    InPruefung,
    /// Handed to another office for the investigation.
    Abgegeben,
    Abgeschlossen,
    Zurueckgewiesen,
    /// Waiting for an answer to a question.
    Rueckfrage,
}

/// What the intake and the citizen see: coarse, content-free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoarseStatus {
    InBearbeitung,
    Abgegeben,
    Abgeschlossen,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Eingegangen,
        Status::InPruefung,
        Status::Abgegeben,
        Status::Abgeschlossen,
        Status::Zurueckgewiesen,
        Status::Rueckfrage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Eingegangen => "eingegangen",
            Status::InPruefung => "in_pruefung",
            Status::Abgegeben => "abgegeben",
            Status::Abgeschlossen => "abgeschlossen",
            Status::Zurueckgewiesen => "zurueckgewiesen",
            Status::Rueckfrage => "rueckfrage",
        }
    }

    /// What clerks read, German or English.
    pub fn label(self, german: bool) -> &'static str {
        let (de, en) = match self {
            Status::Eingegangen => ("eingegangen", "received"),
            Status::InPruefung => ("in Prüfung", "under review"),
            Status::Abgegeben => ("abgegeben", "handed over"),
            Status::Abgeschlossen => ("abgeschlossen", "closed"),
            Status::Zurueckgewiesen => ("zurückgewiesen", "rejected"),
            Status::Rueckfrage => ("Rückfrage", "question pending"),
        };
        if german {
            de
        } else {
            en
        }
    }

    /// Whether a clerk may move a report from `self` to `next`.
    pub fn may_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (Eingegangen, InPruefung)
                | (InPruefung, Abgegeben)
                | (InPruefung, Zurueckgewiesen)
                | (InPruefung, Rueckfrage)
                | (Rueckfrage, InPruefung)
                | (Abgegeben, Abgeschlossen)
        )
    }

    /// `abgegeben` names the office it was handed to; no other status does.
    pub fn needs_office(self) -> bool {
        self == Status::Abgegeben
    }

    /// The status the intake is told, if any (`eingegangen` is the intake's own
    /// "zugestellt", set from the receipt).
    pub fn coarse(self) -> Option<CoarseStatus> {
        match self {
            Status::Eingegangen => None,
            Status::InPruefung | Status::Rueckfrage => Some(CoarseStatus::InBearbeitung),
            Status::Abgegeben => Some(CoarseStatus::Abgegeben),
            Status::Abgeschlossen | Status::Zurueckgewiesen => Some(CoarseStatus::Abgeschlossen),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Status, UnknownStatus> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim())
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

impl CoarseStatus {
    /// What staff and citizens read, German or English.
    pub fn label(self, german: bool) -> &'static str {
        match (self, german) {
            (CoarseStatus::InBearbeitung, true) => "in Bearbeitung",
            (CoarseStatus::InBearbeitung, false) => "in progress",
            (CoarseStatus::Abgegeben, true) => "abgegeben",
            (CoarseStatus::Abgegeben, false) => "handed over",
            (CoarseStatus::Abgeschlossen, true) => "abgeschlossen",
            (CoarseStatus::Abgeschlossen, false) => "closed",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CoarseStatus::InBearbeitung => "in_bearbeitung",
            CoarseStatus::Abgegeben => "abgegeben",
            CoarseStatus::Abgeschlossen => "abgeschlossen",
        }
    }
}

impl FromStr for CoarseStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<CoarseStatus, UnknownStatus> {
        [
            CoarseStatus::InBearbeitung,
            CoarseStatus::Abgegeben,
            CoarseStatus::Abgeschlossen,
        ]
        .into_iter()
        .find(|st| st.as_str() == s.trim())
        .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::case_number::CaseNumber;
    use crate::reports::document::tests::sample;
    use crate::reports::document::Answer;

    #[test]
    fn index_takes_scene_time_and_damage() {
        let mut doc = sample(CaseNumber::generate("be").expect("case"));
        let answer = |field: &str, value: Value| Answer {
            step_id: "s".into(),
            step_title: "S".into(),
            field_id: field.into(),
            label: "L".into(),
            value,
            display: String::new(),
            columns: Vec::new(),
        };
        doc.answers.push(answer("tatort_plz", "10178".into()));
        doc.answers.push(answer("tatort_ort", "Berlin".into()));
        doc.answers.push(answer(
            "tatzeit",
            serde_json::json!({"from_date": "2026-11-01", "from_time": "22:00",
                               "to_date": "2026-11-02", "to_time": ""}),
        ));
        doc.answers
            .push(answer("wert", serde_json::json!({"eur_cents": 45000})));
        let index = index_of(&doc);
        assert_eq!(index.scene_postal_code.as_deref(), Some("10178"));
        assert_eq!(index.scene_place.as_deref(), Some("Berlin"));
        assert_eq!(
            index.offence_time.as_deref(),
            Some("2026-11-01 22:00 – 2026-11-02")
        );
        assert_eq!(index.damage_eur_cents, Some(45000));
        assert_eq!(index.office_id.as_deref(), Some("be-lka-online"));
        assert_eq!(index.category.as_deref(), Some("fahrraddiebstahl"));
        assert_eq!(index.category_title_en.as_deref(), Some("Bicycle theft"));
        doc.form.titles.clear();
        let old = index_of(&doc);
        assert_eq!(old.category_title_de.as_deref(), Some("Fahrraddiebstahl"));
        assert_eq!(old.category_title_en, None);
    }

    #[test]
    fn status_flow_and_mapping() {
        use Status::*;
        assert!(Eingegangen.may_become(InPruefung));
        assert!(!Eingegangen.may_become(Abgeschlossen));
        assert!(!Abgeschlossen.may_become(InPruefung));
        assert!(Rueckfrage.may_become(InPruefung));
        assert_eq!(Rueckfrage.coarse(), Some(CoarseStatus::InBearbeitung));
        assert_eq!(Zurueckgewiesen.coarse(), Some(CoarseStatus::Abgeschlossen));
        assert_eq!(Eingegangen.coarse(), None);
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
    }
}
