//! Interoperability with typage (the npm package `age-encryption`, by age's author) for
//! the post-quantum hybrid recipient type, which the Debian `age` package predates: keys,
//! and files both ways, binary and armored, around the 64 KiB chunk boundary.

use std::fs;
use std::path::Path;

use crate::harness::{
    Key, Typage, assert_failure, data, entries, pli, pli_key, pli_pq_key, run, run_ok, temp_dir,
    typage,
};

const SIZES: [usize; 5] = [0, 1, 65536, 65537, 1024 * 1024 + 3];

/// A hybrid key made by typage, in an age identity file.
fn typage_key(typage: &Typage, dir: &Path, name: &str) -> Key {
    let file = dir.join(name);
    let recipient = run_ok(typage.command("keygen").arg(&file));
    let recipient = String::from_utf8(recipient).unwrap().trim().to_owned();
    assert!(recipient.starts_with("age1pq1"), "{recipient:.20}");
    Key { file, recipient }
}

#[test]
fn typage_decrypts_what_pli_encrypts_to_a_pli_pq_key_and_a_typage_key() {
    let Some(typage) = typage("typage_decrypts_what_pli_encrypts") else {
        return;
    };
    let dir = temp_dir();
    let mine = pli_pq_key(dir.path(), "pli.key");
    let theirs = typage_key(&typage, dir.path(), "typage.key");
    // typage derives from pli's identity file the recipient pli printed.
    let derived = run_ok(typage.command("recipients").arg(&mine.file));
    assert_eq!(String::from_utf8(derived).unwrap().trim(), mine.recipient);
    for (seed, size) in SIZES.into_iter().enumerate() {
        let plain = dir.path().join(format!("{size}.bin"));
        let content = data(size, 400 + seed as u64);
        fs::write(&plain, &content).unwrap();
        for armor in [false, true] {
            let sealed = dir.path().join(format!("{size}-{armor}.age"));
            let mut encrypt = pli();
            encrypt.args(["encrypt", "-r", &mine.recipient, "-r", &theirs.recipient]);
            if armor {
                encrypt.arg("-a");
            }
            run_ok(encrypt.arg("-o").arg(&sealed).arg(&plain));
            for key in [&mine, &theirs] {
                let opened = dir.path().join("opened");
                run_ok(
                    typage
                        .command("decrypt")
                        .arg(&opened)
                        .arg(&sealed)
                        .arg(&key.file),
                );
                assert!(
                    fs::read(&opened).unwrap() == content,
                    "size {size}, armor {armor}, key {}",
                    key.file.display()
                );
            }
        }
    }
}

#[test]
fn pli_decrypts_what_typage_encrypts_to_a_pli_pq_key_and_a_typage_key() {
    let Some(typage) = typage("pli_decrypts_what_typage_encrypts") else {
        return;
    };
    let dir = temp_dir();
    let mine = pli_pq_key(dir.path(), "pli.key");
    let theirs = typage_key(&typage, dir.path(), "typage.key");
    for (seed, size) in SIZES.into_iter().enumerate() {
        let plain = dir.path().join(format!("{size}.bin"));
        let sealed = dir.path().join(format!("{size}.age"));
        let content = data(size, 500 + seed as u64);
        fs::write(&plain, &content).unwrap();
        run_ok(
            typage
                .command("encrypt")
                .arg(&sealed)
                .arg(&plain)
                .args([&mine.recipient, &theirs.recipient]),
        );
        // pli reads typage's identity file as well as its own.
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
fn pli_refuses_to_mix_pq_and_classic_recipients_but_opens_such_a_file_from_typage() {
    let Some(typage) = typage("pli_refuses_to_mix_pq_and_classic_recipients") else {
        return;
    };
    let dir = temp_dir();
    let d = dir.path();
    let pq = pli_pq_key(d, "pq.key");
    let classic = pli_key(d, "classic.key");
    let plain = d.join("plain");
    fs::write(&plain, b"a signalement for the parquet").unwrap();
    let output = run(pli()
        .args([
            "encrypt",
            "-r",
            &classic.recipient,
            "-r",
            &pq.recipient,
            "-o",
        ])
        .arg(d.join("mixed.age"))
        .arg(&plain));
    assert_failure(
        "pli encrypt to both kinds",
        &output,
        "post-quantum and classic recipients cannot be mixed",
    );
    assert_eq!(entries(d), ["classic.key", "plain", "pq.key"]);
    // typage does not refuse; such a file opens with either identity, as the spec says.
    let mixed = d.join("mixed.age");
    run_ok(
        typage
            .command("encrypt")
            .arg(&mixed)
            .arg(&plain)
            .args([&classic.recipient, &pq.recipient]),
    );
    for key in [&pq, &classic] {
        let opened = run_ok(pli().args(["decrypt", "-i"]).arg(&key.file).arg(&mixed));
        assert_eq!(opened, b"a signalement for the parquet");
    }
    // One identity file may hold both kinds of key.
    let keyring = d.join("keyring.txt");
    let classic_text = fs::read_to_string(&classic.file).unwrap();
    let pq_text = fs::read_to_string(&pq.file).unwrap();
    fs::write(&keyring, format!("{classic_text}\n{pq_text}")).unwrap();
    let pq_only = run_ok(pli().args(["encrypt", "-r", &pq.recipient]).arg(&plain));
    fs::write(d.join("pq.age"), pq_only).unwrap();
    let opened = run_ok(
        pli()
            .args(["decrypt", "-i"])
            .arg(&keyring)
            .arg(d.join("pq.age")),
    );
    assert_eq!(opened, b"a signalement for the parquet");
}
