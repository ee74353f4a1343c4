//! Changes under way in tasks of their own: every request but a read runs in one
//! (`routes::carry_changes_through`), so that a client leaving does not cut a change the
//! relay has begun. They end with the relay as its requests do: a graceful stop waits
//! for them (a while), a relay dropped as a crash would be ends them at once.

use std::time::Duration;

use tokio_util::sync::{CancellationToken, DropGuard};
use tokio_util::task::TaskTracker;

/// How long a stopping relay waits for the changes still under way, whose clients may
/// have left: past that, they end as in a crash (each is a transaction, or is retried).
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The relay's changes under way.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    tracker: TaskTracker,
    stop: CancellationToken,
}

impl Changes {
    /// Runs `change` in a task of its own: `None` if the relay ended it first.
    pub fn spawn<F>(&self, change: F) -> tokio::task::JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let stop = self.stop.clone();
        self.tracker.spawn(async move {
            tokio::select! {
                done = change => Some(done),
                () = stop.cancelled() => None,
            }
        })
    }

    /// Ends every change under way, and any started later, when dropped: what a relay
    /// serving holds, so that a relay dropped (a crash, in tests) leaves none running.
    pub fn end_when_dropped(&self) -> DropGuard {
        self.stop.clone().drop_guard()
    }

    /// Waits for the changes under way, at most `patience`, then ends those left.
    pub async fn finish(&self, patience: Duration) {
        self.tracker.close();
        if tokio::time::timeout(patience, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                left = self.tracker.len(),
                "changes still under way when the relay stopped were ended"
            );
        }
        self.stop.cancel();
    }
}
