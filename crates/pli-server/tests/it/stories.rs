//! Stories: what a court and a Département do with Pli, through the real HTTP API.

use super::harness::{
    Backend, CutOff, RawAnswer, World, bare_exchange, blobs_under, data, file, first_file, options,
    raw_answer, raw_part, wait_until, world,
};

/// A caseworker sends a report of several files; the court receives it, verifies who sent
/// it and every hash, decrypts the files byte for byte, and acknowledges; the caseworker
/// sees the signed receipt.
async fn send_receive_acknowledge(backend: Backend) {
    let mut w = world(backend).await;
    let report = data(3 * 1024 * 1024 + 17, 1);
    let annex = data(1, 2);
    let id = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![
                file("signalement.pdf", report.clone()),
                file("annexe.pdf", annex.clone()),
            ],
            &options("Signalement Enfant D."),
        )
        .await
        .unwrap();

    let inbox = w.greffier.session.inbox().await.unwrap();
    assert_eq!(inbox.exchanges.len(), 1);
    assert_eq!(inbox.exchanges[0].exchange_id, id);
    assert!(inbox.exchanges[0].urgent);
    assert_eq!(inbox.exchanges[0].first_read_at, None);

    let received = w.greffier.session.open(&id).await.unwrap();
    assert_eq!(
        received.exchange.sender.display_name,
        "Travailleuse sociale Durand"
    );
    assert_eq!(received.exchange.sender.org_id, w.dept);
    assert_eq!(received.manifest.subject, "Signalement Enfant D.");
    assert_eq!(received.manifest.files[0].name, "signalement.pdf");
    let out = first_file(&w.greffier.session, &received).await;
    assert!(out == report, "the report came back altered");
    let mut out = Vec::new();
    w.greffier
        .session
        .download_file(&received, 1, &mut out)
        .await
        .unwrap();
    assert_eq!(out, annex);
    w.greffier.session.acknowledge(&received).await.unwrap();

    // The sender's organisation sees the receipt, verified to the root, and can re-read.
    let sent = w.caseworker.session.open(&id).await.unwrap();
    assert_eq!(sent.receipts.len(), 1);
    assert_eq!(sent.receipts[0].reader.display_name, "Greffier Martin");
    assert!(
        w.caseworker
            .session
            .inbox()
            .await
            .unwrap()
            .exchanges
            .is_empty()
    );
    let outbox = w.caseworker.session.outbox().await.unwrap();
    assert!(outbox.exchanges[0].first_read_at.is_some());
    let _ = &mut w;
}

#[tokio::test]
async fn send_receive_acknowledge_on_sqlite() {
    send_receive_acknowledge(Backend::Sqlite).await;
}

#[tokio::test]
async fn send_receive_acknowledge_on_postgres() {
    send_receive_acknowledge(Backend::Postgres).await;
}

/// The network cuts in the middle of an upload: the client asks which parts are stored
/// and resends only the rest; a part sent twice is accepted once.
#[tokio::test]
async fn an_interrupted_upload_resumes_where_it_stopped() {
    use pli_api::messages::{CreateExchange, ExchangeCreated};
    let w = world(Backend::Sqlite).await;
    let session = &w.caseworker.session;
    let object = data(40 * 1024 * 1024 + 3, 9); // three parts
    let request = CreateExchange {
        recipient_org_id: w.court,
        recipient_generation: 1,
        sender_generation: None,
        urgent: false,
        sizes: vec![100, object.len() as u64],
        in_reply_to: None,
    };
    let created: ExchangeCreated = pli_client::Client::send(
        session
            .client()
            .request(reqwest::Method::POST, "/api/exchanges")
            .header("idempotency-key", "resume-1")
            .json(&request),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let part = created.part_size as usize;
    session
        .put_part(&created.exchange_id, 1, 0, &object[..part])
        .await
        .unwrap();
    // The connection drops: the client asks where it stands.
    let status: ExchangeCreated = session
        .client()
        .get(&format!("/api/exchanges/{}/upload", created.exchange_id))
        .await
        .unwrap();
    assert_eq!(status.objects[1].parts_stored, 1);
    assert_eq!(status.objects[1].part_count, 3);
    // The acknowledgement of part 0 was lost: sending it again is harmless.
    session
        .put_part(&created.exchange_id, 1, 0, &object[..part])
        .await
        .unwrap();
    // Skipping ahead is refused; a different part 0 is refused.
    let skipped = session
        .put_part(&created.exchange_id, 1, 2, &object[2 * part..])
        .await
        .unwrap_err();
    assert_eq!(skipped.code(), pli_api::ErrorCode::PartOutOfOrder);
    let changed = session
        .put_part(&created.exchange_id, 1, 0, &data(part, 1))
        .await
        .unwrap_err();
    assert_eq!(changed.code(), pli_api::ErrorCode::Conflict);
    session
        .put_part(&created.exchange_id, 1, 1, &object[part..2 * part])
        .await
        .unwrap();
    session
        .put_part(&created.exchange_id, 1, 2, &object[2 * part..])
        .await
        .unwrap();
    let status: ExchangeCreated = session
        .client()
        .get(&format!("/api/exchanges/{}/upload", created.exchange_id))
        .await
        .unwrap();
    assert_eq!(status.objects[1].parts_stored, 3);

    // The same Idempotency-Key gives the same exchange; another request under it, 422.
    let again: ExchangeCreated = pli_client::Client::send(
        session
            .client()
            .request(reqwest::Method::POST, "/api/exchanges")
            .header("idempotency-key", "resume-1")
            .json(&request),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(again.exchange_id, created.exchange_id);
    let different = CreateExchange {
        urgent: true,
        ..request
    };
    let error = pli_client::Client::send(
        session
            .client()
            .request(reqwest::Method::POST, "/api/exchanges")
            .header("idempotency-key", "resume-1")
            .json(&different),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (error.status(), error.code()),
        (Some(422), pli_api::ErrorCode::IdempotencyMismatch)
    );
}

/// A send cut off midway (the page reloaded) is finished by a new session from the sealed
/// plan and the same files picked again: only the missing parts go up, the recipient
/// gets exactly what was sent.
#[tokio::test]
async fn a_send_cut_off_midway_is_resumed_from_its_sealed_plan() {
    let w = world(Backend::Sqlite).await;
    let small = data(3 * 1024 * 1024, 21);
    let big = data(40 * 1024 * 1024 + 5, 22); // three parts
    let cut = pli_client::FileInput {
        name: "rapport.pdf".into(),
        media_type: "application/pdf".into(),
        size: big.len() as u64,
        reader: Box::new(CutOff {
            bytes: big.clone(),
            at: 0,
            limit: 36 * 1024 * 1024,
        }),
    };
    let plan = std::sync::Mutex::new(Vec::new());
    let failed = w
        .caseworker
        .session
        .send_resumable(
            &w.court,
            vec![file("annexe.pdf", small.clone()), cut],
            &options("Rapport de situation"),
            &|_| {},
            &|sealed| {
                *plan.lock().unwrap() = sealed.to_vec();
                pli_client::plan_kept()
            },
        )
        .await;
    assert!(failed.is_err());
    let plan = plan.into_inner().unwrap();
    assert!(!plan.is_empty());
    // The sealed plan hides its subject and names from everyone, the relay included.
    assert!(!plan.windows(8).any(|w| w == b"Rapport "));

    // A new session (the page reloaded, the person logged in again).
    let again = pli_client::Session::login(
        &pli_client::Client::new(&w.app.base),
        &w.caseworker.email,
        super::harness::PASSWORD,
        w.caseworker.session.account_key(),
        None,
        None,
    )
    .await
    .unwrap();
    let pending = again.pending_send(&plan).unwrap();
    assert_eq!(pending.subject, "Rapport de situation");
    assert_eq!(pending.recipient_org_id, w.court);
    let names: Vec<&str> = pending.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["annexe.pdf", "rapport.pdf"]);
    let status: pli_api::messages::ExchangeCreated = again
        .client()
        .get(&format!("/api/exchanges/{}/upload", pending.exchange_id))
        .await
        .unwrap();
    assert!(status.objects[2].parts_stored >= 1, "{:?}", status.objects);
    assert!(status.objects[2].parts_stored < 3, "{:?}", status.objects);

    // Someone else cannot read it; a damaged plan is refused; missing files are named.
    assert!(w.greffier.session.pending_send(&plan).is_err());
    let mut damaged = plan.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    assert!(again.pending_send(&damaged).is_err());
    let missing = again
        .resume_send(
            &plan,
            vec![file("annexe.pdf", small.clone())],
            &|_| {},
            &|_| pli_client::plan_kept(),
        )
        .await
        .unwrap_err();
    assert_eq!(missing.code(), pli_api::ErrorCode::ResumeFiles);

    // The same files, in another order: finished.
    let id = again
        .resume_send(
            &plan,
            vec![
                file("rapport.pdf", big.clone()),
                file("annexe.pdf", small.clone()),
            ],
            &|_| {},
            &|_| pli_client::plan_kept(),
        )
        .await
        .unwrap();
    assert_eq!(id, pending.exchange_id);
    let received = w.greffier.session.open(&id).await.unwrap();
    assert_eq!(received.manifest.subject, "Rapport de situation");
    for (index, expected) in [(0, &small), (1, &big)] {
        let mut out = Vec::new();
        w.greffier
            .session
            .download_file(&received, index, &mut out)
            .await
            .unwrap();
        assert!(out == *expected, "file {index}");
    }
}

/// Parts that lie about their size or content are refused and nothing is stored.
#[tokio::test]
async fn lying_parts_are_refused_and_nothing_is_stored() {
    use pli_api::messages::{CreateExchange, ExchangeCreated};
    let w = world(Backend::Sqlite).await;
    let session = &w.caseworker.session;
    // A manifest larger than anyone reads is refused before anything is stored.
    let huge = CreateExchange {
        recipient_org_id: w.court,
        recipient_generation: 1,
        sender_generation: None,
        urgent: false,
        sizes: vec![pli_crypto::manifest::MAX_SEALED_LEN + 1, 1000],
        in_reply_to: None,
    };
    let refused = session
        .client()
        .post::<_, ExchangeCreated>("/api/exchanges", &huge)
        .await
        .unwrap_err();
    assert_eq!(
        (refused.status(), refused.code()),
        (Some(413), pli_api::ErrorCode::ExchangeTooLarge),
        "{refused:?}"
    );
    let request = CreateExchange {
        sizes: vec![100, 1000],
        ..huge
    };
    let created: ExchangeCreated = session
        .client()
        .post("/api/exchanges", &request)
        .await
        .unwrap();
    let path = format!("/api/exchanges/{}/objects/1/parts/0", created.exchange_id);
    let put = |body: Vec<u8>, digest_of: Vec<u8>| {
        use base64::Engine as _;
        use sha2::Digest as _;
        let digest = format!(
            "sha-256=:{}:",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&digest_of))
        );
        session
            .client()
            .request(reqwest::Method::PUT, &path)
            .header("content-digest", digest)
            .body(body)
    };
    let good = data(1000, 3);
    for (request, status, code) in [
        (
            put(data(1001, 3), data(1001, 3)),
            413,
            pli_api::ErrorCode::PartTooLarge,
        ),
        (
            put(data(999, 3), data(999, 3)),
            400,
            pli_api::ErrorCode::PartIncomplete,
        ),
        (
            put(good.clone(), data(1000, 4)),
            400,
            pli_api::ErrorCode::PartHashMismatch,
        ),
        (
            session
                .client()
                .request(reqwest::Method::PUT, &path)
                .body(good.clone()),
            400,
            pli_api::ErrorCode::MissingDigest,
        ),
    ] {
        let error = pli_client::Client::send(request).await.unwrap_err();
        assert_eq!((error.status(), error.code()), (Some(status), code));
    }
    // A body longer than its Content-Length promises cannot be sent by reqwest; a body
    // streamed without a length that overruns is cut off while streaming.
    let overrun = futures_util::stream::iter(
        (0..100).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![0u8; 1000]))),
    );
    let error = pli_client::Client::send(
        put(Vec::new(), good.clone()).body(reqwest::Body::wrap_stream(overrun)),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code(), pli_api::ErrorCode::PartTooLarge);
    let status: ExchangeCreated = session
        .client()
        .get(&format!("/api/exchanges/{}/upload", created.exchange_id))
        .await
        .unwrap();
    assert_eq!(status.objects[1].parts_stored, 0);
    let stored = blobs_under(&w, &format!("x/{}/1/", created.exchange_id)).await;
    assert!(stored.is_empty(), "{stored:?}");
    pli_client::Client::send(put(good.clone(), good))
        .await
        .unwrap();
}

/// A part still arriving when its send is cancelled is not kept: the relay answers that
/// the exchange is not being uploaded any more and erases the part's bytes, so that the
/// cancelled send leaves nothing on the relay. (Recorded as it was before, such a part
/// stayed until the orphan sweep: the browser's cancelled send of 300 MB once left one.)
async fn a_part_arriving_while_its_send_is_cancelled_is_not_kept(backend: Backend) {
    let w = world(backend).await;
    // The part's first half now, the rest once the send is cancelled.
    let (id, part, mut arriving) = part_being_stored(&w, 5).await;
    w.caseworker
        .session
        .client()
        .act(&pli_api::endpoints::CancelExchange { id })
        .await
        .unwrap();
    let answer = rest_of_part(&mut arriving, &part).await;
    assert_eq!(answer.status, 409, "the part was kept: {answer:?}");
    assert_eq!(answer.code(), "wrong_state");
    assert!(blobs_under(&w, &format!("x/{id}/")).await.is_empty());
    // Nor the folders its bytes went into (the local store's `blobs/` in the relay's).
    let parts = w.app.data.path().join("blobs/blobs/x");
    let folder = parts.join(id.to_string());
    assert!(parts.is_dir(), "{} is not a folder", parts.display());
    assert!(!folder.exists(), "{} is left", folder.display());
    assert!(
        w.app
            .state
            .store
            .part_sha256(&id, 1, 0)
            .await
            .unwrap()
            .is_none()
    );
}

/// A part whose record comes while its send's cancel is under way (PostgreSQL: the
/// cancel's transaction holds the exchange's row, and the part's record waits for it,
/// then reads the row as the cancel left it). Rolled back, the cancel leaves the part
/// recorded; committed, the part is refused and its bytes erased, as when the cancel came
/// first.
async fn a_part_recorded_while_its_cancel_holds_the_exchange(w: &World, cancelled: bool) {
    let (id, part, mut arriving) = part_being_stored(w, if cancelled { 8 } else { 9 }).await;
    let mut cancel = w.app.state.store.begin().await.unwrap();
    let marked = cancel
        .mark_purged(
            &id,
            pli_server::store::exchanges::ExchangeState::Uploading,
            1,
        )
        .await
        .unwrap();
    assert!(marked.is_some());
    let answer = tokio::spawn(async move { rest_of_part(&mut arriving, &part).await });
    // The part's record now waits for the row the cancel holds.
    let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(
            !answer.is_finished(),
            "the part was answered without waiting"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "no record waits for the row"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    if cancelled {
        cancel.commit().await.unwrap();
    } else {
        drop(cancel); // Rolled back: its connection is closed, not reused.
    }
    let answer = answer.await.unwrap();
    let recorded = w.app.state.store.part_sha256(&id, 1, 0).await.unwrap();
    let stored = blobs_under(w, &format!("x/{id}/")).await;
    if cancelled {
        assert_eq!(answer.status, 409, "the part was kept: {answer:?}");
        assert_eq!(answer.code(), "wrong_state");
        assert!(recorded.is_none());
        assert!(stored.is_empty(), "{stored:?}");
    } else {
        assert_eq!(answer.status, 200, "{answer:?}");
        assert!(recorded.is_some());
        assert_eq!(stored.len(), 1, "{stored:?}");
    }
}

#[tokio::test]
async fn a_part_recorded_while_its_cancel_holds_the_exchange_waits_for_it_on_postgres() {
    let w = world(Backend::Postgres).await;
    a_part_recorded_while_its_cancel_holds_the_exchange(&w, false).await;
    a_part_recorded_while_its_cancel_holds_the_exchange(&w, true).await;
}

/// The same part sent twice, its first upload still arriving when the second was recorded
/// and the exchange delivered (a proxy gave up waiting for the first, and the client sent
/// it again): when the first one ends, the part the delivered exchange holds stays. Both
/// uploads write the same blob, named by its content: erasing what a late request wrote
/// must not erase the part the signed envelope binds.
async fn a_part_sent_twice_stays_when_its_first_upload_ends_after_delivery(backend: Backend) {
    let w = world(backend).await;
    let (id, part, mut first) = part_being_stored(&w, 6).await;
    let session = &w.caseworker.session;
    let mut second = raw_part(&w.app.base, session, &id, 1, &part, part.len()).await;
    let answer = raw_answer(&mut second).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    // Delivered, as its completion makes it (the envelope is not what this is about).
    let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
    sqlx::query("UPDATE exchanges SET state = 'delivered' WHERE id = $1")
        .bind(id.to_string())
        .execute(&pool)
        .await
        .unwrap();
    let answer = rest_of_part(&mut first, &part).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(blobs_under(&w, &format!("x/{id}/1/")).await.len(), 1);
    assert!(
        w.app
            .state
            .store
            .part_sha256(&id, 1, 0)
            .await
            .unwrap()
            .is_some()
    );
}

/// A new exchange of the caseworker's whose first file's only part (1000 bytes, from
/// `seed`) is half sent, once the relay has checked it and is storing its body (it holds
/// an upload slot): the exchange, the part, and the connection the rest goes on.
async fn part_being_stored(
    w: &World,
    seed: u8,
) -> (pli_api::ExchangeId, Vec<u8>, tokio::net::TcpStream) {
    let session = &w.caseworker.session;
    let id = bare_exchange(session, w.court, vec![100, 1000]).await;
    let part = data(1000, seed);
    let stream = raw_part(&w.app.base, session, &id, 1, &part, part.len() / 2).await;
    wait_until("the part is being stored", || {
        w.app.state.uploads.in_use() == 1
    })
    .await;
    (id, part, stream)
}

/// Sends the rest of a part [`part_being_stored`] half sent, and reads the answer.
async fn rest_of_part(stream: &mut tokio::net::TcpStream, part: &[u8]) -> RawAnswer {
    tokio::io::AsyncWriteExt::write_all(stream, &part[part.len() / 2..])
        .await
        .unwrap();
    raw_answer(stream).await
}

#[tokio::test]
async fn a_part_sent_twice_stays_when_its_first_upload_ends_after_delivery_on_sqlite() {
    a_part_sent_twice_stays_when_its_first_upload_ends_after_delivery(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_part_sent_twice_stays_when_its_first_upload_ends_after_delivery_on_postgres() {
    a_part_sent_twice_stays_when_its_first_upload_ends_after_delivery(Backend::Postgres).await;
}

#[tokio::test]
async fn a_part_arriving_while_its_send_is_cancelled_is_not_kept_on_sqlite() {
    a_part_arriving_while_its_send_is_cancelled_is_not_kept(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_part_arriving_while_its_send_is_cancelled_is_not_kept_on_postgres() {
    a_part_arriving_while_its_send_is_cancelled_is_not_kept(Backend::Postgres).await;
}

/// An organisation rotates its key while a sender is uploading to the old one: the upload
/// completes while the old generation is valid; once suspended, uploads to it are refused
/// and the sender must encrypt to the new key. Old exchanges stay readable.
#[tokio::test]
async fn key_rotation_during_an_upload() {
    let mut w = world(Backend::Sqlite).await;
    let before = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("a.pdf", data(10, 1))],
            &options("Avant rotation"),
        )
        .await
        .unwrap();

    // An upload to generation 1 is in flight when the court rotates to generation 2.
    use pli_api::messages::{CreateExchange, ExchangeCreated};
    let request = CreateExchange {
        recipient_org_id: w.court,
        recipient_generation: 1,
        sender_generation: None,
        urgent: false,
        sizes: vec![100, 1000],
        in_reply_to: None,
    };
    let in_flight: ExchangeCreated = w
        .caseworker
        .session
        .client()
        .post("/api/exchanges", &request)
        .await
        .unwrap();
    assert_eq!(w.court_admin.session.rotate_org_key().await.unwrap(), 2);
    w.caseworker
        .session
        .put_part(&in_flight.exchange_id, 1, 0, &data(1000, 5))
        .await
        .unwrap();

    // A new exchange must target generation 2: the client refreshes and uses it.
    let stale = w
        .caseworker
        .session
        .client()
        .post::<_, ExchangeCreated>("/api/exchanges", &request)
        .await
        .unwrap_err();
    assert_eq!(stale.code(), pli_api::ErrorCode::StaleKeyGeneration);
    let after = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("b.pdf", data(20, 2))],
            &options("Après rotation"),
        )
        .await
        .unwrap();

    // The court suspends generation 1 (suspected compromise): the upload in flight stops.
    w.court_admin
        .session
        .suspend_key(&w.court, 1)
        .await
        .unwrap();
    let refused = w
        .caseworker
        .session
        .put_part(&in_flight.exchange_id, 0, 0, &data(100, 6))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), pli_api::ErrorCode::KeyGenerationSuspended);

    // The greffier holds both generations: old and new exchanges open.
    w.greffier.session.refresh_keys().await.unwrap();
    assert_eq!(
        w.greffier
            .session
            .org_keys
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    for id in [before, after] {
        let received = w.greffier.session.open(&id).await.unwrap();
        first_file(&w.greffier.session, &received).await;
    }
    // A relay serving generation 1 again would be refused: the client saw generation 2.
    assert_eq!(
        w.caseworker
            .session
            .recipient_key(&w.court)
            .await
            .unwrap()
            .key
            .generation,
        2
    );
}

/// A member is removed while downloading: their next request is refused at once, their
/// grants are gone, and the admin is told to rotate.
#[tokio::test]
async fn a_member_removed_mid_download_is_stopped_at_once() {
    let w = world(Backend::Sqlite).await;
    let id = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("r.pdf", data(40 * 1024 * 1024, 4))],
            &options("Rapport"),
        )
        .await
        .unwrap();
    let received = w.greffier.session.open(&id).await.unwrap();
    let removed = w
        .court_admin
        .session
        .remove_member(&w.court, &w.greffier.session.me.user_id)
        .await
        .unwrap();
    assert!(
        removed.sessions_ended >= 1 && removed.grants_deleted == 1 && removed.rotation_recommended
    );
    let mut out = Vec::new();
    let error = w
        .greffier
        .session
        .download_file(&received, 0, &mut out)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(401));
    let login = pli_client::Session::login(
        &w.app.client,
        "greffier@tj-meaux.test",
        super::harness::PASSWORD,
        w.greffier.session.account_key(),
        None,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(login.code(), pli_api::ErrorCode::InvalidCredentials);
}

/// A member forgets their password: the admin issues a new account set-up, certifies the
/// new keys and grants the organisation keys again; the member reads old exchanges, and
/// those who receive what the new keys sign are told the keys were renewed.
#[tokio::test]
async fn a_member_who_lost_their_password_reads_old_exchanges_again() {
    let w = world(Backend::Sqlite).await;
    let report = data(5000, 8);
    let id = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("r.pdf", report.clone())],
            &options("Ancien"),
        )
        .await
        .unwrap();
    // What the greffier's old device verified of the directory's log.
    w.greffier.session.sync_log().await.unwrap();
    let remembered = w.greffier.session.known_log().unwrap();
    assert!(remembered.confirmed > 0);
    let reset = w
        .court_admin
        .session
        .reset_member(&w.court, &w.greffier.session.me.user_id, false)
        .await
        .unwrap();
    let link = pli_client::protocol::OneTimeLink::parse(&reset.link).unwrap();
    let mut greffier = pli_client::Session::accept_invitation(
        &w.app.client,
        &link.token,
        "un tout nouveau mot de passe",
        super::harness::test_kdf(),
        link.root.as_ref().unwrap(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(greffier.me.status, pli_api::AccountStatus::Pending);
    // The old session is gone; the old password no longer works.
    assert_eq!(
        w.greffier.session.inbox().await.unwrap_err().status(),
        Some(401)
    );
    w.court_admin
        .session
        .certify(&w.court, &greffier.me.user_id)
        .await
        .unwrap();
    greffier.refresh_keys().await.unwrap();
    let received = greffier.open(&id).await.unwrap();
    let mut out = Vec::new();
    greffier
        .download_file(&received, 0, &mut out)
        .await
        .unwrap();
    assert_eq!(out, report);
    // Their correspondents see that the keys changed: what the new keys sign says so (a
    // session that verified the log before the reset verifies it again to know them);
    // what someone with their first keys sent does not.
    assert_eq!(greffier.sender_keys_renewed(&received).await.unwrap(), None);
    let reply = greffier
        .send(
            &w.dept,
            vec![file("reponse.pdf", data(300, 9))],
            &options("Réponse"),
        )
        .await
        .unwrap();
    let answered = w.caseworker.session.open(&reply).await.unwrap();
    let renewed = w
        .caseworker
        .session
        .sender_keys_renewed(&answered)
        .await
        .unwrap();
    assert_eq!(renewed, Some(answered.exchange.sender.issued_at));
    // That device still logs them in with their new keys: the checkpoint their old key
    // signed is not asked of the relay any more (it could not serve it: it no longer
    // verifies), while the log it remembers still may not shrink.
    pli_client::Session::login(
        &w.app.client.with_known_log(remembered),
        &w.greffier.email,
        "un tout nouveau mot de passe",
        greffier.account_key(),
        None,
        None,
    )
    .await
    .unwrap();
}

/// Exchanges expire: the ciphertext is purged with its blobs, the envelope stays, and a
/// download says the exchange expired. Abandoned uploads are purged too.
#[tokio::test]
async fn expired_exchanges_and_abandoned_uploads_are_purged() {
    let w = world(Backend::Sqlite).await;
    let id = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("r.pdf", data(100, 8))],
            &options("Bientôt expiré"),
        )
        .await
        .unwrap();
    let received = w.greffier.session.open(&id).await.unwrap();
    // Jump past expiry by rewriting the row's expiry through SQL (the clock is real).
    let pool = sqlx::AnyPool::connect(&w.app.database_url).await.unwrap();
    sqlx::query("UPDATE exchanges SET expires_at = 1 WHERE id = $1")
        .bind(id.to_string())
        .execute(&pool)
        .await
        .unwrap();
    let report = pli_server::maintenance::run_once(&w.app.state)
        .await
        .unwrap();
    assert_eq!(report.purged, 1);
    let mut out = Vec::new();
    let error = w
        .greffier
        .session
        .download_file(&received, 0, &mut out)
        .await
        .unwrap_err();
    assert_eq!(
        (error.status(), error.code()),
        (Some(410), pli_api::ErrorCode::Expired)
    );
    assert!(
        w.app
            .state
            .blobs
            .list(&pli_server::blob::BlobKey::exchange_prefix(&id))
            .await
            .unwrap()
            .is_empty()
    );
    // The audit chain recorded it and still verifies.
    let verdict: serde_json::Value = w
        .court_admin
        .session
        .client()
        .get(&format!("/api/orgs/{}/audit/verify", w.court))
        .await
        .unwrap();
    assert_eq!(verdict["valid"], true);
}

/// An organisation's storage quota is checked when an exchange is created.
#[tokio::test]
async fn the_storage_quota_is_enforced_per_organisation() {
    use super::harness::{spawn_app_with, world_on};
    // Each object carries two post-quantum stanzas (about 3.1 KB of header): the first
    // exchange (a manifest and 1 KB) takes about 8 KB, the second would take 12 more.
    let app = spawn_app_with(Backend::Sqlite, |c| c.limits.org_quota_bytes = 12_000).await;
    let w = world_on(app).await;
    w.caseworker
        .session
        .send(
            &w.court,
            vec![file("a.pdf", data(1_000, 1))],
            &options("Un"),
        )
        .await
        .unwrap();
    let error = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("b.pdf", data(5_000, 2))],
            &options("Deux"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (error.status(), error.code()),
        (Some(413), pli_api::ErrorCode::QuotaExceeded)
    );
    // The court's own quota is untouched by what it receives.
    w.greffier
        .session
        .send(
            &w.dept,
            vec![file("c.pdf", data(1_000, 3))],
            &options("Retour"),
        )
        .await
        .unwrap();
}

/// A second admin, certified by the platform (which holds no organisation key), gets the
/// keys from the first admin's browser, then reads what the court received and can rotate.
#[tokio::test]
async fn a_second_admin_receives_the_keys_from_the_first() {
    let w = world(Backend::Sqlite).await;
    let id = w
        .caseworker
        .session
        .send(&w.court, vec![file("a.pdf", data(10, 1))], &options("S"))
        .await
        .unwrap();
    let mut second = w
        .app
        .invite_and_accept(
            &w.platform,
            &w.court,
            "second@tj-meaux.test",
            "Second admin",
            pli_api::Role::OrgAdmin,
        )
        .await;
    w.platform
        .session
        .certify(&w.court, &second.session.me.user_id)
        .await
        .unwrap();
    second.session.refresh_keys().await.unwrap();
    assert!(
        second.session.org_keys.is_empty(),
        "the platform cannot grant organisation keys"
    );
    w.court_admin
        .session
        .grant_keys(&w.court, &second.session.me.user_id)
        .await
        .unwrap();
    second.session.refresh_keys().await.unwrap();
    assert_eq!(
        second.session.org_keys.keys().copied().collect::<Vec<_>>(),
        vec![1]
    );
    // An admin reads no pli before turning two-factor on.
    let refused = second.session.open(&id).await.unwrap_err();
    assert_eq!(
        refused.code(),
        pli_api::ErrorCode::TotpSetupRequired,
        "{refused:?}"
    );
    second.enable_totp().await;
    let received = second.session.open(&id).await.unwrap();
    assert_eq!(received.manifest.subject, "S");
    assert_eq!(second.session.rotate_org_key().await.unwrap(), 2);
    let members = w.court_admin.session.members(&w.court).await.unwrap();
    assert_eq!(members.retention_days, 30);
}

/// The platform authority removes an organisation admin: the removal is a revocation the
/// root signs, in the log; the admin's sessions end. The platform does not remove a
/// member (their admin does): who removes whom is who certified whom.
#[tokio::test]
async fn the_platform_authority_removes_an_organisation_admin() {
    let w = world(Backend::Sqlite).await;
    let admin = w.court_admin.session.me.user_id;
    let by_platform = w
        .platform
        .session
        .remove_member(&w.court, &w.greffier.session.me.user_id)
        .await
        .unwrap_err();
    assert_eq!(by_platform.status(), Some(409), "{by_platform:?}");

    w.platform
        .session
        .remove_member(&w.court, &admin)
        .await
        .unwrap();
    let log = w.platform.session.directory_log().unwrap();
    let removed = log.current(&admin).unwrap();
    assert!(removed.revoked_at.is_some(), "{removed:?}");
    assert!(log.refused().is_empty(), "{:?}", log.refused());
    assert_eq!(
        w.court_admin.session.inbox().await.unwrap_err().status(),
        Some(401)
    );
}

/// Simultaneous creations cannot share the last bytes of a quota: each checks what the
/// others reserved (on PostgreSQL, whose transactions would otherwise each see the
/// total before the others' rows).
async fn quota_holds_under_simultaneous_creates(backend: Backend) {
    use pli_api::messages::{CreateExchange, ExchangeCreated};

    use super::harness::{spawn_app_with, world_on};
    let app = spawn_app_with(backend, |c| c.limits.org_quota_bytes = 3_000).await;
    let w = world_on(app).await;
    let creates = (0..40).map(|_| {
        let client = w.caseworker.session.client().clone();
        let request = CreateExchange {
            recipient_org_id: w.court,
            recipient_generation: 1,
            sender_generation: None,
            urgent: false,
            sizes: vec![500, 500],
            in_reply_to: None,
        };
        tokio::spawn(async move {
            client
                .post::<_, ExchangeCreated>("/api/exchanges", &request)
                .await
        })
    });
    let mut created = 0;
    for create in creates.collect::<Vec<_>>() {
        match create.await.unwrap() {
            Ok(_) => created += 1,
            Err(error) => assert_eq!(error.code(), pli_api::ErrorCode::QuotaExceeded, "{error:?}"),
        }
    }
    assert_eq!(created, 3, "3 000 bytes hold three exchanges of 1 000");
}

#[tokio::test]
async fn quota_holds_under_simultaneous_creates_on_sqlite() {
    quota_holds_under_simultaneous_creates(Backend::Sqlite).await;
}

#[tokio::test]
async fn quota_holds_under_simultaneous_creates_on_postgres() {
    quota_holds_under_simultaneous_creates(Backend::Postgres).await;
}

/// Two simultaneous uploads of one part with different bytes: whichever the relay
/// records, the bytes it keeps (and would serve) are the ones whose hash it recorded,
/// never the other upload's.
#[tokio::test]
async fn simultaneous_uploads_of_one_part_never_leave_bytes_and_hash_apart() {
    use base64::Engine as _;
    use pli_api::messages::{CreateExchange, ExchangeCreated};
    use sha2::Digest as _;
    let w = world(Backend::Sqlite).await;
    let session = &w.caseworker.session;
    let body = |seed: u8| data(200_000, seed);
    let digest = |bytes: &[u8]| {
        format!(
            "sha-256=:{}:",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
        )
    };
    for round in 0..12_u8 {
        let request = CreateExchange {
            recipient_org_id: w.court,
            recipient_generation: 1,
            sender_generation: None,
            urgent: false,
            sizes: vec![100, 200_000],
            in_reply_to: None,
        };
        let created: ExchangeCreated = session
            .client()
            .post("/api/exchanges", &request)
            .await
            .unwrap();
        let id = created.exchange_id;
        let uploads = [2 * round, 2 * round + 1].map(|seed| {
            let bytes = body(seed);
            let request = session
                .client()
                .request(
                    reqwest::Method::PUT,
                    &format!("/api/exchanges/{id}/objects/1/parts/0"),
                )
                .header("content-digest", digest(&bytes))
                .body(bytes);
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        });
        let mut statuses = Vec::new();
        for upload in uploads {
            statuses.push(upload.await.unwrap());
        }
        assert!(statuses.contains(&200), "round {round}: {statuses:?}");
        let recorded = w.app.state.store.part_hashes(&id, 1).await.unwrap();
        assert_eq!(recorded.len(), 1, "round {round}");
        let key = pli_server::blob::BlobKey::part(&id, 1, 0, &recorded[0]);
        let mut stream = w.app.state.blobs.get(&key, None).await.unwrap();
        let mut kept = sha2::Sha256::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
            kept.update(chunk.unwrap());
        }
        assert_eq!(
            <[u8; 32]>::from(kept.finalize()),
            recorded[0],
            "round {round}"
        );
        // The other upload's bytes were not kept beside them.
        let stored = blobs_under(&w, &format!("x/{id}/1/")).await;
        assert_eq!(stored.len(), 1, "round {round}: {stored:?}");
    }
}

/// A part told `busy` (the account's upload slots are all taken) is sent again by the
/// client after the relay's `Retry-After`, and goes through once a slot is free.
#[tokio::test]
async fn a_part_told_busy_is_sent_again_once_a_slot_is_free() {
    use super::harness::{
        bare_exchange, parts_stored, raw_answer, raw_part, spawn_app_with, wait_until, world_on,
    };
    use tokio::io::AsyncWriteExt as _;
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.limits.uploads_per_account = 1;
        c.limits.body_idle_seconds = 600;
        c.limits.body_min_bytes_per_second = 0;
    })
    .await;
    let w = world_on(app).await;
    let session = w.caseworker.session.clone();
    let part = data(1000, 5);
    let id = bare_exchange(&session, w.court, vec![100, 1000, 1000]).await;
    // Another upload of the account's holds its one slot, stalled.
    let mut held = raw_part(&w.app.base, &session, &id, 1, &part, 10).await;
    let uploads = w.app.state.uploads.clone();
    wait_until("the stalled upload holds the slot", || {
        uploads.in_use() == 1
    })
    .await;

    let sending = tokio::spawn({
        let (session, part) = (session.clone(), part.clone());
        async move { session.put_part(&id, 2, 0, &part).await }
    });
    let metrics = &w.app.state.metrics;
    wait_until("the client was told busy", || {
        metrics
            .render()
            .lines()
            .any(|line| line.contains("/parts/{part}") && line.contains("status=\"503\""))
    })
    .await;
    held.write_all(&part[10..]).await.unwrap();
    assert_eq!(raw_answer(&mut held).await.status, 200);
    tokio::time::timeout(std::time::Duration::from_secs(60), sending)
        .await
        .expect("the client gave up or is still waiting")
        .unwrap()
        .unwrap();
    assert_eq!(parts_stored(&session, &id).await, vec![0, 1, 1]);
}

/// Post-quantum keys (issue 10) beside an X25519 generation made before them: the court
/// holds one (published as an admin's older software did), a Département whose keys are
/// post-quantum sends to it (the file mixes the two kinds, which Pli allows between a
/// migrated service and one that is not), the greffier opens it; the court's next
/// rotation is post-quantum (every member has post-quantum keys); what was sent to the
/// X25519 generation still opens.
#[tokio::test]
async fn an_x25519_generation_keeps_working_and_the_next_rotation_is_post_quantum() {
    use pli_api::AccountStatus;
    use pli_api::endpoints as ep;
    use pli_api::messages::{GrantUpload, PublishKey};
    use pli_crypto::cert::{OrgKeyCertificate, VALIDITY_MS};
    use pli_crypto::grant::OrgKey;
    use pli_crypto::keys::EncryptionKey;
    use pli_crypto::sign::Signed;

    let mut w = world(Backend::Sqlite).await;
    let first = w.caseworker.session.recipient_key(&w.court).await.unwrap();
    assert!(first.is_post_quantum() && first.key.generation == 1);

    // Generation 2, X25519, granted to every active member.
    let admin = &mut w.court_admin.session;
    let classic = OrgKey::generate_classic(w.court, 2).unwrap();
    let grants = admin
        .members(&w.court)
        .await
        .unwrap()
        .members
        .iter()
        .filter(|m| m.status == AccountStatus::Active)
        .map(|m| {
            let member = EncryptionKey::from_bytes(&m.keys.encryption_key.0).unwrap();
            assert!(member.is_post_quantum());
            GrantUpload {
                generation: 2,
                user_id: m.user_id,
                wrapped: pli_api::Base64(classic.grant_to(&member).unwrap()),
            }
        })
        .collect();
    let now = pli_server::now_ms();
    let cert = OrgKeyCertificate {
        org_id: w.court,
        generation: 2,
        public_key: classic.public_key(),
        issued_at: now,
        issuer: admin.keys.signing.verifying_key().fingerprint(),
        expires_at: Some(now + VALIDITY_MS),
    };
    let request = PublishKey {
        certificate: Signed::sign(&cert, &admin.keys.signing).unwrap().to_wire(),
        grants,
    };
    admin
        .client()
        .submit(&ep::PublishKey { org: w.court }, &request)
        .await
        .unwrap();
    admin.org_keys.insert(2, classic);

    // Sent to it from a post-quantum Département: the two kinds in one file.
    let to_classic = w.caseworker.session.recipient_key(&w.court).await.unwrap();
    assert_eq!(to_classic.key.generation, 2);
    assert!(!to_classic.is_post_quantum());
    let before = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("a.pdf", data(70_000, 1))],
            &options("Avant"),
        )
        .await
        .unwrap();

    // The court rotates: every member has post-quantum keys, so generation 3 is.
    assert_eq!(w.court_admin.session.rotate_org_key().await.unwrap(), 3);
    let latest = w.caseworker.session.recipient_key(&w.court).await.unwrap();
    assert!(latest.is_post_quantum() && latest.key.generation == 3);
    let after = w
        .caseworker
        .session
        .send(
            &w.court,
            vec![file("b.pdf", data(70_000, 2))],
            &options("Après"),
        )
        .await
        .unwrap();

    w.greffier.session.refresh_keys().await.unwrap();
    for (id, seed) in [(before, 1), (after, 2)] {
        let received = w.greffier.session.open(&id).await.unwrap();
        let out = first_file(&w.greffier.session, &received).await;
        assert_eq!(out, data(70_000, seed));
    }
    // The Département's own copy of the mixed exchange opens too.
    let mine = w.caseworker.session.open(&before).await.unwrap();
    let mut out = Vec::new();
    w.caseworker
        .session
        .download_file(&mine, 0, &mut out)
        .await
        .unwrap();
    assert_eq!(out, data(70_000, 1));
}
