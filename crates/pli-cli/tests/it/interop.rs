//! Interoperability with the reference `age` and `age-keygen` commands, both directions,
//! on sizes around the 64 KiB chunk boundary and around pli's 4 MiB read blocks (each
//! sealed once the next is read: the last chunk's flag depends on it).

use std::fs;

use crate::harness::{age_key, data, pli, pli_key, reference, run_ok, temp_dir};

/// Empty, one byte, one chunk minus, exactly and plus one byte, a file of 49 chunks
/// whose last chunk holds one byte, and exactly one, one plus a byte and exactly two of
/// pli's read blocks.
const SIZES: [usize; 9] = [
    0,
    1,
    65535,
    65536,
    65537,
    3 * 1024 * 1024 + 1,
    4 << 20,
    (4 << 20) + 1,
    8 << 20,
];

#[test]
fn age_decrypts_what_pli_encrypts_to_a_pli_key_and_an_age_key() {
    let dir = temp_dir();
    let mine = pli_key(dir.path(), "pli.key");
    let theirs = age_key(dir.path(), "age.key");
    for (seed, size) in SIZES.into_iter().enumerate() {
        let plain = dir.path().join(format!("{size}.bin"));
        let sealed = dir.path().join(format!("{size}.age"));
        let content = data(size, seed as u64);
        fs::write(&plain, &content).unwrap();
        run_ok(
            pli()
                .args([
                    "encrypt",
                    "-r",
                    &mine.recipient,
                    "-r",
                    &theirs.recipient,
                    "-o",
                ])
                .arg(&sealed)
                .arg(&plain),
        );
        for key in [&mine, &theirs] {
            let opened = run_ok(
                reference("age")
                    .arg("-d")
                    .arg("-i")
                    .arg(&key.file)
                    .arg(&sealed),
            );
            assert!(opened == content, "size {size}, key {}", key.file.display());
        }
    }
}

#[test]
fn pli_decrypts_what_age_encrypts_to_a_pli_key_and_an_age_key() {
    let dir = temp_dir();
    let mine = pli_key(dir.path(), "pli.key");
    let theirs = age_key(dir.path(), "age.key");
    for (seed, size) in SIZES.into_iter().enumerate() {
        let plain = dir.path().join(format!("{size}.bin"));
        let sealed = dir.path().join(format!("{size}.age"));
        let content = data(size, 100 + seed as u64);
        fs::write(&plain, &content).unwrap();
        run_ok(
            reference("age")
                .args(["-e", "-r", &mine.recipient, "-r", &theirs.recipient, "-o"])
                .arg(&sealed)
                .arg(&plain),
        );
        for key in [&mine, &theirs] {
            let opened = dir.path().join(format!("{size}.opened"));
            run_ok(
                pli()
                    .args(["decrypt", "-i"])
                    .arg(&key.file)
                    .arg("-o")
                    .arg(&opened)
                    .arg(&sealed),
            );
            assert!(
                fs::read(&opened).unwrap() == content,
                "size {size}, key {}",
                key.file.display()
            );
            fs::remove_file(&opened).unwrap();
        }
    }
}

#[test]
fn pli_decrypts_armored_files_from_age() {
    let dir = temp_dir();
    let key = pli_key(dir.path(), "pli.key");
    for (seed, size) in [0, 1, 65537, 200_000].into_iter().enumerate() {
        let plain = dir.path().join("plain");
        let content = data(size, 200 + seed as u64);
        fs::write(&plain, &content).unwrap();
        let armored = run_ok(
            reference("age")
                .args(["-e", "-a", "-r", &key.recipient])
                .arg(&plain),
        );
        assert!(armored.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----\n"));
        let sealed = dir.path().join("sealed.age");
        fs::write(&sealed, &armored).unwrap();
        let opened = run_ok(pli().args(["decrypt", "-i"]).arg(&key.file).arg(&sealed));
        assert!(opened == content, "size {size}");
    }
}

#[test]
fn age_decrypts_armored_files_from_pli() {
    let dir = temp_dir();
    let key = age_key(dir.path(), "age.key");
    for (seed, size) in [0, 1, 65537, 200_000].into_iter().enumerate() {
        let plain = dir.path().join("plain");
        let content = data(size, 300 + seed as u64);
        fs::write(&plain, &content).unwrap();
        let armored = run_ok(
            pli()
                .args(["encrypt", "-a", "-r", &key.recipient])
                .arg(&plain),
        );
        let text = String::from_utf8(armored.clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first(), Some(&"-----BEGIN AGE ENCRYPTED FILE-----"));
        assert_eq!(lines.last(), Some(&"-----END AGE ENCRYPTED FILE-----"));
        let body = &lines[1..lines.len() - 1];
        assert!(body[..body.len() - 1].iter().all(|line| line.len() == 64));
        assert!((1..=64).contains(&body[body.len() - 1].len()));
        let sealed = dir.path().join("sealed.age");
        fs::write(&sealed, &armored).unwrap();
        let opened = run_ok(
            reference("age")
                .arg("-d")
                .arg("-i")
                .arg(&key.file)
                .arg(&sealed),
        );
        assert!(opened == content, "size {size}");
    }
}

#[test]
fn pli_reads_an_age_keygen_identity_and_age_reads_a_pli_keygen_identity() {
    let dir = temp_dir();
    let mine = pli_key(dir.path(), "pli.key");
    let theirs = age_key(dir.path(), "age.key");
    // age derives the same public key from pli's identity file as pli printed.
    let derived = run_ok(reference("age-keygen").arg("-y").arg(&mine.file));
    assert_eq!(String::from_utf8(derived).unwrap().trim(), mine.recipient);
    let plain = dir.path().join("plain");
    fs::write(&plain, b"a signalement for the parquet").unwrap();
    // age encrypts to the recipient pli printed; pli decrypts with age-keygen's file.
    let for_mine = run_ok(
        reference("age")
            .args(["-e", "-r", &mine.recipient])
            .arg(&plain),
    );
    let for_theirs = run_ok(
        reference("age")
            .args(["-e", "-r", &theirs.recipient])
            .arg(&plain),
    );
    fs::write(dir.path().join("mine.age"), for_mine).unwrap();
    fs::write(dir.path().join("theirs.age"), for_theirs).unwrap();
    let opened = run_ok(
        pli()
            .args(["decrypt", "-i"])
            .arg(&theirs.file)
            .arg(dir.path().join("theirs.age")),
    );
    assert_eq!(opened, b"a signalement for the parquet");
    let opened = run_ok(
        reference("age")
            .arg("-d")
            .arg("-i")
            .arg(&mine.file)
            .arg(dir.path().join("mine.age")),
    );
    assert_eq!(opened, b"a signalement for the parquet");
}
