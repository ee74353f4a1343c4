//! The networked commands against a real relay (pli-server's `testing`, in this process,
//! on a fresh SQLite file), with a court and a Département set up by pli-client
//! (pli-chaos's `cast`): the `pli` binary logs in from the environment, sends, lists,
//! receives and acknowledges, is killed in the middle of a send and resumes it, and
//! refuses a wrong password, another platform root or a rolled-back log with its
//! documented statuses. Its set-up (a relay and its cast, a [`User`] running `pli`, a send
//! killed midway) serves [`crate::watch`] too.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use pli_api::ExchangeId;
use pli_api::endpoints as ep;
use pli_api::messages::ExchangeCreated;
use pli_chaos::cast::{COURT, Cast, DEPT, PASSWORD, Person, cast};
use pli_server::testing::{Backend, TestServer, spawn};
use serde_json::Value;

use crate::harness::{data, entries, pli, temp_dir};

/// A relay and its cast.
/// The Département's caseworker and the court's clerk of `cast`, each logged in to
/// `server` with a profile of their own.
pub(crate) fn both_logged_in(server: &TestServer, cast: &Cast) -> (User, User) {
    let ase = User::of(&cast.caseworker);
    let court = User::of(&cast.greffier);
    ase.ok(&["login", "--url", &server.base]);
    court.ok(&["login", "--url", &server.base]);
    (ase, court)
}

pub(crate) async fn relay() -> (TestServer, Cast) {
    Box::pin(relay_with(|_| {})).await
}

/// A relay configured by `adjust`, and its cast.
pub(crate) async fn relay_with(
    adjust: impl FnOnce(&mut pli_server::config::Config),
) -> (TestServer, Cast) {
    Box::pin(relay_on(Backend::Sqlite, adjust)).await
}

/// [`relay_with`] on `backend`.
pub(crate) async fn relay_on(
    backend: Backend,
    adjust: impl FnOnce(&mut pli_server::config::Config),
) -> (TestServer, Cast) {
    let server = Box::pin(spawn(backend, adjust)).await.unwrap();
    let cast = Box::pin(cast(&server.base, &server.setup_token))
        .await
        .unwrap();
    (server, cast)
}

/// Someone using `pli` on their machine: their profile folder and their environment.
pub(crate) struct User {
    pub(crate) home: tempfile::TempDir,
    email: String,
    password: String,
    pub(crate) account_key: String,
}

impl User {
    pub(crate) fn of(person: &Person) -> Self {
        Self {
            home: temp_dir(),
            email: person.email.clone(),
            password: PASSWORD.to_owned(),
            account_key: person.account_key(),
        }
    }

    /// `pli ARGS` as this person, credentials in the environment only.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = pli();
        command.args(args);
        self.environment(&mut command);
        command
    }

    /// Gives `command` this person's environment.
    pub(crate) fn environment(&self, command: &mut Command) {
        command
            .env("PLI_HOME", self.home.path())
            .env("PLI_EMAIL", &self.email)
            .env("PLI_PASSWORD", &self.password)
            .env("PLI_ACCOUNT_KEY", &self.account_key)
            .env_remove("PLI_TOTP")
            .stdin(Stdio::null());
    }

    /// Runs `pli ARGS` (off the runtime's worker: the relay runs on the others).
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        tokio::task::block_in_place(|| command.output().unwrap())
    }

    /// Runs `pli ARGS`, insisting that it succeeds; its standard output.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "pli {args:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs `pli ARGS --json`; the document printed.
    pub(crate) fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(&args)).unwrap()
    }

    fn profile(&self) -> PathBuf {
        self.home.path().join("profile.json")
    }

    fn plans(&self) -> Vec<PathBuf> {
        plans_in(&self.home.path().join("sends"))
    }
}

/// The sealed plans kept in `dir`.
pub(crate) fn plans_in(dir: &Path) -> Vec<PathBuf> {
    match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "plan"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Asserts that `output` failed with `status` and one line on stderr containing `expected`.
pub(crate) fn assert_status(case: &str, output: &Output, status: i32, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(status), "{case}: {stderr}");
    assert!(
        stderr.starts_with("pli: ") && stderr.lines().count() == 1,
        "{case}: {stderr}"
    );
    assert!(stderr.contains(expected), "{case}: {stderr}");
}

pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

pub(crate) fn row<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["exchange_id"] == id)
        .unwrap_or_else(|| panic!("{id} is not listed: {list}"))
}

/// The story an integrator's scripts live: log in, check who and where, send a
/// multi-MiB file, the other side lists it, receives the exact bytes with the verified
/// sender, and the sender's outbox shows the receipt. A receive never overwrites, and
/// one of an unknown or tampered exchange leaves the folder as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_goes_from_a_departement_to_a_court_and_is_acknowledged() {
    let (server, cast) = Box::pin(relay()).await;
    let ase = User::of(&cast.caseworker);
    let court = User::of(&cast.greffier);

    let who = ase.json(&["login", "--url", &server.base]);
    assert_eq!(who["email"], "ts@d77.test");
    assert_eq!(who["organisation"]["name"], DEPT);
    assert_eq!(who["organisation"]["role"], "member");
    let root = cast.platform.session.trust.0.fingerprint().to_hex();
    assert_eq!(who["root_fingerprint"], root.as_str());
    // The profile is the owner's alone and holds no secret.
    let profile = fs::read_to_string(ase.profile()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(ase.profile()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(!profile.contains(PASSWORD), "{profile}");
    assert!(!profile.contains(&ase.account_key), "{profile}");
    assert!(profile.contains(&root), "{profile}");
    assert!(
        profile.contains("\"known_log\": {"),
        "the log verified is kept"
    );
    let who = ase.json(&["whoami"]);
    assert_eq!(who["organisation"]["name"], DEPT);

    let directory = ase.json(&["directory"]);
    let tj = directory
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["code"] == "TJ-MEAUX-PARQUET")
        .unwrap_or_else(|| panic!("{directory}"));
    assert_eq!(tj["verified"], true);
    assert_eq!(tj["name"], COURT);
    assert_eq!(tj["key"]["fingerprint"].as_str().unwrap().len(), 64);

    let files = temp_dir();
    let report = data(5 << 20 | 12_345, 7);
    let path = write(files.path(), "signalement.pdf", &report);
    let sent = ase.json(&[
        "send",
        "--to",
        "TJ-MEAUX-PARQUET",
        "--category",
        "signalement",
        "--urgent",
        "--subject",
        "Enfant en danger",
        "--case-ref",
        "2026/00042",
        path.to_str().unwrap(),
    ]);
    let id = sent["exchange_id"].as_str().unwrap().to_owned();
    assert_eq!(sent["resumed"], false);
    // Quiet when not on a terminal: nothing but the document.
    let output = ase.run(&[
        "send",
        "--to",
        "TJ-MEAUX-PARQUET",
        "--category",
        "autre",
        "--subject",
        "Quiet",
        path.to_str().unwrap(),
    ]);
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "{output:?}"
    );
    let quiet = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(ase.plans().is_empty(), "no plan is left once sent");

    court.ok(&["login", "--url", &server.base]);
    let inbox = court.json(&["inbox"]);
    let listed = row(&inbox, &id);
    assert_eq!(listed["verification"], "read");
    assert_eq!(listed["subject"], "Enfant en danger");
    assert_eq!(listed["case_reference"], "2026/00042");
    assert_eq!(listed["urgent"], true);
    assert_eq!(listed["counterpart"], DEPT);
    assert_eq!(listed["read_at"], Value::Null);

    let inbox_dir = temp_dir();
    let out = inbox_dir.path().to_str().unwrap();
    let text = court.ok(&["receive", &id, "--to", out]);
    assert!(
        text.contains("from Travailleuse sociale Durand (Seine-et-Marne — ASE), verified"),
        "{text}"
    );
    assert_eq!(entries(inbox_dir.path()), ["signalement.pdf"]);
    assert!(fs::read(inbox_dir.path().join("signalement.pdf")).unwrap() == report);

    let outbox = ase.json(&["outbox"]);
    assert!(row(&outbox, &id)["read_at"].is_u64(), "{outbox}");

    // Receiving again would overwrite: refused, the file kept as it was.
    let again = court.run(&["receive", &id, "--to", out]);
    assert_status("receive again", &again, 1, "refusing to overwrite");
    assert!(fs::read(inbox_dir.path().join("signalement.pdf")).unwrap() == report);

    // The document a script reads.
    let other_dir = temp_dir();
    let json = court.json(&[
        "receive",
        &quiet,
        "--to",
        other_dir.path().to_str().unwrap(),
    ]);
    let one = &json["received"][0];
    assert_eq!(one["exchange_id"], quiet.as_str());
    assert_eq!(one["sender"]["name"], "Travailleuse sociale Durand");
    assert_eq!(one["sender"]["organisation"], DEPT);
    assert_eq!(one["sender"]["keys_renewed_at"], Value::Null);
    assert_eq!(one["category"], "autre");
    assert_eq!(one["subject"], "Quiet");
    assert_eq!(one["files"][0]["name"], "signalement.pdf");
    assert_eq!(one["files"][0]["size"], report.len());
    assert_eq!(one["acknowledged"], true);
    let saved = one["files"][0]["path"].as_str().unwrap();
    assert!(fs::read(saved).unwrap() == report);

    // An unknown exchange: the relay refuses (status 4), nothing written.
    let empty = temp_dir();
    let unknown = ExchangeId::from_bytes([9; 16]).to_string();
    let output = court.run(&["receive", &unknown, "--to", empty.path().to_str().unwrap()]);
    assert_status("unknown exchange", &output, 4, "cannot open exchange");
    assert!(entries(empty.path()).is_empty());

    // Another exchange, before the one tampered with below.
    let note = write(files.path(), "note.txt", b"Audience le 12 janvier.");
    let sent = ase.json(&[
        "send",
        "--to",
        "TJ-MEAUX-PARQUET",
        "--category",
        "decision",
        "--subject",
        "Audience",
        note.to_str().unwrap(),
    ]);
    let fine = sent["exchange_id"].as_str().unwrap().to_owned();

    // A tampered ciphertext: verification fails (status 5), nothing written.
    let second = write(files.path(), "rapport.pdf", &data(3 << 20, 8));
    let sent = ase.json(&[
        "send",
        "--to",
        &cast.court.to_string(),
        "--category",
        "rapport",
        "--subject",
        "Rapport",
        second.to_str().unwrap(),
    ]);
    let tampered = sent["exchange_id"].as_str().unwrap();
    flip_a_byte(&server, tampered, 1);
    let output = court.run(&["receive", tampered, "--to", empty.path().to_str().unwrap()]);
    assert_status(
        "tampered exchange",
        &output,
        5,
        "cannot download and decrypt",
    );
    assert!(
        entries(empty.path()).is_empty(),
        "{:?}",
        entries(empty.path())
    );
    // No receipt went for it.
    assert_eq!(
        row(&ase.json(&["outbox"]), tampered)["read_at"],
        Value::Null
    );

    // --all receives the others, says which it could not receive (the newest, so the
    // first tried), leaves nothing of it, and ends with its status.
    let output = court.run(&[
        "receive",
        "--all",
        "--to",
        empty.path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(5), "{output:?}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["failed"][0]["exchange_id"], tampered, "{json}");
    assert_eq!(json["received"][0]["exchange_id"], fine.as_str(), "{json}");
    assert_eq!(entries(empty.path()), [fine.as_str()]);
    assert!(
        fs::read(empty.path().join(&fine).join("note.txt")).unwrap() == b"Audience le 12 janvier."
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("pli: 1 exchange(s) could not be received")
            && stderr.contains("cannot download and decrypt"),
        "{stderr}"
    );

    court.ok(&["logout"]);
    assert!(!court.profile().exists());
    let output = court.run(&["inbox"]);
    assert_status("after logout", &output, 1, "not logged in");
}

/// Flips one byte in the middle of object `idx` of exchange `id` on the relay's disk.
pub(crate) fn flip_a_byte(server: &TestServer, id: &str, idx: u32) {
    // The blob store's keys are `x/<exchange>/<object>/…`, files under the data folder.
    let object = format!("/{id}/{idx}/");
    let mut parts: Vec<PathBuf> = walk(server.data.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(&object))
        .collect();
    parts.sort();
    let part = parts
        .first()
        .unwrap_or_else(|| panic!("no part of {object}"));
    let mut bytes = fs::read(part).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    fs::write(part, bytes).unwrap();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// Starts `pli ARGS` (a send) as `user`, and kills it (SIGKILL) once its plan is kept
/// in `plans` — and, if `after_a_part`, once the relay holds a part of it; the exchange
/// it created.
pub(crate) async fn send_and_kill(
    user: &User,
    person: &Person,
    args: &[&str],
    plans: &Path,
    after_a_part: bool,
) -> ExchangeId {
    let known: Vec<PathBuf> = plans_in(plans);
    let mut child = user.command(args).stdout(Stdio::piped()).spawn().unwrap();
    let exchange = loop {
        let new = plans_in(plans).into_iter().find(|p| !known.contains(p));
        if let Some(plan) = new
            && let Ok(sealed) = fs::read(plan)
            && let Ok(pending) = person.session.pending_send(&sealed)
        {
            break pending.exchange_id;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the send ended before a plan"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    if after_a_part {
        loop {
            let status: ExchangeCreated = person
                .session
                .client()
                .fetch(&ep::UploadStatus { id: exchange })
                .await
                .unwrap();
            if status.objects.iter().any(|o| o.parts_stored > 0) {
                break;
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "the send ended before the kill"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    exchange
}

/// A send killed (SIGKILL) once the relay holds its first part: the same command run
/// again resumes the same exchange, and the court receives exactly one, intact (on a
/// terminal, with its progress shown). A file changed since is refused, and --restart
/// abandons and sends anew; logging out with a send pending asks for --abandon.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_killed_midway_resumes_when_run_again() {
    let (server, cast) = Box::pin(relay()).await;
    let ase = User::of(&cast.caseworker);
    let court = User::of(&cast.greffier);
    ase.ok(&["login", "--url", &server.base]);
    let files = temp_dir();
    // Five parts of 16 MiB.
    let big = data(80 << 20, 3);
    let path = write(files.path(), "dossier.pdf", &big);
    let args = [
        "send",
        "--to",
        "TJ-MEAUX-PARQUET",
        "--category",
        "rapport",
        "--subject",
        "Dossier complet",
        path.to_str().unwrap(),
        "--json",
    ];
    let sends = ase.home.path().join("sends");
    let exchange = send_and_kill(&ase, &cast.caseworker, &args, &sends, true).await;
    assert_eq!(ase.plans().len(), 1, "the plan stays for the resume");

    // The same file with other content is refused, and the plan kept.
    let changed = temp_dir();
    let mut other = big.clone();
    other[1000] ^= 1;
    let other_path = write(changed.path(), "dossier.pdf", &other);
    let mut changed_args = args;
    changed_args[7] = other_path.to_str().unwrap();
    let output = ase.run(&changed_args);
    assert_status("changed file", &output, 1, "cannot resume");
    assert_eq!(ase.plans().len(), 1);

    let plan = ase.plans().remove(0);
    let kept = fs::read(&plan).unwrap();
    // Another pli sending it (its lock held): refused before anything is encrypted.
    let other_pli = fs::File::create(plan.with_extension("lock")).unwrap();
    other_pli.lock().unwrap();
    let output = ase.run(&args[..args.len() - 1]);
    assert_status("locked", &output, 1, "under way in another pli process");
    assert_eq!(fs::read(&plan).unwrap(), kept, "the plan is untouched");
    drop(other_pli);
    let resumed = ase.json(&args[..args.len() - 1]);
    assert_eq!(resumed["resumed"], true);
    assert_eq!(resumed["exchange_id"], exchange.to_string());
    assert!(ase.plans().is_empty());
    // Cut after the relay delivered, before the plan was removed: run again, it is done.
    fs::write(&plan, &kept).unwrap();
    let again = ase.json(&args[..args.len() - 1]);
    assert_eq!(again["resumed"], true);
    assert_eq!(again["exchange_id"], exchange.to_string());
    assert!(ase.plans().is_empty());

    court.ok(&["login", "--url", &server.base]);
    let inbox = court.json(&["inbox"]);
    let delivered: Vec<&Value> = inbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["subject"] == "Dossier complet")
        .collect();
    assert_eq!(delivered.len(), 1, "{inbox}");
    // On a terminal (script(1) gives it one), the receive shows its progress.
    let out = temp_dir();
    let mut script = Command::new("script");
    script.args([
        "--quiet",
        "--return",
        "--command",
        &format!(
            "{} receive --all --no-ack --to {}",
            env!("CARGO_BIN_EXE_pli"),
            out.path().display()
        ),
        "/dev/null",
    ]);
    court.environment(&mut script);
    let output = tokio::task::block_in_place(|| script.output().unwrap());
    let terminal = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{terminal}");
    assert!(
        terminal.contains("receiving 100 % (80 of 80 MiB)"),
        "{terminal}"
    );
    let received = out.path().join(exchange.to_string()).join("dossier.pdf");
    assert!(fs::read(received).unwrap() == big);
    assert_eq!(entries(out.path()), [exchange.to_string()]);
    // Not acknowledged until pli ack.
    let id = exchange.to_string();
    assert_eq!(row(&ase.json(&["outbox"]), &id)["read_at"], Value::Null);
    court.ok(&["ack", &id]);
    assert!(row(&ase.json(&["outbox"]), &id)["read_at"].is_u64());

    // A kept plan of a delivered exchange, but the file is newer: a new send of a file
    // with the same name, not the old one again.
    fs::write(&plan, &kept).unwrap();
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&plan)
        .unwrap()
        .set_modified(an_hour_ago)
        .unwrap();
    let new = ase.json(&args[..args.len() - 1]);
    assert_eq!(new["resumed"], false);
    assert_ne!(new["exchange_id"], id.as_str());
    assert!(ase.plans().is_empty());

    // Cut again once a part left; the file changed meanwhile: refused (what left was
    // encrypted from the old content), and --restart abandons the interrupted send on the
    // relay and sends anew. (Cut before any part left, a changed file is simply sent.)
    let cut = send_and_kill(&ase, &cast.caseworker, &args, &sends, true).await;
    fs::write(&path, &other).unwrap();
    let output = ase.run(&args);
    assert_status("changed file", &output, 1, "cannot resume");
    let mut restart = args.to_vec();
    restart.push("--restart");
    let restarted: Value = serde_json::from_slice(&ase.run(&restart).stdout).unwrap();
    assert_eq!(restarted["resumed"], false);
    assert_ne!(restarted["exchange_id"], cut.to_string());
    assert!(ase.plans().is_empty());
    let detail = cast
        .caseworker
        .session
        .client()
        .fetch(&ep::Exchange { id: cut })
        .await;
    assert!(
        detail.is_err()
            || detail.is_ok_and(|d| d.summary.state == pli_api::ExchangeState::Abandoned),
        "the interrupted send is abandoned on the relay"
    );

    // Logging out with a send pending is refused, unless it is abandoned too.
    send_and_kill(&ase, &cast.caseworker, &args, &sends, false).await;
    let output = ase.run(&["logout"]);
    assert_status(
        "logout with a send pending",
        &output,
        1,
        "interrupted send(s) pending",
    );
    assert!(ase.profile().exists());
    ase.ok(&["logout", "--abandon"]);
    assert!(!ase.profile().exists());
    assert!(ase.plans().is_empty());
}
/// A wrong password is refused with status 4; a root fingerprint that is not the
/// account's at login, a profile pinned to another root, or a relay that no longer holds
/// the log the profile verified, with status 5. The profile's log follows the relay's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_another_root_or_a_rolled_back_log_is_refused() {
    let (server, cast) = Box::pin(relay()).await;
    let mut ase = User::of(&cast.caseworker);
    ase.password = "not the password at all".into();
    let output = ase.run(&["login", "--url", &server.base]);
    assert_status("wrong password", &output, 4, "cannot log in");
    assert!(!ase.profile().exists());
    ase.password = PASSWORD.into();

    let other = pli_crypto::sign::SigningKey::generate()
        .unwrap()
        .verifying_key();
    let output = ase.run(&[
        "login",
        "--url",
        &server.base,
        "--root",
        &other.fingerprint().to_hex(),
    ]);
    assert_status("another root at login", &output, 5, "another platform root");
    assert!(!ase.profile().exists());

    let root = cast.platform.session.trust.0.fingerprint().to_hex();
    ase.ok(&["login", "--url", &server.base, "--root", &root[..32]]);
    let profile = fs::read_to_string(ase.profile()).unwrap();
    let mut json: Value = serde_json::from_str(&profile).unwrap();
    json["root_key"] =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, other.to_bytes()).into();
    fs::write(ase.profile(), serde_json::to_vec(&json).unwrap()).unwrap();
    let output = ase.run(&["whoami"]);
    assert_status(
        "a profile pinned to another root",
        &output,
        5,
        "another platform root",
    );

    // The log verified is kept in the profile, and moves forward with the relay's: a new
    // organisation is a new entry.
    ase.ok(&["login", "--url", &server.base]);
    let before: Value = serde_json::from_slice(&fs::read(ase.profile()).unwrap()).unwrap();
    cast.platform
        .session
        .create_org(
            pli_crypto::cert::OrgKind::Departement,
            "Val-de-Marne — ASE",
            "D94-ASE",
        )
        .await
        .unwrap();
    ase.ok(&["whoami"]);
    let after: Value = serde_json::from_slice(&fs::read(ase.profile()).unwrap()).unwrap();
    assert_ne!(before["known_log"], after["known_log"]);
    // A relay that no longer holds what the profile says was verified is refused.
    let mut rolled_back = after.clone();
    rolled_back["known_log"]["confirmed"] = 1_000_000.into();
    fs::write(ase.profile(), serde_json::to_vec(&rolled_back).unwrap()).unwrap();
    let output = ase.run(&["whoami"]);
    assert_status(
        "a log rolled back",
        &output,
        5,
        "no longer holds the checkpoint",
    );
}
