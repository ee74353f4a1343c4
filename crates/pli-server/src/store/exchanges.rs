//! Exchanges, read receipts, expiry and cleanup (their objects and parts: `objects.rs`).

pub use pli_api::ExchangeState;

use pli_api::{ExchangeId, OrgId, UserId};
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::directory::SignedBlob;
use super::{
    Store, StoreError, StoreResult, Tx, big, get_id, get_opt_id, get_opt_u64, get_u32, get_u64,
    get_word,
};

/// An exchange row.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Its id.
    pub id: ExchangeId,
    /// Sending organisation.
    pub sender_org_id: OrgId,
    /// Sender.
    pub sender_user_id: UserId,
    /// Receiving organisation.
    pub recipient_org_id: OrgId,
    /// Receiving organisation's key generation.
    pub recipient_generation: u32,
    /// Sending organisation's key generation, if the objects are also encrypted to it.
    pub sender_generation: Option<u32>,
    /// Urgent?
    pub urgent: bool,
    /// State.
    pub state: ExchangeState,
    /// The client's Idempotency-Key.
    pub idempotency_key: Option<String>,
    /// SHA-256 of the creation request, to detect a reused key.
    pub request_hash: Vec<u8>,
    /// The exchange this one answers.
    pub in_reply_to: Option<ExchangeId>,
    /// Number of objects (manifest included).
    pub object_count: u32,
    /// Sum of object sizes.
    pub total_size: u64,
    /// The signed envelope, once delivered.
    pub envelope: Option<SignedBlob>,
    /// Hex fingerprint of the key that signed the envelope.
    pub sender_fingerprint: Option<String>,
    /// Creation time.
    pub created_at: u64,
    /// Expiry.
    pub expires_at: u64,
    /// Delivery time.
    pub delivered_at: Option<u64>,
    /// First read receipt's time.
    pub first_read_at: Option<u64>,
}

const EXCHANGE_COLUMNS: &str = "id, sender_org_id, sender_user_id, recipient_org_id, recipient_generation, \
     sender_generation, priority, state, idempotency_key, request_hash, in_reply_to, object_count, total_size, \
     envelope, envelope_signature, sender_fingerprint, created_at, expires_at, delivered_at, first_read_at";

fn exchange_from_row(row: &AnyRow) -> StoreResult<Exchange> {
    let envelope: Option<Vec<u8>> = row.try_get("envelope")?;
    let signature: Option<Vec<u8>> = row.try_get("envelope_signature")?;
    Ok(Exchange {
        id: get_id(row, "id")?,
        sender_org_id: get_id(row, "sender_org_id")?,
        sender_user_id: get_id(row, "sender_user_id")?,
        recipient_org_id: get_id(row, "recipient_org_id")?,
        recipient_generation: get_u32(row, "recipient_generation")?,
        sender_generation: get_opt_u64(row, "sender_generation")?
            .map(|g| {
                u32::try_from(g).map_err(|_| StoreError::Other("bad sender_generation".into()))
            })
            .transpose()?,
        urgent: get_u64(row, "priority")? == 1,
        state: get_word(row, "state")?,
        idempotency_key: row.try_get("idempotency_key")?,
        request_hash: row.try_get("request_hash")?,
        in_reply_to: get_opt_id(row, "in_reply_to")?,
        object_count: get_u32(row, "object_count")?,
        total_size: get_u64(row, "total_size")?,
        envelope: match (envelope, signature) {
            (Some(data), Some(signature)) => Some(SignedBlob { data, signature }),
            _ => None,
        },
        sender_fingerprint: row.try_get("sender_fingerprint")?,
        created_at: get_u64(row, "created_at")?,
        expires_at: get_u64(row, "expires_at")?,
        delivered_at: get_opt_u64(row, "delivered_at")?,
        first_read_at: get_opt_u64(row, "first_read_at")?,
    })
}

/// A stored read receipt.
#[derive(Debug, Clone)]
pub struct ReceiptRow {
    /// The exchange.
    pub exchange_id: ExchangeId,
    /// The reader.
    pub user_id: UserId,
    /// The reader's organisation.
    pub org_id: OrgId,
    /// Hex fingerprint of the key that signed the receipt.
    pub reader_fingerprint: String,
    /// The signed receipt.
    pub receipt: SignedBlob,
    /// When the reader says they read it.
    pub read_at: u64,
}

/// Which list, and how it is filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mailbox {
    /// Delivered to the organisation.
    Inbox,
    /// Sent by the organisation (delivered or still uploading).
    Outbox,
}

/// A page position: the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// 1 urgent, 0 normal.
    pub priority: i64,
    /// Delivery (or creation) time.
    pub at: i64,
    /// Id.
    pub id: String,
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only urgent (true) or only normal (false).
    pub urgent: Option<bool>,
    /// Only unread (true) or only read (false).
    pub unread: Option<bool>,
    /// Only with this other organisation.
    pub counterpart: Option<OrgId>,
}

impl Store {
    /// The exchange with this id.
    pub async fn exchange(&self, id: &ExchangeId) -> StoreResult<Option<Exchange>> {
        let sql = format!("SELECT {EXCHANGE_COLUMNS} FROM exchanges WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(exchange_from_row).transpose()
    }

    /// The exchange a sender created with this Idempotency-Key.
    pub async fn exchange_by_idempotency_key(
        &self,
        sender: &UserId,
        key: &str,
    ) -> StoreResult<Option<Exchange>> {
        let sql = format!(
            "SELECT {EXCHANGE_COLUMNS} FROM exchanges WHERE sender_user_id = $1 AND idempotency_key = $2"
        );
        let row = sqlx::query(&sql)
            .bind(sender.to_string())
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(exchange_from_row).transpose()
    }

    /// A page of an organisation's inbox or outbox: urgent first, newest first.
    pub async fn list_exchanges(
        &self,
        which: Mailbox,
        org: &OrgId,
        filter: &ListFilter,
        after: Option<&Cursor>,
        limit: u32,
    ) -> StoreResult<Vec<Exchange>> {
        let (org_column, other_column, states, at) = match which {
            Mailbox::Inbox => (
                "recipient_org_id",
                "sender_org_id",
                "state = 'delivered'",
                "delivered_at",
            ),
            Mailbox::Outbox => (
                "sender_org_id",
                "recipient_org_id",
                "state IN ('delivered', 'uploading')",
                "created_at",
            ),
        };
        let mut sql = format!(
            "SELECT {EXCHANGE_COLUMNS} FROM exchanges WHERE {org_column} = $1 AND {states}"
        );
        let mut next = 2;
        let mut param = |sql: &mut String, clause: &str| {
            sql.push_str(&clause.replace('?', &format!("${next}")));
            next += 1;
        };
        if filter.urgent.is_some() {
            param(&mut sql, " AND priority = ?");
        }
        match filter.unread {
            Some(true) => sql.push_str(" AND first_read_at IS NULL"),
            Some(false) => sql.push_str(" AND first_read_at IS NOT NULL"),
            None => {}
        }
        if filter.counterpart.is_some() {
            param(&mut sql, &format!(" AND {other_column} = ?"));
        }
        if after.is_some() {
            // (priority, at, id) < cursor, in descending order, written out for both SQL dialects.
            let (p, a, i) = (next, next + 1, next + 2);
            sql.push_str(&format!(
                " AND (priority < ${p} OR (priority = ${p} AND ({at} < ${a} OR ({at} = ${a} AND id < ${i}))))"
            ));
            next += 3;
        }
        sql.push_str(&format!(
            " ORDER BY priority DESC, {at} DESC, id DESC LIMIT ${next}"
        ));

        let mut query = sqlx::query(&sql).bind(org.to_string());
        if let Some(urgent) = filter.urgent {
            query = query.bind(i64::from(urgent));
        }
        if let Some(other) = &filter.counterpart {
            query = query.bind(other.to_string());
        }
        if let Some(cursor) = after {
            query = query
                .bind(cursor.priority)
                .bind(cursor.at)
                .bind(cursor.id.clone());
        }
        let rows = query.bind(i64::from(limit)).fetch_all(self.pool()).await?;
        rows.iter().map(exchange_from_row).collect()
    }

    /// The receipts of an exchange, oldest first.
    pub async fn receipts(&self, exchange: &ExchangeId) -> StoreResult<Vec<ReceiptRow>> {
        let rows =
            sqlx::query("SELECT * FROM receipts WHERE exchange_id = $1 ORDER BY read_at, user_id")
                .bind(exchange.to_string())
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|row| {
                Ok(ReceiptRow {
                    exchange_id: get_id(row, "exchange_id")?,
                    user_id: get_id(row, "user_id")?,
                    org_id: get_id(row, "org_id")?,
                    reader_fingerprint: row.try_get("reader_fingerprint")?,
                    receipt: SignedBlob {
                        data: row.try_get("receipt")?,
                        signature: row.try_get("receipt_signature")?,
                    },
                    read_at: get_u64(row, "read_at")?,
                })
            })
            .collect()
    }

    /// Exchanges to purge: delivered and past expiry, or uploading since before `abandoned_before`.
    pub async fn exchanges_to_purge(
        &self,
        now: u64,
        abandoned_before: u64,
        limit: u32,
    ) -> StoreResult<Vec<Exchange>> {
        let sql = format!(
            "SELECT {EXCHANGE_COLUMNS} FROM exchanges WHERE (state = 'delivered' AND expires_at <= $1) \
             OR (state = 'uploading' AND (created_at < $2 OR expires_at <= $1)) ORDER BY expires_at LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(big(now)?)
            .bind(big(abandoned_before)?)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(exchange_from_row).collect()
    }

    /// Whether any exchange row exists with this id (for orphan blob cleanup), and its state.
    pub async fn exchange_state(&self, id: &str) -> StoreResult<Option<ExchangeState>> {
        let row = sqlx::query("SELECT state FROM exchanges WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| get_word(&r, "state")).transpose()
    }
}

/// What creating an exchange writes.
#[derive(Debug, Clone)]
pub struct NewExchange {
    /// The exchange row (state uploading, no envelope).
    pub exchange: Exchange,
    /// Declared object sizes, manifest first.
    pub sizes: Vec<u64>,
    /// Part size.
    pub part_size: u64,
    /// The SHA-256 state of an empty input, for relays of before during a rolling upgrade
    /// (this one never reads `hash_state`).
    pub empty_hash_state: Vec<u8>,
}

impl Tx {
    /// Creates an exchange and its objects, unless the sending organisation's stored
    /// bytes plus this exchange would exceed `quota` (checked in the same statement):
    /// then nothing is written and `false` is returned.
    pub async fn insert_exchange(&mut self, new: &NewExchange, quota: u64) -> StoreResult<bool> {
        let e = &new.exchange;
        // Creations for one organisation take turns: this write locks its row until the
        // transaction ends, so the sum below counts every exchange created before. (On
        // PostgreSQL each would otherwise see the total without the others' rows; SQLite
        // already runs one writer at a time.)
        sqlx::query("UPDATE organisations SET id = id WHERE id = $1")
            .bind(e.sender_org_id.to_string())
            .execute(&mut *self.tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO exchanges (id, sender_org_id, sender_user_id, recipient_org_id, recipient_generation, \
             sender_generation, priority, state, idempotency_key, request_hash, in_reply_to, object_count, total_size, \
             created_at, expires_at) SELECT $1, $2, $3, $4, $5, $6, $7, 'uploading', $8, $9, $10, $11, $12, $13, $14 \
             WHERE (SELECT CAST(COALESCE(SUM(total_size), 0) AS BIGINT) FROM exchanges \
                    WHERE sender_org_id = $2 AND state IN ('uploading', 'delivered')) + $12 <= $15",
        )
        .bind(e.id.to_string())
        .bind(e.sender_org_id.to_string())
        .bind(e.sender_user_id.to_string())
        .bind(e.recipient_org_id.to_string())
        .bind(i64::from(e.recipient_generation))
        .bind(e.sender_generation.map(i64::from))
        .bind(i64::from(e.urgent))
        .bind(e.idempotency_key.clone())
        .bind(e.request_hash.clone())
        .bind(e.in_reply_to.map(|id| id.to_string()))
        .bind(i64::from(e.object_count))
        .bind(big(e.total_size)?)
        .bind(big(e.created_at)?)
        .bind(big(e.expires_at)?)
        .bind(big(quota)?)
        .execute(&mut *self.tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(false);
        }
        for (idx, size) in new.sizes.iter().enumerate() {
            let parts = size.div_ceil(new.part_size).max(1);
            sqlx::query(
                "INSERT INTO objects (exchange_id, idx, size, part_count, parts_stored, hash_state) \
                 VALUES ($1, $2, $3, $4, 0, $5)",
            )
            .bind(e.id.to_string())
            .bind(big(idx as u64)?)
            .bind(big(*size)?)
            .bind(big(parts)?)
            .bind(new.empty_hash_state.clone())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(true)
    }

    /// Marks an uploading exchange delivered with its signed envelope; `false` if it was
    /// not uploading any more.
    pub async fn deliver(
        &mut self,
        id: &ExchangeId,
        envelope: &SignedBlob,
        fingerprint: &str,
        now: u64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE exchanges SET state = 'delivered', envelope = $2, envelope_signature = $3, sender_fingerprint = $4, \
             delivered_at = $5 WHERE id = $1 AND state = 'uploading'",
        )
        .bind(id.to_string())
        .bind(envelope.data.clone())
        .bind(envelope.signature.clone())
        .bind(fingerprint)
        .bind(big(now)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Stores a read receipt (a reader's second receipt replaces nothing); `false` if the
    /// reader had already sent one.
    pub async fn insert_receipt(&mut self, receipt: &ReceiptRow, now: u64) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO receipts (exchange_id, user_id, org_id, reader_fingerprint, receipt, receipt_signature, read_at, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (exchange_id, user_id) DO NOTHING",
        )
        .bind(receipt.exchange_id.to_string())
        .bind(receipt.user_id.to_string())
        .bind(receipt.org_id.to_string())
        .bind(receipt.reader_fingerprint.clone())
        .bind(receipt.receipt.data.clone())
        .bind(receipt.receipt.signature.clone())
        .bind(big(receipt.read_at)?)
        .bind(big(now)?)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 1 {
            sqlx::query(
                "UPDATE exchanges SET first_read_at = $2 WHERE id = $1 AND first_read_at IS NULL",
            )
            .bind(receipt.exchange_id.to_string())
            .bind(big(now)?)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(done.rows_affected() == 1)
    }

    /// Marks an exchange purged, if it still is as the caller found it (`was`): `expired`
    /// if it had been delivered, `abandoned` if it was being uploaded. `None` (nothing
    /// written) if it is no longer so: an upload cancelled or found stale just as its
    /// sender completed it is delivered, and stays so.
    pub async fn mark_purged(
        &mut self,
        id: &ExchangeId,
        was: ExchangeState,
        now: u64,
    ) -> StoreResult<Option<ExchangeState>> {
        if !matches!(was, ExchangeState::Delivered | ExchangeState::Uploading) {
            return Ok(None);
        }
        let row = sqlx::query(
            "UPDATE exchanges SET state = CASE WHEN state = 'delivered' THEN 'expired' ELSE 'abandoned' END, \
             purged_at = $2 WHERE id = $1 AND state = $3 RETURNING state",
        )
        .bind(id.to_string())
        .bind(big(now)?)
        .bind(was.as_str())
        .fetch_optional(&mut *self.tx)
        .await?;
        let state = row.map(|r| get_word(&r, "state")).transpose()?;
        if state.is_some() {
            sqlx::query("DELETE FROM parts WHERE exchange_id = $1")
                .bind(id.to_string())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(state)
    }
}
