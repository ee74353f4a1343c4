//! The invariants, checked after every restart (through the relay's API, as its clients
//! see it) and between a kill and the next start (the maintenance pass and the blobs it
//! leaves, SQLite's integrity).

use std::collections::BTreeSet;
use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use pli_api::endpoints as ep;
use pli_api::messages::{ExchangeCreated, ExchangeQuery, ExchangeSummary};
use pli_api::{ExchangeId, ExchangeState, OrgId};
use pli_client::{ClientError, Session};
use pli_server::blob::BlobKey;
use sqlx::Connection as _;

use crate::actors::{Shared, Stop, open_verified, transient};
use crate::relay::{Relay, SERVER_KEY, age_files, count_files};

/// The sessions the checks run as (their own, apart from the actors').
pub(crate) struct Checker {
    /// A member of each organisation (a session of their own), with it: they read its
    /// inbox, and see the uploads they send to the other.
    pub(crate) members: Vec<(Session, OrgId)>,
    /// Each organisation's admin, for its audit chain.
    pub(crate) admins: Vec<(Session, OrgId)>,
    /// The recipient organisation (whose key rotates) and its admin's index in `admins`.
    pub(crate) rotating_org: OrgId,
}

/// Runs `request` until it gets an answer: the relay was just started (or its database
/// restarted), a pooled connection may fail once or twice. 30 s at most.
pub(crate) async fn settle<T, F, Fut>(what: &str, request: F) -> Result<T, String>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, ClientError>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match request().await {
            Ok(value) => return Ok(value),
            Err(error) if transient(&error) && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => return Err(format!("{what}: {error}")),
        }
    }
}

impl Checker {
    /// The member of `org`.
    fn member_of(&self, org: &OrgId) -> Result<&Session, String> {
        self.members
            .iter()
            .find(|(_, of)| of == org)
            .map(|(session, _)| session)
            .ok_or_else(|| format!("no member of {org} to check with"))
    }

    /// The member who sends to `to`: the other organisation's.
    fn sender_to(&self, to: &OrgId) -> Result<&Session, String> {
        self.members
            .iter()
            .find(|(_, of)| of != to)
            .map(|(session, _)| session)
            .ok_or_else(|| format!("no sender to {to} to check with"))
    }
}

/// Every exchange of the recipient's inbox, page after page.
async fn whole_inbox(session: &Session) -> Result<Vec<ExchangeSummary>, String> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let query = ExchangeQuery {
            cursor: cursor.clone(),
            limit: Some(200),
            ..Default::default()
        };
        let page = settle("the recipient lists the inbox", || {
            session.inbox_page(query.clone())
        })
        .await?;
        all.extend(page.exchanges);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}

impl Checker {
    /// The checks after a restart, while the clients go on.
    pub(crate) async fn after_restart(&mut self, shared: &Shared) -> Result<(), String> {
        self.inbox(shared).await?;
        self.acknowledged_parts(shared).await?;
        self.receipts(shared).await?;
        self.rotations(shared).await?;
        self.audit(shared).await
    }

    /// No exchange is visible to its recipient unless complete and verified: every row
    /// of each organisation's inbox is one a sender created for it, delivered, and (if not
    /// checked yet) opens, verifies and decrypts to what was sent.
    async fn inbox(&mut self, shared: &Shared) -> Result<(), String> {
        for side in 0..self.members.len() {
            let (rows, org) = match self.members.get(side) {
                Some((member, org)) => (whole_inbox(member).await?, *org),
                None => continue,
            };
            for row in rows {
                self.inbox_row(shared, side, &org, &row).await?;
            }
        }
        Ok(())
    }

    /// [`inbox`](Self::inbox)'s check of one row of the inbox of `org`, whose member is
    /// `members[side]`.
    async fn inbox_row(
        &mut self,
        shared: &Shared,
        side: usize,
        org: &OrgId,
        row: &ExchangeSummary,
    ) -> Result<(), String> {
        let id = row.exchange_id;
        let (known, to, verified, abandoned) = shared
            .ledger()
            .sends
            .get(&id)
            .map_or((false, None, false, false), |s| {
                (true, Some(s.to), s.verified, s.abandoned)
            });
        let invariant = "no exchange is visible to its recipient unless complete and verified";
        if !known {
            return Err(format!(
                "{invariant}: {id} is listed, and no sender created it"
            ));
        }
        if to != Some(*org) {
            return Err(format!(
                "{invariant}: {id} is listed in the inbox of {org}, and was sent to {to:?}"
            ));
        }
        if row.state != ExchangeState::Delivered {
            return Err(format!(
                "{invariant}: {id} is listed as {} (abandoned by its sender: {abandoned})",
                row.state
            ));
        }
        if abandoned {
            // Given up (its future dropped) while its completion was on its way: the
            // relay delivered it, which it can only do on the sender's signed
            // envelope, and the sender's client signs one only to complete. It must
            // then verify like any other (below), and it counts as delivered. An
            // exchange never completed cannot get here: the relay would need the
            // sender's signature (what `open_verified` checks).
            if let Some(sent) = shared.ledger().sends.get_mut(&id) {
                sent.abandoned = false;
            }
            shared.counts().abandoned_yet_delivered += 1;
        }
        if !verified {
            let deadline = Instant::now() + Duration::from_secs(30);
            let Some((recipient, _)) = self.members.get_mut(side) else {
                return Ok(());
            };
            loop {
                match open_verified(shared, recipient, &id).await {
                    Ok(_) => break,
                    Err(Stop::Transient) if Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(Stop::Transient) => {
                        return Err(format!("{invariant}: {id} could not be opened for 30 s"));
                    }
                    Err(Stop::Broken(what)) => return Err(what),
                }
            }
        }
        if abandoned {
            crate::actors::delivered(shared, &id);
        }
        shared.counts().inbox_rows_checked += 1;
        Ok(())
    }

    /// Every part acknowledged with a 2xx is still there: for each upload in flight,
    /// the bytes the relay says it holds cover those it acknowledged.
    async fn acknowledged_parts(&self, shared: &Shared) -> Result<(), String> {
        let in_flight: Vec<(ExchangeId, OrgId, u64)> = shared
            .ledger()
            .sends
            .iter()
            .filter(|(_, s)| !s.delivered && !s.abandoned)
            .map(|(id, s)| (*id, s.to, s.acked.load(std::sync::atomic::Ordering::SeqCst)))
            .collect();
        for (id, to, acked) in in_flight {
            let endpoint = ep::UploadStatus { id };
            let sender = self.sender_to(&to)?;
            let status: ExchangeCreated =
                settle("the upload status", || sender.client().fetch(&endpoint)).await?;
            let stored: u64 = status
                .objects
                .iter()
                .map(|o| (u64::from(o.parts_stored) * status.part_size).min(o.size))
                .sum();
            // Acknowledged since the status was read is fine; fewer stored than
            // acknowledged before it is not.
            let acked_before = acked;
            if stored < acked_before {
                return Err(format!(
                    "every part acknowledged with 2xx is still there: {id} had {acked_before} \
                     bytes acknowledged, the relay holds {stored}"
                ));
            }
            let parts: u64 = status
                .objects
                .iter()
                .map(|o| u64::from(o.parts_stored))
                .sum();
            shared.counts().parts_rechecked += parts;
        }
        Ok(())
    }

    /// Every read receipt acknowledged with a 2xx is still there (the exchange's
    /// detail lists it, by its reader).
    async fn receipts(&mut self, shared: &Shared) -> Result<(), String> {
        let unchecked: Vec<ExchangeId> = std::mem::take(&mut shared.ledger().receipts_unchecked)
            .into_iter()
            .collect();
        for id in unchecked {
            let to = shared.ledger().sends.get(&id).map(|s| s.to);
            let recipient = self.member_of(&to.ok_or_else(|| format!("{id} was never sent"))?)?;
            let reader = recipient.me.user_id;
            let detail = settle("an exchange's receipts", || recipient.exchange(&id)).await?;
            if !detail.receipts.iter().any(|r| r.user_id == reader) {
                return Err(format!(
                    "every read receipt acknowledged with 2xx is still there: {id} has none"
                ));
            }
            shared.counts().receipts_rechecked += 1;
        }
        Ok(())
    }

    /// Every key generation whose publication was acknowledged is still in the
    /// directory.
    async fn rotations(&self, shared: &Shared) -> Result<(), String> {
        let acknowledged: Vec<u32> = shared.ledger().rotations.clone();
        if acknowledged.is_empty() {
            return Ok(());
        }
        let Some((admin, _)) = self
            .admins
            .iter()
            .find(|(_, org)| *org == self.rotating_org)
        else {
            return Ok(());
        };
        let keys = settle("the organisation's keys", || {
            admin.org_keys(&self.rotating_org)
        })
        .await?;
        let held: BTreeSet<u32> = keys.iter().map(|k| k.generation).collect();
        for generation in &acknowledged {
            if !held.contains(generation) {
                return Err(format!(
                    "every key rotation acknowledged with 2xx is still there: generation \
                     {generation} is gone"
                ));
            }
        }
        shared.counts().rotations_rechecked += acknowledged.len() as u64;
        Ok(())
    }

    /// The audit chain of each organisation verifies.
    async fn audit(&self, shared: &Shared) -> Result<(), String> {
        for (admin, org) in &self.admins {
            let verdict =
                settle("the audit chain's verification", || admin.verify_audit(org)).await?;
            if !verdict.valid {
                return Err(format!(
                    "the audit chain verifies: {org}'s does not ({verdict:?})"
                ));
            }
            shared.counts().audit_verifications += 1;
        }
        Ok(())
    }
}

/// After an end-of-run pass whose abandoned uploads were purged too: the blobs left are
/// exactly the recorded parts of the delivered exchanges.
pub(crate) async fn only_delivered_parts_left(
    relay: &Relay,
    shared: &Shared,
) -> Result<(), String> {
    let app = open_app(relay, false).await?;
    let state = app.state();
    let delivered: Vec<(ExchangeId, usize)> = shared
        .ledger()
        .sends
        .iter()
        .filter(|(_, s)| s.delivered)
        .map(|(id, s)| (*id, s.files.len() + 1))
        .collect();
    let mut expected = BTreeSet::new();
    for (id, objects) in delivered {
        for idx in 0..objects {
            let idx = u32::try_from(idx).map_err(|e| e.to_string())?;
            let hashes = state
                .store
                .part_hashes(&id, idx)
                .await
                .map_err(|e| format!("the parts of {id}: {e}"))?;
            for (part, sha256) in hashes.iter().enumerate() {
                let part = u32::try_from(part).map_err(|e| e.to_string())?;
                expected.insert(BlobKey::part(&id, idx, part, sha256).as_str().to_owned());
            }
        }
    }
    let listed = list_blobs(&app).await?;
    let listed: BTreeSet<String> = listed.into_iter().collect();
    if listed != expected {
        let extra: Vec<&String> = listed.difference(&expected).take(5).collect();
        let missing: Vec<&String> = expected.difference(&listed).take(5).collect();
        return Err(format!(
            "no orphan blob survives maintenance, and no delivered part is lost: at the end, \
             extra blobs {extra:?}, missing {missing:?}"
        ));
    }
    shared.counts().blobs_checked += listed.len() as u64;
    Ok(())
}

/// The relay's application on the killed relay's data (not serving): its store and
/// blob store, for a maintenance pass; `purge_abandoned` treats every upload as
/// abandoned.
async fn open_app(
    relay: &Relay,
    purge_abandoned: bool,
) -> Result<pli_server::app::Application, String> {
    let mut env = vec![
        ("PLI_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
        ("PLI_DATA_DIR".to_owned(), relay.dir().display().to_string()),
    ];
    if !relay.database_url().starts_with("sqlite:") {
        env.push(("PLI_DATABASE_URL".to_owned(), relay.database_url()));
    }
    let mut config = pli_server::config::Config::from_env(env).map_err(|e| format!("{e:#}"))?;
    if purge_abandoned {
        config.limits.abandoned_upload_hours = 0;
    }
    pli_server::app::Application::build_with(
        config,
        pli_server::auth::secrets::ServerKey::from_bytes(SERVER_KEY),
        None,
    )
    .await
    .map_err(|e| format!("cannot open the relay's data: {e:#}"))
}

async fn list_blobs(app: &pli_server::app::Application) -> Result<Vec<String>, String> {
    let prefix = BlobKey::parse("x/").ok_or("the blob prefix")?;
    Ok(app
        .state()
        .blobs
        .list(&prefix)
        .await
        .map_err(|e| format!("cannot list the blobs: {e}"))?
        .into_iter()
        .map(|listed| listed.key.as_str().to_owned())
        .collect())
}

/// No orphan blob survives the next maintenance pass: with the relay down, its blobs are
/// made older than the sweep's grace and one pass runs on its data; then every blob left
/// belongs to an exchange being uploaded or delivered, and no temporary file is left.
///
/// The blobs of exchanges the senders saw delivered are left as they are (young, so the
/// sweep passes over them): they cannot be orphans, and the sweep asks the database about
/// each blob it considers, which over thousands of parts would make each pass longer
/// than the kill rounds. Every other blob (uploads in flight, abandoned, purged, whose
/// creation's answer was lost; temporary files) is aged and swept.
pub(crate) async fn maintenance_pass(
    relay: &Relay,
    shared: &Shared,
    purge_abandoned: bool,
) -> Result<(), String> {
    let blobs = relay.dir().join("blobs");
    let delivered: BTreeSet<String> = shared
        .ledger()
        .sends
        .iter()
        .filter(|(_, s)| s.delivered)
        .map(|(id, _)| id.to_string())
        .collect();
    let two_hours = Duration::from_secs(2 * 3600);
    age_files(&blobs.join("tmp"), two_hours).map_err(|e| format!("cannot age the blobs: {e}"))?;
    let exchanges = blobs.join("blobs").join("x");
    if let Ok(entries) = std::fs::read_dir(&exchanges) {
        for entry in entries.flatten() {
            if !delivered.contains(entry.file_name().to_string_lossy().as_ref()) {
                age_files(&entry.path(), two_hours)
                    .map_err(|e| format!("cannot age the blobs: {e}"))?;
            }
        }
    }
    let app = open_app(relay, purge_abandoned).await?;
    let report = pli_server::maintenance::run_once(app.state())
        .await
        .map_err(|e| format!("the maintenance pass failed: {e:#}"))?;
    let mut left = count_files(&blobs.join("tmp"));
    let listed = list_blobs(&app).await?;
    let mut orphan = None;
    let mut states = std::collections::BTreeMap::new();
    for key in &listed {
        let exchange = key.split('/').nth(1).unwrap_or_default().to_owned();
        if delivered.contains(&exchange) {
            continue;
        }
        let state = match states.get(&exchange) {
            Some(state) => *state,
            None => {
                let state = app
                    .state()
                    .store
                    .exchange_state(&exchange)
                    .await
                    .map_err(|e| format!("the state of {exchange}: {e}"))?;
                states.insert(exchange.clone(), state);
                state
            }
        };
        if !matches!(
            state,
            Some(ExchangeState::Uploading | ExchangeState::Delivered)
        ) {
            left += 1;
            orphan.get_or_insert_with(|| format!("{key} ({state:?})"));
        }
    }
    let mut counts = shared.counts();
    counts.maintenance_passes += 1;
    counts.orphans_removed += report.orphans;
    counts.blobs_checked += listed.len() as u64;
    counts.orphans_left += left;
    drop(counts);
    if left > 0 {
        return Err(format!(
            "no orphan blob survives the next maintenance pass: {left} left, e.g. {}",
            orphan.unwrap_or_else(|| "temporary files".into())
        ));
    }
    Ok(())
}

/// SQLite's `PRAGMA integrity_check` says ok.
pub(crate) async fn integrity_check(database: &Path, shared: &Shared) -> Result<(), String> {
    let url = format!("sqlite://{}", database.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .map_err(|e| format!("cannot open {url}: {e}"))?;
    let verdict: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| format!("integrity_check: {e}"))?;
    let _ = conn.close().await;
    if verdict != ["ok"] {
        return Err(format!("SQLite's integrity check: {verdict:?}"));
    }
    shared.counts().integrity_checks += 1;
    Ok(())
}

/// The abandoned uploads are never delivered, and their recipient never sees them.
pub(crate) async fn abandoned_stay_undelivered(
    checker: &Checker,
    shared: &Shared,
) -> Result<(), String> {
    let abandoned: Vec<(ExchangeId, OrgId)> = shared
        .ledger()
        .sends
        .iter()
        .filter(|(_, s)| s.abandoned)
        .map(|(id, s)| (*id, s.to))
        .collect();
    for (id, to) in abandoned {
        let sender = checker.sender_to(&to)?;
        let detail = settle("an abandoned upload", || sender.exchange(&id)).await;
        // A purged upload may answer 404 or its purged state: both are fine.
        if let Ok(detail) = detail
            && detail.summary.state == ExchangeState::Delivered
        {
            return Err(format!("an abandoned upload is never delivered: {id} is"));
        }
    }
    Ok(())
}
