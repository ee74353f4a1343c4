//! `pli keygen`: age-keygen's file format, mode 0600, never overwrites.

use std::fs;

use crate::harness::{assert_failure, entries, pli, reference, run, run_ok, temp_dir};

/// Checks the three lines of an identity file and returns (created, recipient, secret).
fn parse_identity_file(text: &str) -> (String, String, String) {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "three lines: {text:?}");
    assert!(text.ends_with('\n'));
    let created = lines[0].strip_prefix("# created: ").expect("created line");
    let recipient = lines[1]
        .strip_prefix("# public key: ")
        .expect("public key line");
    let secret = lines[2];
    // RFC 3339 in UTC, whole seconds: 2026-01-31T23:59:59Z.
    let shape: String = created
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "9999-99-99T99:99:99Z", "created: {created}");
    assert!(created >= "2025", "created: {created}");
    if recipient.starts_with("age1pq1") {
        // 1216 and 32 bytes of Bech32 (8 bits in 5), and the 6-character checksum.
        assert_eq!(recipient.len(), "age1pq1".len() + 1946 + 6);
        assert!(secret.starts_with("AGE-SECRET-KEY-PQ-1"));
        assert_eq!(secret.len(), "AGE-SECRET-KEY-PQ-1".len() + 52 + 6);
    } else {
        assert!(recipient.starts_with("age1") && recipient.len() == 62);
        assert!(secret.starts_with("AGE-SECRET-KEY-1") && secret.len() == 74);
    }
    (created.to_owned(), recipient.to_owned(), secret.to_owned())
}

#[test]
fn keygen_writes_an_owner_only_file_like_age_keygen() {
    let dir = temp_dir();
    let path = dir.path().join("org.key");
    let output = run(pli().arg("keygen").arg("-o").arg(&path));
    assert!(output.status.success(), "{output:?}");
    assert!(output.stdout.is_empty());
    let text = fs::read_to_string(&path).unwrap();
    let (_, recipient, _) = parse_identity_file(&text);
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!("Public key: {recipient}\n")
    );
    // age-keygen derives the same public key from the secret.
    let derived = run_ok(reference("age-keygen").arg("-y").arg(&path));
    assert_eq!(String::from_utf8(derived).unwrap().trim(), recipient);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    assert_eq!(entries(dir.path()), ["org.key"]);
}

#[test]
fn keygen_refuses_to_overwrite_an_existing_file() {
    let dir = temp_dir();
    let path = dir.path().join("org.key");
    run_ok(pli().arg("keygen").arg("-o").arg(&path));
    let before = fs::read(&path).unwrap();
    let output = run(pli().arg("keygen").arg("-o").arg(&path));
    assert_failure("keygen over a key", &output, "org.key already exists");
    assert_eq!(fs::read(&path).unwrap(), before, "the key must not change");
    // Not even over an unrelated file, nor through a dangling symbolic link.
    let notes = dir.path().join("notes.txt");
    fs::write(&notes, b"keep me").unwrap();
    let output = run(pli().arg("keygen").arg("-o").arg(&notes));
    assert_failure("keygen over a file", &output, "already exists");
    assert_eq!(fs::read(&notes).unwrap(), b"keep me");
    #[cfg(unix)]
    {
        let link = dir.path().join("link.key");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
        let output = run(pli().arg("keygen").arg("-o").arg(&link));
        assert_failure("keygen over a dangling link", &output, "already exists");
        assert!(!dir.path().join("nowhere").exists());
    }
    let mut expected = vec!["link.key", "notes.txt", "org.key"];
    expected.retain(|name| cfg!(unix) || *name != "link.key");
    assert_eq!(entries(dir.path()), expected, "no temporary file left");
}

#[test]
fn keygen_without_o_writes_the_file_to_standard_output() {
    let output = run(pli().arg("keygen"));
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let (_, recipient, secret) = parse_identity_file(&text);
    // Standard output is not a terminal here: the public key also goes to stderr.
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!("Public key: {recipient}\n")
    );
    // Every key is new.
    let again = String::from_utf8(run_ok(pli().arg("keygen"))).unwrap();
    assert_ne!(parse_identity_file(&again).2, secret);
}

#[test]
fn keygen_pq_writes_a_hybrid_identity_like_age_keygen_pq() {
    let dir = temp_dir();
    let path = dir.path().join("pq.key");
    let output = run(pli().args(["keygen", "--pq", "-o"]).arg(&path));
    assert!(output.status.success(), "{output:?}");
    assert!(output.stdout.is_empty());
    let text = fs::read_to_string(&path).unwrap();
    let (_, recipient, secret) = parse_identity_file(&text);
    assert!(recipient.starts_with("age1pq1"), "{recipient:.20}");
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!("Public key: {recipient}\n")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    // The recipient pli printed is the identity's.
    let identity: pli_crypto::age::HybridIdentity = secret.parse().unwrap();
    assert_eq!(identity.to_recipient().to_string(), recipient);
    // To standard output too, and every key is new.
    let again = String::from_utf8(run_ok(pli().args(["keygen", "--pq"]))).unwrap();
    let (_, other, other_secret) = parse_identity_file(&again);
    assert!(other.starts_with("age1pq1"));
    assert_ne!(other_secret, secret);
    assert_eq!(entries(dir.path()), ["pq.key"]);
}

/// `pli authority check`: a root file saved from the platform page opens with its
/// passphrase and names its root; a wrong passphrase or an altered file fails, saying so.
#[test]
fn authority_check_opens_a_root_file_and_prints_its_fingerprint() {
    let dir = temp_dir();
    let root = pli_crypto::sign::SigningKey::generate().unwrap();
    let path = dir.path().join("pli-cle-racine.txt");
    fs::write(
        &path,
        pli_crypto::authority::seal(&root, "armoire forte, clé bleue").unwrap(),
    )
    .unwrap();
    let output = run(pli()
        .args(["authority", "check"])
        .arg(&path)
        .env("PLI_ROOT_PASSPHRASE", "armoire forte, clé bleue"));
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "root file OK\nfingerprint: {}\n",
            root.verifying_key().fingerprint()
        )
    );
    let wrong = run(pli()
        .args(["authority", "check"])
        .arg(&path)
        .env("PLI_ROOT_PASSPHRASE", "armoire"));
    assert_failure(
        "wrong passphrase",
        &wrong,
        "the passphrase does not open this root file",
    );
    fs::write(&path, "Pli — clé racine\n").unwrap();
    let cut = run(pli()
        .args(["authority", "check"])
        .arg(&path)
        .env("PLI_ROOT_PASSPHRASE", "armoire forte, clé bleue"));
    assert_failure("cut file", &cut, "no PLI ROOT KEY armour");
}
