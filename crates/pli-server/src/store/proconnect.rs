//! ProConnect: an organisation's SIRET numbers and rule, the identity an account is tied
//! to, the sign-ins under way and their tickets (rows of the `ceremonies` table, each
//! taken once), and the sealed identity token a session keeps for its logout.

use pli_api::messages::{ProConnectPolicy, Siret};
use pli_api::{OrgId, UserId};
use sqlx::Row as _;

use super::passkeys::Ceremony;
use super::users::{USER_COLUMNS, User, user_from_row};
use super::{Store, StoreError, StoreResult, Tx, big, get_opt_id, get_u64};

/// What taking a ceremony found.
#[derive(Debug)]
pub enum Taken {
    /// Valid, and now used.
    Fresh(Ceremony),
    /// It existed, of this kind, but its time was up (now gone).
    Expired,
    /// None of this kind by that id (never made, already used, or forgotten).
    Unknown,
}

impl Store {
    /// An organisation's SIRET numbers and ProConnect rule.
    pub async fn org_proconnect(&self, org: &OrgId) -> StoreResult<ProConnectPolicy> {
        let row = sqlx::query("SELECT sirets, proconnect FROM organisations WHERE id = $1")
            .bind(org.to_string())
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(ProConnectPolicy::default());
        };
        let sirets: String = row.try_get("sirets")?;
        let rule: String = row.try_get("proconnect")?;
        let sirets = sirets
            .split_whitespace()
            .map(|s| Siret::parse(s).map_err(|e| StoreError::Other(e.to_string())))
            .collect::<StoreResult<Vec<_>>>()?;
        let required = match rule.as_str() {
            "required" => true,
            "optional" => false,
            other => return Err(StoreError::Other(format!("bad proconnect rule {other:?}"))),
        };
        Ok(ProConnectPolicy { sirets, required })
    }

    /// The account tied to a ProConnect identity.
    pub async fn user_by_proconnect_sub(&self, sub: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE proconnect_sub = $1");
        let row = sqlx::query(&sql)
            .bind(sub)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The ProConnect identity an account is tied to, if any.
    pub async fn proconnect_sub(&self, user: &UserId) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT proconnect_sub FROM users WHERE id = $1")
            .bind(user.to_string())
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(row) => row.try_get("proconnect_sub")?,
            None => None,
        })
    }

    /// A ceremony of `kind` still valid at `now`, left in place (a ticket shown to the
    /// login page before the login takes it).
    pub async fn peek_ceremony(
        &self,
        kind: &str,
        id_hash: &str,
        now: u64,
    ) -> StoreResult<Option<Ceremony>> {
        let row = sqlx::query(
            "SELECT user_id, kind, state FROM ceremonies \
             WHERE id_hash = $1 AND kind = $2 AND expires_at > $3",
        )
        .bind(id_hash)
        .bind(kind)
        .bind(big(now)?)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(Ceremony {
                user_id: get_opt_id(&row, "user_id")?,
                kind: row.try_get("kind")?,
                state: row.try_get("state")?,
            })
        })
        .transpose()
    }

    /// The sealed identity token of a session that began with ProConnect.
    pub async fn session_proconnect(&self, token_hash: &str) -> StoreResult<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT proconnect_token FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(row) => row.try_get("proconnect_token")?,
            None => None,
        })
    }
}

impl Tx {
    /// Sets an organisation's SIRET numbers and ProConnect rule.
    pub async fn set_org_proconnect(
        &mut self,
        org: &OrgId,
        policy: &ProConnectPolicy,
    ) -> StoreResult<()> {
        let sirets: Vec<&str> = policy.sirets.iter().map(Siret::as_str).collect();
        sqlx::query("UPDATE organisations SET sirets = $2, proconnect = $3 WHERE id = $1")
            .bind(org.to_string())
            .bind(sirets.join(" "))
            .bind(if policy.required {
                "required"
            } else {
                "optional"
            })
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The ProConnect identity an account is tied to, read in this transaction.
    pub async fn proconnect_sub_of(&mut self, user: &UserId) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT proconnect_sub FROM users WHERE id = $1")
            .bind(user.to_string())
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(match row {
            Some(row) => row.try_get("proconnect_sub")?,
            None => None,
        })
    }

    /// The account tied to a ProConnect identity, read in this transaction.
    pub async fn user_by_proconnect_sub(&mut self, sub: &str) -> StoreResult<Option<UserId>> {
        let row = sqlx::query("SELECT id FROM users WHERE proconnect_sub = $1")
            .bind(sub)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|row| super::get_id(&row, "id")).transpose()
    }

    /// Unties an account from its ProConnect identity (its removal: the person may be
    /// invited again, elsewhere, with the same identity).
    pub async fn unlink_proconnect(&mut self, user: &UserId) -> StoreResult<()> {
        sqlx::query("UPDATE users SET proconnect_sub = NULL WHERE id = $1")
            .bind(user.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Ties an account to a ProConnect identity, if it is tied to none yet (false: it
    /// already was, to this one or another).
    pub async fn link_proconnect(&mut self, user: &UserId, sub: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET proconnect_sub = $2 WHERE id = $1 AND proconnect_sub IS NULL",
        )
        .bind(user.to_string())
        .bind(sub)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Takes a ceremony of `kind` out (used once), telling an expired one apart.
    pub async fn take_ceremony_of(
        &mut self,
        kind: &str,
        id_hash: &str,
        now: u64,
    ) -> StoreResult<Taken> {
        let row = sqlx::query(
            "DELETE FROM ceremonies WHERE id_hash = $1 AND kind = $2 \
             RETURNING user_id, kind, state, expires_at",
        )
        .bind(id_hash)
        .bind(kind)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(row) = row else {
            return Ok(Taken::Unknown);
        };
        if get_u64(&row, "expires_at")? <= now {
            return Ok(Taken::Expired);
        }
        Ok(Taken::Fresh(Ceremony {
            user_id: get_opt_id(&row, "user_id")?,
            kind: row.try_get("kind")?,
            state: row.try_get("state")?,
        }))
    }

    /// Keeps a session's sealed ProConnect identity token (for its logout).
    pub async fn set_session_proconnect(
        &mut self,
        token_hash: &str,
        sealed: &[u8],
    ) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET proconnect_token = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(sealed)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
