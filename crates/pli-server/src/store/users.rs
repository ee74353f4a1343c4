//! Accounts, sessions, invitations and login throttling.

pub use pli_api::{AccountStatus, InvitationKind, Role};
use pli_api::{OrgId, UserId};
use pli_crypto::password::KdfParams;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::{
    Store, StoreError, StoreResult, Tx, big, get_id, get_opt_id, get_opt_u64, get_u64, get_word,
};

/// An account.
#[derive(Debug, Clone)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Its organisation.
    pub org_id: OrgId,
    /// Lowercase e-mail address.
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Status.
    pub status: AccountStatus,
    /// Password KDF parameters.
    pub kdf: KdfParams,
    /// The relay's Argon2id hash of the auth key.
    pub auth_hash: String,
    /// The sealed key bundle.
    pub key_bundle: Vec<u8>,
    /// Current Ed25519 public key.
    pub signing_key: [u8; 32],
    /// Current X25519 public key.
    pub encryption_key: [u8; 32],
    /// Whether TOTP is on.
    pub totp_enabled: bool,
    /// Creation time.
    pub created_at: u64,
}

/// What creating or re-keying an account writes.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Password KDF parameters.
    pub kdf: KdfParams,
    /// The relay's Argon2id hash of the auth key.
    pub auth_hash: String,
    /// The sealed key bundle.
    pub key_bundle: Vec<u8>,
    /// Ed25519 public key.
    pub signing_key: [u8; 32],
    /// X25519 public key.
    pub encryption_key: [u8; 32],
}

const USER_COLUMNS: &str = "id, org_id, email, display_name, role, status, kdf_m, kdf_t, kdf_p, kdf_salt, auth_hash, \
     key_bundle, signing_key, encryption_key, totp_secret IS NOT NULL AS totp_enabled, created_at";

fn array<const N: usize>(row: &AnyRow, column: &str) -> StoreResult<[u8; N]> {
    row.try_get::<Vec<u8>, _>(column)?
        .try_into()
        .map_err(|_| StoreError::Other(format!("bad length in {column}")))
}

fn small(row: &AnyRow, column: &str) -> StoreResult<u32> {
    u32::try_from(get_u64(row, column)?)
        .map_err(|_| StoreError::Other(format!("bad value in {column}")))
}

fn user_from_row(row: &AnyRow) -> StoreResult<User> {
    let totp: i64 = match row.try_get::<bool, _>("totp_enabled") {
        Ok(flag) => i64::from(flag),
        Err(_) => row.try_get::<i64, _>("totp_enabled")?,
    };
    Ok(User {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: get_word(row, "role")?,
        status: get_word(row, "status")?,
        kdf: KdfParams {
            m_cost_kib: small(row, "kdf_m")?,
            t_cost: small(row, "kdf_t")?,
            p_cost: small(row, "kdf_p")?,
            salt: array(row, "kdf_salt")?,
        },
        auth_hash: row.try_get("auth_hash")?,
        key_bundle: row.try_get("key_bundle")?,
        signing_key: array(row, "signing_key")?,
        encryption_key: array(row, "encryption_key")?,
        totp_enabled: totp != 0,
        created_at: get_u64(row, "created_at")?,
    })
}

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
}

/// An invitation, found by the hash of its token.
#[derive(Debug, Clone)]
pub struct Invitation {
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// What for.
    pub kind: InvitationKind,
    /// The organisation joined (none for set-up).
    pub org_id: Option<OrgId>,
    /// The account it creates or resets.
    pub user_id: UserId,
    /// Invitee's address.
    pub email: String,
    /// Invitee's name.
    pub display_name: String,
    /// Role granted.
    pub role: Role,
    /// Who invited.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: u64,
    /// Expiry.
    pub expires_at: u64,
    /// When used, if used.
    pub used_at: Option<u64>,
}

fn invitation_from_row(row: &AnyRow) -> StoreResult<Invitation> {
    Ok(Invitation {
        token_hash: row.try_get("token_hash")?,
        kind: get_word(row, "kind")?,
        org_id: get_opt_id(row, "org_id")?,
        user_id: get_id(row, "user_id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: get_word(row, "role")?,
        created_by: get_opt_id(row, "created_by")?,
        created_at: get_u64(row, "created_at")?,
        expires_at: get_u64(row, "expires_at")?,
        used_at: get_opt_u64(row, "used_at")?,
    })
}

impl Store {
    /// The account with this address.
    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row = sqlx::query(&sql)
            .bind(email)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The account with this id.
    pub async fn user(&self, id: &UserId) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Every account of an organisation, removed ones included, by name.
    pub async fn users_of_org(&self, org: &OrgId) -> StoreResult<Vec<User>> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 ORDER BY display_name, id");
        let rows = sqlx::query(&sql)
            .bind(org.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Whether a platform admin exists.
    pub async fn has_platform_admin(&self) -> StoreResult<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM users WHERE role = 'platform_admin' AND status <> 'removed'",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// The sealed TOTP secret (enabled) and pending enrolment secret, and the last step.
    pub async fn user_totp(
        &self,
        id: &UserId,
    ) -> StoreResult<(Option<Vec<u8>>, Option<Vec<u8>>, u64)> {
        let row = sqlx::query(
            "SELECT totp_secret, totp_pending, totp_last_step FROM users WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_one(self.pool())
        .await?;
        Ok((
            row.try_get("totp_secret")?,
            row.try_get("totp_pending")?,
            get_u64(&row, "totp_last_step")?,
        ))
    }

    /// The session with this token hash.
    pub async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let row = sqlx::query(
            "SELECT token_hash, user_id, created_at, last_seen_at, expires_at, reauth_at FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(Session {
                token_hash: row.try_get("token_hash")?,
                user_id: get_id(&row, "user_id")?,
                created_at: get_u64(&row, "created_at")?,
                last_seen_at: get_u64(&row, "last_seen_at")?,
                expires_at: get_u64(&row, "expires_at")?,
                reauth_at: get_u64(&row, "reauth_at")?,
            })
        })
        .transpose()
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
             s.reauth_at, {user_columns} FROM sessions s JOIN users u ON u.id = s.user_id \
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
            };
            Ok((session, user))
        })
        .transpose()
    }

    /// The invitation with this token hash.
    pub async fn invitation(&self, token_hash: &str) -> StoreResult<Option<Invitation>> {
        let row = sqlx::query("SELECT * FROM invitations WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(invitation_from_row).transpose()
    }

    /// An organisation's invitations not used yet (expired ones included).
    pub async fn open_invitations(&self, org: &OrgId) -> StoreResult<Vec<Invitation>> {
        let rows = sqlx::query(
            "SELECT * FROM invitations WHERE org_id = $1 AND used_at IS NULL ORDER BY created_at",
        )
        .bind(org.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(invitation_from_row).collect()
    }

    /// Failed logins recorded under `key` since `since`.
    pub async fn login_failures(&self, key: &str, since: u64) -> StoreResult<u64> {
        let row = sqlx::query(
            "SELECT failures FROM login_throttle WHERE key = $1 AND window_start >= $2",
        )
        .bind(key)
        .bind(big(since)?)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| get_u64(&r, "failures"))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// Counts one failed login under `key`, starting a new window if the last began
    /// before `window_start_cutoff`.
    pub async fn record_login_failure(
        &self,
        key: &str,
        now: u64,
        window_start_cutoff: u64,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN login_throttle.window_start < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
               window_start = CASE WHEN login_throttle.window_start < $3 THEN $2 ELSE login_throttle.window_start END",
        )
        .bind(key)
        .bind(big(now)?)
        .bind(big(window_start_cutoff)?)
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
    /// Creates an account.
    #[allow(clippy::too_many_arguments, reason = "one column each")]
    pub async fn insert_user(
        &mut self,
        id: &UserId,
        org: &OrgId,
        email: &str,
        display_name: &str,
        role: Role,
        status: AccountStatus,
        credentials: &Credentials,
        now: u64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO users (id, org_id, email, display_name, role, status, kdf_m, kdf_t, kdf_p, kdf_salt, auth_hash, \
             key_bundle, signing_key, encryption_key, totp_last_step, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, $15)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(email)
        .bind(display_name)
        .bind(role.as_str())
        .bind(status.as_str())
        .bind(i64::from(credentials.kdf.m_cost_kib))
        .bind(i64::from(credentials.kdf.t_cost))
        .bind(i64::from(credentials.kdf.p_cost))
        .bind(credentials.kdf.salt.to_vec())
        .bind(&credentials.auth_hash)
        .bind(&credentials.key_bundle)
        .bind(credentials.signing_key.to_vec())
        .bind(credentials.encryption_key.to_vec())
        .bind(big(now)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Replaces an account's password and keys (a reset), making it pending again.
    pub async fn reset_user(
        &mut self,
        id: &UserId,
        credentials: &Credentials,
        now: u64,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE users SET kdf_m = $2, kdf_t = $3, kdf_p = $4, kdf_salt = $5, auth_hash = $6, key_bundle = $7, \
             signing_key = $8, encryption_key = $9, status = 'pending', totp_secret = NULL, totp_pending = NULL, \
             updated_at = $10 WHERE id = $1 AND status <> 'removed'",
        )
        .bind(id.to_string())
        .bind(i64::from(credentials.kdf.m_cost_kib))
        .bind(i64::from(credentials.kdf.t_cost))
        .bind(i64::from(credentials.kdf.p_cost))
        .bind(credentials.kdf.salt.to_vec())
        .bind(&credentials.auth_hash)
        .bind(&credentials.key_bundle)
        .bind(credentials.signing_key.to_vec())
        .bind(credentials.encryption_key.to_vec())
        .bind(big(now)?)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Changes the password (same keys, bundle sealed again).
    pub async fn update_password(
        &mut self,
        id: &UserId,
        kdf: &KdfParams,
        auth_hash: &str,
        key_bundle: &[u8],
        now: u64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET kdf_m = $2, kdf_t = $3, kdf_p = $4, kdf_salt = $5, auth_hash = $6, key_bundle = $7, \
             updated_at = $8 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(i64::from(kdf.m_cost_kib))
        .bind(i64::from(kdf.t_cost))
        .bind(i64::from(kdf.p_cost))
        .bind(kdf.salt.to_vec())
        .bind(auth_hash)
        .bind(key_bundle)
        .bind(big(now)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Sets an account's status.
    pub async fn set_user_status(
        &mut self,
        id: &UserId,
        status: AccountStatus,
        now: u64,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE users SET status = $2, updated_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(status.as_str())
            .bind(big(now)?)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Stores a pending TOTP secret (sealed) during enrolment.
    pub async fn set_totp_pending(&mut self, id: &UserId, sealed: &[u8]) -> StoreResult<()> {
        sqlx::query("UPDATE users SET totp_pending = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(sealed)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Turns the pending TOTP secret on.
    pub async fn enable_totp(&mut self, id: &UserId, step: u64, now: u64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $2, updated_at = $3 \
             WHERE id = $1 AND totp_pending IS NOT NULL",
        )
        .bind(id.to_string())
        .bind(big(step)?)
        .bind(big(now)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Records a used TOTP step; `false` if this step (or a later one) was already used.
    pub async fn use_totp_step(&mut self, id: &UserId, step: u64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2",
        )
        .bind(id.to_string())
        .bind(big(step)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Opens a session.
    pub async fn insert_session(
        &mut self,
        token_hash: &str,
        user: &UserId,
        now: u64,
        expires_at: u64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, reauth_at) \
             VALUES ($1, $2, $3, $3, $4, $3)",
        )
        .bind(token_hash)
        .bind(user.to_string())
        .bind(big(now)?)
        .bind(big(expires_at)?)
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

    /// Ends every session of an account.
    pub async fn delete_user_sessions(&mut self, user: &UserId) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected())
    }

    /// Stores an invitation.
    pub async fn insert_invitation(&mut self, invitation: &Invitation) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO invitations (token_hash, kind, org_id, user_id, email, display_name, role, created_by, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&invitation.token_hash)
        .bind(invitation.kind.as_str())
        .bind(invitation.org_id.map(|id| id.to_string()))
        .bind(invitation.user_id.to_string())
        .bind(&invitation.email)
        .bind(&invitation.display_name)
        .bind(invitation.role.as_str())
        .bind(invitation.created_by.map(|id| id.to_string()))
        .bind(big(invitation.created_at)?)
        .bind(big(invitation.expires_at)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Marks an invitation used, if it is still usable; `false` otherwise.
    pub async fn use_invitation(&mut self, token_hash: &str, now: u64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE invitations SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(big(now)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Withdraws unused invitations of a kind (a new set-up link replaces the old).
    pub async fn withdraw_invitations(
        &mut self,
        kind: InvitationKind,
        now: u64,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE invitations SET used_at = $2 WHERE kind = $1 AND used_at IS NULL")
            .bind(kind.as_str())
            .bind(big(now)?)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Withdraws the unused invitations of an organisation for one account.
    pub async fn withdraw_invitation(
        &mut self,
        org: &OrgId,
        user: &UserId,
        now: u64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE invitations SET used_at = $3 WHERE org_id = $1 AND user_id = $2 AND used_at IS NULL",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .bind(big(now)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
