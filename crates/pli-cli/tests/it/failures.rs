//! Failures: status 1 (2 for usage errors), one line on standard error that names the problem, and with `-o`
//! no output file and no temporary file left behind, even when the failure comes after
//! megabytes of plaintext were written.

use std::ffi::{OsStr, OsString};
use std::fs;

use crate::harness::{
    assert_failure, assert_failure_with, data, entries, pli, pli_key, run, run_ok, run_with_stdin,
    temp_dir,
};

/// Plaintext bytes per chunk, and ciphertext bytes per full chunk.
const CHUNK: usize = 64 * 1024;
const SEALED_CHUNK: usize = CHUNK + 16;

/// Over two of pli's 4 MiB read blocks, so that a failure near the end comes after
/// plaintext has been written out.
const LARGE: usize = 9 * 1024 * 1024 + 1;

struct Case {
    name: &'static str,
    args: Vec<OsString>,
    stdin: Option<Vec<u8>>,
    expected: &'static str,
}

fn args(parts: &[&dyn AsRef<OsStr>]) -> Vec<OsString> {
    parts.iter().map(|part| part.as_ref().to_owned()).collect()
}

#[test]
fn failures_leave_no_output_file_and_say_why_on_one_line() {
    let dir = temp_dir();
    let d = dir.path();
    let key = pli_key(d, "key.txt");
    let other = pli_key(d, "other.txt");
    let plain = d.join("plain");
    fs::write(&plain, data(LARGE, 1)).unwrap();
    let sealed = d.join("sealed.age");
    run_ok(
        pli()
            .args(["encrypt", "-r", &key.recipient, "-o"])
            .arg(&sealed)
            .arg(&plain),
    );
    let good = fs::read(&sealed).unwrap();
    let header_len = good.windows(4).position(|w| w == b"\n---").unwrap() + 1 + 48;
    let payload = header_len + 16;

    let write = |name: &str, bytes: &[u8]| {
        let path = d.join(name);
        fs::write(&path, bytes).unwrap();
        path
    };
    // Ends right after a full chunk that is not the last one.
    let truncated_chunks = write(
        "truncated-chunks.age",
        &good[..payload + 100 * SEALED_CHUNK],
    );
    // Ends inside a chunk: indistinguishable from a damaged final chunk.
    let truncated_inside = write(
        "truncated-inside.age",
        &good[..payload + 100 * SEALED_CHUNK + 99],
    );
    let truncated_header = write("truncated-header.age", &good[..header_len - 10]);
    let truncated_nonce = write("truncated-nonce.age", &good[..payload - 1]);
    let mut late_flip = good.clone();
    let last = late_flip.len() - 20;
    late_flip[last] ^= 0x01;
    let late_flip = write("late-flip.age", &late_flip);
    let mut early_flip = good.clone();
    early_flip[payload + 5] ^= 0x80;
    let early_flip = write("early-flip.age", &early_flip);
    let mut mac_flip = good.clone();
    let mac_at = header_len - 10;
    mac_flip[mac_at] = if mac_flip[mac_at] == b'A' { b'B' } else { b'A' };
    let mac_flip = write("mac-flip.age", &mac_flip);
    let text = write("text.txt", b"Dear court, please find attached...\n");
    let empty = write("empty.age", b"");
    let mut armored_text = String::from_utf8(run_ok(
        pli()
            .args(["encrypt", "-a", "-r", &key.recipient])
            .arg(d.join("text.txt")),
    ))
    .unwrap();
    armored_text.insert(armored_text.len() / 2, '!');
    let armored = write("armored.age", armored_text.as_bytes());
    let bad_identity = write(
        "bad-identity.txt",
        b"# a comment\nAGE-SECRET-KEY-1NOTAKEY\n",
    );
    let recipients = write("recipients.txt", b"# the court\nage1nope\n");
    let secret_key_text = fs::read_to_string(&key.file).unwrap();
    let secret = secret_key_text.lines().last().unwrap().to_owned();

    let k = &key.file;
    let cases = vec![
        Case {
            name: "wrong key",
            args: args(&[&"decrypt", &"-i", &other.file, &sealed]),
            stdin: None,
            expected: "no identity matches: the file was not encrypted to this key",
        },
        Case {
            name: "truncated after a full chunk",
            args: args(&[&"decrypt", &"-i", k, &truncated_chunks]),
            stdin: None,
            expected: "pli: the age file is truncated\n",
        },
        Case {
            name: "truncated inside a chunk",
            args: args(&[&"decrypt", &"-i", k, &truncated_inside]),
            stdin: None,
            expected: "pli: the encrypted data is corrupted\n",
        },
        Case {
            name: "truncated in the header",
            args: args(&[&"decrypt", &"-i", k, &truncated_header]),
            stdin: None,
            expected: "the age file is truncated",
        },
        Case {
            name: "truncated in the nonce",
            args: args(&[&"decrypt", &"-i", k, &truncated_nonce]),
            stdin: None,
            expected: "the age file is truncated",
        },
        Case {
            name: "flipped byte in the last chunk",
            args: args(&[&"decrypt", &"-i", k, &late_flip]),
            stdin: None,
            expected: "pli: the encrypted data is corrupted\n",
        },
        Case {
            name: "flipped byte in the first chunk",
            args: args(&[&"decrypt", &"-i", k, &early_flip]),
            stdin: None,
            expected: "pli: the encrypted data is corrupted\n",
        },
        Case {
            name: "altered header MAC",
            args: args(&[&"decrypt", &"-i", k, &mac_flip]),
            stdin: None,
            expected: "the age header was altered",
        },
        Case {
            name: "not an age file",
            args: args(&[&"decrypt", &"-i", k, &text]),
            stdin: None,
            expected: "pli: not an age file\n",
        },
        Case {
            name: "empty file",
            args: args(&[&"decrypt", &"-i", k, &empty]),
            stdin: None,
            expected: "not an age file: the input is empty",
        },
        Case {
            name: "empty standard input",
            args: args(&[&"decrypt", &"-i", k]),
            stdin: Some(Vec::new()),
            expected: "not an age file: the input is empty",
        },
        Case {
            name: "damaged armor",
            args: args(&[&"decrypt", &"-i", k, &armored]),
            stdin: None,
            expected: "invalid ASCII armor",
        },
        Case {
            name: "missing input file",
            args: args(&[&"decrypt", &"-i", k, &d.join("missing.age")]),
            stdin: None,
            expected: "missing.age: No such file or directory\n",
        },
        Case {
            name: "missing identity file",
            args: args(&[&"decrypt", &"-i", &d.join("nokey.txt"), &sealed]),
            stdin: None,
            expected: "cannot open identity file ",
        },
        Case {
            name: "invalid identity file",
            args: args(&[&"decrypt", &"-i", &bad_identity, &sealed]),
            stdin: None,
            expected: "bad-identity.txt line 2",
        },
        Case {
            name: "no identity",
            args: args(&[&"decrypt", &sealed]),
            stdin: None,
            expected: "no identity",
        },
        Case {
            name: "bad recipient string",
            args: args(&[&"encrypt", &"-r", &"xyz", &plain]),
            stdin: None,
            expected: "pli: invalid recipient \"xyz\": ",
        },
        Case {
            name: "bad recipient in a recipients file",
            args: args(&[&"encrypt", &"-R", &recipients, &plain]),
            stdin: None,
            expected: "invalid recipient \"age1nope\" in ",
        },
        Case {
            name: "a secret key given as recipient",
            args: args(&[&"encrypt", &"-r", &secret, &plain]),
            stdin: None,
            expected: "this is a secret key",
        },
        Case {
            name: "no recipient",
            args: args(&[&"encrypt", &plain]),
            stdin: None,
            expected: "no recipient",
        },
        Case {
            name: "missing recipients file",
            args: args(&[&"encrypt", &"-R", &d.join("nobody.txt"), &plain]),
            stdin: None,
            expected: "nobody.txt: No such file or directory",
        },
        Case {
            name: "missing file to encrypt",
            args: args(&[&"encrypt", &"-r", &key.recipient, &d.join("missing.bin")]),
            stdin: None,
            expected: "missing.bin: No such file or directory",
        },
    ];

    for case in cases {
        let out_dir = d.join("out");
        fs::create_dir(&out_dir).unwrap();
        let result = out_dir.join("result");
        let mut command = pli();
        command.args(&case.args).arg("-o").arg(&result);
        let output = match &case.stdin {
            Some(input) => run_with_stdin(&mut command, input),
            None => run(&mut command),
        };
        let line = assert_failure(case.name, &output, case.expected);
        assert!(
            !line.contains(&secret[15..]),
            "{}: the error repeats a secret key",
            case.name
        );
        assert_eq!(
            entries(&out_dir),
            Vec::<String>::new(),
            "{}: the output directory must stay empty",
            case.name
        );
        fs::remove_dir(&out_dir).unwrap();
    }
}

#[test]
fn a_failed_decryption_keeps_an_existing_output_file_intact() {
    let dir = temp_dir();
    let key = pli_key(dir.path(), "key.txt");
    let previous = dir.path().join("report.pdf");
    fs::write(&previous, b"the previous version").unwrap();
    let bogus = dir.path().join("bogus.age");
    fs::write(&bogus, b"age-encryption.org/v1\n-> X25519 nope\n").unwrap();
    let output = run(pli()
        .args(["decrypt", "-i"])
        .arg(&key.file)
        .arg("-o")
        .arg(&previous)
        .arg(&bogus));
    assert_failure("malformed header", &output, "pli: ");
    assert_eq!(fs::read(&previous).unwrap(), b"the previous version");
    assert_eq!(entries(dir.path()), ["bogus.age", "key.txt", "report.pdf"]);
}

/// Usage errors have a status of their own, 2, as `pli --help` documents.
#[test]
fn usage_errors_are_one_line_too() {
    for (name, arguments, expected) in [
        ("unknown option", &["encrypt", "--bogus"][..], "--bogus"),
        ("unknown command", &["frobnicate"][..], "frobnicate"),
        ("missing option value", &["decrypt", "-i"][..], "--identity"),
    ] {
        let output = run(pli().args(arguments));
        assert_failure_with(name, &output, expected, 2);
    }
}
