//! Passkeys and the WebAuthn ceremonies under way.

use pli_api::{OrgId, UserId};
use sqlx::Row as _;

use super::{Store, StoreResult, Tx, big, get_id, get_opt_u64, get_u64};

/// A person's passkey as the relay keeps it.
#[derive(Debug, Clone)]
pub struct StoredPasskey {
    /// Public id (to list and remove it).
    pub id: String,
    /// Whose.
    pub user_id: UserId,
    /// The authenticator's name for it (base64url).
    pub credential_id: String,
    /// `webauthn_rs::prelude::Passkey`, JSON.
    pub credential: String,
    /// What it unlocks, sealed in the browser (`pli_crypto::passkey`).
    pub sealed_unlock: Vec<u8>,
    /// Where it was added.
    pub device: String,
    /// When.
    pub created_at: u64,
    /// Its last login.
    pub last_used_at: Option<u64>,
}

const COLUMNS: &str =
    "id, user_id, credential_id, credential, sealed_unlock, device, created_at, last_used_at";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<StoredPasskey> {
    Ok(StoredPasskey {
        id: row.try_get("id")?,
        user_id: get_id(row, "user_id")?,
        credential_id: row.try_get("credential_id")?,
        credential: row.try_get("credential")?,
        sealed_unlock: row.try_get("sealed_unlock")?,
        device: row.try_get("device")?,
        created_at: get_u64(row, "created_at")?,
        last_used_at: get_opt_u64(row, "last_used_at")?,
    })
}

/// A ceremony begun and not yet finished.
#[derive(Debug, Clone)]
pub struct Ceremony {
    /// The account it is for (none: a login to an address without passkeys).
    pub user_id: Option<UserId>,
    /// `register` or `login`.
    pub kind: String,
    /// webauthn-rs state, JSON.
    pub state: String,
}

impl Store {
    /// How many ceremonies of `kinds` are under way at `now` (each begun anonymously kind
    /// has its own cap: filling one does not stop the others).
    pub async fn live_ceremonies(&self, kinds: &[&str], now: u64) -> StoreResult<u64> {
        let mut live = 0;
        for kind in kinds {
            let row = sqlx::query(
                "SELECT COUNT(*) AS live FROM ceremonies WHERE kind = $1 AND expires_at > $2",
            )
            .bind(kind)
            .bind(big(now)?)
            .fetch_one(self.pool())
            .await?;
            live += get_u64(&row, "live")?;
        }
        Ok(live)
    }

    /// The members of `org` who have at least one passkey.
    pub async fn passkey_holders_of_org(&self, org: &OrgId) -> StoreResult<Vec<UserId>> {
        let rows = sqlx::query(
            "SELECT DISTINCT p.user_id FROM passkeys p JOIN users u ON u.id = p.user_id \
             WHERE u.org_id = $1",
        )
        .bind(org.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| get_id(row, "user_id")).collect()
    }

    /// An account's passkeys, oldest first.
    pub async fn passkeys(&self, user: &UserId) -> StoreResult<Vec<StoredPasskey>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id"
        ))
        .bind(user.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }
}

impl Tx {
    /// Records a ceremony (its id's hash, what it is for, until when).
    pub async fn insert_ceremony(
        &mut self,
        id_hash: &str,
        ceremony: &Ceremony,
        expires_at: u64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO ceremonies (id_hash, user_id, kind, state, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(ceremony.user_id.map(|u| u.to_string()))
        .bind(&ceremony.kind)
        .bind(&ceremony.state)
        .bind(big(expires_at)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Forgets ceremonies that ended unfinished before `now`.
    pub async fn delete_stale_ceremonies(&mut self, now: u64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM ceremonies WHERE expires_at <= $1")
            .bind(big(now)?)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected())
    }

    /// Adds a passkey.
    pub async fn insert_passkey(&mut self, passkey: &StoredPasskey) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO passkeys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&passkey.id)
        .bind(passkey.user_id.to_string())
        .bind(&passkey.credential_id)
        .bind(&passkey.credential)
        .bind(&passkey.sealed_unlock)
        .bind(&passkey.device)
        .bind(big(passkey.created_at)?)
        .bind(passkey.last_used_at.map(big).transpose()?)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// After a login with it: its new state (counter) and when.
    pub async fn passkey_used(&mut self, id: &str, credential: &str, now: u64) -> StoreResult<()> {
        sqlx::query("UPDATE passkeys SET credential = $2, last_used_at = $3 WHERE id = $1")
            .bind(id)
            .bind(credential)
            .bind(big(now)?)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Removes one of `user`'s passkeys; false if they have none of that id.
    pub async fn delete_passkey(&mut self, user: &UserId, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND id = $2")
            .bind(user.to_string())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes every passkey of `user` (their keys changed, or they left): what they
    /// sealed no longer unlocks anything of theirs.
    pub async fn delete_passkeys(&mut self, user: &UserId) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected())
    }
}
