//! The plaintext index of reports and the submit transaction.

use chrono::{DateTime, Utc};

use super::jobs::JobKind;
use super::{Db, StoreResult};
use crate::reports::case_number::CaseNumber;
use crate::state_code::StateCode;
use crate::{with_db, with_owned_writer, with_writer};

/// Everything stored for a new report: the index columns and the sealed envelope.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    pub case_number: &'a CaseNumber,
    /// Identifies the submission (the draft); submitting it again finds the first report.
    pub submission_key: &'a str,
    pub state: &'a StateCode,
    pub category: &'a str,
    pub form_id: &'a str,
    pub form_version: i64,
    pub content_hash: &'a str,
    pub office_id: Option<&'a str>,
    pub key_id: &'a str,
    pub envelope: &'a str,
    pub envelope_sha256: &'a str,
    pub submitted_at: DateTime<Utc>,
    /// The citizen's address sealed with the server key, and the mail's language.
    pub confirmation: Option<SealedConfirmation<'a>>,
    pub max_attempts: i64,
    /// The labelled hash of the citizen's status code (`reports::status_code`).
    pub status_code_hash: &'a str,
    /// The draft re-sealed under the citizen's key, now holding the status code for the
    /// confirmation page; stored together with the draft's case number.
    pub draft_payload: Option<&'a [u8]>,
}

#[derive(Clone)]
pub struct SealedConfirmation<'a> {
    pub sealed_address: &'a [u8],
    pub language: &'a str,
}

impl std::fmt::Debug for SealedConfirmation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedConfirmation({})", self.language)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    Created {
        report_id: i64,
    },
    /// This submission was stored before: here is its case number.
    AlreadySubmitted {
        case_number: CaseNumber,
    },
    /// The generated case number exists already (vanishingly rare): draw another.
    CaseNumberTaken,
}

/// [`NewReport`] owning its data, so the transaction can run on the SQLite writer's thread.
struct OwnedReport {
    case_number: CaseNumber,
    submission_key: String,
    state: StateCode,
    category: String,
    form_id: String,
    form_version: i64,
    content_hash: String,
    office_id: Option<String>,
    key_id: String,
    envelope: String,
    envelope_sha256: String,
    submitted_at: DateTime<Utc>,
    /// (sealed address, language)
    confirmation: Option<(Vec<u8>, String)>,
    max_attempts: i64,
    status_code_hash: String,
    draft_payload: Option<Vec<u8>>,
}

impl From<&NewReport<'_>> for OwnedReport {
    fn from(new: &NewReport<'_>) -> Self {
        OwnedReport {
            case_number: new.case_number.clone(),
            submission_key: new.submission_key.to_owned(),
            state: new.state.clone(),
            category: new.category.to_owned(),
            form_id: new.form_id.to_owned(),
            form_version: new.form_version,
            content_hash: new.content_hash.to_owned(),
            office_id: new.office_id.map(str::to_owned),
            key_id: new.key_id.to_owned(),
            envelope: new.envelope.to_owned(),
            envelope_sha256: new.envelope_sha256.to_owned(),
            submitted_at: new.submitted_at,
            confirmation: new
                .confirmation
                .as_ref()
                .map(|c| (c.sealed_address.to_vec(), c.language.to_owned())),
            max_attempts: new.max_attempts,
            status_code_hash: new.status_code_hash.to_owned(),
            draft_payload: new.draft_payload.map(<[u8]>::to_vec),
        }
    }
}

/// Stores the report, its delivery job and its e-mail job in one transaction, and marks the
/// draft as submitted. Nothing is visible to anyone unless all of it commits.
pub async fn submit(
    db: &Db,
    new: &NewReport<'_>,
    draft_id: Option<&str>,
) -> StoreResult<SubmitOutcome> {
    let new = OwnedReport::from(new);
    let draft_id = draft_id.map(str::to_owned);
    let engine = db.clone();
    let outcome = with_owned_writer!(db, conn => {
        let mut tx = conn.begin().await?;
        if engine.engine() == super::Engine::Postgres {
            // Whatever the server or role default says, this commit waits for the WAL flush:
            // the case number is shown right after it.
            sqlx::query("SET LOCAL synchronous_commit = on").execute(&mut *tx).await?;
        }
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO reports (case_number, submission_key, state, category, form_id, \
             form_version, content_hash, office_id, key_id, envelope, envelope_sha256, status, \
             submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(&new.case_number)
        .bind(&new.submission_key)
        .bind(&new.state)
        .bind(&new.category)
        .bind(&new.form_id)
        .bind(new.form_version)
        .bind(&new.content_hash)
        .bind(&new.office_id)
        .bind(&new.key_id)
        .bind(&new.envelope)
        .bind(&new.envelope_sha256)
        .bind(new.submitted_at)
        .fetch_optional(&mut *tx)
        .await?;

        let Some(report_id) = inserted else {
            let existing: Option<CaseNumber> = sqlx::query_scalar(
                "SELECT case_number FROM reports WHERE submission_key = $1",
            )
            .bind(&new.submission_key)
            .fetch_optional(&mut *tx)
            .await?;
            tx.rollback().await?;
            return Ok(match existing {
                Some(case_number) => SubmitOutcome::AlreadySubmitted { case_number },
                None => SubmitOutcome::CaseNumberTaken,
            });
        };

        sqlx::query(
            "INSERT INTO report_status_codes (case_number, state, code_hash, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&new.case_number)
        .bind(&new.state)
        .bind(&new.status_code_hash)
        .bind(new.submitted_at)
        .execute(&mut *tx)
        .await?;
        let mut kinds = vec![JobKind::Deliver];
        if let Some((sealed_address, language)) = &new.confirmation {
            kinds.push(JobKind::Email);
            sqlx::query(
                "INSERT INTO mail_outbox (report_id, language, sealed_address) VALUES ($1, $2, $3)",
            )
            .bind(report_id)
            .bind(language)
            .bind(sealed_address)
            .execute(&mut *tx)
            .await?;
        }
        for kind in kinds {
            super::jobs::enqueue_in!(
                tx,
                kind,
                report_id,
                &new.state,
                new.max_attempts,
                new.submitted_at
            );
        }
        // Delivered to listeners only if this transaction commits.
        super::jobs::notify_workers_in!(&engine, tx);
        if let Some(draft_id) = &draft_id {
            sqlx::query(
                "UPDATE drafts SET case_number = $1, payload = COALESCE($3, payload) WHERE id = $2",
            )
            .bind(&new.case_number)
            .bind(draft_id)
            .bind(&new.draft_payload)
            .execute(&mut *tx)
            .await?;
            // Data minimisation: once filed, the evidence lives only in the sealed envelope.
            sqlx::query("DELETE FROM draft_files WHERE draft_id = $1")
                .bind(draft_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(SubmitOutcome::Created { report_id })
    })?;
    if matches!(outcome, SubmitOutcome::Created { .. }) {
        // Only now, after SQLite's flush: this process's workers must not deliver a report
        // whose commit could still be lost.
        super::jobs::notify_local();
    }
    Ok(outcome)
}

/// One row of the plaintext index.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub case_number: CaseNumber,
    pub state: StateCode,
    pub category: String,
    pub form_id: String,
    pub form_version: i64,
    pub content_hash: String,
    pub office_id: Option<String>,
    pub key_id: String,
    pub envelope_sha256: String,
    pub status: String,
    pub submitted_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
}

pub const REPORT_COLUMNS: &str = "id, case_number, state, category, form_id, form_version, \
     content_hash, office_id, key_id, envelope_sha256, status, submitted_at, delivered_at, escalated_at";

pub async fn get_by_case_number(
    db: &Db,
    case_number: &CaseNumber,
) -> StoreResult<Option<ReportRow>> {
    let sql = format!("SELECT {REPORT_COLUMNS} FROM reports WHERE case_number = $1");
    Ok(with_db!(db, pool => sqlx::query_as::<_, ReportRow>(&sql)
        .bind(case_number)
        .fetch_optional(pool)
        .await?))
}

pub async fn get_by_id(db: &Db, id: i64) -> StoreResult<Option<ReportRow>> {
    let sql = format!("SELECT {REPORT_COLUMNS} FROM reports WHERE id = $1");
    Ok(with_db!(db, pool => sqlx::query_as::<_, ReportRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await?))
}

/// The sealed envelope exactly as stored (its SHA-256 is `envelope_sha256`); `None` once
/// retention has deleted it (or for no such report).
pub async fn envelope(db: &Db, report_id: i64) -> StoreResult<Option<String>> {
    stored_envelope(db, "reports", report_id).await
}

/// The envelope of row `id` in `table` (reports or followups: both keep it the same way).
pub(crate) async fn stored_envelope(
    db: &Db,
    table: &'static str,
    id: i64,
) -> StoreResult<Option<String>> {
    let sql = format!("SELECT envelope FROM {table} WHERE id = $1 AND envelope_deleted_at IS NULL");
    Ok(with_db!(db, pool => sqlx::query_scalar::<_, String>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await?))
}

/// Marks a report delivered; returns false if it already was.
pub async fn mark_delivered(db: &Db, report_id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
    let affected = with_writer!(db, pool => sqlx::query(
        "UPDATE reports SET status = 'delivered', delivered_at = $2 \
         WHERE id = $1 AND status <> 'delivered'",
    )
    .bind(report_id)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected());
    Ok(affected == 1)
}
