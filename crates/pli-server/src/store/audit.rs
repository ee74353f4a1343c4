//! The audit log and the live-event log: appends under a per-chain counter, reads.

use pli_api::Sha256Hex;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::{Store, StoreError, StoreResult, Tx, big, get_u64};
use crate::audit::{AuditEntry, AuditEvent, entry_hash};

fn entry_from_row(row: &AnyRow) -> StoreResult<AuditEntry> {
    let hash = |column: &str| -> StoreResult<Sha256Hex> {
        row.try_get::<Vec<u8>, _>(column)?
            .try_into()
            .map(Sha256Hex)
            .map_err(|_| StoreError::Other(format!("bad {column}")))
    };
    Ok(AuditEntry {
        chain: row.try_get("chain")?,
        seq: get_u64(row, "seq")?,
        at: get_u64(row, "at")?,
        actor: row.try_get("actor_user_id")?,
        action: row.try_get("action")?,
        object_type: row.try_get("object_type")?,
        object_id: row.try_get("object_id")?,
        detail: row.try_get("detail")?,
        prev_hash: hash("prev_hash")?,
        hash: hash("hash")?,
    })
}

/// One live event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    /// Position in the organisation's stream (the SSE id).
    pub seq: u64,
    /// When.
    pub at: u64,
    /// What happened (`exchange.delivered`, `receipt.added`, `key.rotated`, …).
    pub kind: String,
    /// The exchange concerned, if any.
    pub exchange_id: Option<String>,
}

/// The name of an organisation's live-event chain.
fn events_chain(org: &pli_api::OrgId) -> String {
    format!("events:{org}")
}

impl Tx {
    /// Takes, at once and before anything else, the chains (audit and live events) of
    /// each organisation in `orgs` that this transaction will append to, in the one order
    /// every transaction uses (by chain name). Appending takes a chain's row lock until
    /// commit; a transaction appending to two organisations' chains in its own order
    /// (sender's first) deadlocked on PostgreSQL with one between the same organisations
    /// the other way round (found by `cargo xtask bench load`: courts and Départements
    /// send to each other; 735 deadlocks in 10 minutes, each answered 503 after a 1 s
    /// wait). One statement per chain, which `advance` then does not repeat.
    pub async fn lock_orgs_chains(&mut self, orgs: &[pli_api::OrgId]) -> StoreResult<()> {
        let mut names: Vec<String> = orgs
            .iter()
            .flat_map(|org| [crate::audit::Chain::Org(*org).name(), events_chain(org)])
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            // One statement creates the chain or, writing its row, locks it until commit.
            sqlx::query(
                "INSERT INTO chains (name, seq, head) VALUES ($1, 0, $2) \
                 ON CONFLICT (name) DO UPDATE SET seq = chains.seq",
            )
            .bind(&name)
            .bind(vec![0u8; 32])
            .execute(&mut *self.tx)
            .await?;
            self.chains.push(name);
        }
        Ok(())
    }

    /// Takes the next position of a chain and returns it with the previous head.
    pub(crate) async fn advance(&mut self, chain: &str) -> StoreResult<(u64, [u8; 32])> {
        if !self.chains.iter().any(|known| known == chain) {
            self.ensure_chain(chain).await?;
            self.chains.push(chain.to_owned());
        }
        // The UPDATE locks the row until commit: concurrent appenders wait their turn.
        let row =
            sqlx::query("UPDATE chains SET seq = seq + 1 WHERE name = $1 RETURNING seq, head")
                .bind(chain)
                .fetch_one(&mut *self.tx)
                .await?;
        let head: [u8; 32] = row
            .try_get::<Vec<u8>, _>("head")?
            .try_into()
            .map_err(|_| StoreError::Other("bad chain head".into()))?;
        Ok((get_u64(&row, "seq")?, head))
    }

    /// Appends `event` to its hash-chained audit log, in the caller's transaction (so the
    /// entry and the state change it records commit together).
    pub async fn audit(&mut self, event: AuditEvent) -> StoreResult<u64> {
        self.append_audit(
            &event.chain.name(),
            event.at,
            event.actor.map(|id| id.to_string()),
            event.action.as_str(),
            event.action.object_type(),
            &event.object_id,
            &event.detail,
        )
        .await
    }

    /// Appends one entry, column by column (what [`Tx::audit`] writes; the store's own
    /// tests write arbitrary entries with it).
    #[allow(clippy::too_many_arguments, reason = "one column each")]
    pub async fn append_audit(
        &mut self,
        chain: &str,
        at: u64,
        actor: Option<String>,
        action: &str,
        object_type: &str,
        object_id: &str,
        detail: &str,
    ) -> StoreResult<u64> {
        let (seq, prev_hash) = self.advance(chain).await?;
        let mut entry = AuditEntry {
            chain: chain.to_owned(),
            seq,
            at,
            actor,
            action: action.to_owned(),
            object_type: object_type.to_owned(),
            object_id: object_id.to_owned(),
            detail: detail.to_owned(),
            prev_hash: Sha256Hex(prev_hash),
            hash: Sha256Hex::default(),
        };
        entry.hash = Sha256Hex(entry_hash(&entry));
        sqlx::query("UPDATE chains SET head = $2 WHERE name = $1")
            .bind(chain)
            .bind(entry.hash.0.to_vec())
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "INSERT INTO audit_log (chain, seq, at, actor_user_id, action, object_type, object_id, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(chain)
        .bind(big(seq)?)
        .bind(big(at)?)
        .bind(entry.actor.clone())
        .bind(action)
        .bind(object_type)
        .bind(object_id)
        .bind(detail)
        .bind(entry.prev_hash.0.to_vec())
        .bind(entry.hash.0.to_vec())
        .execute(&mut *self.tx)
        .await?;
        Ok(seq)
    }

    /// Appends a live event for an organisation.
    pub async fn append_event(
        &mut self,
        org: &pli_api::OrgId,
        at: u64,
        kind: &str,
        exchange: Option<&pli_api::ExchangeId>,
    ) -> StoreResult<u64> {
        let (seq, _) = self.advance(&events_chain(org)).await?;
        sqlx::query(
            "INSERT INTO events (org_id, seq, at, kind, exchange_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org.to_string())
        .bind(big(seq)?)
        .bind(big(at)?)
        .bind(kind)
        .bind(exchange.map(|id| id.to_string()))
        .execute(&mut *self.tx)
        .await?;
        if self.backend == super::Backend::Postgres {
            // Delivered at commit, and only if it commits: every replica's listener
            // (`crate::replicas`) wakes the organisation's live-event streams at once.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(crate::replicas::CHANNEL)
                .bind(org.to_string())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(seq)
    }
}

impl Store {
    /// Audit entries of a chain after `after_seq`, in order, at most `limit`.
    pub async fn audit_entries(
        &self,
        chain: &str,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(chain)
        .bind(big(after_seq)?)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Audit entries of a chain by one actor, newest first.
    pub async fn audit_entries_by(
        &self,
        chain: &str,
        actor: &str,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE chain = $1 AND actor_user_id = $2 ORDER BY seq DESC LIMIT $3",
        )
        .bind(chain)
        .bind(actor)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The current head of a chain: (last seq, last hash).
    pub async fn chain_head(&self, chain: &str) -> StoreResult<(u64, [u8; 32])> {
        let row = sqlx::query("SELECT seq, head FROM chains WHERE name = $1")
            .bind(chain)
            .fetch_optional(self.pool())
            .await?;
        match row {
            None => Ok((0, [0; 32])),
            Some(row) => Ok((
                get_u64(&row, "seq")?,
                row.try_get::<Vec<u8>, _>("head")?
                    .try_into()
                    .map_err(|_| StoreError::Other("bad head".into()))?,
            )),
        }
    }

    /// An organisation's events after `after_seq`, in order.
    pub async fn events_after(
        &self,
        org: &pli_api::OrgId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT * FROM events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(org.to_string())
        .bind(big(after_seq)?)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Event {
                    seq: get_u64(row, "seq")?,
                    at: get_u64(row, "at")?,
                    kind: row.try_get("kind")?,
                    exchange_id: row.try_get("exchange_id")?,
                })
            })
            .collect()
    }
}
