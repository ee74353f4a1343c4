//! One-time links: the platform's set-up link, invitations and password resets (found
//! by the hash of their token).

use pli_api::{OrgId, UserId};
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::users::{InvitationKind, Role};
use super::{Store, StoreResult, Tx, big, get_id, get_opt_id, get_opt_u64, get_u64, get_word};

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
    /// A reset whose issuer said the member lost their authenticator too: accepting it
    /// clears their second factor (otherwise accepting asks a current code of it).
    pub clears_second_factor: bool,
    /// The sequence number of the audit entry that issued it, in the organisation's
    /// chain (none for the set-up link and links issued before it was recorded).
    pub issued_entry: Option<u64>,
    /// It enrols a service account (`pli service enrol`), not a person.
    pub service: bool,
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
        clears_second_factor: get_u64(row, "clears_second_factor")? != 0,
        issued_entry: get_opt_u64(row, "issued_entry")?,
        service: get_u64(row, "service")? != 0,
    })
}

impl Store {
    /// The invitation with this token hash.
    pub async fn invitation(&self, token_hash: &str) -> StoreResult<Option<Invitation>> {
        let row = sqlx::query("SELECT * FROM invitations WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(invitation_from_row).transpose()
    }

    /// Whether a reset of `user` may still be accepted at `now` (its link waits).
    pub async fn reset_waits(&self, user: &UserId, now: u64) -> StoreResult<bool> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS waiting FROM invitations WHERE user_id = $1 AND kind = 'reset' \
             AND used_at IS NULL AND expires_at > $2",
        )
        .bind(user.to_string())
        .bind(super::big(now)?)
        .fetch_one(self.pool())
        .await?;
        Ok(super::get_u64(&row, "waiting")? > 0)
    }

    /// The latest invitation to join that `email` may still accept at `now` (a person
    /// invited but without an account yet).
    pub async fn join_invitation_for(
        &self,
        email: &str,
        now: u64,
    ) -> StoreResult<Option<Invitation>> {
        let row = sqlx::query(
            "SELECT * FROM invitations WHERE email = $1 AND kind = 'join' \
             AND used_at IS NULL AND expires_at > $2 ORDER BY created_at DESC LIMIT 1",
        )
        .bind(email)
        .bind(super::big(now)?)
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
}

impl Tx {
    /// Stores an invitation.
    pub async fn insert_invitation(&mut self, invitation: &Invitation) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO invitations (token_hash, kind, org_id, user_id, email, display_name, role, created_by, \
             created_at, expires_at, clears_second_factor, issued_entry, service) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
        .bind(i64::from(invitation.clears_second_factor))
        .bind(invitation.issued_entry.map(big).transpose()?)
        .bind(i64::from(invitation.service))
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

    /// Spends the set-up link `token_hash` and withdraws every other unused one (a set-up
    /// link each replica started before the set-up printed), in one statement; `false`
    /// if that link is no longer usable or the platform is already set up (a link a
    /// replica printed while another was being set up). Two set-ups at once on two
    /// replicas lock the links in the same order (the same statement, the table's order,
    /// nothing locked before it in the transaction), so the second waits for the first and
    /// then finds its own link gone, where two statements (spend mine, withdraw yours)
    /// would deadlock.
    pub async fn spend_setup_links(&mut self, token_hash: &str, now: u64) -> StoreResult<bool> {
        let spent = sqlx::query(
            "UPDATE invitations SET used_at = $2 WHERE kind = $1 AND used_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM settings WHERE name = 'root_key') \
             RETURNING token_hash, expires_at",
        )
        .bind(InvitationKind::Setup.as_str())
        .bind(big(now)?)
        .fetch_all(&mut *self.tx)
        .await?;
        for row in &spent {
            let hash: String = row.try_get("token_hash")?;
            if hash == token_hash {
                return Ok(get_u64(row, "expires_at")? > now);
            }
        }
        Ok(false)
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
