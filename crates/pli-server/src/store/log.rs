//! The key directory's transparency log: entries appended in the transaction of the
//! change they record, the Merkle tree's stored hashes, the latest checkpoint.

use std::collections::BTreeMap;

use pli_log::Frontier;
use sqlx::Row as _;
use tlog_tiles::{Hash, HashReader};

use super::directory::SignedBlob;
use super::{Store, StoreError, StoreResult, Tx, big, get_u64};

/// Hashes read ahead of a `tlog_tiles` computation (its reader is synchronous).
#[derive(Debug, Default)]
pub struct KnownHashes(pub BTreeMap<u64, Hash>);

impl HashReader for KnownHashes {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| {
                self.0
                    .get(i)
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

/// Records which hashes a computation asks for, answering zeros (the indexes a proof
/// needs do not depend on the hashes' values).
#[derive(Debug, Default)]
struct Wanted(std::cell::RefCell<Vec<u64>>);

impl HashReader for Wanted {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        self.0.borrow_mut().extend_from_slice(indexes);
        Ok(vec![Hash::default(); indexes.len()])
    }
}

/// The log's size, right edge, and latest checkpoint note.
#[derive(Debug, Clone, Default)]
pub struct LogHead {
    /// Entries in the log.
    pub size: u64,
    /// The tree's right edge.
    pub frontier: Frontier,
    /// The latest checkpoint (signed note, with cosignatures), if any yet.
    pub checkpoint: Option<Vec<u8>>,
}

fn head_from_row(row: &sqlx::any::AnyRow) -> StoreResult<LogHead> {
    let frontier: String = row.try_get("frontier")?;
    Ok(LogHead {
        size: get_u64(row, "size")?,
        frontier: serde_json::from_str(&frontier)
            .map_err(|e| StoreError::Other(format!("bad log frontier: {e}")))?,
        checkpoint: row.try_get("checkpoint")?,
    })
}

impl Tx {
    /// Appends a policy (signed by the root) to the log and puts it in force.
    pub async fn log_policy(&mut self, policy: &SignedBlob, now: u64) -> StoreResult<u64> {
        let leaf = policy.leaf();
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ('log_policy', $1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(leaf.clone())
        .execute(&mut *self.tx)
        .await?;
        self.log_append(&leaf, now).await
    }

    /// Appends a leaf to the log, in the caller's transaction; returns its index.
    pub async fn log_append(&mut self, leaf: &[u8], now: u64) -> StoreResult<u64> {
        // The chain row serialises appenders (see `advance`); the head row holds the edge.
        self.advance("directory-log").await?;
        sqlx::query(
            "INSERT INTO log_head (id, size, frontier) VALUES (1, 0, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(serde_json::to_string(&Frontier::default()).unwrap_or_default())
        .execute(&mut *self.tx)
        .await?;
        let row = sqlx::query("SELECT size, frontier, checkpoint FROM log_head WHERE id = 1")
            .fetch_one(&mut *self.tx)
            .await?;
        let mut head = head_from_row(&row)?;
        let index = head.size;
        let known = KnownHashes(head.frontier.stored().into_iter().collect());
        let stored = tlog_tiles::stored_hashes(index, leaf, &known)
            .map_err(|e| StoreError::Other(format!("log hashes: {e}")))?;
        let first = tlog_tiles::stored_hash_index(0, index);
        for (offset, hash) in (0u64..).zip(stored) {
            sqlx::query("INSERT INTO log_hashes (idx, hash) VALUES ($1, $2)")
                .bind(big(first.saturating_add(offset))?)
                .bind(hash.0.to_vec())
                .execute(&mut *self.tx)
                .await?;
        }
        sqlx::query("INSERT INTO log_entries (idx, leaf, created_at) VALUES ($1, $2, $3)")
            .bind(big(index)?)
            .bind(leaf.to_vec())
            .bind(big(now)?)
            .execute(&mut *self.tx)
            .await?;
        head.frontier.push(tlog_tiles::record_hash(leaf));
        sqlx::query("UPDATE log_head SET size = $1, frontier = $2 WHERE id = 1")
            .bind(big(head.frontier.size())?)
            .bind(
                serde_json::to_string(&head.frontier)
                    .map_err(|e| StoreError::Other(e.to_string()))?,
            )
            .execute(&mut *self.tx)
            .await?;
        Ok(index)
    }
}

impl Store {
    /// The log's head (an empty log if nothing was appended yet).
    pub async fn log_head(&self) -> StoreResult<LogHead> {
        let row = sqlx::query("SELECT size, frontier, checkpoint FROM log_head WHERE id = 1")
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map_or(Ok(LogHead::default()), head_from_row)
    }

    /// The log's policy in force (the last one appended), as signed.
    pub async fn log_policy(&self) -> StoreResult<Option<SignedBlob>> {
        let leaf = self.setting("log_policy").await?;
        leaf.map(|leaf| {
            let split = leaf
                .len()
                .checked_sub(64)
                .ok_or(StoreError::Other("bad log policy".into()))?;
            let (data, signature) = leaf.split_at(split);
            Ok(SignedBlob {
                data: data.to_vec(),
                signature: signature.to_vec(),
            })
        })
        .transpose()
    }

    /// Stores the latest checkpoint, of a tree of `size` entries, unless one of a larger
    /// tree is already stored (replicas publish concurrently: the one that signed first
    /// may store last).
    pub async fn set_log_checkpoint(&self, size: u64, note: &[u8]) -> StoreResult<()> {
        sqlx::query(
            "UPDATE log_head SET checkpoint = $2, checkpoint_size = $1 \
             WHERE id = 1 AND size >= $1 AND checkpoint_size <= $1",
        )
        .bind(big(size)?)
        .bind(note.to_vec())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Entries `start..end` (at most what exists), in order.
    pub async fn log_entries(&self, start: u64, end: u64) -> StoreResult<Vec<Vec<u8>>> {
        let rows =
            sqlx::query("SELECT leaf FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx")
                .bind(big(start)?)
                .bind(big(end)?)
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|row| row.try_get::<Vec<u8>, _>("leaf").map_err(StoreError::from))
            .collect()
    }

    /// The consistency proof from the tree of `old` entries to that of `new`.
    pub async fn log_consistency_proof(&self, new: u64, old: u64) -> StoreResult<Vec<[u8; 32]>> {
        if old == 0 || old >= new {
            return Ok(Vec::new());
        }
        let wanted = Wanted::default();
        tlog_tiles::prove_tree(new, old, &wanted)
            .map_err(|e| StoreError::Other(format!("log proof: {e}")))?;
        let indexes = wanted.0.into_inner();
        let mut known = KnownHashes::default();
        for index in indexes {
            let row = sqlx::query("SELECT hash FROM log_hashes WHERE idx = $1")
                .bind(big(index)?)
                .fetch_one(self.pool())
                .await?;
            let hash: [u8; 32] = row
                .try_get::<Vec<u8>, _>("hash")?
                .try_into()
                .map_err(|_| StoreError::Other("bad log hash".into()))?;
            known.0.insert(index, Hash(hash));
        }
        let proof = tlog_tiles::prove_tree(new, old, &known)
            .map_err(|e| StoreError::Other(format!("log proof: {e}")))?;
        Ok(proof.into_iter().map(|h| h.0).collect())
    }

    /// The last checkpoint `user` verified, as they signed it.
    pub async fn seen_checkpoint(&self, user: &pli_api::UserId) -> StoreResult<Option<SignedBlob>> {
        let row = sqlx::query("SELECT data, signature FROM seen_checkpoints WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| {
            Ok(SignedBlob {
                data: row.try_get("data")?,
                signature: row.try_get("signature")?,
            })
        })
        .transpose()
    }

    /// Records the checkpoint `user` verified, unless one of a larger log is recorded:
    /// `false` then.
    pub async fn set_seen_checkpoint(
        &self,
        user: &pli_api::UserId,
        size: u64,
        signed: &SignedBlob,
        now: u64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO seen_checkpoints (user_id, size, data, signature, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id) DO UPDATE SET size = excluded.size, data = excluded.data, \
             signature = excluded.signature, updated_at = excluded.updated_at \
             WHERE seen_checkpoints.size <= excluded.size",
        )
        .bind(user.to_string())
        .bind(big(size)?)
        .bind(signed.data.clone())
        .bind(signed.signature.clone())
        .bind(big(now)?)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The size each witness last cosigned, as far as this relay knows.
    pub async fn log_witness_size(&self, name: &str) -> StoreResult<u64> {
        let row = sqlx::query("SELECT size FROM log_witnesses WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.map_or(Ok(0), |row| get_u64(&row, "size"))
    }

    /// Records the size a witness cosigned (or told us it is at).
    pub async fn set_log_witness_size(&self, name: &str, size: u64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO log_witnesses (name, size) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET size = excluded.size",
        )
        .bind(name)
        .bind(big(size)?)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
