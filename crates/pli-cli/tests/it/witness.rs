//! `pli witness`: the key file, the verifier key, and a witness served by the command
//! that cosigns, and remembers what it cosigned after being killed.

use std::fs;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};

use pli_log::note::{COSIGNATURE_V1, ED25519, NoteKey, parse_verifier_key};
use pli_log::witness::AddCheckpoint;

use crate::harness::{assert_failure, entries, pli, run, run_ok, temp_dir};

const NAME: &str = "temoin.example.fr";
const ORIGIN: &str = "pli.example.fr/annuaire";

#[test]
fn witness_keygen_writes_an_owner_only_key_and_prints_its_verifier_key() {
    let dir = temp_dir();
    let path = dir.path().join("witness.key");
    let keygen = || {
        let mut command = pli();
        command
            .args(["witness", "keygen", "--name", NAME, "--key"])
            .arg(&path);
        command
    };
    let printed = String::from_utf8(run_ok(&mut keygen())).unwrap();
    let vkey = printed.strip_suffix('\n').unwrap();
    assert_eq!(parse_verifier_key(vkey, COSIGNATURE_V1).unwrap().0, NAME);
    let seed = fs::read(&path).unwrap();
    assert_eq!(seed.len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    let again = run_ok(
        pli()
            .args(["witness", "vkey", "--name", NAME, "--key"])
            .arg(&path),
    );
    assert_eq!(String::from_utf8(again).unwrap(), printed);

    let output = run(&mut keygen());
    assert_failure("keygen over a key", &output, "cannot create the key file");
    assert_eq!(fs::read(&path).unwrap(), seed, "not overwritten");

    let output = run(pli()
        .args(["witness", "keygen", "--name", "a name", "--key"])
        .arg(dir.path().join("other.key")));
    assert_failure("a name with a space", &output, "invalid witness name");
    assert_eq!(entries(dir.path()), ["witness.key"]);
}

/// `pli witness serve`, killed when dropped.
struct Serving {
    child: Child,
    address: String,
}

impl Serving {
    fn start(dir: &Path, log: &[&str]) -> Self {
        let mut child = pli()
            .args(["witness", "serve", "--name", NAME, "--key"])
            .arg(dir.join("witness.key"))
            .arg("--state")
            .arg(dir.join("state"))
            .args(log)
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("the witness stopped before listening")
                .unwrap();
            if let Some((_, rest)) = line.split_once("address=") {
                break rest.split(' ').next().unwrap().to_owned();
            }
        };
        // Keep reading, so that the witness's logging never blocks.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, address }
    }

    /// Sends an `add-checkpoint` request; the status and body.
    fn add(&self, request: &AddCheckpoint) -> (u16, String) {
        let body = request.to_body();
        let mut stream = TcpStream::connect(&self.address).unwrap();
        write!(
            stream,
            "POST /add-checkpoint HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.address,
            body.len()
        )
        .unwrap();
        stream.write_all(&body).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response.split(' ').nth(1).unwrap().parse().unwrap();
        let (_, body) = response.split_once("\r\n\r\n").unwrap();
        (status, body.to_owned())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn witness_serve_cosigns_and_remembers_what_it_cosigned_after_being_killed() {
    let dir = temp_dir();
    run_ok(
        pli()
            .args(["witness", "keygen", "--name", NAME, "--key"])
            .arg(dir.path().join("witness.key")),
    );
    let log = NoteKey::new(ORIGIN, &[1; 32]).unwrap();
    let log_vkey = log.verifier_key(ED25519).unwrap();
    // From size 0 a witness takes any tree: no proof.
    let request = |old| AddCheckpoint {
        old_size: old,
        proof: vec![],
        note: log.sign_checkpoint(3, [9; 32]).unwrap(),
    };

    let serving = Serving::start(dir.path(), &["--log-vkey", &log_vkey]);
    let (status, body) = serving.add(&request(0));
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with(&format!("— {NAME} ")) && body.ends_with('\n'));
    drop(serving);

    // Killed after answering: the state was on disk before the answer left.
    let both = format!("{ORIGIN} {log_vkey}");
    let serving = Serving::start(dir.path(), &["--log", &both]);
    assert_eq!(serving.add(&request(0)), (409, "3\n".to_owned()));
    assert_eq!(serving.add(&request(3)).0, 200);
}

#[test]
fn witness_serve_needs_a_log() {
    let dir = temp_dir();
    let key = dir.path().join("witness.key");
    run_ok(
        pli()
            .args(["witness", "keygen", "--name", NAME, "--key"])
            .arg(&key),
    );
    let output = run(pli()
        .args(["witness", "serve", "--name", NAME, "--key"])
        .arg(&key)
        .arg("--state")
        .arg(dir.path()));
    assert_failure("no log", &output, "no log to witness");
    let output = run(pli()
        .args(["witness", "serve", "--name", NAME, "--key"])
        .arg(&key)
        .arg("--state")
        .arg(dir.path())
        .args(["--log", "pli.example.fr/annuaire"]));
    assert_failure("--log without a key", &output, "separated by a space");
}
