//! The key directory: organisations, their key generations, users' certificates, key
//! grants. The relay stores signed objects as received; clients verify them.

use pli_api::{OrgId, OrgKind, SecondFactor, UserId};
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::{Store, StoreError, StoreResult, Tx, big, get_id, get_opt_u64, get_u64, get_word};

/// Signed bytes and their signature, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBlob {
    /// The signed bytes.
    pub data: Vec<u8>,
    /// The Ed25519 signature.
    pub signature: Vec<u8>,
}

impl SignedBlob {
    /// The transparency log's leaf: the signed bytes, then the signature.
    pub fn leaf(&self) -> Vec<u8> {
        [self.data.as_slice(), self.signature.as_slice()].concat()
    }

    /// The wire form.
    pub fn to_wire(&self) -> pli_api::SignedObject {
        pli_api::SignedObject {
            data: pli_api::Base64(self.data.clone()),
            signature: pli_api::Base64(self.signature.clone()),
        }
    }
}

fn blob(row: &AnyRow, data: &str, signature: &str) -> StoreResult<SignedBlob> {
    Ok(SignedBlob {
        data: row.try_get(data)?,
        signature: row.try_get(signature)?,
    })
}

/// An organisation.
#[derive(Debug, Clone)]
pub struct Org {
    /// Its id.
    pub id: OrgId,
    /// What it is.
    pub kind: OrgKind,
    /// Its name.
    pub name: String,
    /// Its code.
    pub code: String,
    /// Its certificate, signed by the platform root.
    pub certificate: SignedBlob,
    /// How long its exchanges are kept.
    pub retention_days: u64,
    /// Whether its members must use two-factor authentication.
    pub second_factor: SecondFactor,
    /// Creation time.
    pub created_at: u64,
}

fn org_from_row(row: &AnyRow) -> StoreResult<Org> {
    Ok(Org {
        id: get_id(row, "id")?,
        kind: get_word(row, "kind")?,
        name: row.try_get("name")?,
        code: row.try_get("code")?,
        certificate: blob(row, "certificate", "certificate_signature")?,
        retention_days: get_u64(row, "retention_days")?,
        second_factor: get_word(row, "second_factor")?,
        created_at: get_u64(row, "created_at")?,
    })
}

/// One generation of an organisation's key.
#[derive(Debug, Clone)]
pub struct OrgKeyRow {
    /// The organisation.
    pub org_id: OrgId,
    /// The generation.
    pub generation: u32,
    /// The X25519 public key.
    pub public_key: Vec<u8>,
    /// Its certificate, signed by an org admin.
    pub certificate: SignedBlob,
    /// The admin who published it.
    pub issuer_user_id: UserId,
    /// Hex fingerprint of the signing key that certified it.
    pub issuer_fingerprint: String,
    /// Whether new uploads to it are refused.
    pub suspended: bool,
    /// Publication time.
    pub created_at: u64,
}

fn org_key_from_row(row: &AnyRow) -> StoreResult<OrgKeyRow> {
    Ok(OrgKeyRow {
        org_id: get_id(row, "org_id")?,
        generation: u32::try_from(get_u64(row, "generation")?)
            .map_err(|_| StoreError::Other("generation".into()))?,
        public_key: row.try_get("public_key")?,
        certificate: blob(row, "certificate", "certificate_signature")?,
        issuer_user_id: get_id(row, "issuer_user_id")?,
        issuer_fingerprint: row.try_get("issuer_fingerprint")?,
        suspended: row.try_get::<String, _>("status")? == "suspended",
        created_at: get_u64(row, "created_at")?,
    })
}

/// A user certificate as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCertRow {
    /// Hex fingerprint of the certified signing key.
    pub fingerprint: String,
    /// Whose.
    pub user_id: UserId,
    /// Hex fingerprint of the key that issued it.
    pub issuer_fingerprint: String,
    /// The certificate.
    pub certificate: SignedBlob,
    /// When stored.
    pub created_at: u64,
    /// When replaced by newer keys, if it was.
    pub superseded_at: Option<u64>,
}

fn cert_from_row(row: &AnyRow) -> StoreResult<UserCertRow> {
    Ok(UserCertRow {
        fingerprint: row.try_get("fingerprint")?,
        user_id: get_id(row, "user_id")?,
        issuer_fingerprint: row.try_get("issuer_fingerprint")?,
        certificate: blob(row, "certificate", "certificate_signature")?,
        created_at: get_u64(row, "created_at")?,
        superseded_at: get_opt_u64(row, "superseded_at")?,
    })
}

/// A person's request to move to a post-quantum encryption key, as stored.
#[derive(Debug, Clone)]
pub struct KeyUpgradeRow {
    /// Whose.
    pub user_id: UserId,
    /// The KeyUpgrade, signed by them.
    pub upgrade: SignedBlob,
    /// Their later identities, sealed.
    pub later_identities: Vec<u8>,
    /// When stored.
    pub created_at: u64,
}

fn key_upgrade_from_row(row: &AnyRow) -> StoreResult<KeyUpgradeRow> {
    Ok(KeyUpgradeRow {
        user_id: get_id(row, "user_id")?,
        upgrade: blob(row, "upgrade", "upgrade_signature")?,
        later_identities: row.try_get("later_identities")?,
        created_at: get_u64(row, "created_at")?,
    })
}

/// A wrapped organisation key for one member.
#[derive(Debug, Clone)]
pub struct GrantRow {
    /// The organisation.
    pub org_id: OrgId,
    /// The key generation.
    pub generation: u32,
    /// The member.
    pub user_id: UserId,
    /// The age file holding the key.
    pub wrapped: Vec<u8>,
    /// Who granted it.
    pub granted_by: UserId,
}

fn grant_from_row(row: &AnyRow) -> StoreResult<GrantRow> {
    Ok(GrantRow {
        org_id: get_id(row, "org_id")?,
        generation: u32::try_from(get_u64(row, "generation")?)
            .map_err(|_| StoreError::Other("generation".into()))?,
        user_id: get_id(row, "user_id")?,
        wrapped: row.try_get("wrapped")?,
        granted_by: get_id(row, "granted_by")?,
    })
}

impl Store {
    /// The organisation with this id.
    pub async fn org(&self, id: &OrgId) -> StoreResult<Option<Org>> {
        let row = sqlx::query("SELECT * FROM organisations WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(org_from_row).transpose()
    }

    /// Every organisation, by name.
    pub async fn orgs(&self) -> StoreResult<Vec<Org>> {
        let rows = sqlx::query("SELECT * FROM organisations ORDER BY name, id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(org_from_row).collect()
    }

    /// Every key generation of an organisation, oldest first.
    pub async fn org_keys(&self, org: &OrgId) -> StoreResult<Vec<OrgKeyRow>> {
        let rows = sqlx::query("SELECT * FROM org_keys WHERE org_id = $1 ORDER BY generation")
            .bind(org.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(org_key_from_row).collect()
    }

    /// One key generation.
    pub async fn org_key(&self, org: &OrgId, generation: u32) -> StoreResult<Option<OrgKeyRow>> {
        let row = sqlx::query("SELECT * FROM org_keys WHERE org_id = $1 AND generation = $2")
            .bind(org.to_string())
            .bind(i64::from(generation))
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(org_key_from_row).transpose()
    }

    /// The newest key generation of an organisation, if it has one.
    pub async fn current_org_key(&self, org: &OrgId) -> StoreResult<Option<OrgKeyRow>> {
        let row = sqlx::query(
            "SELECT * FROM org_keys WHERE org_id = $1 ORDER BY generation DESC LIMIT 1",
        )
        .bind(org.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(org_key_from_row).transpose()
    }

    /// The certificate of a signing key, by hex fingerprint.
    pub async fn user_certificate(&self, fingerprint: &str) -> StoreResult<Option<UserCertRow>> {
        // A key certified again (moved to post-quantum, renewed) has several: the latest.
        let row = sqlx::query(
            "SELECT * FROM user_certificates WHERE fingerprint = $1 ORDER BY created_at DESC LIMIT 1",
        )
            .bind(fingerprint)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(cert_from_row).transpose()
    }

    /// The certificates of several signing keys in one query (a list page's senders and
    /// their issuers): for each fingerprint found, its latest certificate, as
    /// [`Store::user_certificate`] gives it; fingerprints without one are left out.
    /// Duplicates in `fingerprints` are read once.
    pub async fn user_certificates(
        &self,
        fingerprints: &[String],
    ) -> StoreResult<std::collections::BTreeMap<String, UserCertRow>> {
        let wanted: std::collections::BTreeSet<&str> =
            fingerprints.iter().map(String::as_str).collect();
        let mut found = std::collections::BTreeMap::new();
        if wanted.is_empty() {
            return Ok(found);
        }
        let placeholders: Vec<String> = (1..=wanted.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT * FROM user_certificates WHERE fingerprint IN ({}) \
             ORDER BY fingerprint, created_at DESC",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for fingerprint in &wanted {
            query = query.bind(*fingerprint);
        }
        let rows = query.fetch_all(self.pool()).await?;
        // Newest first within each fingerprint: the first row seen is the latest.
        for row in rows.iter().map(cert_from_row) {
            let row = row?;
            if !found.contains_key(&row.fingerprint) {
                found.insert(row.fingerprint.clone(), row);
            }
        }
        Ok(found)
    }

    /// A person's request to move to a post-quantum key, if they made one.
    pub async fn key_upgrade(&self, user: &UserId) -> StoreResult<Option<KeyUpgradeRow>> {
        let row = sqlx::query("SELECT * FROM key_upgrades WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(key_upgrade_from_row).transpose()
    }

    /// A user's current certificate, if they have one.
    pub async fn current_user_certificate(
        &self,
        user: &UserId,
    ) -> StoreResult<Option<UserCertRow>> {
        let row = sqlx::query(
            "SELECT * FROM user_certificates WHERE user_id = $1 AND superseded_at IS NULL ORDER BY created_at DESC LIMIT 1",
        )
        .bind(user.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(cert_from_row).transpose()
    }

    /// The move to a post-quantum key each member of `org` asked for, if any.
    pub async fn key_upgrades_of_org(&self, org: &OrgId) -> StoreResult<Vec<KeyUpgradeRow>> {
        let rows = sqlx::query(
            "SELECT k.* FROM key_upgrades k JOIN users u ON u.id = k.user_id WHERE u.org_id = $1",
        )
        .bind(org.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(key_upgrade_from_row).collect()
    }

    /// The current certificate of each member of `org` who has one (the newest, should a
    /// member have two).
    pub async fn current_user_certificates_of_org(
        &self,
        org: &OrgId,
    ) -> StoreResult<Vec<UserCertRow>> {
        let rows = sqlx::query(
            "SELECT c.* FROM user_certificates c JOIN users u ON u.id = c.user_id \
             WHERE u.org_id = $1 AND c.superseded_at IS NULL ORDER BY c.user_id, c.created_at DESC",
        )
        .bind(org.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut current: Vec<UserCertRow> = Vec::new();
        for row in rows.iter().map(cert_from_row) {
            let row = row?;
            if current
                .last()
                .is_none_or(|last| last.user_id != row.user_id)
            {
                current.push(row);
            }
        }
        Ok(current)
    }

    /// Every grant of `org`'s keys, to any member.
    pub async fn grants_of_org(&self, org: &OrgId) -> StoreResult<Vec<GrantRow>> {
        let rows =
            sqlx::query("SELECT * FROM key_grants WHERE org_id = $1 ORDER BY user_id, generation")
                .bind(org.to_string())
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(grant_from_row).collect()
    }

    /// Every grant a member holds.
    pub async fn grants_of_user(&self, user: &UserId) -> StoreResult<Vec<GrantRow>> {
        let rows =
            sqlx::query("SELECT * FROM key_grants WHERE user_id = $1 ORDER BY org_id, generation")
                .bind(user.to_string())
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(grant_from_row).collect()
    }
}

impl Tx {
    /// Creates an organisation and its audit and event chains.
    pub async fn insert_org(&mut self, org: &Org) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO organisations (id, kind, name, code, certificate, certificate_signature, retention_days, \
             second_factor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(org.id.to_string())
        .bind(org.kind.as_str())
        .bind(&org.name)
        .bind(&org.code)
        .bind(&org.certificate.data)
        .bind(&org.certificate.signature)
        .bind(big(org.retention_days)?)
        .bind(org.second_factor.as_str())
        .bind(big(org.created_at)?)
        .execute(&mut *self.tx)
        .await?;
        self.log_append(&org.certificate.leaf(), org.created_at)
            .await?;
        self.ensure_chain(&format!("audit:{}", org.id)).await?;
        self.ensure_chain(&format!("events:{}", org.id)).await
    }

    /// Sets an organisation's retention.
    pub async fn set_retention(&mut self, org: &OrgId, days: u64) -> StoreResult<()> {
        sqlx::query("UPDATE organisations SET retention_days = $2 WHERE id = $1")
            .bind(org.to_string())
            .bind(big(days)?)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Sets whether an organisation's members must use two-factor authentication.
    pub async fn set_second_factor(
        &mut self,
        org: &OrgId,
        policy: SecondFactor,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE organisations SET second_factor = $2 WHERE id = $1")
            .bind(org.to_string())
            .bind(policy.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Publishes a key generation.
    pub async fn insert_org_key(&mut self, key: &OrgKeyRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO org_keys (org_id, generation, public_key, certificate, certificate_signature, issuer_user_id, \
             issuer_fingerprint, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8)",
        )
        .bind(key.org_id.to_string())
        .bind(i64::from(key.generation))
        .bind(key.public_key.clone())
        .bind(&key.certificate.data)
        .bind(&key.certificate.signature)
        .bind(key.issuer_user_id.to_string())
        .bind(&key.issuer_fingerprint)
        .bind(big(key.created_at)?)
        .execute(&mut *self.tx)
        .await?;
        self.log_append(&key.certificate.leaf(), key.created_at)
            .await?;
        Ok(())
    }

    /// Suspends a key generation: new uploads to it are refused.
    pub async fn suspend_org_key(&mut self, org: &OrgId, generation: u32) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE org_keys SET status = 'suspended' WHERE org_id = $1 AND generation = $2",
        )
        .bind(org.to_string())
        .bind(i64::from(generation))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Stores a user certificate.
    pub async fn insert_user_certificate(&mut self, cert: &UserCertRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO user_certificates (fingerprint, user_id, issuer_fingerprint, certificate, \
             certificate_signature, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&cert.fingerprint)
        .bind(cert.user_id.to_string())
        .bind(&cert.issuer_fingerprint)
        .bind(&cert.certificate.data)
        .bind(&cert.certificate.signature)
        .bind(big(cert.created_at)?)
        .execute(&mut *self.tx)
        .await?;
        self.log_append(&cert.certificate.leaf(), cert.created_at)
            .await?;
        Ok(())
    }

    /// Records a person's request to move to a post-quantum key; false if they already
    /// made one (it stays).
    pub async fn insert_key_upgrade(&mut self, row: &KeyUpgradeRow) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO key_upgrades (user_id, upgrade, upgrade_signature, later_identities, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(row.user_id.to_string())
        .bind(&row.upgrade.data)
        .bind(&row.upgrade.signature)
        .bind(&row.later_identities)
        .bind(big(row.created_at)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets a person's move to a post-quantum key (a reset gives them new keys, and
    /// the later identities were sealed under the former signing key).
    pub async fn delete_key_upgrade(&mut self, user: &UserId) -> StoreResult<()> {
        sqlx::query("DELETE FROM key_upgrades WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Marks superseded the one certificate a caller read as the user's current
    /// (`created_at` tells it from another of the same key): whether it still was. A
    /// certification that raced another finds it already superseded, and must not add a
    /// second current certificate (on PostgreSQL the second update waits for the first
    /// transaction, then finds the row changed; on SQLite writers take turns).
    pub async fn supersede_user_certificate(
        &mut self,
        user: &UserId,
        created_at: u64,
        now: u64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE user_certificates SET superseded_at = $3 \
             WHERE user_id = $1 AND created_at = $2 AND superseded_at IS NULL",
        )
        .bind(user.to_string())
        .bind(big(created_at)?)
        .bind(big(now)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a user's certificates superseded (new keys, or removal).
    pub async fn supersede_user_certificates(
        &mut self,
        user: &UserId,
        now: u64,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE user_certificates SET superseded_at = $2 WHERE user_id = $1 AND superseded_at IS NULL")
            .bind(user.to_string())
            .bind(big(now)?)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Stores (or replaces) a grant.
    pub async fn upsert_grant(&mut self, grant: &GrantRow, now: u64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO key_grants (org_id, generation, user_id, wrapped, granted_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, generation, user_id) \
             DO UPDATE SET wrapped = excluded.wrapped, granted_by = excluded.granted_by, created_at = excluded.created_at",
        )
        .bind(grant.org_id.to_string())
        .bind(i64::from(grant.generation))
        .bind(grant.user_id.to_string())
        .bind(&grant.wrapped)
        .bind(grant.granted_by.to_string())
        .bind(big(now)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Deletes every grant a member holds.
    pub async fn delete_grants_of_user(&mut self, user: &UserId) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM key_grants WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected())
    }

    /// Creates a chain row if missing.
    pub async fn ensure_chain(&mut self, name: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO chains (name, seq, head) VALUES ($1, 0, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(vec![0u8; 32])
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
