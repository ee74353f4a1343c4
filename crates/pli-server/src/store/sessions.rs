//! Sessions (found by the hash of their token) and the login throttling counters.

use pli_api::UserId;
use sqlx::Row as _;

use super::users::{USER_COLUMNS, User, user_from_row};
use super::{Store, StoreResult, Tx, big, get_id, get_u64};

/// A session, found by the hash of its token.
#[derive(Debug, Clone)]
pub struct Session {
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// Whose.
    pub user_id: UserId,
    /// Login time.
    pub created_at: u64,
    /// Last request.
    pub last_seen_at: u64,
    /// Absolute end.
    pub expires_at: u64,
    /// Last password proof.
    pub reauth_at: u64,
    /// What it was opened from (`routes::sessions::device`).
    pub device: String,
}

const SESSION_COLUMNS: &str =
    "token_hash, user_id, created_at, last_seen_at, expires_at, reauth_at, device";

fn session_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Session> {
    Ok(Session {
        token_hash: row.try_get("token_hash")?,
        user_id: get_id(row, "user_id")?,
        created_at: get_u64(row, "created_at")?,
        last_seen_at: get_u64(row, "last_seen_at")?,
        expires_at: get_u64(row, "expires_at")?,
        reauth_at: get_u64(row, "reauth_at")?,
        device: row.try_get("device")?,
    })
}

impl Store {
    /// The session with this token hash.
    pub async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// An account's open sessions (not expired at `now`), most recently used first.
    pub async fn user_sessions(&self, user: &UserId, now: u64) -> StoreResult<Vec<Session>> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND expires_at > $2 \
             ORDER BY last_seen_at DESC, token_hash"
        ))
        .bind(user.to_string())
        .bind(big(now)?)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// The session with this token hash and its account, in one query (every
    /// authenticated request asks).
    pub async fn session_with_user(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(Session, User)>> {
        let user_columns: String = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT s.token_hash, s.created_at AS session_created_at, s.last_seen_at, s.expires_at, \
             s.reauth_at, s.device, {user_columns} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1"
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| {
            let user = user_from_row(&row)?;
            let session = Session {
                token_hash: row.try_get("token_hash")?,
                user_id: user.id,
                created_at: get_u64(&row, "session_created_at")?,
                last_seen_at: get_u64(&row, "last_seen_at")?,
                expires_at: get_u64(&row, "expires_at")?,
                reauth_at: get_u64(&row, "reauth_at")?,
                device: row.try_get("device")?,
            };
            Ok((session, user))
        })
        .transpose()
    }

    /// Counts one login attempt under `key` before it is checked, starting a new window
    /// if the last began before `window_start_cutoff`; returns the attempts counted in the
    /// window (this one included) and when the window began. One atomic statement, so
    /// that simultaneous attempts each see a distinct count and no burst gets past the
    /// limit while the first ones are still being checked.
    pub async fn reserve_login_attempt(
        &self,
        key: &str,
        now: u64,
        window_start_cutoff: u64,
    ) -> StoreResult<(u64, u64)> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN login_throttle.window_start < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
               window_start = CASE WHEN login_throttle.window_start < $3 THEN $2 ELSE login_throttle.window_start END \
             RETURNING failures, window_start",
        )
        .bind(key)
        .bind(big(now)?)
        .bind(big(window_start_cutoff)?)
        .fetch_one(&mut *tx.tx)
        .await?;
        let counted = (get_u64(&row, "failures")?, get_u64(&row, "window_start")?);
        tx.commit().await?;
        Ok(counted)
    }

    /// Gives back an attempt [`Store::reserve_login_attempt`] counted in the window begun
    /// at `window_start`, once it turned out not to be a failure (or was not checked).
    pub async fn release_login_attempt(&self, key: &str, window_start: u64) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE login_throttle SET failures = failures - 1 \
             WHERE key = $1 AND window_start = $2 AND failures > 0",
        )
        .bind(key)
        .bind(big(window_start)?)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await
    }

    /// Forgets failures under `key` (after a successful login).
    pub async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await
    }

    /// Deletes sessions past their absolute or idle timeout, and old throttle rows.
    pub async fn delete_stale_sessions(
        &self,
        now: u64,
        idle_cutoff: u64,
        throttle_cutoff: u64,
    ) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
            .bind(big(now)?)
            .bind(big(idle_cutoff)?)
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query("DELETE FROM login_throttle WHERE window_start < $1")
            .bind(big(throttle_cutoff)?)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

impl Tx {
    /// Opens a session.
    pub async fn insert_session(
        &mut self,
        token_hash: &str,
        user: &UserId,
        now: u64,
        expires_at: u64,
        device: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, reauth_at, device) \
             VALUES ($1, $2, $3, $3, $4, $3, $5)",
        )
        .bind(token_hash)
        .bind(user.to_string())
        .bind(big(now)?)
        .bind(big(expires_at)?)
        .bind(device)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Records activity on a session.
    pub async fn touch_session(&mut self, token_hash: &str, now: u64) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(big(now)?)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Records a fresh password proof on a session.
    pub async fn set_reauth(&mut self, token_hash: &str, now: u64) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET reauth_at = $2, last_seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(big(now)?)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Ends one session.
    pub async fn delete_session(&mut self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Ends one session of `user` (none if it is another account's): whether it did.
    pub async fn delete_user_session(
        &mut self,
        user: &UserId,
        token_hash: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash = $2")
            .bind(user.to_string())
            .bind(token_hash)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends every session of an account but `keep`.
    pub async fn delete_other_sessions(&mut self, user: &UserId, keep: &str) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user.to_string())
            .bind(keep)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected())
    }

    /// Ends every session of an account.
    pub async fn delete_user_sessions(&mut self, user: &UserId) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected())
    }
}
