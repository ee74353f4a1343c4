//! What a witness remembers: across a restart, after an answer the log never got, and
//! never less than what it cosigned.

use std::fs;

use pli_witness::Witness;

use crate::harness::{Log, ORIGIN, Served, config};

#[tokio::test]
async fn the_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new(1);
    let served = Served::start(config(dir.path(), vec![log.known()])).await;
    log.append(0, 6);
    served.cosign(&log, &log.request(0)).await;
    log.append(1, 4);
    served.cosign(&log, &log.request(6)).await;
    served.stop().await;

    let served = Served::start(config(dir.path(), vec![log.known()])).await;
    assert_eq!(served.witness.size(ORIGIN).await, Some(10));
    for old in [0, 6] {
        let answer = served.add(&log.request(old)).await;
        assert_eq!((answer.status, answer.body.as_str()), (409, "10\n"));
    }
    // A fork of what was cosigned before the restart is still a fork.
    let mut fork = Log::new(1);
    fork.append(0, 6).append(2, 5);
    assert_eq!(served.add(&fork.request(10)).await.status, 422);
    log.append(3, 1);
    assert_eq!(served.cosign(&log, &log.request(10)).await.size, 11);
    served.stop().await;
}

#[tokio::test]
async fn a_log_that_lost_the_answer_gets_the_same_checkpoint_cosigned_again() {
    // The witness recorded size 5 and its answer was lost (a crash after the write, a
    // dropped connection): the log, still at old size 0, is told 5 and asks from there.
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new(1);
    let served = Served::start(config(dir.path(), vec![log.known()])).await;
    log.append(0, 5);
    served.cosign(&log, &log.request(0)).await;
    served.stop().await;

    let served = Served::start(config(dir.path(), vec![log.known()])).await;
    let retry = served.add(&log.request(0)).await;
    assert_eq!((retry.status, retry.body.as_str()), (409, "5\n"));
    let again = served.cosign(&log, &log.request(5)).await;
    assert_eq!(again.size, 5);
    served.stop().await;
}

#[tokio::test]
async fn one_witness_at_a_time_uses_a_state_folder() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::new(1);
    let served = Served::start(config(dir.path(), vec![log.known()])).await;
    let second = Witness::open(config(dir.path(), vec![log.known()]));
    assert!(
        second
            .unwrap_err()
            .to_string()
            .contains("another witness is using the state folder"),
    );
    served.stop().await;
    Witness::open(config(dir.path(), vec![log.known()])).unwrap();
}

#[tokio::test]
async fn an_unreadable_state_is_an_error_not_a_fresh_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new(1);
    let served = Served::start(config(dir.path(), vec![log.known()])).await;
    log.append(0, 3);
    served.cosign(&log, &log.request(0)).await;
    served.stop().await;

    let file = pli_witness::state::path(dir.path(), ORIGIN);
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.contains(ORIGIN), "{text}");
    assert!(
        fs::read_dir(dir.path()).unwrap().all(|entry| !entry
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")),
        "no temporary file left"
    );
    fs::write(&file, &text[..text.len() / 2]).unwrap();
    let error = Witness::open(config(dir.path(), vec![log.known()])).unwrap_err();
    assert!(format!("{error:#}").contains("is not valid"), "{error:#}");

    // Another log's file under this log's name.
    fs::write(&file, text.replace(ORIGIN, "autre.example.fr/annuaire")).unwrap();
    let error = Witness::open(config(dir.path(), vec![log.known()])).unwrap_err();
    assert!(
        format!("{error:#}").contains("not \"pli.example.fr/annuaire\""),
        "{error:#}"
    );
}

#[test]
fn a_log_key_must_be_named_as_its_origin() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::new(1);
    let mut known = log.known();
    known.origin = "autre.example.fr/annuaire".into();
    let error = Witness::open(config(dir.path(), vec![known])).unwrap_err();
    assert!(
        format!("{error:#}").contains("named as its origin"),
        "{error:#}"
    );
    let error = Witness::open(config(dir.path(), vec![log.known(), log.known()])).unwrap_err();
    assert!(format!("{error:#}").contains("listed twice"), "{error:#}");
}
