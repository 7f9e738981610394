//! Drafts in progress: answers sealed with the server's draft key, behind an unguessable
//! token in a cookie. The database only ever sees the token's hash.

use crate::reports::case_number::CaseNumber;
use crate::state_code::StateCode;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto::{generate_token, token_hash, DraftKeyring};
use crate::forms::Answers;
use crate::store::drafts::{self as store_drafts, DraftRow, NewDraft};
use crate::store::{Db, StoreError};

pub const DRAFT_COOKIE: &str = "iw_draft";

/// What a draft holds, sealed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DraftPayload {
    pub answers: Answers,
    /// Set once the citizen has seen the review page; steps then return there.
    #[serde(default)]
    pub reached_review: bool,
}

/// An open draft.
#[derive(Debug, Clone)]
pub struct Draft {
    /// SHA-256 of the cookie token; never the token itself.
    pub id: String,
    pub state: StateCode,
    pub form_id: String,
    pub form_version: i64,
    pub expires: DateTime<Utc>,
    pub case_number: Option<CaseNumber>,
    pub payload: DraftPayload,
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
}

/// Expiry policy and keys for drafts.
pub struct DraftService {
    keys: DraftKeyring,
    idle: Duration,
    absolute: Duration,
    secure_cookie: bool,
}

impl DraftService {
    pub fn new(keys: DraftKeyring, idle_minutes: u32, max_hours: u32, secure_cookie: bool) -> Self {
        DraftService {
            keys,
            idle: Duration::minutes(i64::from(idle_minutes)),
            absolute: Duration::hours(i64::from(max_hours)),
            secure_cookie,
        }
    }

    pub fn keys(&self) -> &DraftKeyring {
        &self.keys
    }

    fn seal(&self, id: &str, payload: &DraftPayload) -> Result<Vec<u8>, DraftError> {
        let json = serde_json::to_vec(payload)?;
        Ok(self.keys.seal(id.as_bytes(), &json)?)
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
        let token = generate_token()?;
        let id = token_hash(&token);
        let payload = DraftPayload::default();
        let sealed = self.seal(&id, &payload)?;
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
        let draft = Draft {
            id,
            state: state.clone(),
            form_id: form_id.to_owned(),
            form_version,
            expires: idle_expires_at,
            case_number: None,
            payload,
        };
        Ok((draft, self.cookie(token)))
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
        let id = token_hash(cookie.value());
        let Some(row) = store_drafts::get(db, &id).await? else {
            return Ok(Lookup::Missing);
        };
        if row.is_expired(now) {
            store_drafts::delete(db, &id).await?;
            return Ok(Lookup::Expired);
        }
        self.open(row).map(|d| Lookup::Active(Box::new(d)))
    }

    fn open(&self, row: DraftRow) -> Result<Draft, DraftError> {
        let plain = self.keys.open(row.id.as_bytes(), &row.payload)?;
        let payload: DraftPayload = serde_json::from_slice(&plain)?;
        Ok(Draft {
            expires: row.expires(),
            id: row.id,
            state: row.state,
            form_id: row.form_id,
            form_version: row.form_version,
            case_number: row.case_number,
            payload,
        })
    }

    /// Saves the answers and extends the idle expiry. Returns the new expiry, or `None` if
    /// the draft was submitted meanwhile and is frozen.
    pub async fn save(
        &self,
        db: &Db,
        draft: &Draft,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, DraftError> {
        let sealed = self.seal(&draft.id, &draft.payload)?;
        let Some(row) = store_drafts::get(db, &draft.id).await? else {
            return Ok(None);
        };
        let idle = (now + self.idle).min(row.expires_at);
        let saved = store_drafts::update(db, &draft.id, &sealed, now, idle).await?;
        Ok(saved.then_some(idle))
    }
}
