//! The hybrid post-quantum recipient type (`mlkem768x25519`), natively and in the
//! browser: the spec's example keys, round trips, and what must be refused.

use pli_crypto::age::{
    self, AnyIdentity, AnyRecipient, Decryptor, EncryptionSeed, Encryptor, HybridIdentity,
    HybridRecipient, Identity, Stanza,
};
use pli_crypto::{DecryptError, Error};

/// The example identity of the age specification (C2SP age, "The MLKEM768-X25519 (i.e.
/// X-Wing) hybrid post-quantum recipient type").
const SPEC_IDENTITY: &str =
    "AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR";

/// Its recipient, as the specification prints it.
const SPEC_RECIPIENT: [&str; 22] = [
    "age1pq1x34nzsvr0rxjsgdn8zgyhfe8j7ceq5r9rdelkjuh3y235jzxshfg87pzf5zrqtzdxz95paef6caq5aapdmw",
    "jjqpjfdyxnzr2zampc3uxy0dg4z2n2gm9su72p0pc3u0jvev55l694v78snxg3yzvcl7yda0eyytqj6a0ec477lnhc",
    "y5hzpz4zq3pxanve4cn62gqj3pjy5lqj9c6kyj4v2z8alktn8zh99970x79gjkv7522hv9kfz35zsnxhsx8wwtmu9c",
    "y3ftzjgwcp4sshn3llnylnpdsyz5jm72vefv4x5vfwytrefxg4wq3mv42wcrvkj742479zrxzpvp2p3e9fed9f0739",
    "vcu80r7ma28qfhnvlv4gfzel9q654dj3zmuvvz893azhxdvs9fxd0r7jzchzcfcs5mkyyjxhw0n2z6dvp9yn9qfdp2",
    "9h0azxqyjw6v7fhyuzj7zel0uq6j9rd7wgrpz7mf5dnj43jwsgvrc8qcnhy7tu6dkdujuxzkp9xj43xe8h92ktre2a",
    "3u3s8mm5mrp9nr9pwkgtz4mdlq9hgn4fps4k57ff6wddn2fy23t47sm20r8km8sd2pcyyafnet8f0dajsrlyjeah4n",
    "3mssr6aseevuuskdvq5lzguyvpgwpta742c6698vgutzqgny8usfg0w2he7kq5vyxjd0f9hqg8xk26y9e4th0gezq9",
    "2q4cpp5p2y9hf5f2cje5l0c3sa3a2qxmm38pxxvhxh99yzmfz0zk7r2s64nnwjhkfgfr3gf8xnmppcgmaykvh5sh6g",
    "7vk9790rf8ws0axmr2t7z8aae5fq2029uvcn2ghgt4fu4wgwdc0k0cz52qkvwmuzj8p8k5jgf3xzk5zmrkavjekjrp",
    "eq408xz3zxazwkc6tyfmhayrkfpjhwtz5mp8j8guqe43k2q6m2kte03vrw27y3wmqyu5etmt9dnkwcnnpmu9gz9dek",
    "fhdevf42ucshphnrk38ra6hx8w5f8q5ru0xdhrjxmwqf6cused7zc5xvq43r0zscjglpwlptpwydhqw64xz7ptjdye",
    "yzpq2zkxtmzg29gzjpvzva4d3l0cenn9xs297wf4y4ukwrunf57xj6pm7nvrkwvtrt8hwcmgv8x7ajw7258ugf9wvk",
    "mk4052ekg87tw5vnx8nq2swyzv77v8yqlwsenvamr0zssknwts8rrhfuwj7ykysnq9jxy0uv3kuyt22djszjdtvpz6",
    "d0s0kwh8ryynddzud92emeyvvyqktd0jtj7rvvg5gch25v8smlvny3kvn5gagyz475ze2y6q466xqmz2n3hs77ldde",
    "qyta2nch5k2u5yacuk9ywnwfdzvyejnucz724hj77hrrmakm7pr3kxsrxq22ejexlud9fy2kdqmkg5yncz7jm5wv2q",
    "jk5w5kvcpqsry2yqffh2la52dxfjkjq5rzhjzeyn6dupn0qwtyv7s4lwg3xdarsdlwe2y3tujy480y7z39q259fzx6",
    "jhd2j0f5hagqpcpees7hzc2yrk5cy788uk3s7qvp5cpepx24gvws3m2g433exgwppnkjscec8qu4y9z9r7vccexjcj",
    "aen42245lmgmxmuavg9alej92322gvvyy2t6267v09ch64y0m53jff0vjj96s0ypk60hr3jw4myd6m5hpn3xjstx7t",
    "l2szhpr5qe8jj08ydjc4wy2rch2fhuy3pdfjax5awe9j99ly5hkntzz9fe5zatgjvzdd0kgtxs25njnajyf6ssekp7",
    "gelxquusn4pt25czh3scj68kq79wdn5tgm6yvm9nzavrg043x3msnygf8dweknw5jmqd0uvny6ttsn09508k0c55zf",
    "negrm9efhxpfqdkmhh6gjtqmwze9pyyzk3tlhl53k2ykx3qheyty7saeq0d3fzv49zc0k",
];

fn spec_recipient() -> String {
    SPEC_RECIPIENT.concat()
}

fn decrypt(
    identities: &[AnyIdentity],
    ciphertext: &[u8],
    piece: usize,
) -> Result<Vec<u8>, DecryptError> {
    let mut decryptor = Decryptor::new(identities.iter().cloned());
    let mut out = Vec::new();
    for part in ciphertext.chunks(piece.max(1)) {
        decryptor.update(part, &mut out)?;
    }
    decryptor.finish(&mut out)?;
    Ok(out)
}

fn stanzas(ciphertext: &[u8]) -> Vec<Stanza> {
    match age::parse_header(ciphertext).unwrap() {
        age::HeaderParse::Complete(header) => header.stanzas().to_vec(),
        age::HeaderParse::Incomplete => panic!("incomplete header"),
    }
}

both_targets! {
    fn the_spec_identity_gives_the_spec_recipient() {
        let identity: HybridIdentity = SPEC_IDENTITY.parse().unwrap();
        let recipient = identity.to_recipient();
        assert_eq!(recipient.to_string(), spec_recipient());
        assert_eq!(recipient.to_string().len(), 1959);
        assert_eq!(recipient.to_bytes().len(), 1216);
        assert_eq!(spec_recipient().parse::<HybridRecipient>().unwrap(), recipient);
        assert_eq!(spec_recipient().to_uppercase().parse::<HybridRecipient>().unwrap(), recipient);
        assert_eq!(HybridRecipient::from_bytes(&recipient.to_bytes()).unwrap(), recipient);
        assert_eq!(identity.to_secret_string().unwrap().as_str(), SPEC_IDENTITY);
        let again = HybridIdentity::from_bytes(&identity.to_bytes()).unwrap();
        assert_eq!(again.to_recipient(), recipient);
        // Debug output never shows the secret.
        let debug = format!("{identity:?} {:?}", AnyIdentity::from(identity.clone()));
        assert!(!debug.to_uppercase().contains(&SPEC_IDENTITY[19..40]), "{debug}");
    }

    fn any_recipient_and_any_identity_tell_the_types_apart() {
        let hybrid: AnyIdentity = SPEC_IDENTITY.parse().unwrap();
        assert!(matches!(hybrid, AnyIdentity::Hybrid(_)));
        assert!(hybrid.to_recipient().is_post_quantum());
        assert_eq!(hybrid.to_recipient().to_string(), spec_recipient());
        assert_eq!(hybrid.to_secret_string().unwrap().as_str(), SPEC_IDENTITY);
        let classic_secret = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
        let classic: AnyIdentity = classic_secret.parse().unwrap();
        assert!(matches!(classic, AnyIdentity::X25519(_)));
        assert!(!classic.to_recipient().is_post_quantum());
        let recipient: AnyRecipient = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj".parse().unwrap();
        assert_eq!(recipient, classic.to_recipient());
        let parsed: AnyRecipient = spec_recipient().parse().unwrap();
        assert_eq!(parsed, hybrid.to_recipient());
        // Each type's own parser refuses the other's keys.
        assert!(SPEC_IDENTITY.parse::<Identity>().is_err());
        assert!(classic_secret.parse::<HybridIdentity>().is_err());
        assert!(spec_recipient().parse::<age::Recipient>().is_err());
        assert!(recipient.to_string().parse::<HybridRecipient>().is_err());
    }

    fn bad_encodings_are_refused() {
        let good = spec_recipient();
        let mut wrong_checksum = good.clone();
        let last = wrong_checksum.pop().unwrap();
        wrong_checksum.push(if last == 'q' { 'p' } else { 'q' });
        let mut mixed_case = good.clone();
        mixed_case.replace_range(10..11, &good[10..11].to_uppercase());
        let truncated = format!("{}{}", &good[..200], &good[206..]);
        for bad in [
            wrong_checksum.as_str(),
            mixed_case.as_str(),
            truncated.as_str(),
            &good[..good.len() - 1],
            "age1pq1",
            "",
            SPEC_IDENTITY,
        ] {
            assert!(matches!(bad.parse::<HybridRecipient>(), Err(Error::InvalidKey(_))), "{bad:.40}");
            assert!(bad.parse::<AnyRecipient>().is_err(), "{bad:.40}");
        }
        // Right checksum, wrong content: lengths, an ML-KEM key with a coefficient ≥ q
        // (12 bits of ones), the checksum variant, the human-readable part.
        let bytes = good.parse::<HybridRecipient>().unwrap().to_bytes();
        assert!(HybridRecipient::from_bytes(&bytes[..1215]).is_err());
        assert!(HybridRecipient::from_bytes(&[bytes.as_slice(), &[0]].concat()).is_err());
        let mut not_mlkem = bytes.clone();
        not_mlkem[0] = 0xff;
        not_mlkem[1] |= 0x0f;
        assert!(HybridRecipient::from_bytes(&not_mlkem).is_err());
        let hrp = bech32::Hrp::parse("age1pq").unwrap();
        let bech32m = bech32::encode_lower::<bech32::Bech32m>(hrp, &bytes);
        if let Ok(bech32m) = bech32m {
            assert!(bech32m.parse::<HybridRecipient>().is_err());
        }
        let seed = [3u8; 32];
        let identity_hrp = bech32::Hrp::parse("AGE-SECRET-KEY-PQ-").unwrap();
        let good_identity = bech32::encode_upper::<bech32::Bech32>(identity_hrp, &seed).unwrap();
        assert_eq!(good_identity.parse::<HybridIdentity>().unwrap().to_bytes().as_slice(), &seed);
        for (hrp, len) in [("AGE-SECRET-KEY-PQ-", 31), ("AGE-SECRET-KEY-PQ-", 33), ("AGE-SECRET-KEY-", 32), ("AGE-SECRET-KEY-PQ", 32)] {
            let text = bech32::encode_upper::<bech32::Bech32>(bech32::Hrp::parse(hrp).unwrap(), &vec![3; len]).unwrap();
            assert!(text.parse::<HybridIdentity>().is_err(), "{hrp} {len}");
        }
        let bech32m = bech32::encode_upper::<bech32::Bech32m>(identity_hrp, &seed).unwrap();
        assert!(bech32m.parse::<HybridIdentity>().is_err());
    }

    fn hybrid_files_round_trip_with_the_spec_stanza() {
        let identity = HybridIdentity::generate().unwrap();
        let recipient = identity.to_recipient();
        let identities = [AnyIdentity::from(identity.clone())];
        for len in [0usize, 1, 65_536, 65_537] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let (ciphertext, summary) = age::encrypt_to_vec(std::slice::from_ref(&recipient), &plaintext).unwrap();
            assert_eq!(summary.ciphertext_len, ciphertext.len() as u64);
            // Only the header differs from an X25519 file.
            let header = ciphertext.len() as u64 - age::ciphertext_len(len as u64).unwrap();
            assert_eq!(header, 22 + 3 + 14 + 1 + 1494 + 1 + 43 + 1 + 48);
            let [stanza] = stanzas(&ciphertext).try_into().unwrap();
            assert_eq!(stanza.args.len(), 2);
            assert_eq!(stanza.tag(), "mlkem768x25519");
            assert_eq!(stanza.args[1].len(), 1494, "1120 bytes of base64");
            assert_eq!(stanza.body.len(), 32);
            for piece in [usize::MAX, 1000, 7] {
                assert_eq!(decrypt(&identities, &ciphertext, piece).unwrap(), plaintext, "{len} {piece}");
            }
            assert_eq!(age::decrypt_to_vec(std::slice::from_ref(&identity), &ciphertext).unwrap(), plaintext);
        }
    }

    fn several_hybrid_recipients_each_decrypt_and_others_do_not() {
        let identities: Vec<HybridIdentity> = (0..3).map(|_| HybridIdentity::generate().unwrap()).collect();
        let recipients: Vec<HybridRecipient> = identities.iter().map(HybridIdentity::to_recipient).collect();
        let mut encryptor = Encryptor::new(&recipients).unwrap();
        let mut ciphertext = Vec::new();
        encryptor.update(b"rapport", &mut ciphertext).unwrap();
        encryptor.finish(&mut ciphertext).unwrap();
        assert_eq!(stanzas(&ciphertext).len(), 3);
        for identity in &identities {
            assert_eq!(age::decrypt_to_vec(std::slice::from_ref(identity), &ciphertext).unwrap(), b"rapport");
        }
        // A hybrid stranger, an X25519 identity, and both together: no match.
        let stranger = AnyIdentity::from(HybridIdentity::generate().unwrap());
        let classic = AnyIdentity::from(Identity::generate().unwrap());
        for wrong in [vec![stranger.clone()], vec![classic.clone()], vec![classic, stranger]] {
            assert_eq!(decrypt(&wrong, &ciphertext, 100), Err(DecryptError::NoMatch));
        }
        // A hybrid identity does not open an X25519 file either.
        let classic = Identity::generate().unwrap();
        let (x25519_file, _) = age::encrypt_to_vec(&[classic.to_recipient()], b"rapport").unwrap();
        assert_eq!(age::decrypt_to_vec(&identities, &x25519_file), Err(DecryptError::NoMatch));
        // With identities of both types, each file opens.
        let both = [AnyIdentity::from(classic), AnyIdentity::from(identities[1].clone())];
        assert_eq!(decrypt(&both, &x25519_file, 5).unwrap(), b"rapport");
        assert_eq!(decrypt(&both, &ciphertext, 5).unwrap(), b"rapport");
    }

    fn post_quantum_and_classic_recipients_are_not_mixed() {
        let hybrid = AnyRecipient::from(HybridIdentity::generate().unwrap().to_recipient());
        let classic = AnyRecipient::from(Identity::generate().unwrap().to_recipient());
        for mixed in [vec![hybrid.clone(), classic.clone()], vec![classic.clone(), hybrid.clone(), hybrid.clone()]] {
            assert_eq!(EncryptionSeed::new(&mixed).err(), Some(Error::MixedRecipients));
            assert_eq!(Encryptor::new(&mixed).err(), Some(Error::MixedRecipients));
            assert_eq!(age::encrypt_to_vec(&mixed, b"x").err(), Some(Error::MixedRecipients));
        }
        assert!(Error::MixedRecipients.to_string().contains("quantum"));
        // Either kind alone is fine, as AnyRecipient too.
        for alone in [vec![hybrid.clone(), hybrid], vec![classic.clone(), classic]] {
            assert!(age::encrypt_to_vec(&alone, b"x").is_ok());
        }
        let none: [AnyRecipient; 0] = [];
        assert!(matches!(Encryptor::new(&none), Err(Error::OutOfRange(_))));
    }

    fn a_hybrid_seed_gives_the_same_file_twice() {
        let identity = HybridIdentity::generate().unwrap();
        let seed = EncryptionSeed::new(&[identity.to_recipient()]).unwrap();
        let again = EncryptionSeed::from_bytes(&seed.to_bytes()).unwrap();
        let encrypt = |seed: &EncryptionSeed| {
            let mut encryptor = Encryptor::from_seed(seed).unwrap();
            let mut out = Vec::new();
            encryptor.update(&[5; 100_000], &mut out).unwrap();
            encryptor.finish(&mut out).unwrap();
            out
        };
        let first = encrypt(&seed);
        assert_eq!(first, encrypt(&again));
        assert_eq!(age::decrypt_to_vec(&[identity], &first).unwrap(), vec![5; 100_000]);
    }

    fn a_malformed_hybrid_stanza_fails_the_header_whatever_the_identities() {
        let identity = HybridIdentity::generate().unwrap();
        let (good, _) = age::encrypt_to_vec(&[identity.to_recipient()], b"x").unwrap();
        let text = String::from_utf8_lossy(&good[..good.len().min(1700)]).into_owned();
        let enc_at = text.find("mlkem768x25519 ").unwrap() + "mlkem768x25519 ".len();
        // The X25519 share (the last 32 bytes of enc, the last 43 base64 characters)
        // replaced by the all-zero point, re-encoded canonically: `A` is 0, and the
        // final character carries 4 bits.
        let mut zero_share = good.clone();
        zero_share[enc_at + 1494 - 43..enc_at + 1494].copy_from_slice(&[b'A'; 43]);
        let share_start = enc_at + 1494 - 43;
        // The character before the share holds 2 bits of it: clear them.
        let before = zero_share[share_start - 1];
        let value = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".iter().position(|&c| c == before).unwrap();
        zero_share[share_start - 1] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[value & !0b11];
        let extra_argument = [&good[..enc_at - 1], b" x", &good[enc_at - 1..]].concat();
        for (case, file) in [("zero share", zero_share), ("extra argument", extra_argument)] {
            for identities in [vec![AnyIdentity::from(identity.clone())], vec![AnyIdentity::from(Identity::generate().unwrap())]] {
                assert_eq!(decrypt(&identities, &file, usize::MAX), Err(DecryptError::MalformedHeader), "{case}");
            }
        }
    }
}

/// The directory's objects with post-quantum keys (issue 10): a certificate, a key grant
/// and a key bundle holding a hybrid key are written under their version 2 domain, and
/// each value has one encoding; X25519 ones keep version 1, so everything signed before
/// still verifies.
mod directory {
    use pli_api::{OrgId, UserId};
    use pli_crypto::Error;
    use pli_crypto::age::{AnyIdentity, HybridIdentity, Identity};
    use pli_crypto::bundle::KeyBundle;
    use pli_crypto::cert::{OrgKeyCertificate, Role, UserCertificate};
    use pli_crypto::codec::Canonical;
    use pli_crypto::grant::OrgKey;
    use pli_crypto::keys::{EncryptionKey, HYBRID_KEY_LEN, UserKeys};
    use pli_crypto::manifest::{Category, Manifest};
    use pli_crypto::sign::{Fingerprint, SigningKey};

    fn org() -> OrgId {
        OrgId::from_random([2; 16])
    }

    fn cert(keys: &UserKeys, expires_at: Option<u64>) -> UserCertificate {
        UserCertificate {
            user_id: UserId::from_random([1; 16]),
            org_id: org(),
            role: Role::Member,
            service: false,
            display_name: "Claire Martin".into(),
            signing_key: keys.signing.verifying_key(),
            encryption_key: keys.public().encryption,
            issued_at: 1,
            issuer: Fingerprint([3; 32]),
            expires_at,
        }
    }

    fn classic_keys() -> UserKeys {
        UserKeys {
            encryption: AnyIdentity::X25519(Identity::generate().unwrap()),
            signing: SigningKey::generate().unwrap(),
        }
    }

    #[test]
    fn new_keys_are_post_quantum_and_their_certificates_version_2() {
        let keys = UserKeys::generate().unwrap();
        assert!(keys.public().encryption.is_post_quantum());
        let c = cert(&keys, Some(9));
        let bytes = c.to_canonical().unwrap();
        assert!(bytes.starts_with(b"pli/v2/user\0"));
        assert_eq!(UserCertificate::from_canonical(&bytes).unwrap(), c);
        // A post-quantum key's certificate always expires.
        assert!(cert(&keys, None).to_canonical().is_err());
        // Its version 1 twin (same fields under the old prefix) is refused, and so is an
        // X25519 certificate relabelled version 2.
        let mut relabelled = b"pli/v1/user\0".to_vec();
        relabelled.extend_from_slice(&bytes[b"pli/v2/user\0".len()..]);
        assert!(UserCertificate::from_canonical(&relabelled).is_err());
        let classic = cert(&classic_keys(), Some(9)).to_canonical().unwrap();
        assert!(classic.starts_with(b"pli/v1/user\0"));
        let mut relabelled = b"pli/v2/user\0".to_vec();
        relabelled.extend_from_slice(&classic[b"pli/v1/user\0".len()..]);
        assert!(UserCertificate::from_canonical(&relabelled).is_err());
        // The key's fingerprint names its type: the same bytes would not collide.
        let EncryptionKey::Hybrid(raw) = &c.encryption_key else {
            panic!("hybrid")
        };
        assert_eq!(raw.len(), HYBRID_KEY_LEN);
        assert_ne!(
            Fingerprint::of_encryption_key(&c.encryption_key),
            Fingerprint::of_encryption_key(&cert(&classic_keys(), None).encryption_key)
        );
        assert!(c.encryption_key.to_string().starts_with("age1pq1"));
        assert_eq!(
            EncryptionKey::from_bytes(&c.encryption_key.to_bytes()).unwrap(),
            c.encryption_key
        );
        assert!(EncryptionKey::from_bytes(&[0; 33]).is_err());
    }

    #[test]
    fn organisation_key_generations_are_post_quantum_and_granted_only_to_post_quantum_keys() {
        let key = OrgKey::generate(org(), 4).unwrap();
        let public = key.public_key();
        assert!(public.is_post_quantum());
        let cert = OrgKeyCertificate {
            org_id: org(),
            generation: 4,
            public_key: public.clone(),
            issued_at: 1,
            issuer: Fingerprint([3; 32]),
            expires_at: Some(2),
        };
        let bytes = cert.to_canonical().unwrap();
        assert!(bytes.starts_with(b"pli/v2/org-key\0"));
        assert_eq!(OrgKeyCertificate::from_canonical(&bytes).unwrap(), cert);

        let member = UserKeys::generate().unwrap();
        let wrapped = key.grant_to(&member.public().encryption).unwrap();
        let opened = OrgKey::open_grant(&wrapped, &member.encryption, &org(), 4, &public).unwrap();
        assert_eq!(opened.to_canonical().unwrap(), key.to_canonical().unwrap());
        assert!(
            key.to_canonical()
                .unwrap()
                .starts_with(b"pli/v2/key-grant\0")
        );
        // Wrapped to an X25519 key it would be no safer than X25519: refused.
        let classic = classic_keys();
        assert!(matches!(
            key.grant_to(&classic.public().encryption),
            Err(Error::MixedRecipients)
        ));
        // An X25519 generation (made before the migration) is still granted to anyone,
        // and opens.
        let old = OrgKey::generate_classic(org(), 3).unwrap();
        for person in [&member, &classic] {
            let wrapped = old.grant_to(&person.public().encryption).unwrap();
            let opened =
                OrgKey::open_grant(&wrapped, &person.encryption, &org(), 3, &old.public_key())
                    .unwrap();
            assert!(!opened.public_key().is_post_quantum());
        }
    }

    #[test]
    fn key_bundles_hold_either_identity() {
        use pli_crypto::password::{KdfParams, Secrets};
        let params = KdfParams {
            secrets: Secrets::PasswordAndAccountKey,
            m_cost_kib: KdfParams::MIN_M_COST_KIB,
            t_cost: 2,
            p_cost: 1,
            salt: [4; 16],
        };
        let account_key = pli_crypto::account_key::AccountKey::generate().unwrap();
        let key = pli_crypto::password::derive(
            b"correct horse battery staple",
            Some(&account_key),
            &params,
        )
        .unwrap()
        .bundle_key;
        let user_id = UserId::from_random([1; 16]);
        for keys in [UserKeys::generate().unwrap(), classic_keys()] {
            let bundle = KeyBundle {
                user_id,
                keys,
                root: None,
                trusted_root: None,
            };
            let opened = KeyBundle::open(&bundle.seal(&key).unwrap(), &key, &user_id).unwrap();
            assert_eq!(opened.keys.public(), bundle.keys.public());
        }
        let hybrid = HybridIdentity::generate().unwrap();
        let bundle = KeyBundle {
            user_id,
            keys: UserKeys {
                encryption: AnyIdentity::Hybrid(hybrid),
                signing: SigningKey::generate().unwrap(),
            },
            root: None,
            trusted_root: None,
        };
        assert!(
            bundle
                .to_canonical()
                .unwrap()
                .starts_with(b"pli/v2/key-bundle\0")
        );
    }

    /// An exchange between an organisation that has moved to post-quantum keys and one
    /// that has not: its manifest is sealed to both (plain age refuses such a mix).
    #[test]
    fn an_exchange_may_mix_a_post_quantum_and_a_classic_organisation() {
        let new = OrgKey::generate(org(), 1).unwrap();
        let old = OrgKey::generate_classic(OrgId::from_random([5; 16]), 1).unwrap();
        assert!(matches!(
            pli_crypto::age::encrypt_to_vec(&[new.recipient(), old.recipient()], b"x"),
            Err(Error::MixedRecipients)
        ));
        let manifest = Manifest {
            exchange_id: pli_api::ExchangeId::from_random([7; 16]),
            category: Category::Signalement,
            subject: "Signalement".into(),
            message: String::new(),
            case_reference: String::new(),
            files: Vec::new(),
        };
        let (sealed, _) = manifest.seal(&[new.recipient(), old.recipient()]).unwrap();
        for key in [&new, &old] {
            assert_eq!(
                Manifest::open(std::slice::from_ref(&key.identity), &sealed).unwrap(),
                manifest
            );
        }
    }
}

/// The size an upload declares before encrypting: exact for hybrid recipients and for a
/// mix, at the edge sizes.
#[test]
fn encrypted_length_is_known_before_encrypting_for_any_recipients() {
    let hybrid = AnyRecipient::Hybrid(HybridIdentity::generate().unwrap().to_recipient());
    let classic = AnyRecipient::X25519(Identity::generate().unwrap().to_recipient());
    for recipients in [
        vec![hybrid.clone()],
        vec![hybrid.clone(), hybrid.clone()],
        vec![classic.clone()],
        vec![hybrid.clone(), classic.clone()],
    ] {
        for len in [0usize, 1, 65536, 65537] {
            let plaintext = vec![7; len];
            let seed = EncryptionSeed::new_allowing_mix(&recipients).unwrap();
            let mut encryptor = Encryptor::from_seed(&seed).unwrap();
            let mut out = Vec::new();
            encryptor.update(&plaintext, &mut out).unwrap();
            encryptor.finish(&mut out).unwrap();
            assert_eq!(
                out.len() as u64,
                age::encrypted_len_to(&recipients, len as u64).unwrap()
            );
        }
    }
}
