//! Encryption and decryption round trips through the push API.

use pli_crypto::age::{self, Decryptor, Encryptor, Identity};

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
}
