//! The one receiving side of the delivery protocol: whatever brought the envelope (a push,
//! a pull, or `police-sim` around it), it is checked, opened for the triage index, stored
//! once per case number, and audited. Only after this returns `Ok` may a receipt go out.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::keyring::Keyring;
use super::opening::{self, OpenedReport};
use super::triage;
use crate::crypto::audit_chain::AuditKey;
use crate::crypto::Envelope;
use crate::delivery::group_commit::GroupCommit;
use crate::delivery::receipt::sha256_hex;
use crate::reports::case_number::CaseNumber;
use crate::reports::followup;
use crate::store::audit::{self, publish, ChainHead, NewAuditEntry};
use crate::store::inbox::{self as store, Arrival, ArrivalAudit, Stored, TriageColumns};
use crate::store::inbox_followups::{self, NewInboxFollowup};
use crate::store::{Db, StoreError};

/// Audit actions of the receiving side.
pub const ACTION_RECEIVE: &str = "inbox_receive";
pub const ACTION_CONFLICT: &str = "inbox_receive_conflict";
pub const ACTION_RECEIVE_FOLLOWUP: &str = "inbox_receive_followup";

/// How an envelope arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Push,
    Pull,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Push => "push",
            Via::Pull => "pull",
        }
    }
}

/// A stored envelope.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub case_number: CaseNumber,
    /// What the receipt binds: the Idempotency-Key (the case number, or for a follow-up
    /// `<case number>.<seq>`).
    pub receipt_key: String,
    /// False for a repeat of bytes stored before.
    pub first: bool,
    /// The opened report when this arrival was the first and the envelope opened.
    pub opened: Option<OpenedReport>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The sender's bug: nothing to store (not an envelope, or the wrong case number).
    #[error("{0}")]
    Malformed(String),
    /// Other bytes were stored for this case number before; they are kept.
    #[error("a different envelope was received before for case {0}")]
    Conflict(String),
    #[error("the inbox database is not available: {0}")]
    Store(#[from] StoreError),
}

/// The receiving side: the inbox database, the private keys and the audit key.
#[derive(Clone)]
pub struct Receiver {
    db: Db,
    keyring: Arc<Keyring>,
    audit_key: Arc<AuditKey>,
    /// Arrivals of reports waiting for a shared commit.
    arrivals: Arc<GroupCommit<Arrival, Result<Stored, StoreError>>>,
}

impl Receiver {
    pub fn new(db: Db, keyring: Arc<Keyring>, audit_key: Arc<AuditKey>) -> Receiver {
        Receiver {
            db,
            keyring,
            audit_key,
            arrivals: Arc::new(GroupCommit::new(64)),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    pub fn audit_key(&self) -> &AuditKey {
        &self.audit_key
    }

    /// Stores `body` (exact bytes) for the case number `idempotency_key` names.
    pub async fn receive(
        &self,
        idempotency_key: &str,
        body: &[u8],
        via: Via,
        now: DateTime<Utc>,
    ) -> Result<Accepted, ReceiveError> {
        if let Some((case_number, seq)) = followup::parse_delivery_key(idempotency_key) {
            return self
                .receive_followup(case_number, seq, body, via, now)
                .await;
        }
        let case_number = CaseNumber::parse(idempotency_key)
            .ok()
            .filter(|c| c.as_str() == idempotency_key.trim())
            .ok_or_else(|| {
                ReceiveError::Malformed("the Idempotency-Key is not a case number".into())
            })?;
        let text = std::str::from_utf8(body)
            .map_err(|_| ReceiveError::Malformed("the body is not UTF-8".into()))?;
        let envelope =
            Envelope::from_json(text).map_err(|e| ReceiveError::Malformed(e.to_string()))?;
        if let Ok(meta) = envelope.metadata() {
            if meta.case_number != case_number {
                return Err(ReceiveError::Malformed(
                    "the envelope names another case number than the Idempotency-Key".into(),
                ));
            }
        }
        let opened = opening::open(&self.keyring, &envelope);
        let (triage, unreadable) = match &opened {
            Ok(report) => (triage::index_of(&report.document), None),
            Err(reason) => (TriageColumns::default(), Some(reason.0.clone())),
        };
        let state = case_number.state().to_ascii_lowercase();
        let arrival = Arrival {
            case_number: case_number.as_str().to_owned(),
            state,
            key_id: envelope.key_id.clone(),
            envelope: text.to_owned(),
            envelope_sha256: sha256_hex(body),
            received_via: via.as_str(),
            received_at: now,
            unreadable_reason: unreadable.clone(),
            triage,
        };
        match self.store(arrival).await? {
            Stored::New { .. } => {
                if let Some(reason) = &unreadable {
                    tracing::warn!(case_number = %case_number, %reason, "received an envelope that cannot be opened (nicht lesbar)");
                }
                Ok(Accepted {
                    receipt_key: case_number.to_string(),
                    case_number,
                    first: true,
                    opened: opened.ok(),
                })
            }
            Stored::Repeat { .. } => Ok(Accepted {
                receipt_key: case_number.to_string(),
                case_number,
                first: false,
                opened: None,
            }),
            Stored::Conflict { .. } => {
                tracing::warn!(case_number = %case_number, "refused a second, different envelope for a stored case number");
                Err(ReceiveError::Conflict(case_number.to_string()))
            }
        }
    }

    /// Stores a report's arrival with its audit entry. Concurrent arrivals share one
    /// transaction (group commit); the answer comes after the commit. When a shared
    /// transaction fails, each of its arrivals is tried on its own, so only one that cannot
    /// be stored fails.
    async fn store(&self, arrival: Arrival) -> Result<Stored, StoreError> {
        let audit = ArrivalAudit {
            key: &self.audit_key,
            actor: "inbox",
            on_new: ACTION_RECEIVE,
            on_conflict: ACTION_CONFLICT,
        };
        let commit = |batch: Vec<Arrival>| async move {
            let published = |(stored, head): (Vec<Stored>, Option<ChainHead>)| {
                publish(head.as_ref());
                stored
            };
            match store::insert_audited(&self.db, &batch, audit).await {
                Ok(done) => published(done).into_iter().map(Ok).collect(),
                Err(e) if batch.len() == 1 => vec![Err(e)],
                Err(_) => {
                    let mut results = Vec::with_capacity(batch.len());
                    for arrival in batch {
                        let one = store::insert_audited(&self.db, &[arrival], audit).await;
                        results.push(one.map(published).and_then(|mut stored| {
                            stored.pop().ok_or_else(|| {
                                StoreError::Sqlx(sqlx::Error::Protocol("no outcome".into()))
                            })
                        }));
                    }
                    results
                }
            }
        };
        self.arrivals
            .submit(arrival, commit)
            .await
            .unwrap_or_else(|| Err(StoreError::Sqlx(sqlx::Error::WorkerCrashed)))
    }

    /// Stores a follow-up delivered as `<case>.<seq>`. Its associated data must name exactly
    /// that case and seq (else nothing is stored); one that cannot be opened is kept as
    /// "nicht lesbar", like a report. No report needs to be here yet: the case number links.
    async fn receive_followup(
        &self,
        case_number: CaseNumber,
        seq: u32,
        body: &[u8],
        via: Via,
        now: DateTime<Utc>,
    ) -> Result<Accepted, ReceiveError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| ReceiveError::Malformed("the body is not UTF-8".into()))?;
        let envelope =
            Envelope::from_json(text).map_err(|e| ReceiveError::Malformed(e.to_string()))?;
        let meta =
            followup::metadata(&envelope).map_err(|e| ReceiveError::Malformed(e.to_string()))?;
        if meta.case_number != case_number || meta.seq != seq {
            return Err(ReceiveError::Malformed(
                "the follow-up envelope names another case or sequence number than the Idempotency-Key".into(),
            ));
        }
        let unreadable = match self.keyring.get(&envelope.key_id) {
            None => Some(format!(
                "kein Schlüssel mit der Kennung {:?} / no key with id {:?}",
                envelope.key_id, envelope.key_id
            )),
            Some(key) => followup::open(&envelope, key, &case_number, seq)
                .err()
                .map(|e| format!("Nachreichung nicht lesbar / follow-up unreadable ({e})")),
        };
        let state = case_number.state().to_ascii_lowercase();
        let sha = sha256_hex(body);
        let new = NewInboxFollowup {
            case_number: case_number.as_str(),
            state: &state,
            seq: i64::from(seq),
            key_id: &envelope.key_id,
            envelope: text,
            envelope_sha256: &sha,
            received_via: via.as_str(),
            received_at: now,
            unreadable_reason: unreadable.as_deref(),
        };
        let receipt_key = followup::delivery_key(&case_number, seq);
        match inbox_followups::insert(&self.db, &new).await? {
            Stored::New { .. } => {
                self.audit(ACTION_RECEIVE_FOLLOWUP, &state, &receipt_key, now)
                    .await?;
                Ok(Accepted {
                    case_number,
                    receipt_key,
                    first: true,
                    opened: None,
                })
            }
            Stored::Repeat { .. } => Ok(Accepted {
                case_number,
                receipt_key,
                first: false,
                opened: None,
            }),
            Stored::Conflict { .. } => {
                self.audit(ACTION_CONFLICT, &state, &receipt_key, now)
                    .await?;
                Err(ReceiveError::Conflict(receipt_key))
            }
        }
    }

    /// Appends one entry to the inbox's own audit chain.
    pub async fn audit(
        &self,
        action: &str,
        state: &str,
        object: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.audit_as("inbox", action, state, object, now).await
    }

    pub async fn audit_as(
        &self,
        actor: &str,
        action: &str,
        state: &str,
        object: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        audit::append(
            &self.db,
            &self.audit_key,
            &NewAuditEntry {
                actor,
                action,
                state: Some(state),
                object: Some(object),
            },
            now,
        )
        .await
    }
}
