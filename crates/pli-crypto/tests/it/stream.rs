//! Encryption and decryption round trips through the push API.

use pli_crypto::DecryptError;
use pli_crypto::age::{self, CHUNK_SIZE as CHUNK, Decryptor, Encryptor, Identity};

fn encrypt_in_pieces(
    recipients: &[age::Recipient],
    plaintext: &[u8],
    piece: usize,
) -> (Vec<u8>, age::EncryptSummary) {
    let mut encryptor = Encryptor::new(recipients).unwrap();
    let mut out = Vec::new();
    for part in plaintext.chunks(piece.max(1)) {
        encryptor.update(part, &mut out).unwrap();
    }
    let summary = encryptor.finish(&mut out).unwrap();
    (out, summary)
}

fn decrypt_in_pieces(
    identity: &Identity,
    ciphertext: &[u8],
    piece: usize,
) -> Result<Vec<u8>, pli_crypto::DecryptError> {
    let mut decryptor = Decryptor::new(vec![identity.clone()]);
    let mut out = Vec::new();
    for part in ciphertext.chunks(piece.max(1)) {
        decryptor.update(part, &mut out)?;
    }
    decryptor.finish(&mut out)?;
    Ok(out)
}

both_targets! {
    fn edge_sizes_round_trip_and_summaries_are_exact() {
        let identity = Identity::generate().unwrap();
        let recipient = identity.to_recipient();
        for len in [0usize, 1, 65_535, 65_536, 65_537, 3 * 65_536, 3 * 65_536 + 5] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let (ciphertext, summary) = encrypt_in_pieces(&[recipient], &plaintext, 10_000);
            assert_eq!(summary.plaintext_len, len as u64);
            assert_eq!(summary.ciphertext_len, ciphertext.len() as u64);
            assert_eq!(summary.ciphertext_sha256, pli_crypto::sha256(&ciphertext));
            assert_eq!(ciphertext.len() as u64, age::encrypted_len(1, len as u64).unwrap());
            assert_eq!(decrypt_in_pieces(&identity, &ciphertext, 65_553).unwrap(), plaintext, "{len}");
        }
    }

    fn several_recipients_each_decrypt_and_strangers_do_not() {
        let identities: Vec<Identity> = (0..3).map(|_| Identity::generate().unwrap()).collect();
        let recipients: Vec<_> = identities.iter().map(Identity::to_recipient).collect();
        let (ciphertext, _) = encrypt_in_pieces(&recipients, b"rapport", 3);
        assert_eq!(ciphertext.len() as u64, age::encrypted_len(3, 7).unwrap());
        for identity in &identities {
            assert_eq!(decrypt_in_pieces(identity, &ciphertext, 1).unwrap(), b"rapport");
        }
        let stranger = Identity::generate().unwrap();
        assert_eq!(decrypt_in_pieces(&stranger, &ciphertext, 100), Err(pli_crypto::DecryptError::NoMatch));
    }

    fn truncation_and_tampering_release_nothing_unauthenticated() {
        let identity = Identity::generate().unwrap();
        let plaintext = vec![42u8; 2 * 65_536 + 100];
        let (ciphertext, _) = encrypt_in_pieces(&[identity.to_recipient()], &plaintext, 1 << 20);
        let header_len = ciphertext.len() - age::ciphertext_len(plaintext.len() as u64).unwrap() as usize;
        // Cut exactly after the second chunk: the reader sees two good non-final chunks.
        let cut = header_len + 16 + 2 * age::ENCRYPTED_CHUNK_SIZE;
        assert_eq!(decrypt_in_pieces(&identity, &ciphertext[..cut], 1 << 20), Err(pli_crypto::DecryptError::Truncated));
        for cut in [cut - 1, ciphertext.len() - 1] {
            assert!(decrypt_in_pieces(&identity, &ciphertext[..cut], 1 << 20).is_err());
        }
        let mut flipped = ciphertext.clone();
        *flipped.last_mut().unwrap() ^= 1;
        let mut decryptor = Decryptor::new(vec![identity.clone()]);
        let mut out = Vec::new();
        decryptor.update(&flipped, &mut out).unwrap();
        // Only the two chunks followed by more data were released, and they are genuine.
        assert_eq!(out, &plaintext[..2 * 65_536]);
        assert_eq!(decryptor.finish(&mut out), Err(pli_crypto::DecryptError::Corrupted));
        assert_eq!(out.len(), 2 * 65_536);
    }

    fn armored_ciphertext_decrypts_like_binary() {
        let identity = Identity::generate().unwrap();
        let (ciphertext, _) = encrypt_in_pieces(&[identity.to_recipient()], &[7; 70_000], 999);
        let armored = age::armor(&ciphertext);
        assert_eq!(decrypt_in_pieces(&identity, armored.as_bytes(), 61).unwrap(), vec![7; 70_000]);
    }

    fn a_summary_hashes_exactly_the_ciphertext_whatever_the_batch_sizes() {
        // Batches of many chunks are sealed and opened on several threads (feature
        // `parallel`), the hash running alongside: it must still see the bytes in order.
        let identity = Identity::generate().unwrap();
        let plaintext: Vec<u8> = (0..40 * CHUNK + 123).map(|i| (i % 249) as u8).collect();
        for piece in [usize::MAX, (1 << 20) + 5, 8 * CHUNK, 3 * CHUNK + 1] {
            let (ciphertext, summary) = encrypt_in_pieces(&[identity.to_recipient()], &plaintext, piece);
            assert_eq!(summary.ciphertext_sha256, pli_crypto::sha256(&ciphertext), "{piece}");
            assert_eq!(summary.ciphertext_len, ciphertext.len() as u64);
            assert_eq!(summary.plaintext_len, plaintext.len() as u64);
            let mut decryptor = Decryptor::new(vec![identity.clone()]);
            let mut out = Vec::new();
            for part in ciphertext.chunks(piece) {
                decryptor.update(part, &mut out).unwrap();
            }
            assert_eq!(decryptor.finish(&mut out).unwrap(), summary, "{piece}");
            assert_eq!(out, plaintext, "{piece}");
        }
    }

    fn without_hash_the_same_file_comes_out_with_its_lengths() {
        let identity = Identity::generate().unwrap();
        let plaintext: Vec<u8> = (0..9 * CHUNK + 7).map(|i| (i % 241) as u8).collect();
        let mut encryptor = Encryptor::new(&[identity.to_recipient()]).unwrap().without_hash();
        let mut ciphertext = Vec::new();
        for part in plaintext.chunks(5 * CHUNK) {
            encryptor.update(part, &mut ciphertext).unwrap();
        }
        let lengths: age::Lengths = encryptor.finish(&mut ciphertext).unwrap();
        assert_eq!(lengths.plaintext_len, plaintext.len() as u64);
        assert_eq!(lengths.ciphertext_len, ciphertext.len() as u64);
        assert_eq!(ciphertext.len() as u64, age::encrypted_len(1, plaintext.len() as u64).unwrap());

        let mut decryptor = Decryptor::new(vec![identity.clone()]).without_hash();
        let mut out = Vec::new();
        decryptor.update(&ciphertext, &mut out).unwrap();
        assert_eq!(decryptor.finish(&mut out).unwrap(), lengths);
        assert_eq!(out, plaintext);
        assert_eq!(decrypt_in_pieces(&identity, &ciphertext, 1 << 20).unwrap(), plaintext);
    }

    /// Regression (found by the CLI author): leading whitespace was judged per call, so
    /// `update(b"\n" + binary)` failed while `update(b"\n")` then `update(binary)`
    /// succeeded. Whitespace may precede armor, never a binary file, however the input is
    /// split.
    fn leading_whitespace_is_judged_the_same_wherever_the_input_is_split() {
        let identity = Identity::generate().unwrap();
        let (binary, _) = encrypt_in_pieces(&[identity.to_recipient()], b"rapport", 7);
        let armored = age::armor(&binary).into_bytes();
        let prefixed = |prefix: &[u8], file: &[u8]| [prefix, file].concat();
        let cases = [
            (binary.clone(), Ok(())),
            (prefixed(b"\n", &binary), Err(pli_crypto::DecryptError::NotAgeFile)),
            (prefixed(b" \r\n\t", &binary), Err(pli_crypto::DecryptError::NotAgeFile)),
            (armored.clone(), Ok(())),
            (prefixed(b"\n", &armored), Ok(())),
            (prefixed(b" \r\n\t\n", &armored), Ok(())),
            (prefixed(b"\x0c", &armored), Err(pli_crypto::DecryptError::NotAgeFile)),
        ];
        for (case, (input, expected)) in cases.iter().enumerate() {
            for split in 0..=input.len() {
                for pieces in [vec![&input[..split], &input[split..]], vec![&input[..split], &[][..], &input[split..]]] {
                    let mut decryptor = Decryptor::new(vec![identity.clone()]);
                    let mut out = Vec::new();
                    let outcome = pieces
                        .iter()
                        .try_for_each(|piece| decryptor.update(piece, &mut out))
                        .and_then(|()| decryptor.finish(&mut out).map(drop));
                    assert_eq!(&outcome, expected, "case {case}, split at {split}");
                    let released: &[u8] = if expected.is_ok() { b"rapport" } else { b"" };
                    assert_eq!(out, released, "case {case}, split at {split}");
                }
            }
        }
    }

    /// Regression (found by `cargo xtask fuzz`, target `age_decrypt`): when one piece held
    /// both armor lines that decoded and, after them, a line that broke the armor, the
    /// decoded lines were dropped with the armor error; smaller pieces consumed them first.
    /// So the same file gave `Armor` whole and `NoMatch` (or released plaintext) in pieces.
    /// Now the decoded lines always go first, however the input is split.
    fn an_armor_error_comes_after_what_was_decoded_before_it_however_the_input_is_split() {
        let identity = Identity::generate().unwrap();
        let plaintext: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        let (binary, _) = encrypt_in_pieces(&[identity.to_recipient()], &plaintext, 4096);
        let armored = age::armor(&binary);
        // A body line two lines before the end cut short: the armor breaks there, after
        // the whole first chunk's lines.
        let mut lines: Vec<&str> = armored.lines().collect();
        let at = lines.len() - 3;
        lines[at] = &lines[at][..60];
        let broken = lines.join("\n");
        let stranger = Identity::generate().unwrap();
        for piece in [usize::MAX, 4099, 61, 1] {
            let mut decryptor = Decryptor::new(vec![identity.clone()]);
            let mut out = Vec::new();
            let outcome = broken
                .as_bytes()
                .chunks(piece.min(broken.len()))
                .try_for_each(|part| decryptor.update(part, &mut out))
                .and_then(|()| decryptor.finish(&mut out).map(drop));
            assert_eq!(outcome, Err(pli_crypto::DecryptError::Armor), "pieces of {piece}");
            assert!(
                out == plaintext[..CHUNK],
                "pieces of {piece}: {} bytes released, not the first chunk",
                out.len()
            );
            assert_eq!(
                decrypt_in_pieces(&stranger, broken.as_bytes(), piece),
                Err(pli_crypto::DecryptError::NoMatch),
                "pieces of {piece}"
            );
        }
    }

    /// Regression (found by `cargo xtask fuzz`, target `age_decrypt`, after the one
    /// above): an armored file whose first line decodes to bytes that are not age's, then
    /// a line that breaks the armor. Whole, the decoded bytes were parsed at once and the
    /// file was `NotAgeFile`; in pieces, a first piece that decoded nothing had used up the
    /// first parse, later bytes waited for a newline that never came, and the armor error
    /// was reported instead. Now every byte of the version line is judged as it arrives.
    fn a_file_that_is_not_age_is_told_so_before_a_later_armor_error_however_it_is_split() {
        let identity = Identity::generate().unwrap();
        // 48 bytes that start like age's version line, then go wrong, without a newline.
        let first = age::armor(b"age-encryption.orX and more bytes, no newline in here....");
        let mut lines: Vec<String> = first.lines().map(str::to_owned).collect();
        // A line that cannot be base64, before the end line.
        lines.insert(2, "@@@@".to_owned());
        let broken = lines.join("\n");
        for piece in [usize::MAX, 40, 33, 7, 1] {
            assert_eq!(
                decrypt_in_pieces(&identity, broken.as_bytes(), piece),
                Err(pli_crypto::DecryptError::NotAgeFile),
                "pieces of {piece}"
            );
        }
        // Binary, byte by byte: refused at the first byte that is not age's.
        let mut decryptor = Decryptor::new(vec![identity.clone()]);
        let mut out = Vec::new();
        assert_eq!(decryptor.update(b"age-enc", &mut out), Ok(()));
        assert_eq!(decryptor.update(b"X", &mut out), Err(pli_crypto::DecryptError::NotAgeFile));
    }

    /// A damaged chunk in the middle of a large batch (opened on several threads with the
    /// feature `parallel`): exactly the chunks before it come out, then the error, as when
    /// the chunks arrive one by one.
    fn a_damaged_chunk_in_a_large_batch_releases_only_the_chunks_before_it() {
        let identity = Identity::generate().unwrap();
        let chunks = 40;
        let plaintext: Vec<u8> = (0..chunks * CHUNK + 1000).map(|i| (i % 239) as u8).collect();
        let (ciphertext, _) = encrypt_in_pieces(&[identity.to_recipient()], &plaintext, 1 << 20);
        let payload = ciphertext.len() - age::ciphertext_len(plaintext.len() as u64).unwrap() as usize + 16;
        let chunk_at = |index: usize| payload + index * age::ENCRYPTED_CHUNK_SIZE;
        for (damaged, offset) in [(17, 5), (17, CHUNK + 3), (0, 0), (1, 100), (chunks - 1, 9), (chunks - 2, CHUNK)] {
            let mut bad = ciphertext.clone();
            bad[chunk_at(damaged) + offset] ^= 0x40;
            for piece in [usize::MAX, (1 << 20) + 17, 10 * age::ENCRYPTED_CHUNK_SIZE, 65_553, 4099] {
                let mut decryptor = Decryptor::new(vec![identity.clone()]);
                let mut out = Vec::new();
                let error = bad
                    .chunks(piece)
                    .try_for_each(|part| decryptor.update(part, &mut out))
                    .unwrap_err();
                assert_eq!(error, pli_crypto::DecryptError::Corrupted, "chunk {damaged}, pieces of {piece}");
                assert!(out == plaintext[..damaged * CHUNK], "chunk {damaged}, pieces of {piece}: {} bytes released", out.len());
                // The error sticks.
                assert_eq!(decryptor.update(b"more", &mut out), Err(pli_crypto::DecryptError::Corrupted));
                assert_eq!(decryptor.finish(&mut out), Err(pli_crypto::DecryptError::Corrupted));
                assert_eq!(out.len(), damaged * CHUNK);
            }
        }
    }

    fn data_after_a_full_final_chunk_in_a_large_batch_is_corruption() {
        // The final chunk is a full one, so the decryptor only learns it is final by
        // opening it; what follows it in the same batch must not come out.
        let identity = Identity::generate().unwrap();
        let plaintext: Vec<u8> = (0..12 * CHUNK).map(|i| (i % 233) as u8).collect();
        let (ciphertext, _) = encrypt_in_pieces(&[identity.to_recipient()], &plaintext, usize::MAX);
        let last_chunk = ciphertext[ciphertext.len() - age::ENCRYPTED_CHUNK_SIZE..].to_vec();
        for extra in [&last_chunk[..], &last_chunk[..10], &[0; 6 * age::ENCRYPTED_CHUNK_SIZE][..]] {
            let input = [&ciphertext[..], extra].concat();
            for piece in [usize::MAX, 5 * age::ENCRYPTED_CHUNK_SIZE + 3, 65_553] {
                let mut decryptor = Decryptor::new(vec![identity.clone()]);
                let mut out = Vec::new();
                let outcome = input
                    .chunks(piece)
                    .try_for_each(|part| decryptor.update(part, &mut out))
                    .and_then(|()| decryptor.finish(&mut out).map(drop));
                assert_eq!(outcome, Err(pli_crypto::DecryptError::Corrupted), "{} extra bytes, pieces of {piece}", extra.len());
                assert!(out == plaintext, "{} extra bytes, pieces of {piece}", extra.len());
            }
        }
    }
}

both_targets! {
    fn a_seed_repeats_an_encryption_byte_for_byte_and_survives_its_encoding() {
        let identity = Identity::generate().unwrap();
        let others = [identity.to_recipient(), Identity::generate().unwrap().to_recipient()];
        let plaintext: Vec<u8> = (0..3 * CHUNK + 17).map(|i| (i % 253) as u8).collect();
        let seed = age::EncryptionSeed::new(&others).unwrap();
        let encrypt = |seed: &age::EncryptionSeed, piece: usize| {
            let mut encryptor = Encryptor::from_seed(seed).unwrap();
            let mut out = Vec::new();
            for part in plaintext.chunks(piece) {
                encryptor.update(part, &mut out).unwrap();
            }
            let summary = encryptor.finish(&mut out).unwrap();
            (out, summary)
        };
        let (first, summary) = encrypt(&seed, 1000);
        let again = age::EncryptionSeed::from_bytes(&seed.to_bytes()).unwrap();
        let (second, second_summary) = encrypt(&again, 70_000);
        assert!(first == second);
        assert_eq!(summary, second_summary);
        assert_eq!(decrypt_in_pieces(&identity, &first, 5000).unwrap(), plaintext);
        // A fresh seed gives other bytes.
        let (other, _) = encrypt(&age::EncryptionSeed::new(&others).unwrap(), 1000);
        assert!(other != first);
    }

    fn a_damaged_or_foreign_seed_is_refused() {
        let recipient = Identity::generate().unwrap().to_recipient();
        let bytes = age::EncryptionSeed::new(&[recipient]).unwrap().to_bytes().to_vec();
        // Any byte flipped: the version, the key (the MAC no longer matches), the header,
        // the nonce is not checked by the MAC but its length is.
        for at in 0..bytes.len() - 16 {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x01;
            assert!(age::EncryptionSeed::from_bytes(&damaged).is_err(), "byte {at}");
        }
        for len in [0, 1, 17, bytes.len() - 1] {
            assert!(age::EncryptionSeed::from_bytes(&bytes[..len]).is_err(), "length {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(age::EncryptionSeed::from_bytes(&longer).is_err());
    }

    fn chunks_reserved_and_sealed_elsewhere_give_the_encryptors_own_bytes() {
        let identity = Identity::generate().unwrap();
        let seed = age::EncryptionSeed::new(&[identity.to_recipient()]).unwrap();
        for len in [
            1usize,
            65_535,
            65_536,
            65_537,
            5 * CHUNK,
            5 * CHUNK + 7,
            72 * CHUNK,
            72 * CHUNK + 9,
        ] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            let mut expected = Vec::new();
            let mut whole = Encryptor::from_seed(&seed).unwrap().without_hash();
            whole.update(&plaintext, &mut expected).unwrap();
            let expected_lengths = whole.finish(&mut expected).unwrap();
            for batch in [CHUNK, 2 * CHUNK, 8 * CHUNK, 64 * CHUNK] {
                let mut encryptor = Encryptor::from_seed(&seed).unwrap().without_hash();
                let mut out = Vec::new();
                let pieces: Vec<&[u8]> = plaintext.chunks(batch).collect();
                let reserved: Vec<age::Reserved> = pieces
                    .iter()
                    .enumerate()
                    .map(|(i, piece)| {
                        let last = i + 1 == pieces.len();
                        encryptor.reserve(piece.len(), last, &mut out).unwrap()
                    })
                    .collect();
                // Sealed in any order (as a pool of workers would), put back in order.
                let mut sealed: Vec<Vec<u8>> = vec![Vec::new(); pieces.len()];
                for (i, run) in reserved.into_iter().enumerate().rev() {
                    let expected_len = run.ciphertext_len();
                    // Through its encoding, as it crosses to a Web Worker; and the same
                    // run sealed in place, its plaintext laid out as its ciphertext will
                    // be (the tags' room holding other bytes: they are overwritten).
                    let bytes = run.to_bytes();
                    let run = age::Reserved::from_bytes(&bytes).unwrap();
                    run.seal(pieces[i], &mut sealed[i]).unwrap();
                    assert_eq!(sealed[i].len(), expected_len);
                    let mut region = vec![0xa5; expected_len];
                    for (text, slot) in pieces[i]
                        .chunks(CHUNK)
                        .zip(region.chunks_mut(age::ENCRYPTED_CHUNK_SIZE))
                    {
                        slot[..text.len()].copy_from_slice(text);
                    }
                    let twin = age::Reserved::from_bytes(&bytes).unwrap();
                    twin.seal_in_place(&mut region).unwrap();
                    assert!(region == sealed[i], "{len} bytes, run {i} of {batch}, in place");
                }
                sealed.iter().for_each(|piece| out.extend_from_slice(piece));
                let lengths = encryptor.finish(&mut out).unwrap();
                assert_eq!(out, expected, "{len} bytes in runs of {batch}");
                assert_eq!(lengths, expected_lengths);
                assert_eq!(decrypt_in_pieces(&identity, &out, 4096).unwrap(), plaintext);
            }
        }
    }

    fn a_reservation_that_could_reuse_a_nonce_or_end_a_payload_wrongly_is_refused() {
        let seed = age::EncryptionSeed::new(&[Identity::generate().unwrap().to_recipient()])
            .unwrap();
        let fresh = || Encryptor::from_seed(&seed).unwrap().without_hash();
        let mut out = Vec::new();
        // Not a whole number of chunks, yet not the end; nothing at all.
        assert!(fresh().reserve(CHUNK + 1, false, &mut out).is_err());
        assert!(fresh().reserve(0, true, &mut out).is_err());
        // After an update, which holds back the chunk it ends in.
        let mut updated = fresh();
        updated.update(&[7; 10], &mut out).unwrap();
        assert!(updated.reserve(CHUNK, false, &mut out).is_err());
        // After the last chunk: neither a reservation nor an update.
        let mut ended = fresh();
        ended.reserve(CHUNK + 1, true, &mut out).unwrap();
        assert!(ended.reserve(CHUNK, false, &mut out).is_err());
        assert!(ended.update(&[1], &mut out).is_err());
        // Whole chunks never reserved as the end: finishing would add an empty last
        // chunk, which only an empty payload may have.
        let mut open = fresh();
        open.reserve(CHUNK, false, &mut out).unwrap();
        assert!(open.finish(&mut out).is_err());
        // A run seals exactly the plaintext it was reserved for.
        let mut encryptor = fresh();
        let run = encryptor.reserve(2 * CHUNK, false, &mut out).unwrap();
        assert!(run.seal(&[0; CHUNK], &mut out).is_err());
        let run = encryptor.reserve(2 * CHUNK, false, &mut out).unwrap();
        let mut short = vec![0; 2 * age::ENCRYPTED_CHUNK_SIZE - 1];
        assert!(run.seal_in_place(&mut short).is_err());
        // Damaged encodings.
        let bytes = fresh().reserve(CHUNK, false, &mut out).unwrap().to_bytes().to_vec();
        assert!(age::Reserved::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut flag = bytes.clone();
        *flag.last_mut().unwrap() = 2;
        assert!(age::Reserved::from_bytes(&flag).is_err());
        let mut version = bytes.clone();
        version[0] = 2;
        assert!(age::Reserved::from_bytes(&version).is_err());
        let mut ragged = bytes.clone();
        ragged[48] = 1; // a length of CHUNK + 1, not the end
        assert!(age::Reserved::from_bytes(&ragged).is_err());
        assert!(age::Reserved::from_bytes(&bytes).is_ok());
        let mut wrapping = bytes.clone();
        wrapping[33..41].copy_from_slice(&u64::MAX.to_be_bytes());
        assert!(age::Reserved::from_bytes(&wrapping).is_err());
        let mut huge = bytes.clone();
        huge[41..49].copy_from_slice(&(2u64 << 30).to_be_bytes());
        assert!(age::Reserved::from_bytes(&huge).is_err());
        assert!(fresh().reserve(2 << 30, true, &mut out).is_err());
    }

    fn reservations_and_updates_mix_where_whole_chunks_allow() {
        let seed = age::EncryptionSeed::new(&[Identity::generate().unwrap().to_recipient()])
            .unwrap();
        let plaintext: Vec<u8> = (0..3 * CHUNK + 11).map(|i| (i % 249) as u8).collect();
        let mut expected = Vec::new();
        let mut plain = Encryptor::from_seed(&seed).unwrap().without_hash();
        plain.update(&plaintext, &mut expected).unwrap();
        plain.finish(&mut expected).unwrap();
        // An empty update (the header comes out), then reservations.
        let mut out = Vec::new();
        let mut encryptor = Encryptor::from_seed(&seed).unwrap().without_hash();
        encryptor.update(&[], &mut out).unwrap();
        let run = encryptor.reserve(plaintext.len(), true, &mut out).unwrap();
        run.seal(&plaintext, &mut out).unwrap();
        encryptor.finish(&mut out).unwrap();
        assert_eq!(out, expected);
        // Reserved whole chunks, then updates to the end.
        let mut out = Vec::new();
        let mut encryptor = Encryptor::from_seed(&seed).unwrap().without_hash();
        let run = encryptor.reserve(2 * CHUNK, false, &mut out).unwrap();
        run.seal(&plaintext[..2 * CHUNK], &mut out).unwrap();
        encryptor.update(&plaintext[2 * CHUNK..], &mut out).unwrap();
        encryptor.finish(&mut out).unwrap();
        assert_eq!(out, expected);
    }
}

/// Decrypts `ciphertext` as the browser's pool does: the decryptor reads up to a chunk
/// boundary, lends runs of `run` chunks (keeping back the file's last byte, so never its
/// final chunk), whose plaintext is opened through the loan's encoding in reverse order
/// (as workers may answer) and put back in order; it opens the rest itself.
fn decrypt_lending(
    identity: &Identity,
    ciphertext: &[u8],
    run: usize,
) -> Result<Vec<u8>, pli_crypto::DecryptError> {
    let mut decryptor = Decryptor::new(vec![identity.clone()]).without_hash();
    let mut out = Vec::new();
    let mut at = 0;
    // Up to the end of the header and the first chunk boundary.
    while decryptor.to_chunk_boundary().is_none_or(|n| n > 0) && at < ciphertext.len() {
        let step = decryptor
            .to_chunk_boundary()
            .unwrap_or(1000)
            .min(ciphertext.len() - at);
        decryptor.update(&ciphertext[at..at + step], &mut out)?;
        at += step;
    }
    let lendable = (ciphertext.len().saturating_sub(at + 1)) / age::ENCRYPTED_CHUNK_SIZE;
    let mut loans = Vec::new();
    for chunks in (0..lendable).collect::<Vec<_>>().chunks(run) {
        let len = chunks.len() * age::ENCRYPTED_CHUNK_SIZE;
        let lent = decryptor.lend(&ciphertext[at..at + len])?;
        loans.push((lent.to_bytes(), at, len));
        at += len;
    }
    let mut opened = vec![Vec::new(); loans.len()];
    for (i, (bytes, from, len)) in loans.iter().enumerate().rev() {
        let lent = age::Lent::from_bytes(bytes).unwrap();
        assert_eq!(
            lent.plaintext_len(),
            len / age::ENCRYPTED_CHUNK_SIZE * CHUNK
        );
        lent.open(&ciphertext[*from..from + len], &mut opened[i])?;
    }
    opened.iter().for_each(|piece| out.extend_from_slice(piece));
    decryptor.update(&ciphertext[at..], &mut out)?;
    let lengths = decryptor.finish(&mut out)?;
    assert_eq!(lengths.plaintext_len, out.len() as u64);
    assert_eq!(lengths.ciphertext_len, ciphertext.len() as u64);
    Ok(out)
}

both_targets! {
    fn chunks_lent_and_opened_elsewhere_give_the_decryptors_own_plaintext() {
        let identity = Identity::generate().unwrap();
        let recipient = identity.to_recipient();
        for len in [0usize, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK, 5 * CHUNK + 7, 72 * CHUNK + 9] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i % 241) as u8).collect();
            let (ciphertext, _) = encrypt_in_pieces(&[recipient], &plaintext, 30_000);
            for run in [1, 3, 64] {
                let opened = decrypt_lending(&identity, &ciphertext, run).unwrap();
                assert!(opened == plaintext, "{len} bytes in runs of {run}");
            }
        }
    }

    fn a_loan_that_could_release_unauthenticated_or_misplaced_plaintext_fails() {
        let identity = Identity::generate().unwrap();
        let recipient = identity.to_recipient();
        let plaintext: Vec<u8> = (0..4 * CHUNK + 3).map(|i| (i % 239) as u8).collect();
        let (ciphertext, _) = encrypt_in_pieces(&[recipient], &plaintext, 30_000);
        // Four whole chunks, then a final one of 3 bytes and its tag.
        let header = ciphertext.len() + CHUNK - 3 - 5 * age::ENCRYPTED_CHUNK_SIZE;
        let chunk = age::ENCRYPTED_CHUNK_SIZE;
        // A flipped byte in any lent chunk: nothing of that loan comes out.
        for at in [header, header + chunk + 5, header + 3 * chunk - 1] {
            let mut damaged = ciphertext.clone();
            damaged[at] ^= 1;
            assert!(decrypt_lending(&identity, &damaged, 2).is_err(), "byte {at}");
        }
        let started = || {
            let mut decryptor = Decryptor::new(vec![identity.clone()]).without_hash();
            decryptor.update(&ciphertext[..header], &mut Vec::new()).unwrap();
            decryptor
        };
        assert_eq!(started().to_chunk_boundary(), Some(0));
        // Not at a boundary, not whole chunks, nothing: refused.
        let mut off = started();
        off.update(&ciphertext[header..header + 10], &mut Vec::new()).unwrap();
        assert_eq!(off.to_chunk_boundary(), Some(chunk - 10));
        // The caller's mistake, said as such: not a corrupted file.
        let misuse = Err(DecryptError::Misuse);
        assert_eq!(off.lend(&ciphertext[header + 10..header + 10 + chunk]).map(|_| ()), misuse);
        assert_eq!(started().lend(&ciphertext[header..header + chunk + 1]).map(|_| ()), misuse);
        assert_eq!(started().lend(&[]).map(|_| ()), misuse);
        // Before the header is read: no boundary, no loan.
        let mut fresh = Decryptor::new(vec![identity.clone()]).without_hash();
        assert_eq!(fresh.to_chunk_boundary(), None);
        assert_eq!(fresh.lend(&ciphertext[..chunk]).map(|_| ()), misuse);
        // A loan opens exactly its ciphertext, and at its own counters: the same chunks
        // lent one place later (as if reordered) do not open.
        let mut decryptor = started();
        let first = decryptor.lend(&ciphertext[header..header + chunk]).unwrap();
        let second = decryptor.lend(&ciphertext[header + chunk..header + 2 * chunk]).unwrap();
        let mut out = vec![9u8; 3];
        assert!(second.open(&ciphertext[header..header + chunk], &mut out).is_err());
        assert_eq!(out, [9, 9, 9], "nothing appended on failure");
        assert!(first.open(&ciphertext[header..header + chunk - 1], &mut out).is_err());
        // The final chunk is never opened from a loan: a file of whole chunks lent to its
        // end fails, whoever cut it there.
        let whole: Vec<u8> = vec![3; 2 * CHUNK];
        let (exact, _) = encrypt_in_pieces(&[recipient], &whole, 30_000);
        let start = exact.len() - 2 * chunk;
        let mut decryptor = Decryptor::new(vec![identity.clone()]).without_hash();
        decryptor.update(&exact[..start], &mut Vec::new()).unwrap();
        let lent = decryptor.lend(&exact[start..]).unwrap();
        assert!(lent.open(&exact[start..], &mut Vec::new()).is_err());
        // Damaged encodings.
        let bytes = started().lend(&ciphertext[header..header + chunk]).unwrap().to_bytes().to_vec();
        assert!(age::Lent::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut version = bytes.clone();
        version[0] = 1;
        assert!(age::Lent::from_bytes(&version).is_err());
        let mut none = bytes.clone();
        none[41..49].copy_from_slice(&0u64.to_be_bytes());
        assert!(age::Lent::from_bytes(&none).is_err());
        let mut wrapping = bytes.clone();
        wrapping[33..41].copy_from_slice(&u64::MAX.to_be_bytes());
        assert!(age::Lent::from_bytes(&wrapping).is_err());
        assert!(age::Lent::from_bytes(&bytes).is_ok());
        // A reservation's encoding is not a loan's.
        let seed = age::EncryptionSeed::new(&[recipient]).unwrap();
        let reserved = Encryptor::from_seed(&seed)
            .unwrap()
            .without_hash()
            .reserve(CHUNK, false, &mut Vec::new())
            .unwrap()
            .to_bytes();
        assert!(age::Lent::from_bytes(&reserved).is_err());
    }
}

both_targets! {
    fn a_loan_holding_a_final_chunk_before_its_end_opens_nothing() {
        let identity = Identity::generate().unwrap();
        let seed = age::EncryptionSeed::new(&[identity.to_recipient()]).unwrap();
        let chunk = age::ENCRYPTED_CHUNK_SIZE;
        let plaintext: Vec<u8> = (0..13 * CHUNK + 1).map(|i| (i % 233) as u8).collect();
        // One key and nonce (one seed), two files: one that ends with a full chunk after
        // `at` chunks, one that goes on. Spliced, the first's final chunk sits among the
        // second's, each at its own counter: every chunk authenticates, yet the payload
        // ended before the rest (as a sender forging a file could make it).
        let sealed = |runs: &[(usize, bool)]| {
            let mut encryptor = Encryptor::from_seed(&seed).unwrap().without_hash();
            let mut out = Vec::new();
            let mut from = 0;
            for (len, last) in runs {
                let run = encryptor.reserve(*len, *last, &mut out).unwrap();
                run.seal(&plaintext[from..from + len], &mut out).unwrap();
                from += len;
            }
            out
        };
        let goes_on = sealed(&[(13 * CHUNK + 1, true)]);
        let header = goes_on.len() - 13 * chunk - (1 + age::TAG_SIZE);
        // `at` 2 with 4 chunks lent: opened one by one; `at` 5 with 12: on several
        // threads natively (8 chunks or more).
        for (at, lent_chunks) in [(2usize, 4usize), (5, 12)] {
            let ends = sealed(&[(at * CHUNK, false), (CHUNK, true)]);
            let mut spliced = ends[..header + (at + 1) * chunk].to_vec();
            spliced.extend_from_slice(&goes_on[header + (at + 1) * chunk..]);
            assert_eq!(spliced.len(), goes_on.len());
            // The decryptor refuses it…
            assert!(decrypt_in_pieces(&identity, &spliced, 100_000).is_err());
            // …and so does a loan over it, giving nothing.
            let mut decryptor = Decryptor::new(vec![identity.clone()]).without_hash();
            decryptor.update(&spliced[..header], &mut Vec::new()).unwrap();
            let run = &spliced[header..header + lent_chunks * chunk];
            let lent = decryptor.lend(run).unwrap();
            let mut out = Vec::new();
            assert!(lent.open(run, &mut out).is_err(), "final chunk {at} of {lent_chunks}");
            assert!(out.is_empty());
            // The same run from the file that goes on opens.
            let mut decryptor = Decryptor::new(vec![identity.clone()]).without_hash();
            decryptor.update(&goes_on[..header], &mut Vec::new()).unwrap();
            let run = &goes_on[header..header + lent_chunks * chunk];
            decryptor.lend(run).unwrap().open(run, &mut out).unwrap();
            assert!(out == plaintext[..lent_chunks * CHUNK]);
        }
    }

    fn a_lending_decryptor_hashes_the_ciphertext_as_one_that_updates() {
        let identity = Identity::generate().unwrap();
        let plaintext: Vec<u8> = (0..20 * CHUNK + 5).map(|i| (i % 229) as u8).collect();
        let (ciphertext, sealed) =
            encrypt_in_pieces(&[identity.to_recipient()], &plaintext, 50_000);
        let mut decryptor = Decryptor::new(vec![identity.clone()]);
        let mut out = Vec::new();
        let header = ciphertext.len() - 20 * age::ENCRYPTED_CHUNK_SIZE - (5 + age::TAG_SIZE);
        decryptor.update(&ciphertext[..header], &mut out).unwrap();
        let run = &ciphertext[header..header + 16 * age::ENCRYPTED_CHUNK_SIZE];
        decryptor.lend(run).unwrap().open(run, &mut out).unwrap();
        decryptor
            .update(&ciphertext[header + run.len()..], &mut out)
            .unwrap();
        let summary = decryptor.finish(&mut out).unwrap();
        assert!(out == plaintext);
        assert_eq!(summary, sealed);
    }
}
