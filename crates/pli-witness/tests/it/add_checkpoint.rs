//! `POST /add-checkpoint`, as a log calls it.

use pli_log::note::{NoteKey, parse_checkpoint};
use pli_witness::http::{MAX_BODY, TLOG_SIZE};

use crate::harness::{Log, ORIGIN, Served, WITNESS, config, now, verified};

#[tokio::test]
async fn a_witness_cosigns_a_first_checkpoint_then_each_extension() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new(1);
    let served = Served::start(config(dir.path(), vec![log.known()])).await;

    log.append(0, 5);
    let first = served.cosign(&log, &log.request(0)).await;
    assert_eq!(first.size, 5);
    let (name, time) = &first.cosigned[0];
    assert_eq!(name, WITNESS);
    assert!(now().abs_diff(*time) < 60, "timestamped now: {time}");

    log.append(1, 8);
    let second = served.cosign(&log, &log.request(5)).await;
    assert_eq!(second.size, 13);
    assert_eq!(served.witness.size(ORIGIN).await, Some(13));

    // The same checkpoint again: cosigned again, nothing changes.
    assert_eq!(served.cosign(&log, &log.request(13)).await.size, 13);
    served.stop().await;
}

#[tokio::test]
async fn a_stale_old_size_gets_409_with_the_witness_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new(1);
    let served = Served::start(config(dir.path(), vec![log.known()])).await;
    log.append(0, 7);
    served.cosign(&log, &log.request(0)).await;
    log.append(1, 3);

    for old in [0, 3, 6, 8] {
        let answer = served.add(&log.request(old)).await;
        assert_eq!(answer.status, 409, "old {old}: {answer:?}");
        assert_eq!(answer.content_type, TLOG_SIZE);
        assert_eq!(answer.body, "7\n");
    }
    // What a log does with it: ask again from the size the witness has.
    assert_eq!(served.cosign(&log, &log.request(7)).await.size, 10);
    served.stop().await;
}

#[tokio::test]
async fn a_fork_gets_422_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new(1);
    let served = Served::start(config(dir.path(), vec![log.known()])).await;
    log.append(0, 5);
    served.cosign(&log, &log.request(0)).await;

    // The same log key signs another history of the same first entry and more.
    let mut fork = Log::new(1);
    fork.append(0, 4).append(9, 6);
    let answer = served.add(&fork.request(5)).await;
    assert_eq!(answer.status, 422, "{answer:?}");
    let mut unproven = fork.request(5);
    unproven.proof.clear();
    assert_eq!(served.add(&unproven).await.status, 422);

    // Another root at the witness's own size.
    let mut twin = Log::new(1);
    twin.append(7, 5);
    assert_eq!(served.add(&twin.request(5)).await.status, 422);

    assert_eq!(served.witness.size(ORIGIN).await, Some(5));
    log.append(1, 1);
    served.cosign(&log, &log.request(5)).await;
    served.stop().await;
}

#[tokio::test]
async fn checkpoints_not_signed_by_a_known_log_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new(1);
    let served = Served::start(config(dir.path(), vec![log.known()])).await;
    log.append(0, 3);

    // The right origin, another key.
    let mut impostor = Log::new(2);
    impostor.append(0, 3);
    let answer = served.add(&impostor.request(0)).await;
    assert_eq!(answer.status, 403, "{answer:?}");

    // A log this witness does not know.
    let mut unknown = Log::named("autre.example.fr/annuaire", 1);
    unknown.append(0, 3);
    let answer = served.add(&unknown.request(0)).await;
    assert_eq!(answer.status, 404, "{answer:?}");

    // The log's signature over another checkpoint text.
    let note = String::from_utf8(log.checkpoint()).unwrap();
    let altered = note.replacen("\n3\n", "\n4\n", 1);
    let mut request = log.request(0);
    request.note = altered.into_bytes();
    assert_eq!(served.add(&request).await.status, 403);

    assert_eq!(served.witness.size(ORIGIN).await, Some(0));
    served.stop().await;
}

#[tokio::test]
async fn malformed_requests_get_400_and_huge_ones_413() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new(1);
    let served = Served::start(config(dir.path(), vec![log.known()])).await;
    log.append(0, 3);
    let body = String::from_utf8(log.request(0).to_body()).unwrap();

    for bad in [
        body.replacen("old 0\n", "old 00\n", 1),
        body.replacen("old 0\n", "", 1),
        body.replacen("\n\n", "\n", 1),
        body.replacen("old 0\n", "old 0\nnot-a-hash\n", 1),
        body.replacen("old 0", "old 4", 1),
        "old 0\n\nnot a checkpoint\n".to_owned(),
    ] {
        let answer = served.post(bad.clone().into_bytes()).await;
        assert_eq!(answer.status, 400, "{bad:?}: {answer:?}");
    }
    let mut huge = body.into_bytes();
    huge.resize(MAX_BODY + 1, b'\n');
    assert_eq!(served.post(huge).await.status, 413);
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_requests_from_the_same_old_size_exactly_one_is_cosigned() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new(1);
    let served = Served::start(config(dir.path(), vec![log.known()])).await;
    log.append(0, 2);
    served.cosign(&log, &log.request(0)).await;

    for round in 0..8u8 {
        let old = log.size();
        log.append(round + 1, 1);
        let shorter = log.request(old);
        log.append(round + 1, 2);
        let longer = log.request(old);
        let (a, b) = tokio::join!(served.add(&shorter), served.add(&longer));
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}: {a:?} {b:?}");
        let (won, lost) = if a.status == 200 {
            ((&shorter, a), b)
        } else {
            ((&longer, b), a)
        };
        let cosigned = verified(&log, &served.witness, &won.0.note, &won.1.body);
        assert_eq!(lost.body, format!("{}\n", cosigned.size));
        assert_eq!(served.witness.size(ORIGIN).await, Some(cosigned.size));
        // The log catches the witness up to its latest checkpoint.
        if cosigned.size != log.size() {
            served.cosign(&log, &log.request(cosigned.size)).await;
        }
    }
    served.stop().await;
}

#[tokio::test]
async fn the_witness_cosigns_the_checkpoint_text_only() {
    // A checkpoint carrying other signatures (another witness's): the witness ignores
    // them and cosigns the text.
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new(1);
    let served = Served::start(config(dir.path(), vec![log.known()])).await;
    log.append(0, 4);
    let mut request = log.request(0);
    let other = NoteKey::new("autre-temoin.example.fr", &[5; 32]).unwrap();
    let text = parse_checkpoint(&request.note).unwrap().0;
    let line = other.cosign(&text, now()).unwrap();
    request.note = pli_log::note::add_signature_lines(&request.note, &line).unwrap();
    let verified = served.cosign(&log, &request).await;
    assert_eq!(verified.size, 4);
    served.stop().await;
}
