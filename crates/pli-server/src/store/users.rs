//! Accounts: who they are, their credentials and two-factor secrets. Sessions and login
//! throttling are in `sessions`, one-time links in `invitations`.

pub use pli_api::{AccountStatus, InvitationKind, Role};
use pli_api::{OrgId, UserId};
use pli_crypto::password::{KdfParams, Secrets};
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::{Store, StoreError, StoreResult, Tx, big, get_id, get_u64, get_word};

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
    /// Current encryption public key (MLKEM768-X25519, or X25519 before the migration).
    pub encryption_key: Vec<u8>,
    /// Whether TOTP is on.
    pub totp_enabled: bool,
    /// A service account (a program's, enrolled with `pli service enrol`): no second
    /// factor, and the organisation's rule does not ask it one.
    pub service: bool,
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
    /// Encryption public key (MLKEM768-X25519, or X25519 before the migration).
    pub encryption_key: Vec<u8>,
}

pub(super) const USER_COLUMNS: &str = "id, org_id, email, display_name, role, status, kdf_version, kdf_m, kdf_t, kdf_p, kdf_salt, auth_hash, \
     key_bundle, signing_key, encryption_key, totp_secret IS NOT NULL AS totp_enabled, service, created_at";

fn array<const N: usize>(row: &AnyRow, column: &str) -> StoreResult<[u8; N]> {
    row.try_get::<Vec<u8>, _>(column)?
        .try_into()
        .map_err(|_| StoreError::Other(format!("bad length in {column}")))
}

fn small(row: &AnyRow, column: &str) -> StoreResult<u32> {
    u32::try_from(get_u64(row, column)?)
        .map_err(|_| StoreError::Other(format!("bad value in {column}")))
}

pub(super) fn user_from_row(row: &AnyRow) -> StoreResult<User> {
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
            secrets: Secrets::from_version(
                u8::try_from(small(row, "kdf_version")?)
                    .map_err(|_| StoreError::Other("bad value in kdf_version".into()))?,
            )
            .map_err(|e| StoreError::Other(e.to_string()))?,
            m_cost_kib: small(row, "kdf_m")?,
            t_cost: small(row, "kdf_t")?,
            p_cost: small(row, "kdf_p")?,
            salt: array(row, "kdf_salt")?,
        },
        auth_hash: row.try_get("auth_hash")?,
        key_bundle: row.try_get("key_bundle")?,
        signing_key: array(row, "signing_key")?,
        encryption_key: row.try_get("encryption_key")?,
        totp_enabled: totp != 0,
        service: get_u64(row, "service")? != 0,
        created_at: get_u64(row, "created_at")?,
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
             key_bundle, signing_key, encryption_key, totp_last_step, created_at, updated_at, kdf_version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, $15, $16)",
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
        .bind(credentials.encryption_key.clone())
        .bind(big(now)?)
        .bind(i64::from(credentials.kdf.secrets.version()))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Sets an active account's encryption key (its move to post-quantum, certified).
    pub async fn set_encryption_key(
        &mut self,
        id: &UserId,
        key: &[u8],
        now: u64,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE users SET encryption_key = $2, updated_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(key.to_vec())
            .bind(big(now)?)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Makes a new account a service account.
    pub async fn mark_service(&mut self, id: &UserId) -> StoreResult<()> {
        sqlx::query("UPDATE users SET service = 1 WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Replaces an account's password and keys (a reset), making it pending again. Its
    /// second factor stays, unless `clear_second_factor` (the member lost their
    /// authenticator too); an enrolment under way is dropped either way.
    pub async fn reset_user(
        &mut self,
        id: &UserId,
        credentials: &Credentials,
        clear_second_factor: bool,
        now: u64,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE users SET kdf_m = $2, kdf_t = $3, kdf_p = $4, kdf_salt = $5, auth_hash = $6, key_bundle = $7, \
             signing_key = $8, encryption_key = $9, status = 'pending', \
             totp_secret = CASE WHEN $12 = 1 THEN NULL ELSE totp_secret END, totp_pending = NULL, \
             updated_at = $10, kdf_version = $11 WHERE id = $1 AND status <> 'removed'",
        )
        .bind(id.to_string())
        .bind(i64::from(credentials.kdf.m_cost_kib))
        .bind(i64::from(credentials.kdf.t_cost))
        .bind(i64::from(credentials.kdf.p_cost))
        .bind(credentials.kdf.salt.to_vec())
        .bind(&credentials.auth_hash)
        .bind(&credentials.key_bundle)
        .bind(credentials.signing_key.to_vec())
        .bind(credentials.encryption_key.clone())
        .bind(big(now)?)
        .bind(i64::from(credentials.kdf.secrets.version()))
        .bind(i64::from(clear_second_factor))
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
             updated_at = $8, kdf_version = $9 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(i64::from(kdf.m_cost_kib))
        .bind(i64::from(kdf.t_cost))
        .bind(i64::from(kdf.p_cost))
        .bind(kdf.salt.to_vec())
        .bind(auth_hash)
        .bind(key_bundle)
        .bind(big(now)?)
        .bind(i64::from(kdf.secrets.version()))
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

    /// Makes a pending account active (its first certification): whether it was still
    /// pending, so that of two certifications racing only one takes effect.
    pub async fn activate_user(&mut self, id: &UserId, now: u64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4",
        )
        .bind(id.to_string())
        .bind(AccountStatus::Active.as_str())
        .bind(big(now)?)
        .bind(AccountStatus::Pending.as_str())
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
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

    /// Turns two-factor authentication off: the secret and any enrolment in progress are
    /// forgotten (the last step used is kept: a code seen before stays spent).
    pub async fn disable_totp(&mut self, id: &UserId, now: u64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL, updated_at = $2 WHERE id = $1",
        )
        .bind(id.to_string())
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
}
