//! Turning a finished draft into a stored, sealed, queued report.
//!
//! A case number is a promise: it is returned only after the report, its delivery job and its
//! e-mail job are committed together.

use base64::Engine;
use chrono::{DateTime, Utc};

use crate::crypto::police_keys::PoliceKeys;
use crate::crypto::AddressKeyring;
use crate::crypto::{Envelope, EnvelopeMetadata};
use crate::drafts::{Draft, DraftError, DraftService};
use crate::forms::Catalog;
use crate::forms::{
    review, validate_all, AnswerValue, Answers, FieldError, FieldRole, FormVariant, Office,
    StateInfo,
};
use crate::i18n::Lang;
use crate::reports::case_number::{CaseNumber, CaseNumberError};
use crate::reports::document::{self as doc, ClientEvidence, ReportDocument};
use crate::reports::status_code::{StatusCode, StatusCodeError};
use crate::state_code::StateCode;
use crate::store::reports::{self, NewReport, SealedConfirmation, SubmitOutcome};
use crate::store::Db;

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Answers no longer pass the pinned version's checks.
    #[error("{} answers need attention", .0.len())]
    Invalid(Vec<FieldError>),
    /// The variant names a state the forms catalog does not (or no longer) list.
    #[error("state {0} is not in the forms catalog")]
    UnknownState(StateCode),
    #[error("no police key is configured for state {0}")]
    NoKey(StateCode),
    #[error("drawing a case number failed")]
    CaseNumber(#[from] CaseNumberError),
    #[error("drawing a status code failed")]
    StatusCode(#[from] StatusCodeError),
    #[error("the draft cannot be sealed again")]
    Draft(#[from] DraftError),
    #[error("the report document cannot be encoded")]
    Document(#[from] serde_json::Error),
    #[error("sealing failed")]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

#[derive(Debug, Clone)]
pub struct Submitted {
    pub case_number: CaseNumber,
    pub office_id: Option<String>,
}

/// Associated data binding the sealed confirmation address to its report.
pub fn confirmation_aad(case_number: &CaseNumber) -> Vec<u8> {
    [
        b"confirmation-address:".as_slice(),
        case_number.as_str().as_bytes(),
    ]
    .concat()
}

/// What the confirmation e-mail job opens: the address and the status code, sealed together
/// with the server key and erased once the mail is sent.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct SealedMail {
    pub address: String,
    pub status_code: String,
}

impl std::fmt::Debug for SealedMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedMail(..)")
    }
}

/// The responsible office: by the crime scene's postal code, otherwise the reporter's.
/// Only submission decides the office; later pages read the stored `office_id`.
fn route<'a>(state: &'a StateInfo, variant: &FormVariant, answers: &Answers) -> &'a Office {
    [FieldRole::ScenePostalCode, FieldRole::ReporterPostalCode]
        .into_iter()
        .filter_map(|role| variant.role_value(answers, role))
        .find_map(|code| state.office_for_postal_code(&code))
        .unwrap_or_else(|| state.central_office())
}

/// What filing a report needs, and nothing more: the store, the catalog for the office,
/// the police keys to seal to, and the server key that seals the confirmation address.
pub struct Submitter<'a> {
    pub db: &'a Db,
    pub catalog: &'a Catalog,
    pub police_keys: &'a PoliceKeys,
    pub address_keys: &'a AddressKeyring,
    pub max_attempts: u32,
    /// Filings being sealed at once. Each holds its attachments, the document and the
    /// envelope in memory (about three times the attachments); beyond a few per core they
    /// only queue for the CPU, so the rest wait here holding nothing.
    pub sealing: &'a tokio::sync::Semaphore,
}

/// How many filings an instance seals at once: four per core (each also waits for its
/// database write while holding its slot).
pub fn sealing_slots() -> usize {
    std::thread::available_parallelism().map_or(4, |n| n.get() * 4)
}

#[tracing::instrument(skip_all, fields(draft_id = %draft.id, state = %variant.state, form = %variant.id, case = tracing::field::Empty))]
pub async fn submit(
    app: &Submitter<'_>,
    draft: &Draft,
    variant: &FormVariant,
    lang: Lang,
    now: DateTime<Utc>,
    client: Option<&ClientEvidence>,
) -> Result<Submitted, SubmitError> {
    if let Some(case_number) = &draft.case_number {
        return Ok(Submitted {
            case_number: case_number.clone(),
            office_id: None,
        });
    }
    let answers = &draft.payload.answers;
    let errors = validate_all(variant, answers, crate::clock::local_now(now));
    if !errors.is_empty() {
        return Err(SubmitError::Invalid(errors));
    }
    let state_info = app
        .catalog
        .state(&variant.state)
        .ok_or_else(|| SubmitError::UnknownState(variant.state.clone()))?;
    let office = route(state_info, variant, answers);
    let key = app
        .police_keys
        .sealing_key(variant.state.as_str())
        .ok_or_else(|| SubmitError::NoKey(variant.state.clone()))?;
    let email = variant.role_value(answers, FieldRole::ReporterEmail);
    // The semaphore is never closed; were it, filing would go on without a slot.
    let _slot = app.sealing.acquire().await.ok();
    // The evidence files live in rows of their own; the report carries their bytes.
    let with_files = match draft.answers_with_files(app.db).await {
        Err(DraftError::MissingFile {
            field_id,
            file_name,
        }) => {
            return Err(SubmitError::Invalid(vec![missing_file(
                field_id, &file_name,
            )]))
        }
        other => other?,
    };

    loop {
        let case_number = CaseNumber::generate(variant.state.as_str())?;
        let status_code = StatusCode::generate()?;
        let mut filed_payload = draft.payload.clone();
        filed_payload.status_code = Some(status_code.expose().to_owned());
        let draft_payload = DraftService::seal_payload(draft, &filed_payload)?;
        let metadata = EnvelopeMetadata {
            case_number: case_number.clone(),
            state: variant.state.to_string(),
            recipient_key_id: key.key_id.clone(),
            form_id: variant.id.clone(),
            form_version: variant.version,
            form_content_hash: variant.content_hash.clone(),
            submitted_at: now,
            office_id: Some(office.id.clone()),
        };
        // Each copy of the report (document, JSON, ciphertext) is dropped as soon as the
        // next exists: with a large attachment they dominate a submit's memory.
        let (envelope_json, envelope_sha256) = {
            let plaintext = {
                let mut document =
                    report_document(variant, &with_files, &case_number, office, lang, now);
                document.client = client.cloned();
                document.to_json_bytes()?
            };
            let envelope = Envelope::seal(&metadata, key, &plaintext)?;
            drop(plaintext);
            envelope.to_json_with_sha256()
        };
        let sealed_address = match &email {
            Some(address) => {
                let mail = serde_json::to_vec(&SealedMail {
                    address: address.clone(),
                    status_code: status_code.expose().to_owned(),
                })?;
                Some(
                    app.address_keys
                        .seal(&confirmation_aad(&case_number), &mail)?,
                )
            }
            None => None,
        };
        let code_hash = status_code.hash(&case_number);
        let new = NewReport {
            case_number: &case_number,
            submission_key: &draft.id,
            state: &variant.state,
            category: &variant.category,
            form_id: &variant.id,
            form_version: i64::from(variant.version),
            content_hash: &variant.content_hash,
            office_id: Some(&office.id),
            key_id: &key.key_id,
            envelope: &envelope_json,
            envelope_sha256: &envelope_sha256,
            submitted_at: now,
            confirmation: sealed_address.as_deref().map(|sealed| SealedConfirmation {
                sealed_address: sealed,
                language: lang.code(),
            }),
            max_attempts: i64::from(app.max_attempts),
            status_code_hash: &code_hash,
            draft_payload: Some(&draft_payload),
        };
        match reports::submit(app.db, &new, Some(&draft.id)).await? {
            SubmitOutcome::Created { .. } => {
                tracing::Span::current().record("case", case_number.log_id());
                metrics::counter!("reports_submitted_total", "state" => variant.state.to_string(), "category" => variant.category.clone()).increment(1);
                tracing::info!(state = %variant.state, form = %variant.id, version = variant.version, "report stored and queued");
                return Ok(Submitted {
                    case_number,
                    office_id: Some(office.id.clone()),
                });
            }
            SubmitOutcome::AlreadySubmitted { case_number } => {
                return Ok(Submitted {
                    case_number,
                    office_id: None,
                })
            }
            SubmitOutcome::CaseNumberTaken => continue,
        }
    }
}

/// A listed file whose stored bytes are gone: the citizen removes it and uploads it again.
fn missing_file(field_id: String, file_name: &str) -> FieldError {
    FieldError {
        input_id: format!("f-{field_id}"),
        field_id,
        message: crate::i18n::I18nText {
            de: format!("Die Datei „{file_name}“ ist nicht mehr gespeichert. Bitte entfernen Sie sie und laden Sie sie erneut hoch."),
            en: format!("The file “{file_name}” is no longer stored. Please remove it and upload it again."),
        },
    }
}

/// The plaintext that gets sealed: every answer with its label, attachments inline.
pub fn report_document(
    variant: &FormVariant,
    answers: &Answers,
    case_number: &CaseNumber,
    office: &Office,
    lang: Lang,
    now: DateTime<Utc>,
) -> ReportDocument {
    let mut doc_answers = Vec::new();
    let mut attachments = Vec::new();
    for step in review(variant, answers, lang) {
        for row in step.rows {
            let value = answers
                .get(&row.field_id)
                .map(|v| answer_json(&row.field_id, v, &mut attachments))
                .unwrap_or(serde_json::Value::Null);
            let columns = variant
                .field(&row.field_id)
                .map(|f| {
                    f.kind
                        .sub_fields()
                        .iter()
                        .map(|s| doc::Column {
                            field_id: s.id.clone(),
                            label: s.label.get(lang).to_owned(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            doc_answers.push(doc::Answer {
                step_id: step.step_id.clone(),
                step_title: step.title.clone(),
                field_id: row.field_id,
                label: row.label,
                value,
                display: row.display,
                columns,
            });
        }
    }
    ReportDocument {
        schema: doc::SCHEMA.to_owned(),
        case_number: case_number.clone(),
        state: variant.state.to_string(),
        form: doc::FormRef {
            id: variant.id.clone(),
            version: variant.version,
            content_hash: variant.content_hash.clone(),
            title: variant.title.get(lang).to_owned(),
            titles: crate::i18n::Lang::ALL
                .into_iter()
                .map(|l| (l.code().to_owned(), variant.title.get(l).to_owned()))
                .collect(),
        },
        submitted_at: now,
        language: lang.code().to_owned(),
        office: Some(doc::Office {
            id: office.id.clone(),
            name: office.name.clone(),
        }),
        answers: doc_answers,
        attachments,
        client: None,
    }
}

fn answer_json(
    field_id: &str,
    value: &AnswerValue,
    attachments: &mut Vec<doc::Attachment>,
) -> serde_json::Value {
    use serde_json::{json, Value};
    match value {
        AnswerValue::Text(s) => Value::String(s.clone()),
        AnswerValue::List(l) => json!(l),
        AnswerValue::Money(cents) => json!({ "eur_cents": cents }),
        AnswerValue::Span(s) => json!({
            "from_date": s.from_date, "from_time": s.from_time,
            "to_date": s.to_date, "to_time": s.to_time,
        }),
        AnswerValue::Files(files) => {
            let mut refs = Vec::new();
            // Only files with their bytes in place reach here (`Draft::answers_with_files`).
            for f in files {
                let bytes = f.bytes().unwrap_or_default();
                refs.push(json!({ "filename": f.file_name, "sha256": f.sha256 }));
                attachments.push(doc::Attachment {
                    field_id: field_id.to_owned(),
                    filename: f.file_name.clone(),
                    mime_type: f.mime_type.clone(),
                    size: bytes.len() as u64,
                    sha256: f.sha256.clone(),
                    data: base64::engine::general_purpose::STANDARD.encode(bytes),
                });
            }
            Value::Array(refs)
        }
        AnswerValue::Group(items) => Value::Array(
            items
                .iter()
                .map(|item| {
                    let map = item
                        .0
                        .iter()
                        .map(|(k, v)| (k.clone(), answer_json(k, v, attachments)))
                        .collect();
                    Value::Object(map)
                })
                .collect(),
        ),
    }
}
