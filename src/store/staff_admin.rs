//! Operator changes to staff accounts and API tokens (staff leave, lost credentials). Each
//! commits with its audit entry, and takes effect on every instance at once: sessions and
//! tokens are checked against the database on every request.

use chrono::{DateTime, Utc};

use super::audit::{publish, Audited};
use super::{Db, StoreResult};
use crate::state_code::StateCode;
use crate::{with_db, with_writer};

/// Runs `$sql` (binding `$1` = `$username`, `$2` = `$value`) and, when it changed a row,
/// deletes the account's sessions and appends the audit entry, all in one transaction.
macro_rules! account_change {
    ($db:expr, $audit:expr, $username:expr, $sql:expr, $value:expr) => {{
        let head = with_writer!($db, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query($sql)
                .bind($username)
                .bind($value)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if changed {
                sqlx::query(
                    "DELETE FROM staff_sessions WHERE user_id = \
                     (SELECT id FROM staff_users WHERE username = $1)",
                )
                .bind($username)
                .execute(&mut *tx)
                .await?;
            }
            crate::commit_audited!(tx, Some($audit), changed)
        });
        Ok(publish(head.as_ref()))
    }};
}

const DISABLE_USER: &str =
    "UPDATE staff_users SET disabled_at = $2 WHERE username = $1 AND disabled_at IS NULL";
const SET_PASSWORD: &str = "UPDATE staff_users SET password_hash = $2 WHERE username = $1";

/// Disables an account and ends its sessions. False: no such (enabled) account.
pub async fn disable_user(
    db: &Db,
    username: &str,
    now: DateTime<Utc>,
    audit: &Audited<'_>,
) -> StoreResult<bool> {
    account_change!(db, audit, username, DISABLE_USER, now)
}

/// Sets a new password hash and ends the account's sessions. False: no such account.
pub async fn set_password(
    db: &Db,
    username: &str,
    password_hash: &str,
    audit: &Audited<'_>,
) -> StoreResult<bool> {
    account_change!(db, audit, username, SET_PASSWORD, password_hash)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub state: StateCode,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Every token, oldest first; never the hashes.
pub async fn tokens(db: &Db) -> StoreResult<Vec<TokenRow>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, TokenRow>(
        "SELECT id, state, name, created_at, revoked_at FROM api_tokens ORDER BY id",
    )
    .fetch_all(pool)
    .await?))
}

/// Revokes a token; its next request is refused. False: no such active token.
pub async fn revoke_token(
    db: &Db,
    id: i64,
    now: DateTime<Utc>,
    audit: &Audited<'_>,
) -> StoreResult<bool> {
    let head = with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        crate::commit_audited!(tx, Some(audit), changed)
    });
    Ok(publish(head.as_ref()))
}
