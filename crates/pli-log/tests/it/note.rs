use pli_crypto::sign::{Signed, SigningKey};
use pli_crypto::statement::{LogPolicy, WitnessKey};
use pli_log::note::{NoteKey, add_signature_lines};
use pli_log::{Error, verify_checkpoint};

pub const ORIGIN: &str = "pli.example.fr/annuaire";

pub fn keys() -> (NoteKey, NoteKey, NoteKey) {
    (
        NoteKey::new(ORIGIN, &[1; 32]).unwrap(),
        NoteKey::new("temoin-1.example.fr", &[2; 32]).unwrap(),
        NoteKey::new("temoin-2.example.fr", &[3; 32]).unwrap(),
    )
}

pub fn policy(quorum: u8) -> LogPolicy {
    let (log, w1, w2) = keys();
    LogPolicy {
        origin: ORIGIN.into(),
        log_key: log.verifying_key().unwrap(),
        witnesses: [w1, w2]
            .iter()
            .map(|w| WitnessKey {
                name: w.name().into(),
                key: w.verifying_key().unwrap(),
            })
            .collect(),
        quorum,
        max_age_s: 3600,
        issued_at: 1,
    }
}

fn cosigned(note: &[u8], witnesses: &[&NoteKey], time: u64) -> Vec<u8> {
    let text = pli_log::note::parse_checkpoint(note).unwrap().0;
    let mut lines = Vec::new();
    for witness in witnesses {
        lines.extend(witness.cosign(&text, time).unwrap());
    }
    add_signature_lines(note, &lines).unwrap()
}

#[test]
fn a_checkpoint_needs_the_log_and_a_fresh_quorum_of_witnesses() {
    let (log, w1, w2) = keys();
    let note = log.sign_checkpoint(42, [9; 32]).unwrap();
    let now = 1_000_000;

    let both = cosigned(&note, &[&w1, &w2], now - 10);
    let verified = verify_checkpoint(&policy(2), &both, now).unwrap();
    assert_eq!((verified.size, verified.hash), (42, [9; 32]));
    assert_eq!(verified.cosigned.len(), 2);

    let one = cosigned(&note, &[&w1], now);
    assert_eq!(
        verify_checkpoint(&policy(2), &one, now),
        Err(Error::Quorum { got: 1, need: 2 })
    );
    assert!(verify_checkpoint(&policy(1), &one, now).is_ok());

    let twice = cosigned(&one, &[&w1], now);
    assert!(
        matches!(
            verify_checkpoint(&policy(2), &twice, now),
            Err(Error::Quorum { got: 1, .. })
        ),
        "one witness twice is one cosignature"
    );

    let stale = cosigned(&note, &[&w1, &w2], now - 3601);
    assert_eq!(
        verify_checkpoint(&policy(2), &stale, now),
        Err(Error::Stale { age_s: 3601 })
    );

    let unsigned = cosigned(
        &NoteKey::new(ORIGIN, &[7; 32])
            .unwrap()
            .sign_checkpoint(42, [9; 32])
            .unwrap(),
        &[&w1, &w2],
        now,
    );
    assert!(
        verify_checkpoint(&policy(2), &unsigned, now).is_err(),
        "another key named as the log"
    );
}

#[test]
fn a_tampered_cosignature_fails_the_note() {
    let (log, w1, w2) = keys();
    let note = log.sign_checkpoint(42, [9; 32]).unwrap();
    let good = cosigned(&note, &[&w1, &w2], 100);
    let text = String::from_utf8(good).unwrap();
    // The same cosignature lines over another tree: the signatures no longer match.
    let other = log.sign_checkpoint(43, [9; 32]).unwrap();
    let lines: String = text.lines().skip(5).map(|l| format!("{l}\n")).collect();
    let forged = add_signature_lines(&other, lines.as_bytes()).unwrap();
    assert!(verify_checkpoint(&policy(2), &forged, 100).is_err());
}

#[test]
fn a_policy_is_signed_by_the_root_like_any_statement() {
    let root = SigningKey::generate().unwrap();
    let signed = Signed::sign(&policy(2), &root).unwrap();
    assert_eq!(signed.verify(&root.verifying_key()).unwrap(), policy(2));
}

#[test]
fn verifier_keys_round_trip_and_name_their_type() {
    use pli_log::note::{COSIGNATURE_V1, ED25519, parse_verifier_key};
    let (log, w1, _) = keys();
    let vkey = log.verifier_key(ED25519).unwrap();
    assert_eq!(
        parse_verifier_key(&vkey, ED25519).unwrap(),
        (ORIGIN.to_owned(), log.verifying_key().unwrap())
    );
    assert!(parse_verifier_key(&vkey, COSIGNATURE_V1).is_err());
    let witness = w1.verifier_key(COSIGNATURE_V1).unwrap();
    assert!(parse_verifier_key(&witness, COSIGNATURE_V1).is_ok());
    let renamed = witness.replacen("temoin-1", "temoin-9", 1);
    assert!(
        parse_verifier_key(&renamed, COSIGNATURE_V1).is_err(),
        "the id binds the name"
    );
}

#[test]
fn verifier_keys_whose_base64_holds_a_plus_parse() {
    use pli_log::note::{COSIGNATURE_V1, ED25519, parse_verifier_key};
    let mut with_plus = 0;
    for seed in 0..=255u8 {
        let key = NoteKey::new("temoin.example.fr", &[seed; 32]).unwrap();
        for kind in [ED25519, COSIGNATURE_V1] {
            let vkey = key.verifier_key(kind).unwrap();
            with_plus += usize::from(vkey.matches('+').count() > 2);
            assert_eq!(
                parse_verifier_key(&vkey, kind).unwrap(),
                ("temoin.example.fr".to_owned(), key.verifying_key().unwrap()),
                "{vkey}"
            );
        }
    }
    assert!(
        with_plus > 100,
        "{with_plus} keys with a '+' in their base64"
    );
}

#[test]
fn a_cosignature_dated_in_the_future_is_not_counted() {
    let (log, w1, w2) = keys();
    let note = log.sign_checkpoint(42, [9; 32]).unwrap();
    let now = 1_000_000;
    let ahead = cosigned(&note, &[&w1, &w2], now + 3600);
    assert_eq!(
        verify_checkpoint(&policy(2), &ahead, now),
        Err(Error::Quorum { got: 0, need: 2 })
    );
    let skewed = cosigned(&note, &[&w1, &w2], now + 60);
    assert!(
        verify_checkpoint(&policy(2), &skewed, now).is_ok(),
        "a minute of skew is fine"
    );
}
