use pli_crypto::cert::UserCertificate;
use pli_crypto::codec::Canonical as _;
use pli_crypto::sign::{Signed, SigningKey};
use pli_log::directory::Mismatch;
use pli_log::{Directory, Entry};

use crate::fixture::Platform;

#[test]
fn the_latest_unsuspended_generation_is_the_only_one_usable() {
    let platform = Platform::new();
    let (org, certified) = platform.org(1);
    let admin = platform.admin(org, 10);
    let gen1 = admin.key(1);
    let gen2 = admin.key(2);
    let mut directory = Directory::new(&platform.trust());
    for entry in [certified, admin.entry(), Entry::OrgKey(gen1.clone())] {
        directory.apply(&entry);
    }
    assert_eq!(directory.check_org_key(&gen1, 0), Ok(()));
    assert_eq!(directory.check_org_key(&gen2, 0), Err(Mismatch::NotInLog));

    directory.apply(&Entry::OrgKey(gen2.clone()));
    assert_eq!(directory.check_org_key(&gen2, 0), Ok(()));
    assert_eq!(
        directory.check_org_key(&gen1, 0),
        Err(Mismatch::Outdated {
            served: 1,
            latest: 2
        }),
        "a relay serving the older generation is caught"
    );

    directory.apply(&platform.suspend(org, 2, &admin.key));
    assert_eq!(
        directory.check_org_key(&gen2, 0),
        Err(Mismatch::Suspended { generation: 2 })
    );
    assert!(directory.refused().is_empty(), "{:?}", directory.refused());
}

#[test]
fn a_removed_admin_certifies_nothing_after_the_removal() {
    let platform = Platform::new();
    let (org, certified) = platform.org(1);
    let admin = platform.admin(org, 10);
    let before = platform.member(&admin, 11);
    let after = platform.member(&admin, 12);
    let mut directory = Directory::new(&platform.trust());
    for entry in [
        certified,
        admin.entry(),
        before.entry(),
        Entry::OrgKey(admin.key(1)),
    ] {
        directory.apply(&entry);
    }
    directory.apply(&platform.revoke(&admin, &platform.root));
    assert!(directory.check_person(&admin.cert, 0).is_err());

    let late_key = admin.key(2);
    directory.apply(&Entry::OrgKey(late_key.clone()));
    directory.apply(&after.entry());
    assert_eq!(directory.refused().len(), 2, "{:?}", directory.refused());
    assert_eq!(
        directory.check_org_key(&late_key, 0),
        Err(Mismatch::NotInLog)
    );
    assert!(directory.check_person(&after.cert, 0).is_err());
    assert!(
        directory.check_person(&before.cert, 0).is_ok(),
        "what the admin certified before the removal stays"
    );
    // Both refusals are attempts on the organisation's keys (its senders are warned);
    // none on another. An entry refused for coming twice (the root's certificate of the
    // admin) is no such attempt.
    directory.apply(&admin.entry());
    assert_eq!(directory.refused().len(), 3, "{:?}", directory.refused());
    assert_eq!(directory.refused_about(&org).count(), 2);
    assert_eq!(
        directory
            .refused_about(&pli_api::OrgId::from_bytes([2; 16]))
            .count(),
        0
    );
}

#[test]
fn a_member_is_removed_by_an_admin_of_their_organisation_only() {
    let platform = Platform::new();
    let (org, certified) = platform.org(1);
    let (other_org, other_certified) = platform.org(2);
    let admin = platform.admin(org, 10);
    let other_admin = platform.admin(other_org, 20);
    let member = platform.member(&admin, 11);
    let mut directory = Directory::new(&platform.trust());
    for entry in [
        certified,
        other_certified,
        admin.entry(),
        other_admin.entry(),
        member.entry(),
    ] {
        directory.apply(&entry);
    }
    directory.apply(&platform.revoke(&member, &other_admin.key));
    assert!(directory.check_person(&member.cert, 0).is_ok());
    directory.apply(&platform.revoke(&admin, &admin.key));
    assert!(
        directory.check_person(&admin.cert, 0).is_ok(),
        "an admin does not remove an admin"
    );
    assert_eq!(directory.refused().len(), 2);

    directory.apply(&platform.revoke(&member, &admin.key));
    assert_eq!(
        directory.check_person(&member.cert, 0).err(),
        Some(Mismatch::Revoked)
    );
}

#[test]
fn forged_and_out_of_order_entries_change_nothing() {
    let platform = Platform::new();
    let impostor = Platform::new();
    let (org, certified) = platform.org(1);
    let admin = platform.admin(org, 10);
    let fake_admin = impostor.admin(org, 10);
    let mut directory = Directory::new(&platform.trust());
    directory.apply(&admin.entry());
    assert_eq!(
        directory.refused().len(),
        1,
        "an admin before their organisation"
    );
    for entry in [
        certified,
        admin.entry(),
        fake_admin.entry(),
        Entry::OrgKey(admin.key(2)),
    ] {
        directory.apply(&entry);
    }
    assert_eq!(directory.refused().len(), 3, "{:?}", directory.refused());
    assert!(
        directory.org(&org).unwrap().keys.is_empty(),
        "generation 2 before 1"
    );
    assert_eq!(directory.size(), 5);
}

#[test]
fn a_directory_survives_serialisation() {
    let platform = Platform::new();
    let (org, certified) = platform.org(1);
    let admin = platform.admin(org, 10);
    let mut directory = Directory::new(&platform.trust());
    for entry in [certified, admin.entry(), Entry::OrgKey(admin.key(1))] {
        directory.apply(&entry);
    }
    let json = serde_json::to_string(&directory).unwrap();
    let back: Directory = serde_json::from_str(&json).unwrap();
    assert_eq!(back, directory);
    assert_eq!(back.root_hash(), directory.root_hash());
}

#[test]
fn leaves_read_back_as_the_same_entries() {
    let platform = Platform::new();
    let (org, certified) = platform.org(1);
    let admin = platform.admin(org, 10);
    for entry in [
        certified,
        admin.entry(),
        Entry::OrgKey(admin.key(1)),
        platform.revoke(&admin, &platform.root),
    ] {
        assert_eq!(Entry::from_leaf(&entry.to_leaf()).unwrap(), entry);
    }
    assert!(Entry::from_leaf(b"pli/v1/envelope\0").is_err());
    assert!(Entry::from_leaf(&[0; 100]).is_err());
}

#[test]
fn expired_keys_and_certificates_are_refused_and_expired_admins_sign_nothing() {
    use pli_crypto::cert::{OrgKeyCertificate, UserCertificate};
    use pli_crypto::codec::Canonical as _;
    use pli_crypto::sign::Signed;
    let platform = Platform::new();
    let (org, certified) = platform.org(1);
    let admin = platform.admin(org, 10);
    // The admin's certificate, again with an end: ten.
    let mut ending: UserCertificate = UserCertificate::from_canonical(admin.cert.data()).unwrap();
    ending.expires_at = Some(10);
    let ending = Signed::sign(&ending, &platform.root).unwrap();
    let key_until = |generation, issued_at, expires_at| {
        let mut cert = OrgKeyCertificate::from_canonical(admin.key(generation).data()).unwrap();
        cert.issued_at = issued_at;
        cert.expires_at = expires_at;
        Signed::sign(&cert, &admin.key).unwrap()
    };
    let mut directory = Directory::new(&platform.trust());
    directory.apply(&certified);
    directory.apply(&Entry::Person(ending.clone()));
    let gen1 = key_until(1, 5, Some(100));
    directory.apply(&Entry::OrgKey(gen1.clone()));
    assert_eq!(directory.check_org_key(&gen1, 99), Ok(()));
    assert_eq!(directory.check_org_key(&gen1, 100), Err(Mismatch::Expired));
    assert_eq!(directory.check_person(&ending, 9).map(|_| ()), Ok(()));
    assert_eq!(
        directory.check_person(&ending, 10).err(),
        Some(Mismatch::Expired)
    );

    // Signed after the admin's certificate ended: refused.
    let late = key_until(2, 11, None);
    directory.apply(&Entry::OrgKey(late.clone()));
    assert_eq!(directory.refused().len(), 1, "{:?}", directory.refused());
    assert_eq!(directory.check_org_key(&late, 50), Err(Mismatch::NotInLog));
    // A certificate from before expiry (no end) never expires.
    let (other, other_certified) = platform.org(2);
    let old_admin = platform.admin(other, 20);
    directory.apply(&other_certified);
    directory.apply(&old_admin.entry());
    assert_eq!(
        directory
            .check_person(&old_admin.cert, u64::MAX)
            .map(|_| ()),
        Ok(())
    );
}

#[test]
fn a_leaf_that_is_no_statement_is_set_aside_not_fatal() {
    let platform = Platform::new();
    let (org, certified) = platform.org(1);
    let admin = platform.admin(org, 10);
    let mut directory = Directory::new(&platform.trust());
    directory.apply_leaf(&certified.to_leaf());
    directory.apply_leaf(
        b"not a statement of the directory, but sixty-four bytes long enough............",
    );
    directory.apply_leaf(&admin.entry().to_leaf());
    assert_eq!(directory.size(), 3);
    assert_eq!(directory.refused().len(), 1);
    assert_eq!(directory.refused()[0].index, 1);
    assert!(directory.check_person(&admin.cert, 0).is_ok());
}

/// The directory names everyone it certified, removed people included (an audit log
/// still names who acted before leaving), by their latest certificate.
#[test]
fn people_are_named_by_their_latest_certificate_removed_ones_included() {
    let platform = Platform::new();
    let (org, certified) = platform.org(1);
    let admin = platform.admin(org, 10);
    let member = platform.member(&admin, 11);
    let mut directory = Directory::new(&platform.trust());
    for entry in [certified, admin.entry(), member.entry()] {
        directory.apply(&entry);
    }
    directory.apply(&platform.revoke(&member, &admin.key));
    assert!(directory.refused().is_empty(), "{:?}", directory.refused());
    let mut people: Vec<_> = directory
        .people()
        .map(|p| (p.user_id, p.display_name.clone(), p.is_valid()))
        .collect();
    people.sort();
    let mut expected = vec![
        (admin.user_id, "Personne 10".to_owned(), true),
        (member.user_id, "Personne 11".to_owned(), false),
    ];
    expected.sort();
    assert_eq!(people, expected);
}

/// Issue 9, changing the witnesses: a policy replaces the one in force only if the root
/// signed it, it keeps the log's origin and key, it was signed later, and its quorum is 1
/// to its number of witnesses; anything else is set aside and the policy in force stays.
#[test]
fn a_policy_change_needs_the_root_the_same_log_a_later_date_and_a_reachable_quorum() {
    use pli_crypto::statement::{LogPolicy, WitnessKey};
    let platform = Platform::new();
    let impostor = Platform::new();
    let log_key = SigningKey::generate().unwrap().verifying_key();
    let witness = |name: &str| WitnessKey {
        name: name.into(),
        key: SigningKey::generate().unwrap().verifying_key(),
    };
    let policy = |witnesses: Vec<WitnessKey>, quorum, issued_at| LogPolicy {
        origin: "pli.test/annuaire".into(),
        log_key,
        witnesses,
        quorum,
        max_age_s: 86_400,
        issued_at,
    };
    let first = policy(vec![witness("w1"), witness("w2")], 2, 10);
    let signed =
        |policy: &LogPolicy, by: &SigningKey| Entry::Policy(Signed::sign(policy, by).unwrap());
    let mut directory = Directory::new(&platform.trust());
    directory.apply(&signed(&first, &platform.root));
    assert!(directory.refused().is_empty(), "{:?}", directory.refused());
    let in_force = directory.policy();
    assert_eq!(directory.policy_view().unwrap().index, 0);

    let next = policy(vec![witness("w2"), witness("w3")], 1, 11);
    let bad = [
        signed(&next, &impostor.root),
        signed(&policy(next.witnesses.clone(), 0, 11), &platform.root),
        signed(&policy(next.witnesses.clone(), 1, 10), &platform.root),
        signed(
            &LogPolicy {
                origin: "ailleurs.test/annuaire".into(),
                ..next.clone()
            },
            &platform.root,
        ),
        signed(
            &LogPolicy {
                log_key: SigningKey::generate().unwrap().verifying_key(),
                ..next.clone()
            },
            &platform.root,
        ),
    ];
    for entry in &bad {
        directory.apply(entry);
    }
    assert_eq!(
        directory.refused().len(),
        bad.len(),
        "{:?}",
        directory.refused()
    );
    assert_eq!(
        directory.policy(),
        in_force,
        "the first policy stays in force"
    );

    let change = signed(&next, &platform.root);
    directory.apply(&change);
    assert_eq!(
        directory.refused().len(),
        bad.len(),
        "{:?}",
        directory.refused()
    );
    let Entry::Policy(change) = change else {
        unreachable!()
    };
    assert_eq!(directory.policy(), Some(change.sha256()));
    let view = directory.policy_view().unwrap();
    assert_eq!((view.index, view.issued_at), (6, 11));
    assert!(!directory.needs_replay());
    // A directory kept before refusals were classified is replayed.
    let mut kept = serde_json::to_value(&directory).unwrap();
    kept.as_object_mut().unwrap().remove("classified");
    let kept: Directory = serde_json::from_value(kept).unwrap();
    assert!(kept.needs_replay());
}

/// Issue 10, moving a person to a post-quantum key: their signing key is certified again,
/// later, by an admin of their organisation; what they signed under the first certificate
/// stays theirs, and the first certificate is no longer their current one. A certificate
/// served again (back to the X25519 key), one not later than the current, one changing the
/// role, one for a revoked person, and one by an admin of another organisation are set
/// aside.
#[test]
fn a_signing_key_is_certified_again_only_later_for_the_same_person_and_never_back() {
    let platform = Platform::new();
    let (org, certified) = platform.org(1);
    let (other_org, other_certified) = platform.org(2);
    let admin = platform.admin(org, 10);
    let other_admin = platform.admin(other_org, 20);
    let member = platform.member(&admin, 11);
    let mut directory = Directory::new(&platform.trust());
    for entry in [
        certified,
        other_certified,
        admin.entry(),
        other_admin.entry(),
        member.entry(),
    ] {
        directory.apply(&entry);
    }
    let Entry::Person(first) = member.entry() else {
        unreachable!()
    };
    let upgraded = member.recertified(&admin.key, 50);
    directory.apply(&upgraded);
    assert!(directory.refused().is_empty(), "{:?}", directory.refused());
    let Entry::Person(second) = upgraded.clone() else {
        unreachable!()
    };
    assert!(directory.check_person(&second, 60).is_ok());
    assert_eq!(
        directory.check_person(&first, 60).err(),
        Some(Mismatch::NotInLog),
        "the X25519 certificate is no longer the member's current one"
    );
    assert!(directory.was_certified(&first) && directory.was_certified(&second));
    let view = directory.current(&member.user_id).unwrap();
    assert_eq!((view.issued_at, view.earlier_certificates.len()), (50, 1));

    let refused = |directory: &Directory| directory.refused().len();
    // Back to the first certificate, the same one again, or one not later.
    for entry in [member.entry(), upgraded, member.recertified(&admin.key, 50)] {
        let before = refused(&directory);
        directory.apply(&entry);
        assert_eq!(refused(&directory), before + 1);
    }
    assert!(directory.check_person(&second, 60).is_ok());
    // The same key certified again as a program's: refused, the mark cannot change.
    let mut as_program = UserCertificate::from_canonical(second.data()).unwrap();
    as_program.service = true;
    as_program.issued_at = 65;
    directory.apply(&Entry::Person(
        Signed::sign(&as_program, &admin.key).unwrap(),
    ));
    let last_refusal = |directory: &Directory| directory.refused().last().unwrap().why.clone();
    assert!(last_refusal(&directory).contains("the mark cannot change"));
    // Another organisation's admin cannot certify the key again.
    directory.apply(&member.recertified(&other_admin.key, 70));
    assert!(last_refusal(&directory).contains("not an admin"));
    // Once revoked, the key is never certified again.
    directory.apply(&platform.revoke(&member, &admin.key));
    let before = refused(&directory);
    directory.apply(&member.recertified(&admin.key, 80));
    assert_eq!(refused(&directory), before + 1);
    assert!(last_refusal(&directory).contains("revoked"));

    // The stored form keeps what the replay learnt.
    let stored = serde_json::to_string(&directory).unwrap();
    let back: Directory = serde_json::from_str(&stored).unwrap();
    assert!(back.was_certified(&first) && back.was_certified(&second));
}
