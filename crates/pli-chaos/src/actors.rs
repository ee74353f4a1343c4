//! The clients that run while the relay is killed: senders in both organisations, each
//! sending to the other (the whole send through `pli-client`, resumed from its sealed plan
//! when a kill cuts it), a recipient in each (opens, verifies, decrypts, compares, signs
//! the read receipt) and an admin rotating the court's key when asked. They share one [`Shared`]: the ledger of
//! what the relay acknowledged, the counts, and the moments the killer waits for.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use pli_api::{ErrorCode, ExchangeId, OrgId};
use pli_client::{ClientError, FileInput, Phase, Progress, Received, SendOptions, Session};
use pli_crypto::manifest::Category;
use sha2::{Digest as _, Sha256};
use tokio::sync::Notify;

use crate::Rng;
use crate::report::Counts;

/// A file sent: its bytes (until its exchange is delivered) and SHA-256.
#[derive(Debug, Clone)]
pub(crate) struct SentFile {
    pub(crate) name: String,
    pub(crate) bytes: Arc<Vec<u8>>,
    pub(crate) sha256: [u8; 32],
}

/// One exchange a sender created, as far as the relay acknowledged it.
#[derive(Debug)]
pub(crate) struct Sent {
    /// The recipient organisation.
    pub(crate) to: OrgId,
    pub(crate) files: Vec<SentFile>,
    /// Ciphertext bytes the relay acknowledged with a 2xx (the highest progress report).
    pub(crate) acked: Arc<AtomicU64>,
    pub(crate) delivered: bool,
    pub(crate) abandoned: bool,
    pub(crate) verified: bool,
    pub(crate) receipt: bool,
}

/// What the relay has acknowledged so far, and so must still hold.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub(crate) sends: BTreeMap<ExchangeId, Sent>,
    /// Receipts acknowledged since the last check.
    pub(crate) receipts_unchecked: BTreeSet<ExchangeId>,
    /// Key generations whose publication was acknowledged.
    pub(crate) rotations: Vec<u32>,
}

/// What the actors and the killer share.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    ledger: Mutex<Ledger>,
    counts: Mutex<Counts>,
    violation: Mutex<Option<String>>,
    /// The actors end.
    pub(crate) stop: AtomicBool,
    /// No new send starts (those under way finish, resumes included).
    pub(crate) pause_sends: AtomicBool,
    /// Senders in the middle of a send.
    pub(crate) busy_senders: AtomicUsize,
    /// A part is on its way.
    pub(crate) part_write: Notify,
    /// A send's last part was acknowledged: `complete` is on its way.
    pub(crate) completing: Notify,
    /// A read receipt is on its way.
    pub(crate) receipting: Notify,
    /// Asks the admin to rotate the key.
    pub(crate) rotate: Notify,
    /// A rotation begins.
    pub(crate) rotating: Notify,
    /// How long the last rotation took, in ms.
    pub(crate) rotation_ms: AtomicU64,
    /// The Département (the court's exchanges to it are counted apart).
    pub(crate) departement: std::sync::OnceLock<OrgId>,
}

/// Why a step stopped.
pub(crate) enum Stop {
    /// The relay is down or restarting: try again later.
    Transient,
    /// An invariant is broken: this says which.
    Broken(String),
}

impl Shared {
    pub(crate) fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn counts(&self) -> MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records the first broken invariant (later ones are often its consequences).
    pub(crate) fn broken(&self, what: String) {
        let mut violation = self
            .violation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if violation.is_none() {
            *violation = Some(what);
        }
    }

    pub(crate) fn violation(&self) -> Option<String> {
        self.violation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Whether an error means the relay was down, restarting or unable to write for now (a
/// kill, a database restarted or read-only: 503; its disk full: 507 `storage_full`):
/// anything else from a relay that is up is an answer.
pub(crate) fn transient(error: &ClientError) -> bool {
    matches!(
        error,
        ClientError::Http(_)
            | ClientError::Api {
                status: 408 | 502 | 503 | 504 | 507,
                ..
            }
    )
}

impl Shared {
    /// [`transient`], counting the relay's refusals (503 and 507 answers) on the way.
    pub(crate) fn transient(&self, error: &ClientError) -> bool {
        if let ClientError::Api { status, .. } = error {
            match status {
                503 => self.counts().unavailable_answers += 1,
                507 => self.counts().storage_full_answers += 1,
                _ => {}
            }
        }
        transient(error)
    }

    /// Turns a client error into a [`Stop`], `what` naming the broken invariant.
    pub(crate) fn stop_for(&self, error: &ClientError, what: impl FnOnce() -> String) -> Stop {
        if self.transient(error) {
            Stop::Transient
        } else {
            Stop::Broken(format!("{}: {error}", what()))
        }
    }
}

fn inputs(files: &[SentFile]) -> Vec<FileInput> {
    files
        .iter()
        .map(|f| FileInput::from_bytes(&f.name, "application/pdf", f.bytes.as_ref().clone()))
        .collect()
}

/// How large the files of a send are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    /// The largest small file.
    pub(crate) max_file: u64,
    /// One send in this many also carries a file of more than one 16 MiB part (0: none).
    pub(crate) big_every: u64,
}

/// A sender: sends until stopped, one exchange at a time; a send cut by a kill is
/// resumed from its latest sealed plan until it completes.
pub(crate) async fn sender(
    shared: Arc<Shared>,
    session: Session,
    recipient: OrgId,
    mut rng: Rng,
    sizes: Sizes,
) {
    let mut number = 0u64;
    while !shared.stopping() {
        // The recipient keeps up: past a few unread exchanges, new sends wait (the
        // checks after each restart open what the recipient has not opened yet).
        let unread = shared
            .ledger()
            .sends
            .values()
            .filter(|s| s.delivered && !s.receipt)
            .count();
        if shared.pause_sends.load(Ordering::Relaxed) || unread > 6 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        shared.busy_senders.fetch_add(1, Ordering::SeqCst);
        number += 1;
        let files = files(&mut rng, sizes);
        if let Err(broken) = send(&shared, &session, &recipient, files, number, None).await {
            shared.broken(broken);
        }
        shared.busy_senders.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One to three files of 1 KiB to `max_file`, and now and then a large one.
pub(crate) fn files(rng: &mut Rng, sizes: Sizes) -> Vec<SentFile> {
    let mut lens: Vec<u64> = (0..=rng.below(2))
        .map(|_| 1024 + rng.below(sizes.max_file))
        .collect();
    if sizes.big_every > 0 && rng.below(sizes.big_every) == 0 {
        lens.push((16 << 20) + rng.below(4 << 20));
    }
    lens.iter()
        .enumerate()
        .map(|(i, len)| {
            let bytes = rng.bytes(usize::try_from(*len).unwrap_or(1024));
            SentFile {
                name: format!("piece-{i}.pdf"),
                sha256: Sha256::digest(&bytes).into(),
                bytes: Arc::new(bytes),
            }
        })
        .collect()
}

/// Sends `files`; `give_up_after` cuts the send short on purpose (an abandoned upload).
/// Returns the exchange's id once known.
pub(crate) async fn send(
    shared: &Arc<Shared>,
    session: &Session,
    recipient: &OrgId,
    files: Vec<SentFile>,
    number: u64,
    give_up_after: Option<Duration>,
) -> Result<Option<ExchangeId>, String> {
    let plan: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
    let acked = Arc::new(AtomicU64::new(0));
    let id: Arc<Mutex<Option<ExchangeId>>> = Arc::default();
    let on_plan = |sealed: &[u8]| {
        let mut known = id.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.is_none()
            && let Ok(pending) = session.pending_send(sealed)
        {
            *known = Some(pending.exchange_id);
            shared.ledger().sends.insert(
                pending.exchange_id,
                Sent {
                    to: *recipient,
                    files: files.clone(),
                    acked: acked.clone(),
                    delivered: false,
                    abandoned: false,
                    verified: false,
                    receipt: false,
                },
            );
        }
        *plan
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(sealed.to_vec());
        shared.part_write.notify_waiters();
        pli_client::plan_kept()
    };
    let progress = |p: Progress| on_progress(shared, &acked, p);
    let options = SendOptions {
        category: Category::Rapport,
        subject: format!("Rapport n° {number}"),
        message: "Rapport demandé par le parquet.".into(),
        case_reference: format!("2026/{number:05}"),
        urgent: false,
        copy_to_sender: true,
        in_reply_to: None,
    };
    let sending = session.send_resumable(recipient, inputs(&files), &options, &progress, &on_plan);
    let result = match give_up_after {
        None => sending.await,
        Some(after) => match tokio::time::timeout(after, sending).await {
            Ok(result) => result,
            Err(_) => {
                let id = *id.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(id) = id
                    && let Some(sent) = shared.ledger().sends.get_mut(&id)
                {
                    sent.abandoned = true;
                }
                return Ok(id);
            }
        },
    };
    let known = *id.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match result {
        Ok(done) => {
            delivered(shared, &done);
            shared.counts().sends_completed += 1;
            Ok(Some(done))
        }
        Err(error) if shared.transient(&error) => {
            let sealed = plan
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            let (Some(sealed), Some(known)) = (sealed, known) else {
                // Cut before the plan came: the relay was down (nothing created), or the
                // creation's answer was lost (an upload nobody will finish, purged as
                // abandoned). A new send starts once the relay is back.
                shared.counts().creations_unanswered += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Ok(None);
            };
            shared.counts().sends_interrupted += 1;
            resume(shared, session, sealed, &files, &acked).await?;
            Ok(Some(known))
        }
        Err(
            ClientError::KeyNotLatest(_)
            | ClientError::Api {
                code: ErrorCode::StaleKeyGeneration,
                ..
            },
        ) if known.is_none() => {
            // Refused before anything was created because the recipient's key changed
            // meanwhile: a rotation landing between the log's read and the directory's
            // (the certificate served is not in the log the session verified), or between
            // reading the key and creating the exchange (the relay answers 409
            // `stale_key_generation`). Counted, and a new send starts.
            shared.counts().sends_refused_key_change += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok(None)
        }
        Err(error) => Err(format!(
            "a send to a relay that is up was refused (every send must complete): {error}"
        )),
    }
}

fn on_progress(shared: &Shared, acked: &AtomicU64, p: Progress) {
    if p.phase != Phase::Upload {
        return;
    }
    let before = acked.fetch_max(p.done, Ordering::SeqCst);
    if p.done > before {
        shared.counts().parts_acknowledged += 1;
    }
    if p.done >= p.total {
        shared.completing.notify_waiters();
    } else {
        shared.part_write.notify_waiters();
    }
}

/// Marks a send delivered; its plaintexts are no longer needed (a resume reads them),
/// only their hashes.
pub(crate) fn delivered(shared: &Shared, id: &ExchangeId) {
    if let Some(sent) = shared.ledger().sends.get_mut(id) {
        sent.delivered = true;
        for file in &mut sent.files {
            file.bytes = Arc::default();
        }
    }
}

/// Every interrupted send resumes to completion: `resume_send` with the latest plan,
/// again after each kill, for up to three minutes.
async fn resume(
    shared: &Arc<Shared>,
    session: &Session,
    mut sealed: Vec<u8>,
    files: &[SentFile],
    acked: &AtomicU64,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        shared.counts().resume_attempts += 1;
        let latest = Mutex::new(sealed.clone());
        let on_plan = |plan: &[u8]| {
            *latest
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = plan.to_vec();
            shared.part_write.notify_waiters();
            pli_client::plan_kept()
        };
        let progress = |p: Progress| on_progress(shared, acked, p);
        match session
            .resume_send(&sealed, inputs(files), &progress, &on_plan)
            .await
        {
            Ok(id) => {
                delivered(shared, &id);
                shared.counts().sends_resumed += 1;
                return Ok(());
            }
            Err(error) if shared.transient(&error) && Instant::now() < deadline => {
                sealed = latest
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            Err(error) => {
                return Err(format!(
                    "every interrupted send resumes to completion: a resume failed: {error}"
                ));
            }
        }
    }
}

/// A recipient, member of `org`: opens every unread exchange of its inbox, verifies and
/// decrypts it, compares its files with what was sent, and signs the read receipt.
pub(crate) async fn recipient(shared: Arc<Shared>, mut session: Session, org: OrgId) {
    while !shared.stopping() {
        match receive(&shared, &mut session, &org).await {
            Ok(0) => tokio::time::sleep(Duration::from_millis(20)).await,
            Ok(_) => {}
            Err(Stop::Transient) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(Stop::Broken(what)) => {
                shared.broken(what);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

async fn receive(shared: &Shared, session: &mut Session, org: &OrgId) -> Result<usize, Stop> {
    let query = pli_api::messages::ExchangeQuery {
        unread: Some(true),
        limit: Some(50),
        ..Default::default()
    };
    let page = session
        .inbox_page(query)
        .await
        .map_err(|e| shared.stop_for(&e, || "the inbox".into()))?;
    // The unread rows, and the exchanges this recipient opened but whose receipt's
    // answer a kill cut (the relay may have recorded it: then they are no longer
    // unread, and the receipt is sent again).
    let mut ids: Vec<ExchangeId> = page.exchanges.iter().map(|row| row.exchange_id).collect();
    let cut: Vec<ExchangeId> = shared
        .ledger()
        .sends
        .iter()
        .filter(|(id, s)| {
            s.to == *org && s.delivered && s.verified && !s.receipt && !ids.contains(id)
        })
        .map(|(id, _)| *id)
        .collect();
    ids.extend(cut);
    let mut done = 0;
    for id in ids {
        if shared.ledger().sends.get(&id).is_none_or(|s| s.receipt) {
            continue;
        }
        let received = open_verified(shared, session, &id).await?;
        shared.receipting.notify_waiters();
        session
            .acknowledge(&received)
            .await
            .map_err(|e| shared.stop_for(&e, || format!("the read receipt of {id} was refused")))?;
        let mut ledger = shared.ledger();
        if let Some(sent) = ledger.sends.get_mut(&id) {
            sent.receipt = true;
        }
        ledger.receipts_unchecked.insert(id);
        drop(ledger);
        shared.counts().receipts_acknowledged += 1;
        done += 1;
    }
    Ok(done)
}

/// Opens an exchange its recipient sees and checks it is one a sender completed, that
/// it verifies (envelope, sender, every hash: the client checks) and that every file
/// decrypts to the bytes sent. A key generation the session lacks (a rotation since) is
/// fetched once.
pub(crate) async fn open_verified(
    shared: &Shared,
    session: &mut Session,
    id: &ExchangeId,
) -> Result<Received, Stop> {
    let what =
        || format!("no exchange is visible to its recipient unless complete and verified: {id}");
    let Some((files, to)) = shared
        .ledger()
        .sends
        .get(id)
        .map(|s| (s.files.clone(), s.to))
    else {
        return Err(Stop::Broken(format!("{}: no sender created it", what())));
    };
    let received = match session.open(id).await {
        Ok(received) => received,
        Err(error) if shared.transient(&error) => return Err(Stop::Transient),
        Err(_) => {
            session
                .refresh_keys()
                .await
                .map_err(|e| shared.stop_for(&e, || "the recipient's keys".into()))?;
            session
                .open(id)
                .await
                .map_err(|e| shared.stop_for(&e, what))?
        }
    };
    if received.manifest.files.len() != files.len() {
        return Err(Stop::Broken(format!("{}: another number of files", what())));
    }
    for (index, sent) in files.iter().enumerate() {
        let mut out = Vec::new();
        session
            .download_file(&received, index, &mut out)
            .await
            .map_err(|e| shared.stop_for(&e, what))?;
        if <[u8; 32]>::from(Sha256::digest(&out)) != sent.sha256 {
            return Err(Stop::Broken(format!(
                "{}: file {index} came back altered",
                what()
            )));
        }
    }
    let first = shared
        .ledger()
        .sends
        .get_mut(id)
        .is_some_and(|s| !std::mem::replace(&mut s.verified, true));
    if first {
        let mut counts = shared.counts();
        counts.exchanges_verified += 1;
        if shared.departement.get() == Some(&to) {
            counts.exchanges_verified_to_departement += 1;
        }
    }
    Ok(received)
}

/// The organisation admin: rotates its key each time the killer asks.
pub(crate) async fn rotator(shared: Arc<Shared>, mut admin: Session) {
    loop {
        shared.rotate.notified().await;
        if shared.stopping() {
            return;
        }
        shared.rotating.notify_waiters();
        let began = Instant::now();
        // A rotation cut by a kill may have been committed: the keys are read again first.
        let result = match admin.refresh_keys().await {
            Ok(()) => admin.rotate_org_key().await,
            Err(error) => Err(error),
        };
        match result {
            Ok(generation) => {
                let ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX);
                shared.rotation_ms.store(ms, Ordering::Relaxed);
                shared.ledger().rotations.push(generation);
                shared.counts().rotations_acknowledged += 1;
            }
            Err(error) if shared.transient(&error) => shared.counts().rotations_interrupted += 1,
            Err(error) => shared.broken(format!(
                "a key rotation on a relay that is up was refused: {error}"
            )),
        }
    }
}
