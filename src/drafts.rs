//! Drafts in progress: answers sealed under a key derived from a secret that exists only in
//! the citizen's cookie. The database sees the row id derived from that secret and the
//! sealed blob; the server's own files and keys open no draft (see `crypto::draft_secret`).

use crate::reports::case_number::CaseNumber;
use crate::state_code::StateCode;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto::DraftSecret;
use crate::forms::{Answers, FileContent};
use crate::store::drafts::{self as store_drafts, DraftRow, NewDraft, NewDraftFile};
use crate::store::{Db, StoreError};

pub const DRAFT_COOKIE: &str = "iw_draft";

/// What a draft holds, sealed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DraftPayload {
    pub answers: Answers,
    /// Set once the citizen has seen the review page; steps then return there.
    #[serde(default)]
    pub reached_review: bool,
    /// The status code issued on submission, for the confirmation page and the printable
    /// copy; sealed like the answers, so only this browser can read it.
    #[serde(default)]
    pub status_code: Option<String>,
    /// Set when the citizen saved the draft for later: saves do not shorten the expiry
    /// below this (`IW_DRAFT_SAVED_DAYS`).
    #[serde(default)]
    pub saved_until: Option<DateTime<Utc>>,
    /// The step the citizen left when saving for later; resuming lands there.
    #[serde(default)]
    pub last_step: Option<String>,
}

/// An open draft.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Derived from the cookie secret; finds the row, opens nothing.
    pub id: String,
    /// Seals the answers on save; never stored.
    secret: DraftSecret,
    pub state: StateCode,
    pub form_id: String,
    pub form_version: i64,
    pub expires: DateTime<Utc>,
    /// The absolute expiry, read with the row, so a save needs no second read.
    expires_at: DateTime<Utc>,
    pub case_number: Option<CaseNumber>,
    pub payload: DraftPayload,
    /// The file ids the stored payload names: a save deletes the rows of those it no
    /// longer names.
    stored_files: Vec<String>,
}

pub enum Lookup {
    /// No cookie, or a token that matches nothing (deleted after expiry).
    Missing,
    Expired,
    Active(Box<Draft>),
}

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("draft cannot be sealed or opened")]
    Crypto(#[from] crate::crypto::CryptoError),
    /// The sealed payload is not the JSON a draft holds (or cannot be written as such).
    #[error("draft payload is malformed")]
    Payload(#[from] serde_json::Error),
    /// The payload names an evidence file whose row is gone (two tabs of one draft: one
    /// removed the file while the other saved the list it had).
    #[error("an evidence file of the draft is missing")]
    MissingFile {
        /// The top-level field that names it.
        field_id: String,
        file_name: String,
    },
}

/// Expiry policy of drafts and their cookie.
pub struct DraftService {
    idle: Duration,
    absolute: Duration,
    saved: Duration,
    secure_cookie: bool,
}

impl Draft {
    /// The secret that opens this draft, for the resume e-mail only (sealed for the mail
    /// worker, erased once sent). Handle like a password.
    pub fn secret(&self) -> &DraftSecret {
        &self.secret
    }

    /// The answers with every evidence file's bytes in place, opened from the draft's file
    /// rows under its own key (for the sealed report; pages need only the names).
    pub async fn answers_with_files(&self, db: &Db) -> Result<Answers, DraftError> {
        let mut answers = self.payload.answers.clone();
        if answers.stored_file_ids().is_empty() {
            return Ok(answers);
        }
        let mut rows: std::collections::HashMap<String, Vec<u8>> =
            store_drafts::files(db, &self.id)
                .await?
                .into_iter()
                .collect();
        for (field_id, file) in answers.files_by_field_mut() {
            if let FileContent::Stored(id) = &file.content {
                let Some(sealed) = rows.remove(id) else {
                    return Err(DraftError::MissingFile {
                        field_id: field_id.to_owned(),
                        file_name: file.file_name.clone(),
                    });
                };
                let bytes = self.secret.open_file(id, sealed)?;
                file.content = FileContent::Bytes(bytes);
            }
        }
        Ok(answers)
    }
}

/// A random id for a draft file row.
fn file_id() -> Result<String, DraftError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| crate::crypto::CryptoError::Random)?;
    Ok(hex::encode(bytes))
}

impl DraftService {
    pub fn new(idle_minutes: u32, max_hours: u32, saved_days: u32, secure_cookie: bool) -> Self {
        DraftService {
            idle: Duration::minutes(i64::from(idle_minutes)),
            absolute: Duration::hours(i64::from(max_hours)),
            saved: Duration::days(i64::from(saved_days)),
            secure_cookie,
        }
    }

    fn seal(secret: &DraftSecret, payload: &DraftPayload) -> Result<Vec<u8>, DraftError> {
        let json = serde_json::to_vec(payload)?;
        Ok(secret.seal(&json)?)
    }

    /// `payload` sealed under this draft's own key, to be stored in place of its payload.
    pub fn seal_payload(draft: &Draft, payload: &DraftPayload) -> Result<Vec<u8>, DraftError> {
        Self::seal(&draft.secret, payload)
    }

    /// Starts a draft pinned to a form version; returns the cookie to set.
    pub async fn create(
        &self,
        db: &Db,
        state: &StateCode,
        form_id: &str,
        form_version: i64,
        now: DateTime<Utc>,
    ) -> Result<(Draft, Cookie<'static>), DraftError> {
        let secret = DraftSecret::generate()?;
        let id = secret.row_id();
        let payload = DraftPayload::default();
        let sealed = Self::seal(&secret, &payload)?;
        let expires_at = now + self.absolute;
        let idle_expires_at = (now + self.idle).min(expires_at);
        store_drafts::insert(
            db,
            &NewDraft {
                id: &id,
                state,
                form_id,
                form_version,
                payload: &sealed,
                now,
                idle_expires_at,
                expires_at,
            },
        )
        .await?;
        let cookie = self.cookie(secret.encoded());
        let draft = Draft {
            id,
            secret,
            state: state.clone(),
            form_id: form_id.to_owned(),
            form_version,
            expires: idle_expires_at,
            expires_at,
            case_number: None,
            payload,
            stored_files: Vec::new(),
        };
        Ok((draft, cookie))
    }

    /// The cookie that holds `secret` in this browser.
    pub fn cookie_for(&self, secret: &DraftSecret) -> Cookie<'static> {
        self.cookie(secret.encoded())
    }

    fn cookie(&self, token: String) -> Cookie<'static> {
        Cookie::build(DRAFT_COOKIE, token)
            .path("/")
            .http_only(true)
            .secure(self.secure_cookie)
            .same_site(SameSite::Lax)
            .finish()
    }

    /// The draft behind the request's cookie.
    pub async fn lookup(
        &self,
        db: &Db,
        req: &HttpRequest,
        now: DateTime<Utc>,
    ) -> Result<Lookup, DraftError> {
        let Some(cookie) = req.cookie(DRAFT_COOKIE) else {
            return Ok(Lookup::Missing);
        };
        let Some(secret) = DraftSecret::parse(cookie.value()) else {
            return Ok(Lookup::Missing);
        };
        let id = secret.row_id();
        let Some(row) = store_drafts::get(db, &id).await? else {
            return Ok(Lookup::Missing);
        };
        if row.is_expired(now) {
            store_drafts::delete(db, &id).await?;
            return Ok(Lookup::Expired);
        }
        let draft = self.open_moving_files(db, secret, row, now).await?;
        Ok(Lookup::Active(Box::new(draft)))
    }

    /// The draft a resume code opens: `None` alike for an unknown code, a wrong one, an
    /// expired or a submitted draft, so the answer tells a guesser nothing.
    pub async fn resume(
        &self,
        db: &Db,
        secret: DraftSecret,
        now: DateTime<Utc>,
    ) -> Result<Option<Draft>, DraftError> {
        let Some(row) = store_drafts::get(db, &secret.row_id()).await? else {
            return Ok(None);
        };
        if row.is_expired(now) || row.case_number.is_some() {
            return Ok(None);
        }
        let Ok(draft) = Self::open(secret, row) else {
            return Ok(None);
        };
        Ok(Some(self.move_files_out(db, draft, now).await?))
    }

    /// Keeps the draft for `IW_DRAFT_SAVED_DAYS` from now (resuming lands on
    /// `payload.last_step`). Returns the new expiry, or `None` if the draft was submitted.
    pub async fn keep_for_later(
        &self,
        db: &Db,
        draft: &mut Draft,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, DraftError> {
        let until = now + self.saved;
        draft.payload.saved_until = Some(until);
        let sealed = Self::seal(&draft.secret, &draft.payload)?;
        let kept = store_drafts::keep_until(db, &draft.id, &sealed, now, until).await?;
        if kept {
            draft.expires = until;
            draft.expires_at = until;
        }
        Ok(kept.then_some(until))
    }

    async fn open_moving_files(
        &self,
        db: &Db,
        secret: DraftSecret,
        row: DraftRow,
        now: DateTime<Utc>,
    ) -> Result<Draft, DraftError> {
        let draft = Self::open(secret, row)?;
        self.move_files_out(db, draft, now).await
    }

    /// A draft saved before its files had rows of their own holds their bytes inline:
    /// saving it once moves them out (a submitted one stays as it is, frozen).
    async fn move_files_out(
        &self,
        db: &Db,
        mut draft: Draft,
        now: DateTime<Utc>,
    ) -> Result<Draft, DraftError> {
        if draft.case_number.is_none() && draft.payload.answers.holds_file_bytes() {
            if let Some(expires) = self.save(db, &mut draft, now).await? {
                draft.expires = expires;
            }
        }
        Ok(draft)
    }

    fn open(secret: DraftSecret, row: DraftRow) -> Result<Draft, DraftError> {
        let plain = secret.open(&row.payload)?;
        let payload: DraftPayload = serde_json::from_slice(&plain)?;
        let stored_files = payload.answers.stored_file_ids();
        Ok(Draft {
            stored_files,
            expires: row.expires(),
            expires_at: row.expires_at,
            id: row.id,
            secret,
            state: row.state,
            form_id: row.form_id,
            form_version: row.form_version,
            case_number: row.case_number,
            payload,
        })
    }

    /// Saves the answers and extends the idle expiry. Returns the new expiry, or `None` if
    /// the draft was submitted meanwhile and is frozen.
    ///
    /// Files uploaded with this request are sealed into rows of their own and the payload
    /// names them by id; files the answers no longer name lose their rows. Both happen in
    /// the transaction that saves the payload.
    pub async fn save(
        &self,
        db: &Db,
        draft: &mut Draft,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, DraftError> {
        let mut added = Vec::new();
        for file in draft.payload.answers.files_mut() {
            if let FileContent::Bytes(bytes) = &mut file.content {
                let id = file_id()?;
                let bytes = std::mem::take(bytes);
                let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
                let sealed = draft.secret.seal_file(&id, bytes)?;
                file.content = FileContent::Stored(id.clone());
                added.push(NewDraftFile { id, size, sealed });
            }
        }
        let named = draft.payload.answers.stored_file_ids();
        let removed: Vec<String> = draft
            .stored_files
            .iter()
            .filter(|id| !named.contains(id))
            .cloned()
            .collect();
        let sealed = Self::seal(&draft.secret, &draft.payload)?;
        // A draft saved for later keeps its longer expiry however often it is saved; one
        // deleted meanwhile updates no row and reads as frozen, like a submitted one.
        let floor = draft.payload.saved_until.unwrap_or(now);
        let idle = (now + self.idle).max(floor).min(draft.expires_at);
        let saved = if added.is_empty() && removed.is_empty() {
            store_drafts::update(db, &draft.id, &sealed, now, idle).await?
        } else {
            store_drafts::update_with_files(db, &draft.id, &sealed, now, idle, added, removed)
                .await?
        };
        if saved {
            draft.stored_files = named;
        }
        Ok(saved.then_some(idle))
    }
}
