//! Resuming an interrupted send never encrypts two plaintexts under one key and nonce.
//!
//! A resumed send encrypts again from the seeds of its sealed plan, so a file picked again
//! with the same name and size but other content would give, for a part already sent, a
//! second ciphertext under the same key and nonces: whoever holds both learns the XOR of
//! the two plaintexts (and Poly1305 keys). The relay is not trusted, so the tests put a
//! recording proxy between the client and the real relay — everything that crossed the
//! wire — and let it lie about the parts stored, to lure the client into sending them
//! again. The proof: no (object, part) ever went out with two different bodies.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use futures_util::StreamExt as _;
use pli_api::ExchangeId;
use pli_api::messages::ExchangeCreated;
use pli_server::blob::BlobKey;
use sha2::Digest as _;

use super::harness::{Backend, PASSWORD, World, cut_file, data, file, options, world};
use pli_server::testing::proxy::Proxy;

const MIB: usize = 1024 * 1024;

/// Where the report (40 MiB: three parts of 16 MiB of ciphertext) is cut: in its third
/// part's plaintext. The file is read 16 MiB at a time, and a part leaves only once the
/// ciphertext after it is sealed, so the cut send leaves the report's first part on the
/// relay, and maybe its second: each recorded in the plan before it left.
const CUT: usize = 36 * MIB;

/// A new session of the caseworker (the page reloaded, they logged in again), talking to
/// the relay through `proxy`.
async fn caseworker_through(w: &World, proxy: &Proxy) -> pli_client::Session {
    pli_client::Session::login(
        &pli_client::Client::new(&proxy.base),
        &w.caseworker.email,
        PASSWORD,
        w.caseworker.session.account_key(),
        None,
        None,
    )
    .await
    .unwrap()
}

/// Where the relay says the upload of `id` stands (asked directly, not through a proxy).
async fn upload_status(w: &World, id: &ExchangeId) -> ExchangeCreated {
    w.caseworker
        .session
        .client()
        .get(&format!("/api/exchanges/{id}/upload"))
        .await
        .unwrap()
}

/// Sends `annex` and `report` through `proxy`, cut once `cut` bytes of the report were
/// read; returns every sealed plan handed out, in order (the last is the latest), and the
/// exchange, once every part the cut send had started uploading has arrived.
async fn interrupted_send(
    w: &World,
    proxy: &Proxy,
    annex: &[u8],
    report: &[u8],
    cut: usize,
) -> (Vec<Vec<u8>>, ExchangeId) {
    let session = caseworker_through(w, proxy).await;
    let plans = Mutex::new(Vec::new());
    let keep = |sealed: &[u8]| {
        plans.lock().unwrap().push(sealed.to_vec());
        pli_client::plan_kept()
    };
    let report = cut_file("rapport.pdf", report.to_vec(), cut);
    let failed = send_both(w, &session, annex, report, &keep).await;
    assert!(failed.is_err());
    let plans = plans.into_inner().unwrap();
    let id = session
        .pending_send(plans.last().unwrap())
        .unwrap()
        .exchange_id;
    // The part under way when the reading failed may still be arriving.
    proxy.settle().await;
    let status = upload_status(w, &id).await;
    assert_eq!(status.objects[1].parts_stored, 1, "{:?}", status.objects);
    assert!(status.objects[2].parts_stored >= 1, "{:?}", status.objects);
    assert!(status.objects[2].parts_stored < 3, "{:?}", status.objects);
    (plans, id)
}

/// `session`'s send of `annex` (as `annexe.pdf`) and `report` to the court, every sealed
/// plan handed to `on_plan`.
async fn send_both(
    w: &World,
    session: &pli_client::Session,
    annex: &[u8],
    report: pli_client::FileInput,
    on_plan: &pli_client::OnPlan<'_>,
) -> Result<ExchangeId, pli_client::ClientError> {
    session
        .send_resumable(
            &w.court,
            vec![file("annexe.pdf", annex.to_vec()), report],
            &options("Rapport de situation"),
            &|_| {},
            on_plan,
        )
        .await
}

/// `session`'s resume of `plan` with `annex` and `report` picked again (as `annexe.pdf`
/// and `rapport.pdf`), every sealed plan handed to `on_plan`.
async fn resume_both(
    session: &pli_client::Session,
    plan: &[u8],
    [annex, report]: [&[u8]; 2],
    on_plan: &pli_client::OnPlan<'_>,
) -> Result<ExchangeId, pli_client::ClientError> {
    session
        .resume_send(
            plan,
            vec![
                file("annexe.pdf", annex.to_vec()),
                file("rapport.pdf", report.to_vec()),
            ],
            &|_| {},
            on_plan,
        )
        .await
}

/// Every part of `id` the relay stores: its key, length and SHA-256.
async fn stored_parts(w: &World, id: &ExchangeId) -> BTreeMap<String, (usize, [u8; 32])> {
    let blobs = &w.app.state.blobs;
    let mut parts = BTreeMap::new();
    for listed in blobs.list(&BlobKey::exchange_prefix(id)).await.unwrap() {
        let mut stream = blobs.get(&listed.key, None).await.unwrap();
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.unwrap());
        }
        let digest: [u8; 32] = sha2::Sha256::digest(&bytes).into();
        parts.insert(listed.key.to_string(), (bytes.len(), digest));
    }
    parts
}

/// The proof: no (object, part) of the exchange went over the wire with two different
/// bodies — which, at one object's fixed offsets, would be two plaintexts under one key
/// and nonce.
fn assert_no_part_sent_twice_differently(proxy: &Proxy) {
    let mut bodies: BTreeMap<(u32, u32), BTreeSet<[u8; 32]>> = BTreeMap::new();
    for (idx, part, sha256) in proxy.part_uploads() {
        bodies.entry((idx, part)).or_default().insert(sha256);
    }
    assert!(!bodies.is_empty());
    let twice: Vec<(u32, u32)> = bodies
        .iter()
        .filter(|(_, seen)| seen.len() > 1)
        .map(|(at, _)| *at)
        .collect();
    assert!(
        twice.is_empty(),
        "(object, part) sent with two different ciphertexts under one key and nonce: {twice:?}"
    );
}

/// The recipient opens `id` and gets `expected`, file by file.
async fn delivered(w: &World, id: &ExchangeId, expected: &[&Vec<u8>]) {
    let received = w.greffier.session.open(id).await.unwrap();
    assert_eq!(received.manifest.subject, "Rapport de situation");
    for (index, expected) in expected.iter().enumerate() {
        let mut out = Vec::new();
        w.greffier
            .session
            .download_file(&received, index, &mut out)
            .await
            .unwrap();
        assert!(out == **expected, "file {index}");
    }
}

/// Resumes `id` from `plan` with the annex and the report as first sent: it goes through,
/// no part went out with two bodies, and the recipient decrypts both files.
async fn resumed_as_sent(
    w: &World,
    proxy: &Proxy,
    session: &pli_client::Session,
    plan: &[u8],
    id: &ExchangeId,
    [annex, report]: [&Vec<u8>; 2],
) {
    let done = resume_both(session, plan, [annex, report], &|_| pli_client::plan_kept())
        .await
        .unwrap();
    assert_eq!(done, *id);
    assert_no_part_sent_twice_differently(proxy);
    delivered(w, id, &[annex, report]).await;
}

/// A file picked again with the same name and size but other content, in a part the relay
/// already has, is refused (`file_changed`) once that part is made again, before it leaves
/// — even when the relay lies that it has nothing, to get the part again: it never
/// receives a second ciphertext for any part, and what it stores is unchanged. The right
/// file then resumes and the recipient decrypts it.
#[tokio::test]
async fn a_resume_with_other_content_is_refused_before_any_of_it_leaves() {
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let annex = data(MIB + 7, 31);
    let report = data(40 * MIB + 5, 32);
    let (plans, id) = interrupted_send(&w, &proxy, &annex, &report, CUT).await;
    let plan = plans.last().unwrap();
    let stored = stored_parts(&w, &id).await;
    let report_parts_left = upload_status(&w, &id).await.objects[2].parts_stored;
    let report_uploads = |proxy: &Proxy| {
        proxy
            .part_uploads()
            .iter()
            .filter(|(idx, ..)| *idx == 2)
            .count()
    };
    let report_uploads_before = report_uploads(&proxy);

    // Same name, same size; one byte differs, in the part the relay has.
    let mut other = report.clone();
    other[1000] ^= 1;
    let again = caseworker_through(&w, &proxy).await;
    for lie in [true, false] {
        proxy.lie_about_stored_parts(lie);
        let handed = Mutex::new(0);
        let error = resume_both(&again, plan, [&annex, &other], &|_| {
            *handed.lock().unwrap() += 1;
            pli_client::plan_kept()
        })
        .await
        .unwrap_err();
        assert_eq!(*handed.lock().unwrap(), 0, "nothing new was recorded");
        assert_no_part_sent_twice_differently(&proxy);
        assert_eq!(stored_parts(&w, &id).await, stored, "lying: {lie}");
        assert_eq!(error.code(), pli_api::ErrorCode::FileChanged, "{error}");
        assert!(
            matches!(&error, pli_client::ClientError::FileChanged(name) if name == "rapport.pdf"),
            "{error}"
        );
    }
    // Nothing of the report went out again: it was refused before its first part.
    assert_eq!(report_uploads(&proxy), report_uploads_before);

    // The right file, the relay still lying: everything goes again, byte for byte the
    // same, and the exchange is delivered.
    proxy.lie_about_stored_parts(true);
    let handed = Mutex::new(Vec::new());
    let done = again
        .resume_send(
            plan,
            vec![
                file("rapport.pdf", report.clone()),
                file("annexe.pdf", annex.clone()),
            ],
            &|_| {},
            &|sealed| {
                handed.lock().unwrap().push(sealed.to_vec());
                pli_client::plan_kept()
            },
        )
        .await
        .unwrap();
    assert_eq!(done, id);
    // Each report part that had not left, then the manifest's: recorded, and the plan
    // handed out again, before it was sent.
    assert_eq!(
        handed.into_inner().unwrap().len(),
        (3 - report_parts_left + 1) as usize
    );
    assert_no_part_sent_twice_differently(&proxy);
    delivered(&w, &id, &[&annex, &report]).await;
}

/// A file that differs only where the cut send never got to (its last part) is not a
/// reuse: nothing of that part was recorded or sent. The resume goes through and the
/// recipient decrypts the new content.
#[tokio::test]
async fn a_resume_with_other_content_only_where_nothing_was_sent_goes_through() {
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let annex = data(MIB + 7, 41);
    let report = data(40 * MIB + 5, 42);
    let (plans, id) = interrupted_send(&w, &proxy, &annex, &report, CUT).await;
    let plan = plans.last().unwrap();
    let report_parts_left = upload_status(&w, &id).await.objects[2].parts_stored;

    // Read before the cut, but in the third part, which never left.
    let mut other = report.clone();
    other[35 * MIB] ^= 1;
    // The file is read 16 MiB at a time and a part leaves once the ciphertext after it is
    // sealed: the read that failed kept the second part from leaving.
    assert_eq!(report_parts_left, 1);
    // The STREAM chunk that ends the first 16 MiB of plaintext straddles the first part,
    // which left, and the second, which did not: a byte near its end lies in the second
    // part's ciphertext. Its first bytes, in the first part, are the same as before; the
    // rest, and its tag, leave for the first time.
    other[16 * MIB - 100] ^= 1;
    let again = caseworker_through(&w, &proxy).await;
    let handed = Mutex::new(Vec::new());
    let done = resume_both(&again, plan, [&annex, &other], &|sealed| {
        handed.lock().unwrap().push(sealed.to_vec());
        pli_client::plan_kept()
    })
    .await
    .unwrap();
    assert_eq!(done, id);
    let handed = handed.into_inner().unwrap();
    assert_eq!(
        handed.len(),
        (3 - report_parts_left + 1) as usize,
        "each new part, then the manifest's, recorded before it left"
    );
    assert_eq!(again.pending_send(&handed[0]).unwrap().exchange_id, id);
    assert_no_part_sent_twice_differently(&proxy);
    delivered(&w, &id, &[&annex, &other]).await;
}

/// A resume from a plan older than what was sent (an earlier copy, the last write lost
/// in a crash) is refused (`plan_not_latest`) before anything is made again: the relay
/// holds parts that plan does not record, so it cannot say what they were made from.
#[tokio::test]
async fn a_resume_from_a_plan_older_than_the_parts_sent_is_refused() {
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let annex = data(MIB + 7, 51);
    let report = data(40 * MIB + 5, 52);
    let (plans, id) = interrupted_send(&w, &proxy, &annex, &report, CUT).await;
    // The first plan, handed out before any part: it records none.
    let first = plans.first().unwrap();
    let before = proxy.part_uploads().len();
    let again = caseworker_through(&w, &proxy).await;
    let handed = Mutex::new(0);
    let error = resume_both(&again, first, [&annex, &report], &|_| {
        *handed.lock().unwrap() += 1;
        pli_client::plan_kept()
    })
    .await
    .unwrap_err();
    assert_eq!(error.code(), pli_api::ErrorCode::PlanNotLatest, "{error}");
    assert_eq!(*handed.lock().unwrap(), 0);
    assert_eq!(proxy.part_uploads().len(), before, "nothing left");
    // The latest plan resumes it.
    resumed_as_sent(
        &w,
        &proxy,
        &again,
        plans.last().unwrap(),
        &id,
        [&annex, &report],
    )
    .await;
}

/// No part leaves before the plan recording its hash is kept: every plan the send hands
/// out is kept only after a pause, and meanwhile the parts that have left are never more
/// than the plans kept can record (each plan after the first records one part more).
#[tokio::test]
async fn no_part_leaves_before_the_plan_recording_it_is_kept() {
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let annex = data(MIB + 7, 71);
    let report = data(40 * MIB + 5, 72);
    let session = caseworker_through(&w, &proxy).await;
    let (handed, mut to_keep) = tokio::sync::mpsc::unbounded_channel();
    let keep = |_: &[u8]| -> pli_client::PlanKept {
        let (kept, keeping) = tokio::sync::oneshot::channel::<()>();
        handed.send(kept).unwrap();
        Box::pin(async move {
            let _ = keeping.await;
        })
    };
    let send = send_both(
        &w,
        &session,
        &annex,
        file("rapport.pdf", report.clone()),
        &keep,
    );
    let mut kept = 0;
    let keeper = async {
        while let Some(plan) = to_keep.recv().await {
            // Long enough for a part let go too early to reach the relay.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            let left = proxy.part_uploads().len();
            assert!(
                left < kept.max(1),
                "{left} parts left with {kept} plans kept"
            );
            plan.send(()).unwrap();
            kept += 1;
        }
    };
    let id = tokio::select! {
        id = send => id.unwrap(),
        () = keeper => unreachable!("the send keeps its plans' channel"),
    };
    // The manifest, the annex and the report's three parts: one plan each, after the first.
    assert_eq!(proxy.part_uploads().len(), 5);
    assert_eq!(kept, 6);
    delivered(&w, &id, &[&annex, &report]).await;
}

/// A part whose bytes left the client but never reached the relay's storage (held on the
/// way, then the send cut off, as a closed tab cuts it) counts as sent: a resume with
/// other content there is refused (`file_changed`) although the relay says it lacks that
/// part, and nothing leaves; the same content resumes and is delivered. The annex is
/// empty: an object of one part, its header and an empty last chunk.
#[tokio::test]
async fn a_part_that_left_but_was_never_stored_counts_as_sent() {
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let annex = Vec::new();
    let report = data(40 * MIB + 5, 61);
    let session = caseworker_through(&w, &proxy).await;
    let hold = proxy.hold_next_part(2, 1);
    let plans = Mutex::new(Vec::new());
    let keep = |sealed: &[u8]| {
        plans.lock().unwrap().push(sealed.to_vec());
        pli_client::plan_kept()
    };
    let send = send_both(
        &w,
        &session,
        &annex,
        file("rapport.pdf", report.clone()),
        &keep,
    );
    tokio::select! {
        result = send => panic!("the send ended with its second part held: {result:?}"),
        () = hold.arrived() => {}
    }
    let plans = plans.into_inner().unwrap();
    let plan = plans.last().unwrap();
    let id = session.pending_send(plan).unwrap().exchange_id;
    // The relay holds the annex and the report's first part, never its second.
    let mut waited = 0;
    let status = loop {
        let status = upload_status(&w, &id).await;
        if status.objects[1].parts_stored == 1 && status.objects[2].parts_stored >= 1 {
            break status;
        }
        waited += 1;
        assert!(waited < 400, "{:?}", status.objects);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(status.objects[2].parts_stored, 1, "{:?}", status.objects);
    let stored = stored_parts(&w, &id).await;

    // Other content in the report's second part (plaintext 16 to 32 MiB is ciphertext
    // part 1, the header and tags shifting it by some kilobytes).
    let mut other = report.clone();
    other[20 * MIB] ^= 1;
    let again = caseworker_through(&w, &proxy).await;
    let before = proxy.part_uploads().len();
    let error = resume_both(&again, plan, [&annex, &other], &|_| pli_client::plan_kept())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, pli_client::ClientError::FileChanged(name) if name == "rapport.pdf"),
        "{error}"
    );
    assert_eq!(proxy.part_uploads().len(), before, "nothing left");
    assert_eq!(stored_parts(&w, &id).await, stored);

    // The same content resumes: the second part leaves (again, for the client) and the
    // exchange is delivered, the empty annex with it.
    resumed_as_sent(&w, &proxy, &again, plan, &id, [&annex, &report]).await;
}

/// The answer to a send's last step (the completion) is lost on the way back: the relay
/// delivered the exchange, the client could not know. It sends the completion again,
/// the relay answers as it answered the first (the same envelope), and the send succeeds:
/// delivered once, with the files the recipient decrypts.
#[tokio::test]
async fn a_completion_whose_answer_is_lost_is_sent_again_and_the_send_succeeds() {
    let w = world(Backend::Sqlite).await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let report = data(MIB + 3, 43);
    let session = caseworker_through(&w, &proxy).await;
    proxy.lose_next_answer("POST", "/complete");
    let id = session
        .send(
            &w.court,
            vec![file("rapport.pdf", report.clone())],
            &options("Rapport de situation"),
        )
        .await
        .unwrap();
    let completions: Vec<u16> = proxy
        .seen()
        .iter()
        .filter(|s| s.method == "POST" && s.path == format!("/api/exchanges/{id}/complete"))
        .map(|s| s.status)
        .collect();
    assert_eq!(completions, [200, 200], "the completion, then its retry");
    let outbox = w.caseworker.session.outbox().await.unwrap();
    assert_eq!(outbox.exchanges.len(), 1, "{:?}", outbox.exchanges);
    delivered(&w, &id, &[&report]).await;
}

/// A completion whose client is gone while the relay carries it out (the tab closed, the
/// network lost just then) is carried out all the same: the exchange is delivered once and
/// its recipients are e-mailed. Hyper drops a request's handler when it sees its client's
/// connection close; before the relay ran changes in a task of their own, a completion
/// dropped after its commit left a delivered exchange that no one was told of (the
/// client's retry gets the first answer and mails no one).
#[tokio::test]
async fn a_completion_whose_client_leaves_midway_is_delivered_and_announced() {
    client_leaves_a_completion_midway(false).await;
}

/// The same, with the relay stopped (to restart) while that completion waits: a graceful
/// stop waits for the changes under way, also those whose client left.
#[tokio::test]
async fn a_relay_stopping_finishes_a_completion_whose_client_left() {
    client_leaves_a_completion_midway(true).await;
}

/// The test holds the database's write lock, so that the relay is inside the completion
/// when the client goes; then releases it, after a second during which the relay is
/// asked to stop if `stop`.
async fn client_leaves_a_completion_midway(stop: bool) {
    use sqlx::Connection as _;
    let (port, mails) = super::harness::smtp_sink().await;
    let mut w = super::harness::world_on(
        super::harness::spawn_app_with(Backend::Sqlite, |config| {
            config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        })
        .await,
    )
    .await;
    let proxy = Proxy::start(&w.app.base).await.unwrap();
    let session = caseworker_through(&w, &proxy).await;
    let held = proxy.hold_next_ending(axum::http::Method::POST, "/complete");
    let report = options("Rapport de situation");
    let send = session.send(
        &w.court,
        vec![file("rapport.pdf", data(MIB + 5, 44))],
        &report,
    );
    let relay_inside = async {
        held.arrived().await;
        let mut writer = sqlx::SqliteConnection::connect(&w.app.database_url)
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut writer)
            .await
            .unwrap();
        held.release();
        // The relay checks the envelope, then waits for the write lock (its busy timeout
        // is 10 s).
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        writer
    };
    let mut writer = tokio::select! {
        sent = send => panic!("the send ended while the relay could not write: {sent:?}"),
        writer = relay_inside => writer,
    };
    // The send is dropped: its client leaves, and the proxy's connection to the relay
    // closes.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let released = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(if stop {
            1000
        } else {
            0
        }))
        .await;
        sqlx::query("ROLLBACK").execute(&mut writer).await.unwrap();
    });
    if stop {
        w.app.server.restart(|_| {}).await.unwrap();
    }
    released.await.unwrap();
    let mut waited = 0;
    let delivered = loop {
        // Right after a restart, a pooled connection to the stopped relay may fail once.
        if let Ok(outbox) = w.caseworker.session.outbox().await
            && let Some(sent) = outbox.exchanges.iter().find(|e| e.delivered_at.is_some())
        {
            break sent.exchange_id;
        }
        waited += 1;
        assert!(waited < 150, "the exchange was never delivered");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    super::harness::wait_until("the greffier is e-mailed", || {
        mails
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.contains(&w.greffier.email) && m.contains("Nouveau pli"))
    })
    .await;
    let received = super::harness::settle(|| w.greffier.session.open(&delivered)).await;
    assert_eq!(received.manifest.subject, "Rapport de situation");
    assert_eq!(
        w.caseworker.session.outbox().await.unwrap().exchanges.len(),
        1
    );
}
