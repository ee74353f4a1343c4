use pli_log::Frontier;
use pli_log::witness::{AddCheckpoint, LogState, Refusal, check};
use tlog_tiles::{Hash, HashReader, prove_tree, record_hash, stored_hashes};

use crate::note::{ORIGIN, keys};

struct Log {
    stored: Vec<Hash>,
    frontier: Frontier,
}

impl HashReader for Log {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        Ok(indexes
            .iter()
            .map(|&i| self.stored[usize::try_from(i).unwrap()])
            .collect())
    }
}

impl Log {
    fn new() -> Self {
        Self {
            stored: Vec::new(),
            frontier: Frontier::default(),
        }
    }

    fn append(&mut self, data: &[u8]) {
        let n = self.frontier.size();
        let new = stored_hashes(n, data, self).unwrap();
        self.stored.extend(new);
        self.frontier.push(record_hash(data));
    }

    fn request(&self, old: u64) -> AddCheckpoint {
        let (log, _, _) = keys();
        let size = self.frontier.size();
        let proof = if old == 0 || old == size {
            vec![]
        } else {
            prove_tree(size, old, self).unwrap()
        };
        AddCheckpoint {
            old_size: old,
            proof: proof.into_iter().map(|h| h.0).collect(),
            note: log.sign_checkpoint(size, self.frontier.root().0).unwrap(),
        }
    }
}

fn fresh() -> LogState {
    let (log, _, _) = keys();
    LogState {
        origin: ORIGIN.into(),
        log_key: log.verifying_key().unwrap().to_bytes(),
        size: 0,
        hash: [0; 32],
    }
}

#[test]
fn a_witness_cosigns_only_what_extends_what_it_cosigned() {
    let mut log = Log::new();
    for i in 0..5u8 {
        log.append(&[i]);
    }
    let request = log.request(0);
    let parsed = AddCheckpoint::parse(&request.to_body()).unwrap();
    assert_eq!(parsed, request);
    let (state, _text) = check(&fresh(), &parsed).unwrap();
    assert_eq!(state.size, 5);

    for i in 5..13u8 {
        log.append(&[i]);
    }
    let (state, _) = check(&state, &log.request(5)).unwrap();
    assert_eq!(state.size, 13);
    assert_eq!(
        check(&state, &log.request(13)).unwrap().0,
        state,
        "the same checkpoint again"
    );
    assert_eq!(
        check(&state, &log.request(5)),
        Err(Refusal::Conflict { size: 13 })
    );

    // A fork: the same first 5 entries, then others. Its proof cannot verify from 13.
    let mut fork = Log::new();
    for i in 0..5u8 {
        fork.append(&[i]);
    }
    for i in 50..60u8 {
        fork.append(&[i]);
    }
    let mut forged = fork.request(13);
    assert_eq!(check(&state, &forged), Err(Refusal::Inconsistent));
    forged.proof.clear();
    assert_eq!(check(&state, &forged), Err(Refusal::Inconsistent));
}

#[test]
fn a_witness_refuses_a_checkpoint_the_log_did_not_sign() {
    let mut log = Log::new();
    log.append(b"a");
    let mut request = log.request(0);
    let forger = pli_log::note::NoteKey::new(ORIGIN, &[8; 32]).unwrap();
    request.note = forger.sign_checkpoint(1, log.frontier.root().0).unwrap();
    assert_eq!(check(&fresh(), &request), Err(Refusal::NotSigned));
    let other = pli_log::note::NoteKey::new("autre.example", &[1; 32]).unwrap();
    request.note = other.sign_checkpoint(1, log.frontier.root().0).unwrap();
    assert_eq!(check(&fresh(), &request), Err(Refusal::UnknownLog));
    assert!(AddCheckpoint::parse(b"old x\n\nnote").is_err());
}

#[test]
fn a_witness_answers_in_the_order_and_with_the_codes_c2sp_gives() {
    let mut log = Log::new();
    for i in 0..5u8 {
        log.append(&[i]);
    }
    let (state, _) = check(&fresh(), &log.request(0)).unwrap();

    // The same size with another root: 422 (C2SP's tlog-witness of 2026; 409 before).
    let mut other = Log::new();
    for i in 10..15u8 {
        other.append(&[i]);
    }
    assert_eq!(check(&state, &other.request(5)), Err(Refusal::Inconsistent));

    // A tree of size 0 has the empty tree's root.
    let (log_key, _, _) = keys();
    let empty = |hash| AddCheckpoint {
        old_size: 0,
        proof: vec![],
        note: log_key.sign_checkpoint(0, hash).unwrap(),
    };
    assert!(check(&fresh(), &empty(tlog_tiles::EMPTY_HASH.0)).is_ok());
    assert_eq!(check(&fresh(), &empty([1; 32])), Err(Refusal::Inconsistent));

    // An old size past the checkpoint's is malformed (400), even when it is also stale.
    let mut request = log.request(0);
    request.old_size = 9;
    assert!(matches!(
        check(&state, &request),
        Err(Refusal::Malformed(_))
    ));

    // The old size is ASCII decimal without leading zeroes.
    let body = String::from_utf8(log.request(5).to_body()).unwrap();
    for bad in ["old 05\n", "old +5\n", "old -5\n", "old  5\n"] {
        let body = body.replacen("old 5\n", bad, 1);
        assert!(AddCheckpoint::parse(body.as_bytes()).is_err(), "{bad:?}");
    }
    assert!(AddCheckpoint::parse(log.request(0).to_body().as_slice()).is_ok());
}
