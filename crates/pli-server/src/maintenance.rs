//! Background maintenance: purge expired exchanges and abandoned uploads, delete orphan
//! blobs, end stale sessions. Each step is safe to run concurrently, but of several
//! replicas on one PostgreSQL database only the holder of the maintenance lock runs it
//! (`replicas::Leadership`), so the work is not done twice; another takes over within an
//! interval of its holder's death.

use std::time::Duration;

use crate::app::AppState;
use crate::audit::{Action, AuditEvent, Chain};
use crate::blob::BlobKey;
use crate::metrics::Metrics;
use crate::now_ms;

/// Runs maintenance every `cleanup_interval_seconds`, forever.
pub async fn run(state: AppState) {
    let interval = Duration::from_secs(state.config.limits.cleanup_interval_seconds.max(1));
    let mut leadership =
        crate::replicas::Leadership::new(&state, crate::replicas::MAINTENANCE_LOCK);
    loop {
        if leadership.check().await
            && let Err(error) = run_once(&state).await
        {
            tracing::warn!(error = %error, "maintenance failed");
        }
        tokio::time::sleep(interval).await;
    }
}

/// What one maintenance pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Exchanges whose ciphertext was purged.
    pub purged: u64,
    /// Orphan blobs deleted.
    pub orphans: u64,
    /// Sessions ended.
    pub sessions: u64,
}

/// One maintenance pass.
pub async fn run_once(state: &AppState) -> anyhow::Result<Report> {
    let now = now_ms();
    let limits = &state.config.limits;
    let mut report = Report::default();

    let abandoned_before = now.saturating_sub(limits.abandoned_upload_hours * 3_600_000);
    loop {
        let batch = state
            .store
            .exchanges_to_purge(now, abandoned_before, 100)
            .await?;
        if batch.is_empty() {
            break;
        }
        for exchange in batch {
            let mut tx = state.store.begin().await?;
            tx.lock_orgs_chains(&[exchange.sender_org_id, exchange.recipient_org_id])
                .await?;
            let purged = tx.mark_purged(&exchange.id, exchange.state, now).await?;
            if let Some(new_state) = purged {
                let detail = format!(
                    "{{\"state\":\"{}\",\"bytes\":{}}}",
                    new_state.as_str(),
                    exchange.total_size
                );
                for org in [exchange.sender_org_id, exchange.recipient_org_id] {
                    tx.audit(AuditEvent {
                        chain: Chain::Org(org),
                        at: now,
                        actor: None,
                        action: Action::ExchangePurged,
                        object_id: exchange.id.to_string(),
                        detail: detail.clone(),
                    })
                    .await?;
                }
                report.purged += 1;
            }
            tx.commit().await?;
            // The row first, then the blobs: once the row says expired or abandoned, no
            // client can complete or download the exchange, and a crash before the blobs
            // are gone leaves orphans that the sweep below removes. The other order could
            // deliver an upload whose parts were already deleted. An exchange that changed
            // since it was listed (an upload completed meanwhile) keeps its blobs.
            if purged.is_some() {
                state
                    .blobs
                    .delete_prefix(&BlobKey::exchange_prefix(&exchange.id))
                    .await?;
            }
        }
    }
    Metrics::add(&state.metrics.exchanges_purged, report.purged);

    // Blobs whose exchange row does not exist, or no longer needs them, left by a crash
    // between a blob write and its database record. Young ones may be in flight: skip.
    let grace = limits.cleanup_interval_seconds.max(60) * 1000;
    let Some(prefix) = BlobKey::parse("x/") else {
        return Ok(report);
    };
    for listed in state.blobs.list(&prefix).await? {
        if listed.modified_ms + grace > now {
            continue;
        }
        let exchange_id = listed
            .key
            .as_str()
            .split('/')
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let live = matches!(
            state.store.exchange_state(&exchange_id).await?,
            Some(
                crate::store::exchanges::ExchangeState::Uploading
                    | crate::store::exchanges::ExchangeState::Delivered
            )
        );
        if !live {
            state.blobs.delete(&listed.key).await?;
            report.orphans += 1;
        }
    }

    let idle_cutoff = now.saturating_sub(limits.session_idle_minutes * 60_000);
    let throttle_cutoff = now.saturating_sub(limits.login_window_minutes * 60_000);
    report.sessions = state
        .store
        .delete_stale_sessions(now, idle_cutoff, throttle_cutoff)
        .await?;
    // Passkey ceremonies and ProConnect sign-ins never finished, tickets never used.
    let mut tx = state.store.begin().await?;
    tx.delete_stale_ceremonies(now).await?;
    tx.commit().await?;
    if report != Report::default() {
        tracing::info!(
            purged = report.purged,
            orphans = report.orphans,
            sessions = report.sessions,
            "maintenance"
        );
    }
    Ok(report)
}
