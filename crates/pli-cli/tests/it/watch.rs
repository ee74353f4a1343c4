//! `pli watch` against a real relay, with [`crate::network`]'s set-up: files dropped in an
//! outbox folder reach the court once (a file the relay refuses, or the same content
//! dropped again, is set aside in `failed/` with its reason), the court's inbox watcher
//! saves and acknowledges each exchange once, a watcher killed (SIGKILL) in the middle of
//! a large send and run again delivers exactly one exchange with the exact bytes, and a
//! watcher left running takes files as they come and keeps a second one out.

use std::fs;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use pli_chaos::cast::DEPT;
use serde_json::Value;

use crate::harness::{assert_failure_with, data, entries, pli, run, temp_dir};
use crate::network::{
    User, assert_status, both_logged_in, flip_a_byte, plans_in, relay, relay_with, row,
    send_and_kill, write,
};

/// The JSON lines `output` printed.
fn events(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The one event `output` printed, which must be `event` about exchange `id`.
fn only_event(output: &Output, event: &str, id: &str) -> Value {
    let got = events(output);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["event"], event, "{got:?}");
    assert_eq!(got[0]["exchange_id"], id, "{got:?}");
    got.into_iter().next().unwrap()
}

/// `pli watch --outbox DIR` to the court, one pass, JSON lines.
fn outbox_args(dir: &Path) -> [&str; 9] {
    [
        "watch",
        "--outbox",
        dir.to_str().unwrap(),
        "--to",
        "TJ-MEAUX-PARQUET",
        "--category",
        "rapport",
        "--once",
        "--json",
    ]
}

/// How many exchanges of `user`'s inbox have `subject`.
fn with_subject(user: &User, subject: &str) -> usize {
    let inbox = user.json(&["inbox"]);
    inbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["subject"] == subject)
        .count()
}

/// The Département's software drops reports into a folder; the court's software reads
/// a folder. A report arrives once, with its name as subject, and the court's watcher
/// saves and acknowledges it once; files still being written are left alone; a file the
/// relay refuses ends in failed/ with the relay's reason; the same report dropped again is
/// not sent twice but set aside saying which exchange carried it, while new content under
/// the same name is a new report; an exchange saved but not acknowledged is acknowledged,
/// not saved again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_dropped_in_an_outbox_arrive_once_and_the_inbox_takes_each_in_once() {
    // This relay refuses exchanges over 2 MiB.
    let (server, cast) = Box::pin(relay_with(|config| {
        config.limits.max_exchange_bytes = 2 << 20;
    }))
    .await;
    let (ase, court) = both_logged_in(&server, &cast);

    let outbox = temp_dir();
    let dir = outbox.path();
    let report = data(300_000, 11);
    write(dir, "rapport.pdf", &report);
    write(dir, "trop-gros.pdf", &data(3 << 20, 12));
    for name in [
        ".brouillon.pdf",
        "export.tmp",
        "scan.PART",
        "~$rapport.docx",
    ] {
        write(dir, name, b"pas fini");
    }
    // A file still being written (it grows every 50 ms) is left for a later pass.
    let growing = dir.join("en-cours.pdf");
    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (growing, writing) = (growing.clone(), writing.clone());
        std::thread::spawn(move || {
            let mut file = fs::File::create(growing).unwrap();
            while writing.load(std::sync::atomic::Ordering::Relaxed) {
                std::io::Write::write_all(&mut file, &[7; 1000]).unwrap();
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let args = outbox_args(dir);
    let output = ase.run(&args);
    writing.store(false, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    fs::remove_file(&growing).unwrap();
    // One file refused: the pass ends with the relay's refusal's status.
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let first = events(&output);
    assert_eq!(first.len(), 2, "{first:?}");
    let sent = first.iter().find(|e| e["event"] == "sent").unwrap();
    assert_eq!(sent["file"], "rapport.pdf");
    assert_eq!(sent["resumed"], false);
    let id = sent["exchange_id"].as_str().unwrap().to_owned();
    let failed = first.iter().find(|e| e["event"] == "failed").unwrap();
    assert_eq!(failed["file"], "trop-gros.pdf");
    assert_eq!(failed["duplicate_of"], Value::Null);
    assert_eq!(
        entries(dir),
        [
            ".brouillon.pdf",
            ".pli-journal",
            "export.tmp",
            "failed",
            "scan.PART",
            "sent",
            "~$rapport.docx"
        ]
    );
    assert_eq!(entries(&dir.join("sent")), ["rapport.pdf"]);
    assert!(fs::read(dir.join("sent/rapport.pdf")).unwrap() == report);
    assert_eq!(
        entries(&dir.join("failed")),
        ["trop-gros.pdf", "trop-gros.pdf.error"]
    );
    let why = fs::read_to_string(dir.join("failed/trop-gros.pdf.error")).unwrap();
    assert!(why.contains("at most 2097152 bytes"), "{why}");
    assert_eq!(failed["error"], why.trim_end());
    // Nothing new: nothing done, nothing said.
    let output = ase.run(&args);
    assert!(output.status.success(), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");

    let inbox = temp_dir();
    let into = inbox.path().to_str().unwrap();
    let inbox_args = ["watch", "--inbox", "--to", into, "--once", "--json"];
    let output = court.run(&inbox_args);
    assert!(output.status.success(), "{output:?}");
    let event = only_event(&output, "received", &id);
    assert_eq!(event["subject"], "rapport.pdf");
    assert_eq!(event["category"], "rapport");
    assert_eq!(event["sender"]["organisation"], DEPT);
    assert_eq!(event["acknowledged"], true);
    assert!(fs::read(inbox.path().join(&id).join("rapport.pdf")).unwrap() == report);
    assert!(row(&ase.json(&["outbox"]), &id)["read_at"].is_u64());
    let output = court.run(&inbox_args);
    assert!(
        output.status.success() && output.stdout.is_empty(),
        "{output:?}"
    );
    assert_eq!(entries(inbox.path()), [".pli-journal", id.as_str()]);
    // The entry of an exchange acknowledged, no longer unread, is forgotten.
    assert_eq!(entries(&inbox.path().join(".pli-journal")), ["lock"]);

    // The same report dropped again: set aside, not sent twice. Without --json and off a
    // terminal, nothing on standard output; on standard error, the file's line, then the
    // pass's status line.
    write(dir, "rapport.pdf", &report);
    let output = ase.run(&args[..args.len() - 1]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with("pli: rapport.pdf: not sent, moved to ") && lines[0].contains(&id),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with("pli: 1 file(s) not sent, the first: the same content was sent"),
        "{stderr}"
    );
    let aside = dir.join("failed/rapport.pdf");
    assert!(fs::read(&aside).unwrap() == report);
    let why = fs::read_to_string(dir.join("failed/rapport.pdf.error")).unwrap();
    assert!(why.contains(&id) && why.contains("not sent twice"), "{why}");
    // Again, with --json: the event names the exchange that carried it, and the file and
    // its reason are numbered beside the first ones.
    write(dir, "rapport.pdf", &report);
    let output = ase.run(&args);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let again = events(&output);
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0]["event"], "failed");
    assert_eq!(again[0]["duplicate_of"], id.as_str());
    let numbered = dir.join("failed/rapport (2).pdf");
    assert_eq!(again[0]["moved_to"], numbered.to_str().unwrap());
    assert!(fs::read(&numbered).unwrap() == report);
    assert_eq!(
        fs::read_to_string(dir.join("failed/rapport (2).pdf.error")).unwrap(),
        why
    );
    assert_eq!(with_subject(&court, "rapport.pdf"), 1);

    // Other content under the same name is another report: sent, numbered in sent/.
    let second = data(1000, 13);
    write(dir, "rapport.pdf", &second);
    let output = ase.run(&args);
    assert!(output.status.success(), "{output:?}");
    let sent = events(&output);
    assert_eq!(sent[0]["event"], "sent", "{sent:?}");
    let id2 = sent[0]["exchange_id"].as_str().unwrap().to_owned();
    assert_ne!(id2, id);
    let numbered = dir.join("sent/rapport (2).pdf");
    assert_eq!(sent[0]["moved_to"], numbered.to_str().unwrap());
    assert!(fs::read(numbered).unwrap() == second);
    assert_eq!(with_subject(&court, "rapport.pdf"), 2);

    // Saved but not acknowledged (by pli receive --no-ack here; a watcher killed between
    // the two leaves the same): acknowledged, not saved again.
    court.ok(&["receive", "--all", "--no-ack", "--to", into]);
    assert_eq!(row(&ase.json(&["outbox"]), &id2)["read_at"], Value::Null);
    let output = court.run(&inbox_args);
    assert!(output.status.success(), "{output:?}");
    only_event(&output, "acknowledged", &id2);
    assert!(row(&ase.json(&["outbox"]), &id2)["read_at"].is_u64());
    assert_eq!(entries(&inbox.path().join(&id2)), ["rapport.pdf"]);
    let output = court.run(&inbox_args);
    assert!(
        output.status.success() && output.stdout.is_empty(),
        "{output:?}"
    );

    // An exchange whose file was tampered with on the relay: not received (status 5),
    // nothing of it saved, and not tried again.
    let tampered = write(dir, ".falsifie.pdf", &data(1 << 20, 14));
    let sent = ase.json(&[
        "send",
        "--to",
        "TJ-MEAUX-PARQUET",
        "--category",
        "autre",
        "--subject",
        "Falsifié",
        tampered.to_str().unwrap(),
    ]);
    fs::remove_file(&tampered).unwrap();
    let bad = sent["exchange_id"].as_str().unwrap().to_owned();
    flip_a_byte(&server, &bad, 1);
    let output = court.run(&inbox_args);
    assert_eq!(output.status.code(), Some(5), "{output:?}");
    let event = only_event(&output, "not_received", &bad);
    let error = event["error"].as_str().unwrap();
    assert!(error.contains("cannot download and decrypt"), "{error}");
    let mut saved = vec![".pli-journal", id.as_str(), id2.as_str()];
    saved.sort_unstable();
    assert_eq!(entries(inbox.path()), saved);
    let output = court.run(&inbox_args);
    assert!(
        output.status.success() && output.stdout.is_empty(),
        "{output:?}"
    );
    // Its entry (refused, still unread) is what keeps it from being tried again.
    let refused = format!("{bad}.json");
    assert_eq!(
        entries(&inbox.path().join(".pli-journal")),
        [refused.as_str(), "lock"]
    );

    // The outbox's journal remembers a delivered file for --remember days (90 by
    // default), then forgets it: an entry made 91 days old goes at the next start, the
    // recent one stays.
    let journal = dir.join(".pli-journal");
    let entry_of = |exchange: &str| {
        fs::read_dir(&journal)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.extension().is_some_and(|e| e == "json")
                    && fs::read_to_string(p).unwrap().contains(exchange)
            })
    };
    let old = entry_of(&id).unwrap();
    let mut entry: Value = serde_json::from_slice(&fs::read(&old).unwrap()).unwrap();
    let now = crate::harness::now_ms();
    entry["sent_at"] = (now - 91 * 24 * 3600 * 1000).into();
    fs::write(&old, serde_json::to_vec(&entry).unwrap()).unwrap();
    let output = ase.run(&args);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(entry_of(&id), None);
    assert!(entry_of(&id2).is_some());

    // The relay gone: the pass fails with status 1, and the file waits where it is.
    drop(server);
    write(dir, "note.txt", b"Audience le 12 janvier.");
    let output = ase.run(&args);
    assert_status("relay gone", &output, 1, "cannot log in");
    assert!(fs::read(dir.join("note.txt")).unwrap() == b"Audience le 12 janvier.");
    assert_eq!(
        entries(&dir.join("failed")),
        [
            "rapport (2).pdf",
            "rapport (2).pdf.error",
            "rapport.pdf",
            "rapport.pdf.error",
            "trop-gros.pdf",
            "trop-gros.pdf.error"
        ]
    );
}

/// The watcher killed (SIGKILL) once the relay holds part of a large file: the file stays
/// in the outbox with its plan in the journal, and the watcher run again resumes that
/// send — the court gets exactly one exchange, with the exact bytes — and moves the file
/// to sent/. The court's inbox watcher killed in the middle of the download leaves
/// nothing once run again, and saves the exchange once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_killed_midway_sends_the_file_once_when_run_again() {
    let (server, cast) = Box::pin(relay()).await;
    let (ase, court) = both_logged_in(&server, &cast);

    let outbox = temp_dir();
    let dir = outbox.path();
    // Five parts of 16 MiB.
    let big = data(80 << 20, 21);
    write(dir, "dossier.pdf", &big);
    let args = outbox_args(dir);
    let journal = dir.join(".pli-journal");
    let exchange = send_and_kill(&ase, &cast.caseworker, &args, &journal, true).await;
    assert_eq!(entries(dir), [".pli-journal", "dossier.pdf"]);
    let plans = plans_in(&journal);
    assert_eq!(plans.len(), 1);
    // What the journal holds at this point, to play a later cut below.
    let plan = fs::read(&plans[0]).unwrap();
    let entry_path = plans[0].with_extension("json");
    let entry = fs::read(&entry_path).unwrap();
    assert!(String::from_utf8_lossy(&entry).contains("\"state\": \"sending\""));

    let output = ase.run(&args);
    assert!(output.status.success(), "{output:?}");
    let event = only_event(&output, "sent", &exchange.to_string());
    assert_eq!(event["resumed"], true);
    assert_eq!(entries(dir), [".pli-journal", "sent"]);
    assert!(fs::read(dir.join("sent/dossier.pdf")).unwrap() == big);
    assert!(plans_in(&journal).is_empty());

    assert_eq!(with_subject(&court, "dossier.pdf"), 1);

    // Cut after the relay delivered, before the journal said so: the plan and the entry
    // as they were, the file back in the outbox. Run again, it is done: the same
    // exchange, nothing sent again.
    fs::write(&plans[0], &plan).unwrap();
    fs::write(&entry_path, &entry).unwrap();
    fs::rename(dir.join("sent/dossier.pdf"), dir.join("dossier.pdf")).unwrap();
    let output = ase.run(&args);
    assert!(output.status.success(), "{output:?}");
    let got = events(&output);
    assert_eq!(got[0]["event"], "sent", "{got:?}");
    assert_eq!(got[0]["resumed"], true);
    assert_eq!(got[0]["exchange_id"], exchange.to_string());
    assert_eq!(entries(&dir.join("sent")), ["dossier.pdf"]);
    assert!(plans_in(&journal).is_empty());
    assert_eq!(with_subject(&court, "dossier.pdf"), 1);

    // The court's inbox watcher killed in the middle of its download: the file it was
    // decrypting has no name (only the process held it), so the kill leaves nothing in
    // the folder — no plaintext of a file not verified —; the next run saves the
    // exchange once and acknowledges it.
    let inbox = temp_dir();
    let into = inbox.path();
    let inbox_args = [
        "watch",
        "--inbox",
        "--to",
        into.to_str().unwrap(),
        "--once",
        "--json",
    ];
    let mut child = court
        .command(&inbox_args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while unnamed_file_written(child.id(), into) == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the receive ended before the kill"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "no download");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(entries(into), [".pli-journal"]);
    let id = exchange.to_string();
    assert_eq!(row(&ase.json(&["outbox"]), &id)["read_at"], Value::Null);
    let output = court.run(&inbox_args);
    assert!(output.status.success(), "{output:?}");
    only_event(&output, "received", &id);
    assert_eq!(entries(into), [".pli-journal", id.as_str()]);
    assert!(fs::read(into.join(&id).join("dossier.pdf")).unwrap() == big);
    assert!(row(&ase.json(&["outbox"]), &id)["read_at"].is_u64());
}

/// A watcher left running (a pass every second) sends a file written as the convention
/// asks (under a .part name, then renamed) while it runs, with the options given; a
/// second watcher of the same folder is refused meanwhile; when the relay ends its
/// session, it logs in again and goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_watcher_takes_files_as_they_come_and_keeps_a_second_one_out() {
    let (server, cast) = Box::pin(relay()).await;
    let (ase, court) = both_logged_in(&server, &cast);

    let outbox = temp_dir();
    let dir = outbox.path();
    let d = dir.to_str().unwrap();
    let mut watcher = ase
        .command(&[
            "watch",
            "--outbox",
            d,
            "--to",
            "TJ-MEAUX-PARQUET",
            "--category",
            "decision",
            "--urgent",
            "--subject-from-name",
            "--every",
            "1",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let until = |what: &str, done: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{what}: not in time"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    tokio::task::block_in_place(|| {
        until("the journal", &|| dir.join(".pli-journal/lock").exists());
    });
    // The first holds the lock from then on.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = ase.run(&outbox_args(dir));
    assert_status(
        "a second watcher",
        &second,
        1,
        "another pli watch is at work",
    );

    let order = data(200_000, 31);
    let part = write(dir, "ordonnance_de_placement.part", &order);
    fs::rename(part, dir.join("ordonnance_de_placement.pdf")).unwrap();
    // Its first event, read as it is printed.
    let stdout = watcher.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let _ = tx.send(line.unwrap());
        }
    });
    let next = || {
        let line = tokio::task::block_in_place(|| lines.recv_timeout(Duration::from_secs(60)));
        serde_json::from_str::<Value>(&line.unwrap_or_else(|e| panic!("no event: {e}"))).unwrap()
    };
    let event = next();
    assert_eq!(event["event"], "sent", "{event}");
    assert_eq!(event["file"], "ordonnance_de_placement.pdf");
    let id = event["exchange_id"].as_str().unwrap();
    let sent = dir.join("sent/ordonnance_de_placement.pdf");
    assert_eq!(event["moved_to"], sent.to_str().unwrap());
    assert!(fs::read(&sent).unwrap() == order);

    // The relay ends the watcher's session (as it does after 12 hours): the watcher logs
    // in again and takes the next file.
    let caseworker = &cast.caseworker.session;
    let watchers: Vec<_> = caseworker
        .sessions()
        .await
        .unwrap()
        .into_iter()
        .filter(|s| !s.current)
        .collect();
    assert_eq!(watchers.len(), 1, "{watchers:?}");
    caseworker.end_session(&watchers[0].id).await.unwrap();
    let ruling = data(5000, 32);
    write(dir, "jugement.pdf", &ruling);
    let event = next();
    assert_eq!(event["event"], "sent", "{event}");
    assert_eq!(event["file"], "jugement.pdf");
    assert!(fs::read(dir.join("sent/jugement.pdf")).unwrap() == ruling);

    watcher.kill().unwrap();
    let output = watcher.wait_with_output().unwrap();
    // Killed, the watcher's standard output ends: every other line it printed is here.
    let rest: Vec<String> = lines.iter().collect();
    assert!(rest.is_empty(), "two events only: {rest:?} {output:?}");

    let inbox = court.json(&["inbox"]);
    let listed = row(&inbox, id);
    assert_eq!(listed["subject"], "ordonnance de placement");
    assert_eq!(listed["category"], "decision");
    assert_eq!(listed["urgent"], true);
}

/// One mode, and the outbox's options only with it.
#[test]
fn a_watch_without_a_mode_or_with_options_of_the_other_is_a_usage_error() {
    for (case, args) in [
        ("no mode", &["watch", "--to", "x", "--once"][..]),
        (
            "both modes",
            &["watch", "--inbox", "--outbox", "x", "--to", "x"][..],
        ),
        (
            "a category for the inbox",
            &["watch", "--inbox", "--to", "x", "--category", "rapport"][..],
        ),
        (
            "no category",
            &["watch", "--outbox", "x", "--to", "ORG"][..],
        ),
        (
            "no pause",
            &["watch", "--inbox", "--to", "x", "--every", "0"][..],
        ),
    ] {
        let output = run(pli().args(args));
        assert_failure_with(case, &output, "(see pli --help)", 2);
    }
}

/// A relay's address must be https://, or http:// to this machine only: the session's
/// token never crosses a network in the clear.
#[test]
fn a_relay_over_plain_http_elsewhere_than_this_machine_is_a_usage_error() {
    for (url, said) in [
        ("http://pli.example.fr", "use https://"),
        ("http://10.0.0.7:8080", "use https://"),
        ("ftp://pli.example.fr", "is not an https:// address"),
        ("pli.example.fr", "is not an address"),
    ] {
        for command in ["login", "monitor"] {
            let mut args = vec![command, "--url", url];
            if command == "monitor" {
                args.extend(["--org", "x", "--admin", "x", "--state", "x"]);
            }
            let output = run(pli().args(&args));
            assert_failure_with(url, &output, said, 2);
        }
    }
}

/// The bytes written so far to the files without a name (`O_TMPFILE`, shown as
/// `DIR/#<inode> (deleted)`) that process `pid` holds open in `dir`.
fn unnamed_file_written(pid: u32, dir: &Path) -> u64 {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    let prefix = format!("{}/#", dir.canonicalize().unwrap().display());
    fds.filter_map(Result::ok)
        .filter(|fd| {
            fs::read_link(fd.path()).is_ok_and(|target| {
                let target = target.to_string_lossy();
                target.starts_with(&prefix) && target.ends_with(" (deleted)")
            })
        })
        .filter_map(|fd| fs::metadata(fd.path()).ok())
        .map(|m| m.len())
        .sum()
}
