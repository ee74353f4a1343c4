//! Fault tests (`docs/security.md`, "Fault and load tests"): the relay killed with SIGKILL at
//! random points of uploads and in the middle of a purge, parts whose length lies, a full
//! disk, PostgreSQL restarted under load, many uploads and downloads at once.
//!
//! After each: every delivered exchange has all its objects with the size and SHA-256 of
//! its envelope (the recipient's client verifies and decrypts them), no part acknowledged
//! with a 2xx is lost, SQLite's `integrity_check` is ok, nothing partial is visible.
//!
//! The random choices come from one seed per test, printed on stderr; `PLI_FAULT_SEED`
//! replays the same sizes and delays (where a kill lands also depends on timing).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures_util::StreamExt as _;
use pli_api::messages::{
    CompleteExchange, CreateExchange, ExchangeCreated, ExchangeDetail, ExchangePage,
    ExchangeSummary, ObjectProgress,
};
use pli_api::{ExchangeId, OrgId};
use pli_chaos::Rng;
use pli_chaos::relay::{age_files, count_files};
use pli_client::{Client, ClientError, Session};
use pli_crypto::age::{encrypt_to_vec, encrypted_len_to};
use pli_crypto::codec::Canonical as _;
use pli_crypto::envelope::{Envelope, Hashing, ObjectRef, PartList, Priority};
use pli_crypto::manifest::{Category, FileEntry, Manifest};
use pli_crypto::sign::Signed;
use pli_server::blob::BlobKey;
use reqwest::{Method, RequestBuilder, StatusCode};
use sha2::{Digest as _, Sha256};
use sqlx::Connection as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::Notify;

use super::harness::{
    Backend, Person, cast, data, file, first_file, options, settle, spawn_app_with, world, world_on,
};

// ----- kill -9 at random points of uploads --------------------------------------------

/// How many times the relay is killed. A kill, restart and check takes about 0.1 s on
/// two shared cores, so 200 fit in about 25 s; `PLI_FAULT_KILLS` asks for more.
const DEFAULT_KILLS: usize = 200;

/// Uploads running at once while the relay is killed.
const UPLOADERS: usize = 3;

/// The relay's server key, the same at every start (it seals the TOTP secrets).
const SERVER_KEY: [u8; 32] = pli_chaos::relay::SERVER_KEY;

/// The relay's part size (`routes::exchanges::PART_SIZE`).
const PART_SIZE: u64 = 16 * 1024 * 1024;

/// The relay is killed with SIGKILL at random moments while three clients upload
/// exchanges of several parts (a few KiB to a few MiB each), and started again on the
/// same data folder. One kill in four is aimed at `complete`, between its commit and its
/// answer. After each restart: every part acknowledged is still stored, every exchange
/// the relay says is delivered opens and verifies at the recipient's, and the clients
/// resume from `GET /api/exchanges/{id}/upload`. At the end, one maintenance pass with
/// `abandoned_upload_hours = 0` leaves exactly the blobs of the delivered exchanges, each
/// with the size and SHA-256 of its envelope, and no temporary file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_mid_upload_loses_nothing_acknowledged() {
    let kills = std::env::var("PLI_FAULT_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_KILLS);
    let mut rng = seeded("a_relay_killed_mid_upload_loses_nothing_acknowledged");
    let dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::new(dir.path());
    relay.start().await;
    let base = relay.base();
    let mut people = cast(&Client::new(&base), &relay.setup_token()).await;
    let court = people.court;
    let sender = Arc::new(Sender::new(&mut people.caseworker, court).await);
    let token = people.caseworker.session.token().map(str::to_owned);
    let greffier = &people.greffier.session;
    let mut ledger = Ledger::default();
    let mut workers: Vec<Uploader> = (0..UPLOADERS).map(|_| Uploader::new(rng.fork())).collect();

    for kill in 0..kills {
        // A fresh connection pool per run: the previous one talked to a dead process.
        let client = Client::new(&base).with_token(token.clone());
        ledger.check(&client, greffier, &mut workers).await;
        let completing = Arc::new(Notify::new());
        let running: Vec<_> = workers
            .drain(..)
            .map(|worker| {
                tokio::spawn(worker.run(client.clone(), sender.clone(), completing.clone(), true))
            })
            .collect();
        if kill % 4 == 3 {
            // Aim at `complete`: its transaction commits within a few milliseconds.
            let _ = tokio::time::timeout(Duration::from_secs(2), completing.notified()).await;
            tokio::time::sleep(Duration::from_millis(rng.below(4))).await;
            ledger.aimed += 1;
        } else {
            tokio::time::sleep(Duration::from_millis(rng.below(60))).await;
        }
        relay.kill();
        for handle in running {
            workers.push(joined(handle).await);
        }
        integrity_check(&dir.path().join("pli.db")).await;
        relay.start().await;
    }

    // The last run: no kill, no new upload; every upload in flight completes.
    let client = Client::new(&base).with_token(token.clone());
    ledger.check(&client, greffier, &mut workers).await;
    let running: Vec<_> = workers
        .drain(..)
        .map(|worker| {
            let completing = Arc::new(Notify::new());
            tokio::spawn(worker.run(client.clone(), sender.clone(), completing, false))
        })
        .collect();
    for handle in running {
        let worker = tokio::time::timeout(Duration::from_secs(60), joined(handle))
            .await
            .expect("the uploads did not complete within 60 s once the relay stayed up");
        assert!(
            worker.current.is_none(),
            "an upload could not complete once the relay stayed up"
        );
        workers.push(worker);
    }
    ledger.check(&client, greffier, &mut workers).await;

    // What the recipient sees is exactly what the sender completed; what the sender's
    // organisation lists is every exchange created once (Idempotency-Key), no duplicate.
    let inbox = every_exchange(greffier.client(), "inbox").await;
    let inbox: BTreeSet<ExchangeId> = inbox.iter().map(|e| e.exchange_id).collect();
    assert_eq!(inbox, ledger.delivered.keys().copied().collect());
    let outbox = every_exchange(&client, "outbox").await;
    let outbox_ids: BTreeSet<ExchangeId> = outbox.iter().map(|e| e.exchange_id).collect();
    assert_eq!(
        outbox.len(),
        outbox_ids.len(),
        "an exchange is listed twice"
    );
    let created: BTreeSet<ExchangeId> = ledger
        .delivered
        .keys()
        .chain(&ledger.abandoned)
        .copied()
        .collect();
    assert_eq!(outbox_ids, created, "exchanges the clients did not create");
    for (admin, org) in [
        (&people.court_admin, people.court),
        (&people.dept_admin, people.dept),
    ] {
        let path = format!("/api/orgs/{org}/audit/verify");
        let verdict: serde_json::Value = settle(|| admin.session.client().get(&path)).await;
        assert_eq!(verdict["valid"], true, "the audit chain of {org} is broken");
    }
    relay.kill();
    let database = dir.path().join("pli.db");
    integrity_check(&database).await;
    every_state_change_is_whole(&database, &ledger).await;

    // Leftovers: temporary files of puts cut by a kill, blobs of abandoned uploads. Make
    // them old enough for the cleanup rules, then run one maintenance pass.
    let blob_root = dir.path().join("blobs");
    let leftovers = count_files(&blob_root.join("tmp"));
    age_files(&blob_root, Duration::from_secs(2 * 3600)).unwrap();
    let mut config = pli_server::config::Config::from_env([
        ("PLI_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
        ("PLI_DATA_DIR".to_owned(), dir.path().display().to_string()),
    ])
    .unwrap();
    config.limits.abandoned_upload_hours = 0;
    let app = pli_server::app::Application::build_with(
        config,
        pli_server::auth::secrets::ServerKey::from_bytes(SERVER_KEY),
        None,
    )
    .await
    .unwrap();
    let report = pli_server::maintenance::run_once(app.state())
        .await
        .unwrap();
    assert_eq!(report.purged, ledger.abandoned.len() as u64);
    assert_eq!(
        count_files(&blob_root.join("tmp")),
        0,
        "temporary files survived the cleanup"
    );
    let blobs = app.state().blobs.clone();
    let listed: BTreeSet<String> = blobs
        .list(&BlobKey::parse("x/").unwrap())
        .await
        .unwrap()
        .into_iter()
        .map(|listed| listed.key.as_str().to_owned())
        .collect();
    let mut expected = BTreeSet::new();
    for (id, objects) in &ledger.delivered {
        for (idx, object) in objects.iter().enumerate() {
            let mut hash = Sha256::new();
            let mut size = 0;
            let recorded = app.state().store.part_hashes(id, idx as u32).await.unwrap();
            assert_eq!(recorded.len() as u64, object.size.div_ceil(PART_SIZE));
            for (part, sha256) in recorded.iter().enumerate() {
                let key = BlobKey::part(id, idx as u32, part as u32, sha256);
                expected.insert(key.as_str().to_owned());
                let mut stream = blobs.get(&key, None).await.unwrap();
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.unwrap();
                    size += chunk.len() as u64;
                    hash.update(&chunk);
                }
            }
            assert_eq!(size, object.size, "object {idx} of {id} has another size");
            assert_eq!(
                <[u8; 32]>::from(hash.finalize()),
                object.sha256,
                "object {idx} of {id} has another SHA-256"
            );
        }
    }
    assert_eq!(
        listed, expected,
        "the blobs left are not exactly those of the delivered exchanges"
    );
    let unanswered =
        |count: fn(&Unanswered) -> u64| workers.iter().map(|w| count(&w.unanswered)).sum::<u64>();
    eprintln!(
        "{kills} kills ({} aimed at complete), {} exchanges delivered, {} abandoned; done but \
         unanswered: {} creations, {} parts, {} completions; {leftovers} temporary files cleaned",
        ledger.aimed,
        ledger.delivered.len(),
        ledger.abandoned.len(),
        unanswered(|u| u.creations),
        unanswered(|u| u.parts),
        ledger.answers_lost,
    );
}

/// The relay binary, run as a process of its own on one data folder, killed with SIGKILL
/// and started again on the same folder, port and server key (`pli_chaos::relay`, which
/// `cargo xtask chaos` drives too). Its logs go to `relay.log` in the folder, printed
/// when a test fails.
struct Relay(pli_chaos::relay::Relay);

impl Relay {
    fn new(dir: &Path) -> Self {
        let binary = Path::new(env!("CARGO_BIN_EXE_pli-server"));
        Self(pli_chaos::relay::Relay::new(binary, dir, None).unwrap())
    }

    fn base(&self) -> String {
        self.0.base()
    }

    /// Starts the binary, with the configuration file `config` if any.
    fn spawn(&mut self, config: Option<&Path>) {
        self.0.spawn(config).unwrap();
    }

    /// Kills the relay the moment `path` no longer exists, or after `patience`; whether it
    /// was gone.
    async fn kill_when_gone(&mut self, path: &Path, patience: Duration) -> bool {
        self.0.kill_when_gone(path, patience).await.unwrap()
    }

    /// Starts the binary and waits until it answers `/healthz`.
    async fn start(&mut self) {
        self.0.start(None).await.unwrap();
    }

    /// SIGKILL, and waits for the process to be gone.
    fn kill(&mut self) {
        self.0.kill().unwrap();
    }

    /// The one-time set-up token the relay printed at its first start.
    fn setup_token(&self) -> String {
        self.0.setup_token().unwrap()
    }
}

impl Drop for Relay {
    #[allow(clippy::print_stderr, reason = "a failing test shows the relay's logs")]
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- the relay's last log lines ---\n{}", self.0.log_tail());
        }
    }
}

/// One upload as the kill test follows it.
struct Flight {
    parcel: Parcel,
    /// Parts the relay acknowledged with a 2xx: (object, part).
    acked: BTreeSet<(u32, u32)>,
    /// `complete` was sent (its answer may have been lost to a kill).
    complete_sent: bool,
    /// The client gives up after its first file: an abandoned upload.
    abandon: bool,
}

/// How far a [`Flight`] got.
enum Landed {
    Delivered,
    Abandoned,
}

impl Flight {
    /// Takes the upload as far as it goes: creates the exchange (again under the same
    /// Idempotency-Key if the answer was lost), asks which parts the relay has, sends the
    /// others, completes. A network error (the relay was killed) stops it for now.
    async fn advance(
        &mut self,
        client: &Client,
        sender: &Sender,
        completing: &Notify,
        unanswered: &mut Unanswered,
    ) -> Result<Landed, ClientError> {
        if self.parcel.id.is_none() {
            let response = Client::send(create_request(client, &self.parcel)).await?;
            if response.status() == StatusCode::OK {
                // Created before, its answer cut by a kill: the same exchange again.
                unanswered.creations += 1;
            }
            let created: ExchangeCreated = response.json().await?;
            self.parcel.created(&created, sender);
        }
        let id = self.parcel.id.unwrap();
        let status: ExchangeCreated = Client::send(status_request(client, &id))
            .await?
            .json()
            .await?;
        assert_stored(&status, &self.acked, &id);
        for object in &status.objects {
            for part in 0..object.parts_stored {
                if self.acked.insert((object.idx, part)) {
                    // Stored, but a kill cut the acknowledgement.
                    unanswered.parts += 1;
                }
            }
            for part in object.parts_stored..object.part_count {
                let bytes = self.parcel.part(object.idx, part);
                let progress: ObjectProgress =
                    Client::send(part_request(client, &id, object.idx, part, bytes))
                        .await?
                        .json()
                        .await?;
                assert_eq!(progress.parts_stored, part + 1);
                self.acked.insert((object.idx, part));
            }
            if self.abandon && object.idx >= 1 {
                return Ok(Landed::Abandoned);
            }
        }
        self.complete_sent = true;
        completing.notify_one();
        let summary: ExchangeSummary =
            Client::send(complete_request(client, &id, self.parcel.complete()))
                .await?
                .json()
                .await?;
        assert_eq!(summary.state, pli_api::ExchangeState::Delivered);
        Ok(Landed::Delivered)
    }
}

/// A client sending exchange after exchange, one at a time.
struct Uploader {
    rng: Rng,
    current: Option<Flight>,
    delivered: Vec<Flight>,
    abandoned: Vec<Flight>,
    unanswered: Unanswered,
}

/// Requests that succeeded but whose answer a kill cut, as the client found out.
#[derive(Default)]
struct Unanswered {
    creations: u64,
    parts: u64,
}

impl Uploader {
    fn new(rng: Rng) -> Self {
        Self {
            rng,
            current: None,
            delivered: Vec::new(),
            abandoned: Vec::new(),
            unanswered: Unanswered::default(),
        }
    }

    /// Uploads until the relay dies (a network error), or, without `new_uploads`, until
    /// the upload in flight is done.
    async fn run(
        mut self,
        client: Client,
        sender: Arc<Sender>,
        completing: Arc<Notify>,
        new_uploads: bool,
    ) -> Self {
        loop {
            let mut flight = match self.current.take() {
                Some(flight) => flight,
                None if new_uploads => {
                    // One to three files of 1 KiB to 2 MiB, most of them small.
                    let files: Vec<usize> = (0..=self.rng.below(3))
                        .map(|_| {
                            (1usize << (10 + self.rng.below(12))) + self.rng.below(1000) as usize
                        })
                        .collect();
                    Flight {
                        parcel: sender.parcel(&mut self.rng, &files),
                        acked: BTreeSet::new(),
                        complete_sent: false,
                        abandon: self.rng.below(8) == 0,
                    }
                }
                None => return self,
            };
            match flight
                .advance(&client, &sender, &completing, &mut self.unanswered)
                .await
            {
                Ok(Landed::Delivered) => self.delivered.push(flight),
                Ok(Landed::Abandoned) => self.abandoned.push(flight),
                Err(ClientError::Http(_)) => {
                    self.current = Some(flight);
                    return self;
                }
                Err(error) => panic!("the relay refused a valid request: {error}"),
            }
        }
    }
}

/// What the kill test has established so far.
#[derive(Default)]
struct Ledger {
    /// Delivered exchanges the recipient verified, with their objects' sizes and hashes.
    delivered: BTreeMap<ExchangeId, Vec<ObjectRef>>,
    /// Uploads the clients gave up.
    abandoned: BTreeSet<ExchangeId>,
    /// Completions that committed but whose answer a kill cut.
    answers_lost: u64,
    /// Kills aimed at `complete`.
    aimed: u64,
}

impl Ledger {
    /// After a restart: every acknowledged part is still stored, every exchange delivered
    /// meanwhile verifies at the recipient's, and the recipient sees nothing else.
    async fn check(&mut self, sender: &Client, recipient: &Session, uploaders: &mut [Uploader]) {
        for uploader in uploaders.iter_mut() {
            if let Some(flight) = &uploader.current
                && let Some(id) = flight.parcel.id
            {
                let path = format!("/api/exchanges/{id}/upload");
                let status: ExchangeCreated = settle(|| sender.get(&path)).await;
                assert_stored(&status, &flight.acked, &id);
                if flight.complete_sent {
                    let path = format!("/api/exchanges/{id}");
                    let detail: ExchangeDetail = settle(|| sender.get(&path)).await;
                    if detail.summary.state == pli_api::ExchangeState::Delivered
                        && !self.delivered.contains_key(&id)
                    {
                        self.answers_lost += 1;
                        self.verify(recipient, &flight.parcel).await;
                    }
                }
            }
            for flight in uploader.delivered.drain(..) {
                self.verify(recipient, &flight.parcel).await;
            }
            for flight in uploader.abandoned.drain(..) {
                let id = flight.parcel.id.unwrap();
                let path = format!("/api/exchanges/{id}/upload");
                let status: ExchangeCreated = settle(|| sender.get(&path)).await;
                assert_stored(&status, &flight.acked, &id);
                self.abandoned.insert(id);
            }
        }
        let inbox: ExchangePage =
            settle(|| recipient.client().get("/api/exchanges/inbox?limit=200")).await;
        for listed in inbox.exchanges {
            assert!(
                self.delivered.contains_key(&listed.exchange_id),
                "the recipient sees {} ({}), which no client completed",
                listed.exchange_id,
                listed.state
            );
        }
    }

    /// The recipient opens a delivered exchange: the envelope is the one the sender
    /// signed, every object has the envelope's size and SHA-256 (the client checks), every
    /// file decrypts to what was sent.
    async fn verify(&mut self, recipient: &Session, parcel: &Parcel) {
        let id = parcel.id.unwrap();
        if self.delivered.contains_key(&id) {
            return;
        }
        verify_delivered(recipient, parcel).await;
        self.delivered.insert(id, parcel.object_refs());
    }
}

/// Fails unless the relay still has every part of `acknowledged`.
fn assert_stored(status: &ExchangeCreated, acknowledged: &BTreeSet<(u32, u32)>, id: &ExchangeId) {
    for (idx, part) in acknowledged {
        let object = status.objects.iter().find(|o| o.idx == *idx).unwrap();
        assert!(
            object.parts_stored > *part,
            "part {part} of object {idx} of {id} was acknowledged with a 2xx, and the relay \
             lost it: it says {} of {} parts are stored",
            object.parts_stored,
            object.part_count
        );
    }
}

/// Every exchange was written whole: a delivered one has its envelope, its `exchange.sent`
/// and `exchange.delivered` audit entries and its events, once; one never completed has
/// none of them. Every one has its `exchange.created` entry once.
async fn every_state_change_is_whole(database: &Path, ledger: &Ledger) {
    use sqlx::Row as _;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    let rows = sqlx::query(
        "SELECT e.id, e.state, e.envelope IS NOT NULL, \
         (SELECT COUNT(*) FROM audit_log a WHERE a.object_id = e.id AND a.action = 'exchange.created'), \
         (SELECT COUNT(*) FROM audit_log a WHERE a.object_id = e.id AND a.action = 'exchange.sent'), \
         (SELECT COUNT(*) FROM audit_log a WHERE a.object_id = e.id AND a.action = 'exchange.delivered'), \
         (SELECT COUNT(*) FROM events v WHERE v.exchange_id = e.id AND v.kind = 'exchange.delivered') \
         FROM exchanges e",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows.len(), ledger.delivered.len() + ledger.abandoned.len());
    for row in rows {
        let id: String = row.get(0);
        let state: String = row.get(1);
        let counts: Vec<i64> = (3..7).map(|i| row.get(i)).collect();
        let enveloped: bool = row.get(2);
        let whole = match state.as_str() {
            "delivered" => enveloped && counts == [1, 1, 1, 1],
            "uploading" => !enveloped && counts == [1, 0, 0, 0],
            _ => false,
        };
        assert!(
            whole,
            "exchange {id} is {state} with envelope {enveloped} and audit/event counts {counts:?}"
        );
    }
    conn.close().await.unwrap();
}

/// Maintenance purges an abandoned upload in two writes: its blobs, then its row. The
/// relay is killed the moment the blobs are gone (started with
/// `abandoned_upload_hours = 0`, its first maintenance pass purges the upload), then
/// started again as usual. The client that comes back asks where its upload stands,
/// sends what is missing and completes: the relay must refuse, or deliver an exchange
/// that verifies at the recipient's; never a delivered exchange whose objects are gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_while_purging_an_upload_never_delivers_it_without_its_parts() {
    let mut rng =
        seeded("a_relay_killed_while_purging_an_upload_never_delivers_it_without_its_parts");
    let dir = tempfile::tempdir().unwrap();
    let purge_now = dir.path().join("purge-now.toml");
    std::fs::write(&purge_now, "[limits]\nabandoned_upload_hours = 0\n").unwrap();
    let mut relay = Relay::new(dir.path());
    relay.start().await;
    let base = relay.base();
    let mut people = cast(&Client::new(&base), &relay.setup_token()).await;
    let sender = Sender::new(&mut people.caseworker, people.court).await;
    let token = people.caseworker.session.token().map(str::to_owned);
    let greffier = &people.greffier.session;

    let mut parcel = sender.parcel(&mut rng, &[4096, 20_000]);
    let client = Client::new(&base).with_token(token.clone());
    let created = parcel.create(&client, &sender).await;
    let id = created.exchange_id;
    for object in &created.objects {
        let bytes = parcel.part(object.idx, 0);
        Client::send(part_request(&client, &id, object.idx, 0, bytes))
            .await
            .unwrap();
    }
    relay.kill();
    relay.spawn(Some(&purge_now));
    // Killed the moment the blobs are gone: a relay that keeps them (for a later sweep)
    // is killed after a while instead.
    let blobs = dir.path().join("blobs").join("blobs").join("x");
    let gone = relay
        .kill_when_gone(&blobs.join(id.to_string()), Duration::from_secs(5))
        .await;
    relay.start().await;

    // The client comes back.
    let client = Client::new(&base).with_token(token);
    let path = format!("/api/exchanges/{id}");
    let detail: ExchangeDetail = settle(|| client.get(&path)).await;
    eprintln!(
        "killed with the blobs {}, the upload is {} after the restart",
        if gone { "gone" } else { "still there" },
        detail.summary.state
    );
    let path = format!("/api/exchanges/{id}/upload");
    let status: ExchangeCreated = settle(|| client.get(&path)).await;
    for object in &status.objects {
        for part in object.parts_stored..object.part_count {
            let bytes = parcel.part(object.idx, part);
            let _ = Client::send(part_request(&client, &id, object.idx, part, bytes)).await;
        }
    }
    match Client::send(complete_request(&client, &id, parcel.complete())).await {
        Ok(_) => {
            if let Err(error) = greffier.open(&id).await {
                let stored: Vec<u32> = status.objects.iter().map(|o| o.parts_stored).collect();
                panic!(
                    "the relay delivered {id} although the purge cut by the kill had deleted its \
                     objects (the upload status said {stored:?} parts stored): the recipient \
                     gets {error}"
                );
            }
            verify_delivered(greffier, &parcel).await;
        }
        Err(refused) => {
            assert_eq!(refused.status(), Some(409), "{refused}");
            let inbox = every_exchange(greffier.client(), "inbox").await;
            assert!(inbox.iter().all(|e| e.exchange_id != id));
        }
    }
}

// ----- parts whose length lies ----------------------------------------------------------

/// Parts whose Content-Length promises more than is sent, written by hand on a raw
/// connection that is then half-closed, dropped, or left stalled, and parts shorter than
/// the object needs: the relay answers 4xx or closes the connection, stores nothing (no
/// part recorded, no blob, no temporary file left), and shows nothing while the bytes
/// trickle in. The honest part goes through afterwards.
#[tokio::test]
async fn parts_whose_length_lies_are_refused_and_nothing_is_stored() {
    let w = world(Backend::Sqlite).await;
    let session = &w.caseworker.session;
    let request = CreateExchange {
        recipient_org_id: w.court,
        recipient_generation: 1,
        sender_generation: None,
        urgent: false,
        sizes: vec![100, 1000],
        in_reply_to: None,
    };
    let created: ExchangeCreated = session
        .client()
        .post("/api/exchanges", &request)
        .await
        .unwrap();
    let id = created.exchange_id;
    let raw = RawPut {
        address: w.app.base.trim_start_matches("http://").to_owned(),
        token: session.token().unwrap().to_owned(),
        id,
    };
    let tmp = w.app.data.path().join("blobs").join("tmp");
    let nothing_stored = |case: &'static str| {
        let app = &w.app;
        let tmp = &tmp;
        async move {
            let status: ExchangeCreated = session
                .client()
                .get(&format!("/api/exchanges/{id}/upload"))
                .await
                .unwrap();
            assert_eq!(
                status.objects[1].parts_stored, 0,
                "{case}: a part is recorded"
            );
            let blob = app
                .state
                .blobs
                .list(&BlobKey::parse(&format!("x/{id}/1/")).unwrap())
                .await
                .unwrap();
            assert!(blob.is_empty(), "{case}: a blob was stored");
            // The relay may still be dropping the request: give it a moment.
            let deadline = Instant::now() + Duration::from_secs(5);
            while count_files(tmp) > 0 {
                assert!(
                    Instant::now() < deadline,
                    "{case}: a temporary file is left"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };

    // The hand-written request is right: an honest part goes through.
    let manifest = data(100, 4);
    let honest = raw
        .start(0, &manifest, Framing::Length(100), &manifest)
        .await;
    assert_eq!(answer(honest, false).await, Some(200));

    let part = data(1000, 3);
    let first = &part[..600];
    for (case, framing, sent, end) in [
        (
            "the part's length declared, 600 bytes sent, half-closed",
            Framing::Length(1000),
            first,
            End::HalfClose,
        ),
        (
            "the part's length declared, 600 bytes sent, dropped",
            Framing::Length(1000),
            first,
            End::Drop,
        ),
        (
            "more than the part declared, the part sent, half-closed",
            Framing::Length(1500),
            &part[..],
            End::HalfClose,
        ),
        (
            "more than the part declared, the part sent, dropped",
            Framing::Length(1500),
            &part[..],
            End::Drop,
        ),
        (
            "the part's length declared, 600 bytes sent, stalled, dropped",
            Framing::Length(1000),
            first,
            End::Stall,
        ),
        (
            "less than the part declared and sent",
            Framing::Length(600),
            first,
            End::Answer,
        ),
        (
            "chunked, 600 bytes then the last chunk",
            Framing::Chunked { last: true },
            first,
            End::Answer,
        ),
        (
            "chunked, 600 bytes, dropped before the last chunk",
            Framing::Chunked { last: false },
            first,
            End::Drop,
        ),
    ] {
        let stream = raw.start(1, sent, framing, &part).await;
        match end {
            End::Answer => {
                let status = answer(stream, false).await;
                assert!(
                    status.is_some_and(|s| (400..500).contains(&s)),
                    "{case}: the relay answered {status:?}"
                );
            }
            End::HalfClose => {
                let status = answer(stream, true).await;
                assert!(
                    status.is_none_or(|s| (400..500).contains(&s)),
                    "{case}: the relay answered {status:?}"
                );
            }
            End::Drop => drop(stream),
            End::Stall => {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let status: ExchangeCreated = session
                    .client()
                    .get(&format!("/api/exchanges/{id}/upload"))
                    .await
                    .unwrap();
                assert_eq!(
                    status.objects[1].parts_stored, 0,
                    "{case}: visible while stalled"
                );
                let blob = w
                    .app
                    .state
                    .blobs
                    .list(&BlobKey::parse(&format!("x/{id}/1/")).unwrap())
                    .await
                    .unwrap();
                assert!(blob.is_empty(), "{case}: a blob is visible while stalled");
                drop(stream);
            }
        }
        nothing_stored(case).await;
    }

    let honest = raw.start(1, &part, Framing::Length(1000), &part).await;
    assert_eq!(answer(honest, false).await, Some(200));
    let status: ExchangeCreated = session
        .client()
        .get(&format!("/api/exchanges/{id}/upload"))
        .await
        .unwrap();
    assert_eq!(status.objects[1].parts_stored, 1);
}

/// How a hand-written part announces its body.
#[derive(Clone, Copy)]
enum Framing {
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`, the body as one chunk, then the last chunk or not.
    Chunked { last: bool },
}

/// What the client does once it has written what it wanted to.
#[derive(Clone, Copy)]
enum End {
    /// Reads the answer (the request is whole as far as HTTP goes).
    Answer,
    /// Shuts its writing half and reads the answer.
    HalfClose,
    /// Closes the connection at once.
    Drop,
    /// Waits, then closes the connection.
    Stall,
}

/// Part uploads written by hand on a raw connection.
struct RawPut {
    address: String,
    token: String,
    id: ExchangeId,
}

impl RawPut {
    /// Opens a connection and writes the head of a part upload whose Content-Digest is
    /// that of `digest_of`, then `body`, and nothing more.
    async fn start(&self, idx: u32, body: &[u8], framing: Framing, digest_of: &[u8]) -> TcpStream {
        let mut stream = TcpStream::connect(self.address.as_str()).await.unwrap();
        let length = match framing {
            Framing::Length(n) => format!("Content-Length: {n}\r\n"),
            Framing::Chunked { .. } => "Transfer-Encoding: chunked\r\n".to_owned(),
        };
        let head = format!(
            "PUT /api/exchanges/{}/objects/{idx}/parts/0 HTTP/1.1\r\nHost: {}\r\n\
             Authorization: Bearer {}\r\nContent-Digest: {}\r\n{length}Connection: close\r\n\r\n",
            self.id,
            self.address,
            self.token,
            digest(digest_of),
        );
        // One write: the relay reads it all at once, and never closes on unread bytes
        // (which would reset the connection and lose its answer).
        let mut request = head.into_bytes();
        match framing {
            Framing::Length(_) => request.extend_from_slice(body),
            Framing::Chunked { last } => {
                request.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
                request.extend_from_slice(body);
                request.extend_from_slice(b"\r\n");
                if last {
                    request.extend_from_slice(b"0\r\n\r\n");
                }
            }
        }
        stream.write_all(&request).await.unwrap();
        stream.flush().await.unwrap();
        stream
    }
}

/// Reads the answer's status, after shutting the writing half if `half_close`; `None` if
/// the relay closed the connection without one.
async fn answer(mut stream: TcpStream, half_close: bool) -> Option<u16> {
    if half_close {
        let _ = stream.shutdown().await;
    }
    let mut received = Vec::new();
    // A reset after the answer leaves the answer in `received`.
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received))
        .await
        .expect("the relay neither answered nor closed the connection within 10 s");
    String::from_utf8_lossy(&received)
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
}

// ----- a full disk -----------------------------------------------------------------------

/// The blob folder is on an 8 MiB tmpfs that a file fills up. A part that does not fit is
/// refused with 507 `storage_full` and Retry-After; nothing of it is visible (no part
/// recorded, no blob, no temporary file, the recipient sees nothing); earlier exchanges
/// still download; readiness says the blob store is unavailable while it is completely
/// full. Once the file is deleted, the same part is accepted and the exchange delivered.
#[tokio::test]
async fn a_full_disk_refuses_parts_with_507_and_recovers() {
    // Declared first, so unmounted last, once the relay is gone.
    let Some(tmpfs) = Tmpfs::mount(8 << 20, "a_full_disk_refuses_parts_with_507_and_recovers")
    else {
        return;
    };
    let blob_dir = tmpfs.path().to_owned();
    // The SQLite database stays in the harness's own folder: only the blobs are short of space.
    let app = spawn_app_with(Backend::Sqlite, move |config| config.data_dir = blob_dir).await;
    let mut w = world_on(app).await;
    let (earlier, earlier_id) = sent_before(&w, 200_000).await;
    let mut rng = seeded("a_full_disk_refuses_parts_with_507_and_recovers");
    let sender = Sender::new(&mut w.caseworker, w.court).await;
    let client = w.caseworker.session.client().clone();
    let mut parcel = sender.parcel(&mut rng, &[1 << 20]);
    let created = parcel.create(&client, &sender).await;
    let id = created.exchange_id;

    // Leave 256 KiB: the manifest fits, the 1 MiB file does not.
    let mut filler = Filler::new(&tmpfs.path().join("filler"));
    filler.fill(256 << 10);
    Client::send(part_request(&client, &id, 0, 0, parcel.part(0, 0)))
        .await
        .unwrap();
    let response = part_request(&client, &id, 1, 0, parcel.part(1, 0))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "storage_full");

    // Nothing partial is visible.
    let status: ExchangeCreated = client
        .get(&format!("/api/exchanges/{id}/upload"))
        .await
        .unwrap();
    assert_eq!(status.objects[0].parts_stored, 1);
    assert_eq!(status.objects[1].parts_stored, 0);
    let blob = w
        .app
        .state
        .blobs
        .list(&BlobKey::parse(&format!("x/{id}/1/")).unwrap())
        .await
        .unwrap();
    assert!(blob.is_empty(), "{blob:?}");
    assert_eq!(count_files(&tmpfs.path().join("blobs").join("tmp")), 0);
    let incomplete = Client::send(complete_request(&client, &id, parcel.complete()))
        .await
        .unwrap_err();
    assert_eq!(incomplete.code(), pli_api::ErrorCode::UploadIncomplete);
    let inbox = w.greffier.session.inbox().await.unwrap();
    assert!(inbox.exchanges.iter().all(|e| e.exchange_id != id));
    assert_eq!(
        w.greffier.session.open(&id).await.unwrap_err().status(),
        Some(404)
    );

    // Reads keep working, even with not a byte left; readiness tells the blob store is full.
    let read_earlier = || async {
        let received = w.greffier.session.open(&earlier_id).await.unwrap();
        let out = first_file(&w.greffier.session, &received).await;
        assert!(out == earlier, "an earlier exchange came back altered");
    };
    read_earlier().await;
    filler.fill(0);
    let ready = reqwest::get(format!("{}/readyz", w.app.base))
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.headers().contains_key("retry-after"));
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["blob_store"], false);
    assert_eq!(ready["database"], true);
    read_earlier().await;

    // Space returns: the same part goes through, the exchange is delivered whole.
    filler.remove();
    let ready = reqwest::get(format!("{}/readyz", w.app.base))
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    Client::send(part_request(&client, &id, 1, 0, parcel.part(1, 0)))
        .await
        .unwrap();
    Client::send(complete_request(&client, &id, parcel.complete()))
        .await
        .unwrap();
    verify_delivered(&w.greffier.session, &parcel).await;
}

/// The database and the blobs share one disk (the default layout: the SQLite file in the
/// data folder) and it fills up. A write of the database is answered 507 `storage_full`
/// with Retry-After, as a full blob store is (it was a 500), and nothing of it is kept;
/// reads go on (a session's activity time is not recorded meanwhile); once space is freed,
/// the same request goes through and the exchange is delivered; SQLite's integrity holds.
#[tokio::test]
async fn a_full_disk_under_the_database_refuses_writes_with_507_and_recovers() {
    const TEST: &str = "a_full_disk_under_the_database_refuses_writes_with_507_and_recovers";
    let Some(tmpfs) = Tmpfs::mount(48 << 20, TEST) else {
        return;
    };
    let dir = tmpfs.path().to_owned();
    let database = dir.join("pli.db");
    let url = format!("sqlite://{}?mode=rwc", database.display());
    let app = spawn_app_with(Backend::Sqlite, move |config| {
        config.database_url = url;
        config.data_dir = dir;
    })
    .await;
    let mut w = world_on(app).await;
    let (earlier, earlier_id) = sent_before(&w, 100_000).await;
    let mut rng = seeded(TEST);
    let sender = Sender::new(&mut w.caseworker, w.court).await;
    let client = w.caseworker.session.client().clone();
    let mut parcel = sender.parcel(&mut rng, &[4096]);

    // The write-ahead log emptied, so that the next write needs new space, then no space.
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let mut filler = Filler::new(&tmpfs.path().join("filler"));
    filler.fill(0);

    let response = create_request(&client, &parcel).send().await.unwrap();
    let status = response.status();
    let retry_after = response.headers().contains_key("retry-after");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
    assert!(retry_after);
    assert_eq!(body["error"]["code"], "storage_full");
    let outbox = every_exchange(&client, "outbox").await;
    assert_eq!(outbox.len(), 1, "nothing of the refused exchange is kept");

    // Reads go on: the earlier exchange opens and decrypts.
    let received = w.greffier.session.open(&earlier_id).await.unwrap();
    assert!(first_file(&w.greffier.session, &received).await == earlier);

    // Space returns: the same request goes through, the exchange is delivered whole.
    filler.remove();
    let load = Load::default();
    let delivered = deliver(&load, &client, &sender, &mut parcel, false).await;
    assert!(delivered.is_some(), "{:?}", load.failures.lock().unwrap());
    verify_delivered(&w.greffier.session, &parcel).await;
    integrity_check(&database).await;
}

/// A file of `len` bytes sent from the caseworker to the court before the disk fills up:
/// its bytes and its exchange.
async fn sent_before(w: &super::harness::World, len: usize) -> (Vec<u8>, ExchangeId) {
    let earlier = data(len, 1);
    let id = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("avant.pdf", earlier.clone())],
            &options("Avant"),
        )
        .await
        .unwrap();
    (earlier, id)
}

/// A tmpfs of a given size mounted on a temporary folder (needs root), unmounted on drop.
pub(crate) struct Tmpfs {
    // Unmounted before its folder is removed.
    mounted: pli_testkit::Tmpfs,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts one. If that is impossible, `test` fails when `CI` is set, and is skipped
    /// with a notice otherwise.
    #[allow(clippy::print_stderr, reason = "the notice of a test that did not run")]
    pub(crate) fn mount(bytes: u64, test: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let why = match pli_testkit::Tmpfs::mount(dir.path(), bytes) {
            Ok(mounted) => return Some(Self { mounted, _dir: dir }),
            Err(error) => format!("{error:#}"),
        };
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: {why}; this test must run as root (or with CAP_SYS_ADMIN) under CI"
        );
        eprintln!(
            "notice: {test} did not run: {why}; run it as root (under CI, this is a failure)"
        );
        None
    }

    fn path(&self) -> &Path {
        self.mounted.path()
    }
}

/// A file that takes up all the free space of its file system but what is asked.
struct Filler(pli_testkit::Filler);

impl Filler {
    fn new(path: &Path) -> Self {
        Self(pli_testkit::Filler::new(path).unwrap())
    }

    /// Grows the file until the disk is full, then gives back `spare` bytes.
    fn fill(&mut self, spare: u64) {
        self.0.fill(spare).unwrap();
    }

    fn remove(self) {
        self.0.remove().unwrap();
    }
}

// ----- PostgreSQL restarted under load -------------------------------------------------------

/// Four clients upload and two list their inbox and outbox while PostgreSQL is restarted,
/// once cleanly (`-m fast`) and once as after a crash (`-m immediate`). Every answer is a
/// success or a 503 with Retry-After (never a 500, never a dropped connection); the relay
/// is ready again within 10 s of each restart; retries under the same Idempotency-Key
/// create no duplicate; every exchange is delivered and verifies.
///
/// PostgreSQL is a cluster of this test's own (initdb in a temporary folder, a unix socket
/// only), so restarting it disturbs no other test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_under_load_answers_503_and_recovers() {
    let cluster = PrivateCluster::start();
    let url = cluster.cluster.url().to_owned();
    // The harness's SQLite set-up, pointed at the private cluster instead.
    let app = spawn_app_with(Backend::Sqlite, move |config| config.database_url = url).await;
    let mut w = world_on(app).await;
    let mut rng = seeded("postgres_restarted_under_load_answers_503_and_recovers");
    let sender = Arc::new(Sender::new(&mut w.caseworker, w.court).await);
    let load = Arc::new(Load::default());
    let stop = Arc::new(AtomicBool::new(false));

    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (sender, load, stop) = (sender.clone(), load.clone(), stop.clone());
        let client = w.caseworker.session.client().clone();
        let mut rng = rng.fork();
        tasks.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let size = 1024 + rng.below(64 << 10) as usize;
                let mut parcel = sender.parcel(&mut rng, &[size]);
                if deliver(&load, &client, &sender, &mut parcel, true)
                    .await
                    .is_none()
                {
                    break;
                }
                sent.push(parcel);
            }
            sent
        }));
    }
    for person in [&w.greffier, &w.caseworker] {
        let (load, stop) = (load.clone(), stop.clone());
        let client = person.session.client().clone();
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                for mailbox in ["inbox", "outbox"] {
                    let path = format!("/api/exchanges/{mailbox}");
                    if load
                        .send(|| client.request(Method::GET, &path), true)
                        .await
                        .is_none()
                    {
                        return Vec::new();
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Vec::new()
        }));
    }

    let http = reqwest::Client::new();
    let readyz = format!("{}/readyz", w.app.base);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for mode in ["fast", "immediate"] {
        let began = Instant::now();
        let restart = {
            let cluster = cluster.cluster.clone();
            tokio::task::spawn_blocking(move || cluster.restart(mode).unwrap())
        };
        // Readiness meanwhile: 200 or 503 with Retry-After, nothing else.
        let mut down = false;
        loop {
            let response = http.get(&readyz).send().await.unwrap();
            match response.status() {
                StatusCode::OK if restart.is_finished() => break,
                StatusCode::OK => {}
                StatusCode::SERVICE_UNAVAILABLE => {
                    assert!(response.headers().contains_key("retry-after"));
                    down = true;
                }
                other => panic!("/readyz answered {other} while PostgreSQL restarted"),
            }
            assert!(
                began.elapsed() < Duration::from_secs(10),
                "the relay was not ready 10 s after PostgreSQL began to restart ({mode})"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        joined(restart).await;
        eprintln!(
            "PostgreSQL restarted ({mode}): ready again after {:?}, /readyz saw it down: {down}",
            began.elapsed()
        );
        // Load on the restarted database.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut sent = Vec::new();
    for task in tasks {
        sent.extend(joined(task).await);
    }
    let failures = load.failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "while PostgreSQL restarted, the relay answered:\n{}",
        failures.join("\n")
    );
    let unavailable = load.unavailable.load(Ordering::Relaxed);
    eprintln!(
        "{} answers, {unavailable} of them 503 with Retry-After, {} exchanges sent",
        load.answers.load(Ordering::Relaxed),
        sent.len()
    );
    assert!(
        unavailable > 0,
        "no request noticed the restarts: the test proves nothing"
    );

    // No duplicate: one exchange per Idempotency-Key, each delivered and whole.
    let outbox = every_exchange(w.caseworker.session.client(), "outbox").await;
    let listed: BTreeSet<ExchangeId> = outbox.iter().map(|e| e.exchange_id).collect();
    let sent_ids: BTreeSet<ExchangeId> = sent.iter().map(|p| p.id.unwrap()).collect();
    assert_eq!(outbox.len(), sent.len(), "duplicate exchanges");
    assert_eq!(listed, sent_ids);
    for parcel in &sent {
        verify_delivered(&w.greffier.session, parcel).await;
    }
}

/// A PostgreSQL cluster of this test's own in a temporary folder (`pli_testkit::Cluster`:
/// a unix socket there and no TCP port, no fsync), stopped when dropped.
struct PrivateCluster {
    cluster: Arc<pli_testkit::Cluster>,
    _dir: tempfile::TempDir,
}

impl PrivateCluster {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cluster = pli_testkit::Cluster::start(dir.path()).unwrap();
        Self {
            cluster: Arc::new(cluster),
            _dir: dir,
        }
    }
}

// ----- many uploads and downloads at once ----------------------------------------------------

/// 50 uploads and 200 downloads start at the same moment on SQLite (small objects, so it
/// takes seconds): every answer is a success, never a 5xx (SQLite's busy state never
/// surfaces), every download has its envelope's SHA-256, every upload is delivered whole.
/// The fifty uploads are one account's, whose upload slots are raised to fifty so that
/// they all reach the store at once (by default its fifth would be told `busy`, which
/// `security::uploads_past_their_slots_are_told_busy_at_once_and_the_slots_come_back`
/// checks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_uploads_and_two_hundred_downloads_at_once() {
    let mut w =
        world_on(spawn_app_with(Backend::Sqlite, |c| c.limits.uploads_per_account = 50).await)
            .await;
    let mut rng = seeded("fifty_uploads_and_two_hundred_downloads_at_once");
    let sender = Arc::new(Sender::new(&mut w.caseworker, w.court).await);
    let load = Arc::new(Load::default());
    let client = w.caseworker.session.client().clone();
    let mut ready = Vec::new();
    for _ in 0..4 {
        let mut parcel = sender.parcel(&mut rng, &[256 << 10]);
        deliver(&load, &client, &sender, &mut parcel, false)
            .await
            .unwrap();
        ready.push(parcel);
    }
    let ready = Arc::new(ready);

    let start = Arc::new(tokio::sync::Barrier::new(250));
    let mut uploads = Vec::new();
    for _ in 0..50 {
        let size = (16 << 10) + rng.below(112 << 10) as usize;
        let mut parcel = sender.parcel(&mut rng, &[size]);
        let (sender, load, start, client) =
            (sender.clone(), load.clone(), start.clone(), client.clone());
        uploads.push(tokio::spawn(async move {
            start.wait().await;
            deliver(&load, &client, &sender, &mut parcel, false).await;
            parcel
        }));
    }
    let mut downloads = Vec::new();
    for n in 0..200 {
        let (ready, load, start) = (ready.clone(), load.clone(), start.clone());
        let client = w.greffier.session.client().clone();
        downloads.push(tokio::spawn(async move {
            let parcel = &ready[n % ready.len()];
            let id = parcel.id.unwrap();
            let path = format!("/api/exchanges/{id}/objects/1");
            start.wait().await;
            let Some(response) = load
                .send(|| client.request(Method::GET, &path), false)
                .await
            else {
                return;
            };
            match response.bytes().await {
                Ok(body) => assert_eq!(
                    pli_crypto::sha256(&body),
                    parcel.object_refs()[1].sha256,
                    "a download does not have its envelope's SHA-256"
                ),
                Err(error) => load.fail(format!("GET {path}: the body broke off: {error}")),
            }
        }));
    }
    let mut sent = Vec::new();
    for upload in uploads {
        sent.push(joined(upload).await);
    }
    for download in downloads {
        joined(download).await;
    }
    let failures = load.failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "under load, the relay answered:\n{}",
        failures.join("\n")
    );
    for parcel in &sent {
        verify_delivered(&w.greffier.session, parcel).await;
    }
    let inbox = every_exchange(w.greffier.session.client(), "inbox").await;
    assert_eq!(inbox.len(), sent.len() + ready.len());
    integrity_check(&w.app.data.path().join("pli.db")).await;
}

// ----- envelopes that misstate their objects ---------------------------------------------

/// One file of two parts (16 MiB and a few KiB of ciphertext), every part uploaded, then
/// completed with envelopes that misstate it, each refused with 422 `envelope_mismatch`
/// and nothing delivered: format 1 with a wrong SHA-256 for the file; format 2 with one
/// of the file's part hashes flipped; format 2 true to parts of 8 MiB, which are not the
/// relay's (the answer says "part size"). Then the right format 2 envelope, its part
/// lists hashed here slice by slice, is accepted, and the recipient's client verifies it
/// and decrypts the file.
#[tokio::test]
async fn a_misstated_envelope_is_refused_in_either_format_and_the_right_one_delivers() {
    let mut w = world(Backend::Sqlite).await;
    let mut rng =
        seeded("a_misstated_envelope_is_refused_in_either_format_and_the_right_one_delivers");
    let sender = Sender::new(&mut w.caseworker, w.court).await;
    let client = w.caseworker.session.client().clone();
    let greffier = &w.greffier.session;
    let mut parcel = sender.parcel(&mut rng, &[(16 << 20) + (4 << 10)]);
    let created = parcel.create(&client, &sender).await;
    let id = created.exchange_id;
    assert_eq!(created.objects[1].part_count, 2);
    parcel.upload_all(&client, &created).await;

    // A misstating envelope: 422 `envelope_mismatch` saying why, nothing delivered.
    let refused = async |complete: &CompleteExchange, case: &str, says: &str| {
        let error = Client::send(complete_request(&client, &id, complete))
            .await
            .expect_err(case);
        assert_eq!(error.status(), Some(422), "{case}: {error}");
        assert_eq!(
            error.code(),
            pli_api::ErrorCode::EnvelopeMismatch,
            "{case}: {error}"
        );
        assert!(error.to_string().contains(says), "{case}: {error}");
        let detail: ExchangeDetail = client.get(&format!("/api/exchanges/{id}")).await.unwrap();
        assert_eq!(
            detail.summary.state,
            pli_api::ExchangeState::Uploading,
            "{case}"
        );
        let unseen = greffier.open(&id).await.unwrap_err();
        assert_eq!(unseen.status(), Some(404), "{case}: {unseen}");
    };
    let refs = |lists: &[PartList]| -> Vec<ObjectRef> {
        lists
            .iter()
            .map(|list| list.object_ref().unwrap())
            .collect()
    };
    let parts = Hashing::Parts {
        part_size: PART_SIZE,
    };

    // Format 1, the file's SHA-256 wrong by one bit.
    let mut whole = parcel.object_refs();
    whole[1].sha256[0] ^= 1;
    let wrong = parcel.signed(&created, &sender, Hashing::Whole, &whole);
    refused(&wrong, "format 1, the file's SHA-256 wrong", "object 1").await;

    // Format 2, the relay's part size, one of the file's part hashes wrong by one bit.
    let right = parcel.part_lists(PART_SIZE);
    assert_eq!(right[1].parts.len(), 2);
    let mut flipped = right.clone();
    flipped[1].parts[0][0] ^= 1;
    let wrong = parcel.signed(&created, &sender, parts, &refs(&flipped));
    refused(&wrong, "format 2, a part hash flipped", "object 1").await;

    // Format 2, true to the objects cut in parts of 8 MiB: not the parts the relay
    // checked, whose hashes it binds.
    let eight = parcel.part_lists(8 << 20);
    assert_eq!(eight[1].parts.len(), 3);
    let other = Hashing::Parts { part_size: 8 << 20 };
    let wrong = parcel.signed(&created, &sender, other, &refs(&eight));
    refused(&wrong, "format 2, parts of 8 MiB", "part size").await;

    // The right format 2 envelope is still accepted; the recipient's client verifies
    // each object against its part list and gets the file back.
    let complete = parcel.signed(&created, &sender, parts, &refs(&right));
    delivers(&client, &id, &complete).await;
    parcel.complete = Some(complete);
    verify_delivered(greffier, &parcel).await;
}

/// Completions of one exchange sent at once (a client's retries racing its first attempt,
/// through proxies that gave up waiting) all get the delivered exchange, on PostgreSQL
/// (row locks) as on SQLite (one writer): it is delivered once, audited and announced
/// once, and the recipient opens it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_completions_deliver_once_and_all_get_its_answer() {
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let mut w = world(backend).await;
        let mut rng = seeded("simultaneous_completions_deliver_once_and_all_get_its_answer");
        let sender = Sender::new(&mut w.caseworker, w.court).await;
        let client = w.caseworker.session.client().clone();
        let mut parcel = sender.parcel(&mut rng, &[200_000]);
        let created = parcel.create(&client, &sender).await;
        let id = created.exchange_id;
        parcel.upload_all(&client, &created).await;
        let parts = Hashing::Parts {
            part_size: PART_SIZE,
        };
        let refs: Vec<ObjectRef> = parcel
            .part_lists(PART_SIZE)
            .iter()
            .map(|list| list.object_ref().unwrap())
            .collect();
        let complete = parcel.signed(&created, &sender, parts, &refs);
        let answers = futures_util::future::join_all((0..8).map(|_| async {
            let answer = Client::send(complete_request(&client, &id, &complete)).await;
            match answer {
                Ok(response) => Ok(response.json::<ExchangeSummary>().await.unwrap()),
                Err(error) => Err(error.to_string()),
            }
        }))
        .await;
        let summaries: Vec<ExchangeSummary> = answers
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|error| panic!("{backend:?}: a completion failed: {error}"));
        let first = &summaries[0];
        assert_eq!(
            first.state,
            pli_api::ExchangeState::Delivered,
            "{backend:?}"
        );
        for summary in &summaries {
            assert_eq!(summary.delivered_at, first.delivered_at, "{backend:?}");
            assert_eq!(summary.envelope, first.envelope, "{backend:?}");
        }
        let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
        for (what, query) in [
            (
                "exchange.sent",
                "SELECT COUNT(*) FROM audit_log WHERE action = 'exchange.sent'",
            ),
            (
                "exchange.delivered",
                "SELECT COUNT(*) FROM audit_log WHERE action = 'exchange.delivered'",
            ),
            (
                "the recipient's event",
                "SELECT COUNT(*) FROM events WHERE kind = 'exchange.delivered'",
            ),
        ] {
            let count: i64 = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
            assert_eq!(count, 1, "{backend:?}: {what} written {count} times");
        }
        pool.close().await;
        parcel.complete = Some(complete);
        verify_delivered(&w.greffier.session, &parcel).await;
    }
}

/// A file whose sender signed a chunk that does not authenticate (a bug, or a forgery:
/// the envelope binds the part hashes, so the relay and the part checks let it through)
/// fails at the recipient's with `decryption`, having written only the plaintext of the
/// chunks before it: the bad chunk sits in a run the download lends out (opened on
/// every core natively, by the worker's pool in the browser), whose plaintext is never
/// released.
#[tokio::test]
async fn a_signed_file_whose_chunk_does_not_authenticate_gives_only_its_authentic_start() {
    let mut w = world(Backend::Sqlite).await;
    let mut rng =
        seeded("a_signed_file_whose_chunk_does_not_authenticate_gives_only_its_authentic_start");
    let sender = Sender::new(&mut w.caseworker, w.court).await;
    let client = w.caseworker.session.client().clone();
    // 3 MiB: 48 chunks of 64 KiB, the last one final; chunk 30 damaged.
    let mut parcel = sender.parcel(&mut rng, &[3 << 20]);
    let chunk = pli_crypto::age::ENCRYPTED_CHUNK_SIZE;
    let header = parcel.objects[1].len() - 48 * chunk;
    parcel.objects[1][header + 30 * chunk + 100] ^= 1;
    let created = parcel.create(&client, &sender).await;
    let id = created.exchange_id;
    parcel.upload_all(&client, &created).await;
    let refs: Vec<ObjectRef> = parcel
        .part_lists(PART_SIZE)
        .iter()
        .map(|list| list.object_ref().unwrap())
        .collect();
    let parts = Hashing::Parts {
        part_size: PART_SIZE,
    };
    let complete = parcel.signed(&created, &sender, parts, &refs);
    delivers(&client, &id, &complete).await;
    let greffier = &w.greffier.session;
    let received = greffier.open(&id).await.unwrap();
    let mut out = Vec::new();
    let error = greffier
        .download_file(&received, 0, &mut out)
        .await
        .unwrap_err();
    assert_eq!(error.code(), pli_api::ErrorCode::Decryption, "{error}");
    let chunk_plaintext = pli_crypto::age::CHUNK_SIZE;
    assert!(
        out.len() <= 30 * chunk_plaintext && out.len().is_multiple_of(chunk_plaintext),
        "{} bytes written",
        out.len()
    );
    assert!(
        out == parcel.files[0][..out.len()],
        "the start written is not the file's"
    );
}

/// The relay no longer hashes whole objects as their parts arrive: a format 1 envelope
/// (older clients) makes it read the objects back at completion. What a relay of before
/// wrote in the old `sha256` column (wrong for an object whose parts an upgraded relay
/// took during a rolling upgrade) is not trusted: an envelope binding that value is
/// refused, the one binding the bytes stored is accepted, and the recipient gets the file.
#[tokio::test]
async fn a_format_1_envelope_is_checked_against_the_bytes_stored_not_an_older_relays_hash() {
    let mut w = world(Backend::Sqlite).await;
    let mut rng = seeded("a_format_1_envelope_is_checked_against_the_bytes_stored");
    let sender = Sender::new(&mut w.caseworker, w.court).await;
    let client = w.caseworker.session.client().clone();
    let mut parcel = sender.parcel(&mut rng, &[(16 << 20) + (4 << 10)]);
    let created = parcel.create(&client, &sender).await;
    let id = created.exchange_id;
    parcel.upload_all(&client, &created).await;
    // What a relay of before would have kept for the file had an upgraded one taken its
    // first part: the hash of its last part alone.
    let stale = Sha256::digest(parcel.part(1, 1)).to_vec();
    let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
    sqlx::query("UPDATE objects SET sha256 = $1 WHERE exchange_id = $2 AND idx = 1")
        .bind(stale.clone())
        .bind(id.to_string())
        .execute(&pool)
        .await
        .unwrap();

    let mut lying = parcel.object_refs();
    lying[1].sha256 = stale.try_into().unwrap();
    let wrong = parcel.signed(&created, &sender, Hashing::Whole, &lying);
    let error = Client::send(complete_request(&client, &id, &wrong))
        .await
        .expect_err("an envelope binding an older relay's stale hash");
    assert_eq!(
        error.code(),
        pli_api::ErrorCode::EnvelopeMismatch,
        "{error}"
    );

    delivers(&client, &id, parcel.complete()).await;
    verify_delivered(&w.greffier.session, &parcel).await;
}

// ----- shared helpers ----------------------------------------------------------------------

/// The generator of a test (`pli_chaos::Rng`), seeded from `PLI_FAULT_SEED` or the
/// clock; the seed is printed.
#[allow(
    clippy::print_stderr,
    reason = "a failing run must say how to replay it"
)]
fn seeded(test: &str) -> Rng {
    let seed = std::env::var("PLI_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(pli_server::now_ms);
    eprintln!("{test}: seed {seed} (PLI_FAULT_SEED={seed} replays it)");
    Rng::new(seed)
}

/// What a sender's software needs to prepare exchanges: their session (ids, signing key)
/// and the recipient organisation's verified key.
struct Sender {
    session: Session,
    recipient: pli_crypto::age::AnyRecipient,
    recipient_org: OrgId,
    generation: u32,
}

impl Sender {
    async fn new(person: &mut Person, recipient_org: OrgId) -> Self {
        let key = person.session.recipient_key(&recipient_org).await.unwrap();
        Self {
            session: person.session.clone(),
            recipient: key.recipient().unwrap(),
            recipient_org,
            generation: key.key.generation,
        }
    }

    /// Files of these sizes, encrypted to the recipient, ready to create an exchange for.
    fn parcel(&self, rng: &mut Rng, file_sizes: &[usize]) -> Parcel {
        let files: Vec<Vec<u8>> = file_sizes
            .iter()
            .map(|len| data(*len, rng.below(256) as u8))
            .collect();
        let mut objects = vec![Vec::new()];
        for file in &files {
            objects.push(
                encrypt_to_vec(std::slice::from_ref(&self.recipient), file)
                    .unwrap()
                    .0,
            );
        }
        // The manifest's size is known before its exchange id is: ids are fixed-size.
        let manifest = self.manifest(ExchangeId::from_bytes([0; 16]), &files);
        let manifest_len = manifest.to_canonical().unwrap().len() as u64;
        let mut sizes =
            vec![encrypted_len_to(std::slice::from_ref(&self.recipient), manifest_len).unwrap()];
        sizes.extend(objects[1..].iter().map(|o| o.len() as u64));
        Parcel {
            idempotency_key: format!("fault-{:016x}{:016x}", rng.next_u64(), rng.next_u64()),
            request: CreateExchange {
                recipient_org_id: self.recipient_org,
                recipient_generation: self.generation,
                sender_generation: None,
                urgent: false,
                sizes,
                in_reply_to: None,
            },
            files,
            objects,
            complete: None,
            id: None,
        }
    }

    fn manifest(&self, id: ExchangeId, files: &[Vec<u8>]) -> Manifest {
        Manifest {
            exchange_id: id,
            category: Category::Rapport,
            subject: "Rapport d'évaluation".into(),
            message: "Rapport demandé par le parquet.".into(),
            case_reference: "2026/00042".into(),
            files: files
                .iter()
                .enumerate()
                .map(|(i, file)| FileEntry {
                    name: format!("piece-{i}.pdf"),
                    size: file.len() as u64,
                    media_type: "application/pdf".into(),
                    sha256: pli_crypto::sha256(file),
                })
                .collect(),
        }
    }
}

/// An exchange prepared as a client's software prepares it: the files encrypted first
/// (their sizes go into the creation request), the manifest and the signed envelope once
/// the relay has given the exchange its id.
struct Parcel {
    idempotency_key: String,
    request: CreateExchange,
    /// The plaintexts.
    files: Vec<Vec<u8>>,
    /// The ciphertexts: the manifest's (empty until the exchange exists), then the files'.
    objects: Vec<Vec<u8>>,
    complete: Option<CompleteExchange>,
    id: Option<ExchangeId>,
}

impl Parcel {
    /// Creates the exchange on the relay and signs its envelope ([`Parcel::created`]).
    async fn create(&mut self, client: &Client, sender: &Sender) -> ExchangeCreated {
        let created: ExchangeCreated = Client::send(create_request(client, self))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        self.created(&created, sender);
        created
    }

    /// Uploads every part of every object, in order.
    async fn upload_all(&self, client: &Client, created: &ExchangeCreated) {
        for object in &created.objects {
            for part in 0..object.part_count {
                let bytes = self.part(object.idx, part);
                Client::send(part_request(
                    client,
                    &created.exchange_id,
                    object.idx,
                    part,
                    bytes,
                ))
                .await
                .unwrap();
            }
        }
    }

    /// Seals the manifest and signs the envelope for the exchange the relay created.
    fn created(&mut self, created: &ExchangeCreated, sender: &Sender) {
        if let Some(id) = self.id {
            assert_eq!(
                id, created.exchange_id,
                "one Idempotency-Key, two exchanges"
            );
            return;
        }
        assert_eq!(created.part_size, PART_SIZE);
        let manifest = sender.manifest(created.exchange_id, &self.files);
        let (sealed, _) = manifest
            .seal(std::slice::from_ref(&sender.recipient))
            .unwrap();
        assert_eq!(sealed.len() as u64, self.request.sizes[0]);
        self.objects[0] = sealed;
        // Format 1, each object's whole SHA-256: what clients signed before December
        // 2026, still accepted (the client library signs format 2).
        self.complete = Some(self.signed(created, sender, Hashing::Whole, &self.object_refs()));
        self.id = Some(created.exchange_id);
    }

    /// A completion whose envelope, signed by the sender, binds `refs` (the manifest's,
    /// then the files') in the format `hashing`: true to the objects or not.
    fn signed(
        &self,
        created: &ExchangeCreated,
        sender: &Sender,
        hashing: Hashing,
        refs: &[ObjectRef],
    ) -> CompleteExchange {
        let session = &sender.session;
        let envelope = Envelope {
            exchange_id: created.exchange_id,
            sender_user_id: session.me.user_id,
            sender_key: session.keys.signing.verifying_key().fingerprint(),
            sender_org_id: session.me.org_id,
            sender_generation: None,
            recipient_org_id: self.request.recipient_org_id,
            recipient_generation: self.request.recipient_generation,
            priority: Priority::Normal,
            created_at: created.created_at,
            expires_at: created.expires_at,
            in_reply_to: None,
            hashing,
            manifest: refs[0],
            files: refs[1..].to_vec(),
            preview: None,
        };
        CompleteExchange {
            envelope: Signed::sign(&envelope, &session.keys.signing)
                .unwrap()
                .to_wire(),
        }
    }

    /// The size and SHA-256 of each object.
    fn object_refs(&self) -> Vec<ObjectRef> {
        self.objects
            .iter()
            .map(|object| ObjectRef {
                size: object.len() as u64,
                sha256: pli_crypto::sha256(object),
            })
            .collect()
    }

    /// Each object's list of parts of `part_size` bytes (the last one shorter), hashed
    /// here slice by slice: what a format 2 envelope binds, through
    /// [`PartList::object_ref`].
    fn part_lists(&self, part_size: u64) -> Vec<PartList> {
        self.objects
            .iter()
            .map(|object| PartList {
                part_size,
                size: object.len() as u64,
                parts: object
                    .chunks(part_size as usize)
                    .map(pli_crypto::sha256)
                    .collect(),
            })
            .collect()
    }

    /// The bytes of one part of one object.
    fn part(&self, idx: u32, part: u32) -> &[u8] {
        let object = &self.objects[idx as usize];
        let start = (u64::from(part) * PART_SIZE) as usize;
        let end = (start + PART_SIZE as usize).min(object.len());
        &object[start..end]
    }

    fn complete(&self) -> &CompleteExchange {
        self.complete.as_ref().unwrap()
    }
}

fn digest(bytes: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(bytes)))
}

fn create_request(client: &Client, parcel: &Parcel) -> RequestBuilder {
    client
        .request(Method::POST, "/api/exchanges")
        .header("idempotency-key", &parcel.idempotency_key)
        .json(&parcel.request)
}

fn status_request(client: &Client, id: &ExchangeId) -> RequestBuilder {
    client.request(Method::GET, &format!("/api/exchanges/{id}/upload"))
}

fn part_request(
    client: &Client,
    id: &ExchangeId,
    idx: u32,
    part: u32,
    bytes: &[u8],
) -> RequestBuilder {
    client
        .request(
            Method::PUT,
            &format!("/api/exchanges/{id}/objects/{idx}/parts/{part}"),
        )
        .header("content-digest", digest(bytes))
        .body(bytes.to_vec())
}

fn complete_request(
    client: &Client,
    id: &ExchangeId,
    complete: &CompleteExchange,
) -> RequestBuilder {
    client
        .request(Method::POST, &format!("/api/exchanges/{id}/complete"))
        .json(complete)
}

/// The recipient opens a delivered exchange: the envelope is the one the sender signed,
/// every object has the envelope's size and SHA-256 (the client checks both), every file
/// decrypts to what was sent.
/// Completes `id` with `complete`, which the relay must accept.
async fn delivers(client: &Client, id: &ExchangeId, complete: &CompleteExchange) {
    let delivered: ExchangeSummary = Client::send(complete_request(client, id, complete))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(delivered.state, pli_api::ExchangeState::Delivered);
}

async fn verify_delivered(recipient: &Session, parcel: &Parcel) {
    let id = parcel.id.unwrap();
    let received = settle(|| recipient.open(&id)).await;
    assert_eq!(
        received.detail.summary.envelope.as_ref(),
        Some(&parcel.complete().envelope),
        "{id}: not the envelope its sender signed"
    );
    assert_eq!(received.manifest.files.len(), parcel.files.len());
    for (index, sent) in parcel.files.iter().enumerate() {
        let mut attempt = 0;
        loop {
            let mut out = Vec::new();
            match recipient.download_file(&received, index, &mut out).await {
                Ok(()) => {
                    assert!(out == *sent, "file {index} of {id} came back altered");
                    break;
                }
                Err(ClientError::Http(_)) if attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
                }
                Err(error) => panic!("file {index} of {id} does not verify: {error}"),
            }
        }
    }
}

/// Every exchange of a mailbox (`inbox` or `outbox`), page after page.
async fn every_exchange(client: &Client, mailbox: &str) -> Vec<ExchangeSummary> {
    let mut all = Vec::new();
    let mut path = format!("/api/exchanges/{mailbox}?limit=200");
    loop {
        let page: ExchangePage = settle(|| client.get(&path)).await;
        all.extend(page.exchanges);
        match page.next_cursor {
            Some(cursor) => path = format!("/api/exchanges/{mailbox}?limit=200&cursor={cursor}"),
            None => return all,
        }
    }
}

/// Answers seen under load.
#[derive(Default)]
struct Load {
    answers: AtomicU64,
    unavailable: AtomicU64,
    failures: Mutex<Vec<String>>,
}

impl Load {
    fn fail(&self, failure: String) {
        self.failures.lock().unwrap().push(failure);
    }

    /// Sends the request `make` builds until it succeeds. A 503 must carry Retry-After;
    /// it is retried if `retry_unavailable`, a failure otherwise. Any other error status,
    /// or a connection error (the relay dropped the connection: a panic?), is recorded as
    /// a failure and gives `None`.
    async fn send(
        &self,
        make: impl Fn() -> RequestBuilder,
        retry_unavailable: bool,
    ) -> Option<reqwest::Response> {
        for _ in 0..200 {
            let (http, request) = make().build_split();
            let request = request.unwrap();
            let what = format!("{} {}", request.method(), request.url().path());
            let response = match http.execute(request).await {
                Ok(response) => response,
                Err(error) => {
                    self.fail(format!("{what}: no answer: {error}"));
                    return None;
                }
            };
            self.answers.fetch_add(1, Ordering::Relaxed);
            let status = response.status();
            if status.is_success() {
                return Some(response);
            }
            let retry_after = response.headers().contains_key("retry-after");
            let body = response.text().await.unwrap_or_default();
            if status == StatusCode::SERVICE_UNAVAILABLE && retry_after && retry_unavailable {
                self.unavailable.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let retry_after = if retry_after { "with" } else { "without" };
            self.fail(format!(
                "{what}: {status} {retry_after} Retry-After: {body}"
            ));
            return None;
        }
        self.fail("a request stayed unavailable for 200 attempts".into());
        None
    }
}

/// Creates, uploads and completes a parcel, each request through [`Load::send`]; `None`
/// (a failure recorded) if the relay answered otherwise than with a success.
async fn deliver(
    load: &Load,
    client: &Client,
    sender: &Sender,
    parcel: &mut Parcel,
    retry_unavailable: bool,
) -> Option<ExchangeId> {
    let created: ExchangeCreated = load
        .send(|| create_request(client, parcel), retry_unavailable)
        .await?
        .json()
        .await
        .unwrap();
    parcel.created(&created, sender);
    let id = created.exchange_id;
    for object in &created.objects {
        for part in 0..object.part_count {
            let bytes = parcel.part(object.idx, part);
            load.send(
                || part_request(client, &id, object.idx, part, bytes),
                retry_unavailable,
            )
            .await?;
        }
    }
    load.send(
        || complete_request(client, &id, parcel.complete()),
        retry_unavailable,
    )
    .await?;
    Some(id)
}

/// Waits for a task; its panic is the test's.
async fn joined<T>(handle: tokio::task::JoinHandle<T>) -> T {
    match handle.await {
        Ok(value) => value,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// `PRAGMA integrity_check` says ok.
async fn integrity_check(database: &Path) {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    let verdict: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(verdict, ["ok"], "SQLite's integrity check failed");
    conn.close().await.unwrap();
}
