//! The ciphertext objects of an exchange and their parts: each part recorded in order
//! with its SHA-256 (the `Content-Digest` the relay checked), the hashes read back for a
//! download and for the envelope's check at completion.

use std::collections::BTreeMap;

use pli_api::ExchangeId;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::{Store, StoreError, StoreResult, Tx, big, get_id, get_u32, get_u64};

/// One ciphertext object of an exchange and its upload progress.
#[derive(Debug, Clone)]
pub struct Object {
    /// The exchange.
    pub exchange_id: ExchangeId,
    /// 0 for the manifest, then the files.
    pub idx: u32,
    /// Declared size.
    pub size: u64,
    /// Number of parts.
    pub part_count: u32,
    /// Parts stored so far (always a prefix: parts arrive in order).
    pub parts_stored: u32,
    /// SHA-256 of the whole object, once a completion whose envelope (format 1) binds it
    /// read the object back (the migration `20261212000001_whole_sha256` says why not the
    /// `sha256` column relays of before kept as parts arrived).
    pub whole_sha256: Option<[u8; 32]>,
}

fn object_from_row(row: &AnyRow) -> StoreResult<Object> {
    let whole_sha256: Option<Vec<u8>> = row.try_get("whole_sha256")?;
    Ok(Object {
        exchange_id: get_id(row, "exchange_id")?,
        idx: get_u32(row, "idx")?,
        size: get_u64(row, "size")?,
        part_count: get_u32(row, "part_count")?,
        parts_stored: get_u32(row, "parts_stored")?,
        whole_sha256: whole_sha256
            .map(|h| {
                h.try_into()
                    .map_err(|_| StoreError::Other("bad sha256 length".into()))
            })
            .transpose()?,
    })
}

impl Store {
    /// The objects of an exchange, in order.
    pub async fn objects(&self, exchange: &ExchangeId) -> StoreResult<Vec<Object>> {
        let rows = sqlx::query("SELECT * FROM objects WHERE exchange_id = $1 ORDER BY idx")
            .bind(exchange.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(object_from_row).collect()
    }

    /// The SHA-256 recorded for each stored part of an object, in part order.
    pub async fn part_hashes(&self, exchange: &ExchangeId, idx: u32) -> StoreResult<Vec<[u8; 32]>> {
        let rows = sqlx::query(
            "SELECT sha256 FROM parts WHERE exchange_id = $1 AND idx = $2 ORDER BY part_no",
        )
        .bind(exchange.to_string())
        .bind(i64::from(idx))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(sha256_of).collect()
    }

    /// The SHA-256 of every part of every object of `exchange`, by object index, each
    /// object's in part order (one query, for the envelope's check at completion).
    pub async fn exchange_part_hashes(
        &self,
        exchange: &ExchangeId,
    ) -> StoreResult<BTreeMap<u32, Vec<[u8; 32]>>> {
        let rows = sqlx::query(
            "SELECT idx, sha256 FROM parts WHERE exchange_id = $1 ORDER BY idx, part_no",
        )
        .bind(exchange.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut hashes: BTreeMap<u32, Vec<[u8; 32]>> = BTreeMap::new();
        for row in &rows {
            hashes
                .entry(get_u32(row, "idx")?)
                .or_default()
                .push(sha256_of(row)?);
        }
        Ok(hashes)
    }

    /// Keeps the SHA-256 of a whole object, computed once it is complete (the first value
    /// kept stays).
    pub async fn keep_whole_sha256(
        &self,
        exchange: &ExchangeId,
        idx: u32,
        sha256: &[u8; 32],
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE objects SET whole_sha256 = $3 \
             WHERE exchange_id = $1 AND idx = $2 AND whole_sha256 IS NULL",
        )
        .bind(exchange.to_string())
        .bind(i64::from(idx))
        .bind(sha256.to_vec())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The SHA-256 recorded for part `part` of an object, if it is stored.
    pub async fn part_sha256(
        &self,
        exchange: &ExchangeId,
        idx: u32,
        part: u32,
    ) -> StoreResult<Option<Vec<u8>>> {
        let row = sqlx::query(
            "SELECT sha256 FROM parts WHERE exchange_id = $1 AND idx = $2 AND part_no = $3",
        )
        .bind(exchange.to_string())
        .bind(i64::from(idx))
        .bind(i64::from(part))
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| r.try_get::<Vec<u8>, _>("sha256"))
            .transpose()
            .map_err(StoreError::from)
    }
}

/// What [`Tx::record_part`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartRecord {
    /// The part was the object's next one: it is recorded.
    Recorded,
    /// Nothing written: the part is not the next one expected (another upload of it
    /// recorded it first).
    NotNext,
    /// Nothing written: the exchange is no longer being uploaded (its send was cancelled
    /// or its upload purged while the part was arriving).
    NotUploading,
}

impl Tx {
    /// Records part `part` of an object, which must be the next one expected, of an
    /// exchange still being uploaded. The exchange's row is locked first (written to, on
    /// both databases): a cancellation running beside this either comes first, and this
    /// records nothing, or waits for it and erases what it recorded.
    pub async fn record_part(
        &mut self,
        exchange: &ExchangeId,
        idx: u32,
        part: u32,
        size: u64,
        sha256: &[u8; 32],
        now: u64,
    ) -> StoreResult<PartRecord> {
        let uploading =
            sqlx::query("UPDATE exchanges SET state = state WHERE id = $1 AND state = 'uploading'")
                .bind(exchange.to_string())
                .execute(&mut *self.tx)
                .await?;
        if uploading.rows_affected() != 1 {
            return Ok(PartRecord::NotUploading);
        }
        let done = sqlx::query(
            "UPDATE objects SET parts_stored = parts_stored + 1 \
             WHERE exchange_id = $1 AND idx = $2 AND parts_stored = $3",
        )
        .bind(exchange.to_string())
        .bind(i64::from(idx))
        .bind(i64::from(part))
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(PartRecord::NotNext);
        }
        sqlx::query(
            "INSERT INTO parts (exchange_id, idx, part_no, size, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(exchange.to_string())
        .bind(i64::from(idx))
        .bind(i64::from(part))
        .bind(big(size)?)
        .bind(sha256.to_vec())
        .bind(big(now)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(PartRecord::Recorded)
    }
}

/// A part's `sha256` column.
fn sha256_of(row: &AnyRow) -> StoreResult<[u8; 32]> {
    row.try_get::<Vec<u8>, _>("sha256")?
        .try_into()
        .map_err(|_| StoreError::Other("bad length in sha256".into()))
}
