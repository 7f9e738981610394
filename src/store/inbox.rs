//! The police inbox's tables (migration 0004): received envelopes with their triage index,
//! the triage status, and clerks' notes. Used by `internetwache inbox` on its own database.

use chrono::{DateTime, Utc};

use crate::crypto::audit_chain::AuditKey;

use super::audit::{Audited, ChainHead, NewAuditEntry};
use super::jobs::JobKind;
use super::{Db, StoreResult};
use crate::{with_db, with_writer};

/// The searchable index extracted from a report when it arrived; `None` where the report
/// did not say, or when the envelope could not be opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct TriageColumns {
    pub form_id: Option<String>,
    pub form_version: Option<i64>,
    pub category: Option<String>,
    /// The category's title as the citizen's form showed it (`form.titles` of the document).
    pub category_title_de: Option<String>,
    pub category_title_en: Option<String>,
    pub office_id: Option<String>,
    pub scene_postal_code: Option<String>,
    pub scene_place: Option<String>,
    pub offence_time: Option<String>,
    pub damage_eur_cents: Option<i64>,
}

/// One received envelope, as it is written.
#[derive(Debug, Clone)]
pub struct NewInboxReport<'a> {
    pub case_number: &'a str,
    pub state: &'a str,
    pub key_id: &'a str,
    /// Exactly the bytes that arrived (their SHA-256 is `envelope_sha256`).
    pub envelope: &'a str,
    pub envelope_sha256: &'a str,
    pub received_via: &'a str,
    pub received_at: DateTime<Utc>,
    /// Why it could not be opened ("nicht lesbar"), or `None`.
    pub unreadable_reason: Option<&'a str>,
    pub triage: &'a TriageColumns,
}

/// What storing an envelope did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// First arrival of this case number.
    New { id: i64 },
    /// The same bytes arrived before: nothing changed.
    Repeat { id: i64 },
    /// Different bytes arrived before under this case number: nothing changed.
    Conflict { id: i64 },
}

impl Stored {
    /// The insert's id if it stored a row; else the row already there under the same key
    /// (`existing`, awaited only then), judged by its envelope's SHA-256 against `sha`.
    pub(crate) async fn settle(
        inserted: Option<i64>,
        sha: &str,
        existing: impl std::future::Future<Output = StoreResult<(i64, String)>>,
    ) -> StoreResult<Stored> {
        let Some(id) = inserted else {
            let (id, stored) = existing.await?;
            return Ok(if stored == sha {
                Stored::Repeat { id }
            } else {
                Stored::Conflict { id }
            });
        };
        Ok(Stored::New { id })
    }
}

/// One row of the index (never the envelope).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboxReportRow {
    pub id: i64,
    pub case_number: String,
    pub state: String,
    pub key_id: String,
    pub envelope_sha256: String,
    pub received_via: String,
    pub received_at: DateTime<Utc>,
    pub unreadable_reason: Option<String>,
    /// Empty when the envelope could not be opened.
    #[sqlx(flatten)]
    pub triage: TriageColumns,
    pub status: String,
    pub status_office_id: Option<String>,
    pub assigned_to: Option<String>,
    pub exported_at: Option<DateTime<Utc>>,
    /// When retention deleted the sealed envelope; the index above stays as a tombstone.
    pub envelope_deleted_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, case_number, state, key_id, envelope_sha256, received_via, \
     received_at, unreadable_reason, form_id, form_version, category, category_title_de, \
     category_title_en, office_id, scene_postal_code, scene_place, offence_time, \
     damage_eur_cents, status, status_office_id, assigned_to, exported_at, envelope_deleted_at";

/// Inserts `$new` (a `&NewInboxReport`) unless its case number is stored; evaluates to the
/// new row's id, or `None`. `$exec` is a pool or `&mut *tx`.
macro_rules! insert_with {
    ($exec:expr, $new:expr) => {{
        let new: &NewInboxReport<'_> = $new;
        let t = new.triage;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO inbox_reports (case_number, state, key_id, envelope, envelope_sha256, \
             received_via, received_at, unreadable_reason, form_id, form_version, category, \
             office_id, scene_postal_code, scene_place, offence_time, damage_eur_cents, \
             category_title_de, category_title_en) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
             ON CONFLICT (case_number) DO NOTHING RETURNING id",
        )
        .bind(new.case_number)
        .bind(new.state)
        .bind(new.key_id)
        .bind(new.envelope)
        .bind(new.envelope_sha256)
        .bind(new.received_via)
        .bind(new.received_at)
        .bind(new.unreadable_reason)
        .bind(&t.form_id)
        .bind(t.form_version)
        .bind(&t.category)
        .bind(&t.office_id)
        .bind(&t.scene_postal_code)
        .bind(&t.scene_place)
        .bind(&t.offence_time)
        .bind(t.damage_eur_cents)
        .bind(&t.category_title_de)
        .bind(&t.category_title_en)
        .fetch_optional($exec)
        .await?;
        inserted
    }};
}

const EXISTING: &str = "SELECT id, envelope_sha256 FROM inbox_reports WHERE case_number = $1";

/// Stores an envelope once per case number. A repeat with the same bytes and a
/// conflicting one with other bytes both leave the stored row untouched.
pub async fn insert(db: &Db, new: &NewInboxReport<'_>) -> StoreResult<Stored> {
    let inserted: Option<i64> = with_db!(db, pool => insert_with!(pool, new));
    let existing = async {
        Ok(with_db!(db, pool => sqlx::query_as(EXISTING)
        .bind(new.case_number)
        .fetch_one(pool)
        .await?))
    };
    Stored::settle(inserted, new.envelope_sha256, existing).await
}

/// An arrival that owns its fields, so it can wait for a shared transaction.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub case_number: String,
    pub state: String,
    pub key_id: String,
    pub envelope: String,
    pub envelope_sha256: String,
    pub received_via: &'static str,
    pub received_at: DateTime<Utc>,
    pub unreadable_reason: Option<String>,
    pub triage: TriageColumns,
}

impl Arrival {
    pub fn as_new(&self) -> NewInboxReport<'_> {
        NewInboxReport {
            case_number: &self.case_number,
            state: &self.state,
            key_id: &self.key_id,
            envelope: &self.envelope,
            envelope_sha256: &self.envelope_sha256,
            received_via: self.received_via,
            received_at: self.received_at,
            unreadable_reason: self.unreadable_reason.as_deref(),
            triage: &self.triage,
        }
    }
}

/// The audit entries that record arrivals: `actor` appends `on_new` for a first arrival and
/// `on_conflict` for other bytes under a stored case number (a repeat changes nothing).
#[derive(Debug, Clone, Copy)]
pub struct ArrivalAudit<'a> {
    pub key: &'a AuditKey,
    pub actor: &'a str,
    pub on_new: &'a str,
    pub on_conflict: &'a str,
}

/// Stores several arrivals, each with its audit entry, in one transaction (one commit for
/// all), each as `insert` would; a later arrival sees an earlier one of the same batch.
/// Gives what storing each did and the chain's new head, if an entry was appended.
pub async fn insert_audited(
    db: &Db,
    arrivals: &[Arrival],
    audit: ArrivalAudit<'_>,
) -> StoreResult<(Vec<Stored>, Option<ChainHead>)> {
    macro_rules! batch {
        ($tx:ident) => {{
            let mut stored = Vec::with_capacity(arrivals.len());
            let mut head = None;
            for arrival in arrivals {
                let new = arrival.as_new();
                let inserted = insert_with!(&mut *$tx, &new);
                let outcome = match inserted {
                    Some(id) => Stored::New { id },
                    None => {
                        let (id, sha): (i64, String) = sqlx::query_as(EXISTING)
                            .bind(new.case_number)
                            .fetch_one(&mut *$tx)
                            .await?;
                        if sha == new.envelope_sha256 {
                            Stored::Repeat { id }
                        } else {
                            Stored::Conflict { id }
                        }
                    }
                };
                let action = match outcome {
                    Stored::New { .. } => Some(audit.on_new),
                    Stored::Conflict { .. } => Some(audit.on_conflict),
                    Stored::Repeat { .. } => None,
                };
                if let Some(action) = action {
                    let audited = Audited {
                        key: audit.key,
                        entry: NewAuditEntry {
                            actor: audit.actor,
                            action,
                            state: Some(new.state),
                            object: Some(new.case_number),
                        },
                        now: new.received_at,
                    };
                    head = Some(crate::append_audit_in!($tx, &audited)?);
                }
                stored.push(outcome);
            }
            $tx.commit().await?;
            (stored, head)
        }};
    }
    Ok(match db {
        Db::Sqlite(sqlite) => {
            let mut writer = sqlite.writer().await?;
            // The audit append reads the chain's end: take the write lock up front.
            let mut tx = sqlx::Connection::begin_with(&mut *writer, "BEGIN IMMEDIATE").await?;
            let stored = batch!(tx);
            drop(writer);
            sqlite.flush_commits().await?;
            stored
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            // The audit lock before any row, so two instances' batches cannot deadlock.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(super::audit::AUDIT_LOCK)
                .execute(&mut *tx)
                .await?;
            batch!(tx)
        }
    })
}

pub async fn get(db: &Db, case_number: &str) -> StoreResult<Option<InboxReportRow>> {
    let sql = format!("SELECT {COLUMNS} FROM inbox_reports WHERE case_number = $1");
    Ok(
        with_db!(db, pool => sqlx::query_as::<_, InboxReportRow>(&sql)
        .bind(case_number)
        .fetch_optional(pool)
        .await?),
    )
}

/// The index, oldest first, `limit` rows after `after_id`.
pub async fn list(db: &Db, after_id: i64, limit: i64) -> StoreResult<Vec<InboxReportRow>> {
    let sql = format!("SELECT {COLUMNS} FROM inbox_reports WHERE id > $1 ORDER BY id LIMIT $2");
    Ok(
        with_db!(db, pool => sqlx::query_as::<_, InboxReportRow>(&sql)
        .bind(after_id)
        .bind(limit)
        .fetch_all(pool)
        .await?),
    )
}

/// What the clerks' list is narrowed to; `None` leaves a column open.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub state: String,
    pub case_number: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    /// Matches the office a report was routed to or handed to.
    pub office: Option<String>,
    pub assignee: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// The office scope of the account: only reports now with this office (re-routed or
    /// handed over there, else routed there at filing).
    pub scope_office: Option<String>,
}

/// One page of a state's reports matching `filter`, newest first.
pub async fn search(
    db: &Db,
    filter: &InboxFilter,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<InboxReportRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM inbox_reports WHERE state = $1 \
         AND ($2 IS NULL OR case_number = $2) AND ($3 IS NULL OR status = $3) \
         AND ($4 IS NULL OR category = $4) \
         AND ($5 IS NULL OR office_id = $5 OR status_office_id = $5) \
         AND ($6 IS NULL OR assigned_to = $6) AND ($7 IS NULL OR received_at >= $7) \
         AND ($8 IS NULL OR received_at < $8) \
         AND ($11 IS NULL OR COALESCE(status_office_id, office_id) = $11) \
         ORDER BY received_at DESC, id DESC LIMIT $9 OFFSET $10"
    );
    Ok(
        with_db!(db, pool => sqlx::query_as::<_, InboxReportRow>(&sql)
        .bind(&filter.state)
        .bind(filter.case_number.as_deref())
        .bind(filter.status.as_deref())
        .bind(filter.category.as_deref())
        .bind(filter.office.as_deref())
        .bind(filter.assignee.as_deref())
        .bind(filter.from)
        .bind(filter.until)
        .bind(limit)
        .bind(offset)
        .bind(filter.scope_office.as_deref())
        .fetch_all(pool)
        .await?),
    )
}

/// How many of a state's reports (of `office` only, if given) are still `eingegangen`
/// (nobody looked at them yet).
pub async fn count_new(db: &Db, state: &str, office: Option<&str>) -> StoreResult<i64> {
    Ok(with_db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM inbox_reports WHERE state = $1 AND status = 'eingegangen' \
         AND ($2 IS NULL OR COALESCE(status_office_id, office_id) = $2)",
    )
    .bind(state)
    .bind(office)
    .fetch_one(pool)
    .await?))
}

/// A category that occurs among a state's reports, with its titles (for the list's filter).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CategoryRow {
    pub category: String,
    pub title_de: Option<String>,
    pub title_en: Option<String>,
}

/// Every category among the reports a principal may see (a state, optionally one office), by id.
pub async fn categories(
    db: &Db,
    state: &str,
    office: Option<&str>,
) -> StoreResult<Vec<CategoryRow>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, CategoryRow>(
        "SELECT category, MAX(category_title_de) AS title_de, MAX(category_title_en) AS title_en \
         FROM inbox_reports WHERE state = $1 AND category IS NOT NULL \
         AND ($2 IS NULL OR COALESCE(status_office_id, office_id) = $2) \
         GROUP BY category ORDER BY category",
    )
    .bind(state)
    .bind(office)
    .fetch_all(pool)
    .await?))
}

/// The envelope exactly as received.
pub async fn envelope(db: &Db, case_number: &str) -> StoreResult<Option<String>> {
    Ok(with_db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT envelope FROM inbox_reports WHERE case_number = $1",
    )
    .bind(case_number)
    .fetch_optional(pool)
    .await?))
}

/// Assigns the report to a clerk (`None` clears it); false for an unknown case number.
pub async fn assign(db: &Db, case_number: &str, clerk: Option<&str>) -> StoreResult<bool> {
    let affected = with_writer!(db, pool => sqlx::query(
        "UPDATE inbox_reports SET assigned_to = $2 WHERE case_number = $1",
    )
    .bind(case_number)
    .bind(clerk)
    .execute(pool)
    .await?
    .rows_affected());
    Ok(affected == 1)
}

/// An internal note on a report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoteRow {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub async fn add_note(
    db: &Db,
    report_id: i64,
    author: &str,
    body: &str,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    Ok(with_writer!(db, pool => sqlx::query_scalar(
        "INSERT INTO inbox_notes (report_id, author, body, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(report_id)
    .bind(author)
    .bind(body)
    .bind(now)
    .fetch_one(pool)
    .await?))
}

pub async fn notes(db: &Db, report_id: i64) -> StoreResult<Vec<NoteRow>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, NoteRow>(
        "SELECT id, author, body, created_at FROM inbox_notes WHERE report_id = $1 ORDER BY id",
    )
    .bind(report_id)
    .fetch_all(pool)
    .await?))
}

/// A status change for the intake, queued with the change itself.
#[derive(Debug, Clone)]
pub struct NewStatusEvent<'a> {
    pub event_id: &'a str,
    pub status: &'a str,
    pub office_id: Option<&'a str>,
}

/// Attempts before a status job would become a dead letter: in effect never, since a
/// status is never dropped (the backoff is capped, so it is retried about hourly).
pub const STATUS_MAX_ATTEMPTS: i64 = 1_000_000;

/// Moves a report from `from` to `to` (only if it is still at `from`) and, for `event`,
/// stores the event and queues its `inbox_status` job, in one transaction. Returns false if
/// the report was not at `from`.
pub async fn change_status(
    db: &Db,
    case_number: &str,
    from: &str,
    to: &str,
    office_id: Option<&str>,
    event: Option<&NewStatusEvent<'_>>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE inbox_reports SET status = $3, \
             status_office_id = COALESCE($4, status_office_id) \
             WHERE case_number = $1 AND status = $2",
        )
        .bind(case_number)
        .bind(from)
        .bind(to)
        .bind(office_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Ok(false);
        }
        if let Some(e) = event {
            let (id, state): (i64, String) = sqlx::query_as(
                "INSERT INTO inbox_status_events (event_id, case_number, state, status, \
                 office_id, at) \
                 SELECT $1, case_number, state, $2, $3, $4 FROM inbox_reports \
                 WHERE case_number = $5 RETURNING id, state",
            )
            .bind(e.event_id)
            .bind(e.status)
            .bind(e.office_id)
            .bind(now)
            .bind(case_number)
            .fetch_one(&mut *tx)
            .await?;
            super::jobs::enqueue_in!(
                tx,
                JobKind::InboxStatus,
                id,
                state,
                STATUS_MAX_ATTEMPTS,
                now
            );
        }
        tx.commit().await?;
        Ok(true)
    })
}

/// A status event for the intake, as its `inbox_status` job names it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusEventRow {
    pub id: i64,
    pub event_id: String,
    pub case_number: String,
    pub state: String,
    pub status: String,
    pub office_id: Option<String>,
    pub at: DateTime<Utc>,
}

pub async fn status_event(db: &Db, id: i64) -> StoreResult<Option<StatusEventRow>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, StatusEventRow>(
        "SELECT id, event_id, case_number, state, status, office_id, at \
         FROM inbox_status_events WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?))
}

/// Status jobs not yet acknowledged by the intake.
pub async fn unsent_status_events(db: &Db) -> StoreResult<i64> {
    Ok(with_db!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'inbox_status' AND status <> 'done'",
    )
    .fetch_one(pool)
    .await?))
}

/// Marks a report exported to the VBS (the latest export time is kept).
pub async fn mark_exported(db: &Db, case_number: &str, now: DateTime<Utc>) -> StoreResult<()> {
    with_writer!(db, pool => sqlx::query(
        "UPDATE inbox_reports SET exported_at = $2 WHERE case_number = $1",
    )
    .bind(case_number)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ())?);
    Ok(())
}

/// Re-routes a report to another office (without changing its status); false for an
/// unknown case number.
pub async fn reroute(db: &Db, case_number: &str, office_id: &str) -> StoreResult<bool> {
    let affected = with_writer!(db, pool => sqlx::query(
        "UPDATE inbox_reports SET status_office_id = $2 WHERE case_number = $1",
    )
    .bind(case_number)
    .bind(office_id)
    .execute(pool)
    .await?
    .rows_affected());
    Ok(affected == 1)
}
