//! Everyday use: recipients and identity files with comments, several keys, standard
//! input and output, and the refusal to print binary to a terminal.

use std::fs;

use crate::harness::{
    age_key, assert_failure, data, entries, pli, pli_key, reference, run, run_ok, run_with_stdin,
    temp_dir,
};

#[test]
fn recipients_files_and_identity_files_with_comments_and_several_keys() {
    let dir = temp_dir();
    let d = dir.path();
    let court = pli_key(d, "court.key");
    let service = age_key(d, "service.key");
    let stranger = pli_key(d, "stranger.key");
    let recipients = d.join("recipients.txt");
    fs::write(
        &recipients,
        format!(
            "# Tribunal judiciaire de Meaux\n\n  {}  \r\n# ASE\n{}\n",
            court.recipient, service.recipient
        ),
    )
    .unwrap();
    let plain = d.join("plain");
    let content = data(100_000, 11);
    fs::write(&plain, &content).unwrap();
    let sealed = d.join("sealed.age");
    run_ok(
        pli()
            .args(["encrypt", "-R"])
            .arg(&recipients)
            .arg("-o")
            .arg(&sealed)
            .arg(&plain),
    );
    // Each recipient of the file opens it, with age and with pli.
    for key in [&court, &service] {
        let opened = run_ok(
            reference("age")
                .arg("-d")
                .arg("-i")
                .arg(&key.file)
                .arg(&sealed),
        );
        assert!(opened == content);
    }
    // An identity file with several keys (the matching one last), and several -i.
    let keyring = d.join("keyring.txt");
    let stranger_text = fs::read_to_string(&stranger.file).unwrap();
    let service_text = fs::read_to_string(&service.file).unwrap();
    fs::write(
        &keyring,
        format!("{stranger_text}\n# old key\n{service_text}"),
    )
    .unwrap();
    let opened = run_ok(pli().args(["decrypt", "-i"]).arg(&keyring).arg(&sealed));
    assert!(opened == content);
    let opened = run_ok(
        pli()
            .args(["decrypt", "-i"])
            .arg(&stranger.file)
            .arg("-i")
            .arg(&court.file)
            .arg(&sealed),
    );
    assert!(opened == content);
    let output = run(pli()
        .args(["decrypt", "-i"])
        .arg(&stranger.file)
        .arg(&sealed));
    assert_failure("stranger", &output, "no identity matches");
}

#[test]
fn standard_input_to_standard_output_both_ways() {
    let dir = temp_dir();
    let key = pli_key(dir.path(), "key.txt");
    let content = data(300_000, 12);
    let mut encrypt = pli();
    encrypt.args(["encrypt", "-r", &key.recipient]);
    let sealed = run_with_stdin(&mut encrypt, &content);
    assert!(sealed.status.success(), "{sealed:?}");
    assert!(sealed.stdout.starts_with(b"age-encryption.org/v1\n"));
    let mut decrypt = pli();
    decrypt.args(["decrypt", "-i"]).arg(&key.file).arg("-");
    let opened = run_with_stdin(&mut decrypt, &sealed.stdout);
    assert!(opened.status.success(), "{opened:?}");
    assert!(opened.stdout == content);
    // Armored, through "-" for both ends.
    let mut encrypt = pli();
    encrypt.args(["encrypt", "-a", "-r", &key.recipient, "-o", "-", "-"]);
    let armored = run_with_stdin(&mut encrypt, &content);
    assert!(
        armored
            .stdout
            .starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----\n")
    );
    let mut decrypt = pli();
    decrypt.args(["decrypt", "-i"]).arg(&key.file);
    let opened = run_with_stdin(&mut decrypt, &armored.stdout);
    assert!(opened.status.success(), "{opened:?}");
    assert!(opened.stdout == content);
}

#[test]
fn output_files_replace_the_destination_and_leave_nothing_else() {
    let dir = temp_dir();
    let key = pli_key(dir.path(), "key.txt");
    let plain = dir.path().join("plain");
    fs::write(&plain, b"version 2").unwrap();
    let sealed = dir.path().join("sealed.age");
    fs::write(&sealed, b"version 1").unwrap();
    run_ok(
        pli()
            .args(["encrypt", "-r", &key.recipient, "-o"])
            .arg(&sealed)
            .arg(&plain),
    );
    let opened = dir.path().join("opened");
    run_ok(
        pli()
            .args(["decrypt", "-i"])
            .arg(&key.file)
            .arg("-o")
            .arg(&opened)
            .arg(&sealed),
    );
    assert_eq!(fs::read(&opened).unwrap(), b"version 2");
    #[cfg(unix)]
    {
        // Decrypted files are for their owner only.
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&opened).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }
    assert_eq!(
        entries(dir.path()),
        ["key.txt", "opened", "plain", "sealed.age"]
    );
}

#[test]
fn encrypt_refuses_to_print_binary_to_a_terminal() {
    // `script` (util-linux) runs the command on a pseudo-terminal.
    let dir = temp_dir();
    let key = pli_key(dir.path(), "key.txt");
    let plain = dir.path().join("plain");
    fs::write(&plain, b"hello").unwrap();
    let command = format!(
        "{} encrypt -r {} {}",
        env!("CARGO_BIN_EXE_pli"),
        key.recipient,
        plain.display()
    );
    let output = run(std::process::Command::new("script").args([
        "--quiet",
        "--return",
        "--command",
        &command,
        "/dev/null",
    ]));
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        text.contains("pli: refusing to write binary ciphertext to a terminal"),
        "{text}"
    );
    // Armored text is fine.
    let command = format!("{command} --armor");
    let output = run(std::process::Command::new("script").args([
        "--quiet",
        "--return",
        "--command",
        &command,
        "/dev/null",
    ]));
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("-----BEGIN AGE ENCRYPTED FILE-----"));
}
