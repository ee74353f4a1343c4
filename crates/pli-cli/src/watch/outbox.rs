//! `pli watch --outbox DIR`: each file that appears in DIR sent as one exchange.
//!
//! A file is a candidate unless its name starts with a dot or `~$` (an office suite's
//! lock file) or ends in `.tmp` or `.part` (one being written), and is taken once its
//! size and modification time stayed the same for a second. Its SHA-256 and the
//! recipient make its idempotency key, the name of its journal entry, written before the
//! send starts; the send's sealed plan is kept beside the entry (`<key>.plan`), so that
//! after a kill the next run finds the entry, resumes the send from the plan (only what
//! the relay lacks is sent, and the recipient gets one exchange) — or, if the relay had
//! delivered it, simply moves the file. The plan is removed only once the entry says the
//! file was delivered, and the entry says where the file went once it is moved.
//!
//! The same content dropped again for the same organisation, once sent, is **not sent
//! twice**: a clerk who drops a file again most likely thinks it did not go, and the
//! court must not get two copies of one report. It is set aside in `failed/` with a
//! `.error` naming the exchange that carried it (`pli send` sends it again on purpose).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, Result, anyhow};
use pli_api::{Category, OrgId};
use pli_client::file_name::numbered_name;
use pli_client::{SendOptions, Session};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::journal::Journal;
use super::{Event, Events, Tally, Verdict, now_ms, verdict};
use crate::send::{self, Found, KeepPlan};

/// How long a file's size and time must stay the same before it is taken.
const STABLE: Duration = Duration::from_secs(1);

/// What `pli watch --outbox` was told.
#[derive(Debug)]
pub(super) struct Settings {
    pub(super) dir: PathBuf,
    /// The recipient, as given (a code or an id).
    pub(super) to: String,
    pub(super) category: Category,
    pub(super) urgent: bool,
    pub(super) subject_from_name: bool,
    /// How long an entry of a file delivered is kept (`--remember`).
    pub(super) remember: Duration,
}

/// The journal entry of one file.
#[derive(Debug, Serialize, Deserialize)]
struct Outgoing {
    /// Its name in the outbox.
    file: String,
    /// SHA-256 of its content, hexadecimal.
    sha256: String,
    /// The recipient organisation's id.
    to: String,
    #[serde(flatten)]
    step: Step,
}

/// How far the hand-over of a file went.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Step {
    /// The send started (its plan is kept beside the entry once the relay made the
    /// exchange).
    Sending,
    /// Delivered; the file is still to be moved to `sent/`.
    Sent { exchange_id: String, sent_at: u64 },
    /// Delivered and moved to `moved_to`.
    Moved {
        exchange_id: String,
        sent_at: u64,
        moved_to: PathBuf,
    },
}

/// At start: an entry delivered whose file is no longer in the outbox was moved by a run
/// cut short before it could say so; an entry of a file delivered and moved longer than
/// `remember` ago is forgotten.
pub(super) fn reconcile(journal: &Journal, settings: &Settings) -> Result<()> {
    let remember = u64::try_from(settings.remember.as_millis()).unwrap_or(u64::MAX);
    let forget_before = now_ms().saturating_sub(remember);
    for key in journal.keys()? {
        // Another kind of entry (the folder was an inbox once) is not this one's business.
        let Ok(Some(entry)) = journal.read::<Outgoing>(&key) else {
            continue;
        };
        if let Step::Moved { sent_at, .. } = entry.step
            && sent_at < forget_before
        {
            journal.remove(&key)?;
            continue;
        }
        if let Step::Sent {
            exchange_id,
            sent_at,
        } = entry.step
            && settings.dir.join(&entry.file).symlink_metadata().is_err()
        {
            let moved_to = settings.dir.join("sent").join(&entry.file);
            let step = Step::Moved {
                exchange_id,
                sent_at,
                moved_to,
            };
            journal.write(&key, &Outgoing { step, ..entry })?;
        }
    }
    Ok(())
}

/// One pass over the outbox.
pub(super) async fn pass(
    session: &Session,
    journal: &Journal,
    settings: &Settings,
    to: &OrgId,
    events: &Events,
) -> Result<Tally> {
    let mut tally = Tally::default();
    for name in stable_files(&settings.dir).await? {
        take(session, journal, settings, to, &name, events, &mut tally).await?;
    }
    Ok(tally)
}

/// The files of `dir` to send, oldest first, once they stayed the same for [`STABLE`].
async fn stable_files(dir: &Path) -> Result<Vec<String>> {
    let before = candidates(dir)?;
    if before.is_empty() {
        return Ok(Vec::new());
    }
    tokio::time::sleep(STABLE).await;
    let after = candidates(dir)?;
    let mut stable: Vec<(SystemTime, String)> = after
        .into_iter()
        .filter(|(name, stamp)| before.get(name) == Some(stamp))
        .map(|(name, (_, modified))| (modified, name))
        .collect();
    stable.sort();
    Ok(stable.into_iter().map(|(_, name)| name).collect())
}

/// The regular files of `dir` not named as temporary, with their size and time. Names
/// that are not UTF-8 cannot travel, and are left where they are.
fn candidates(dir: &Path) -> Result<BTreeMap<String, (u64, SystemTime)>> {
    let mut found = BTreeMap::new();
    let entries = fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let lower = name.to_lowercase();
        if name.starts_with('.')
            || name.starts_with("~$")
            || lower.ends_with(".tmp")
            || lower.ends_with(".part")
        {
            continue;
        }
        // Not followed: a link, a folder (sent/, failed/) or a device is not sent.
        let Ok(metadata) = entry.path().symlink_metadata() else {
            continue;
        };
        if metadata.is_file() {
            found.insert(name, (metadata.len(), metadata.modified()?));
        }
    }
    Ok(found)
}

/// Hands over the file `name`: sends it (or finishes its interrupted send) and moves it
/// to `sent/`, or sets it aside in `failed/`. An error is one that ends the pass.
#[allow(
    clippy::too_many_arguments,
    reason = "the pass's context, each named where it is used"
)]
async fn take(
    session: &Session,
    journal: &Journal,
    settings: &Settings,
    to: &OrgId,
    name: &str,
    events: &Events,
    tally: &mut Tally,
) -> Result<()> {
    let path = settings.dir.join(name);
    let sha256 = match file_sha256(&path) {
        Ok(sha256) => sha256,
        // Gone meanwhile: nothing to send.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            let error = anyhow::Error::new(e).context(format!("cannot read {}", path.display()));
            return set_aside(
                session, journal, None, settings, name, error, None, events, tally,
            )
            .await;
        }
    };
    let key = idempotency_key(to, &sha256);
    let entry: Option<Outgoing> = journal.read(&key)?;
    let (exchange_id, sent_at, resumed) = match entry.map(|e| (e.file, e.step)) {
        Some((
            _,
            Step::Moved {
                exchange_id,
                sent_at,
                ..
            },
        )) => {
            let error = anyhow!(
                "the same content was sent to {} on {} as exchange {exchange_id}: it is not \
                 sent twice (pli send sends it again on purpose)",
                settings.to,
                crate::output::utc(sent_at)
            );
            return set_aside(
                session,
                journal,
                None,
                settings,
                name,
                error,
                Some(&exchange_id),
                events,
                tally,
            )
            .await;
        }
        // Delivered by a run cut short before it moved the file.
        Some((
            _,
            Step::Sent {
                exchange_id,
                sent_at,
            },
        )) => {
            journal.remove_plan(&key)?;
            (exchange_id, sent_at, true)
        }
        entry => {
            // Sent under another name by a run cut short: that send is given up.
            if let Some((file, Step::Sending)) = &entry
                && file != name
                && Found::at(session, &journal.plan(&key))?.is_some()
            {
                send::abandon(session, &journal.plan(&key)).await?;
            }
            let entry = Outgoing {
                file: name.to_owned(),
                sha256: sha256.clone(),
                to: to.to_string(),
                step: Step::Sending,
            };
            journal.write(&key, &entry)?;
            match send_file(session, journal, &key, settings, to, name, &path).await {
                Ok(sent) => {
                    let sent_at = now_ms();
                    let step = Step::Sent {
                        exchange_id: sent.exchange_id.clone(),
                        sent_at,
                    };
                    journal.write(&key, &Outgoing { step, ..entry })?;
                    // The entry now says it was delivered: the plan said so until then.
                    journal.remove_plan(&key)?;
                    (sent.exchange_id, sent_at, sent.resumed)
                }
                Err(error) => match verdict(&error) {
                    Verdict::SessionOver => return Err(error),
                    Verdict::Again => {
                        let line = format!(
                            "{name}: not sent yet, tried again at the next pass: {}",
                            crate::one_line(&error)
                        );
                        let event = Event::Retry {
                            file: Some(name),
                            exchange_id: None,
                            error: crate::one_line(&error),
                        };
                        events.trouble(&event, &line)?;
                        tally.add(error);
                        return Ok(());
                    }
                    Verdict::SetAside => {
                        return set_aside(
                            session,
                            journal,
                            Some(&key),
                            settings,
                            name,
                            error,
                            None,
                            events,
                            tally,
                        )
                        .await;
                    }
                },
            }
        }
    };
    let moved_to = move_into(&settings.dir, "sent", name)?;
    let entry = Outgoing {
        file: name.to_owned(),
        sha256,
        to: to.to_string(),
        step: Step::Moved {
            exchange_id: exchange_id.clone(),
            sent_at,
            moved_to: moved_to.clone(),
        },
    };
    journal.write(&key, &entry)?;
    let event = Event::Sent {
        file: name,
        exchange_id: &exchange_id,
        resumed,
        moved_to: &moved_to,
    };
    events.done(&event, || format!("{name}: sent, exchange {exchange_id}"))
}

/// Sends the file `name` of the outbox, or finishes its interrupted send.
#[allow(
    clippy::too_many_arguments,
    reason = "the pass's context, each named where it is used"
)]
async fn send_file(
    session: &Session,
    journal: &Journal,
    key: &str,
    settings: &Settings,
    to: &OrgId,
    name: &str,
    path: &Path,
) -> Result<send::Sent> {
    let paths = [path.to_owned()];
    let files = send::open_files(&paths)?;
    let options = SendOptions {
        category: settings.category,
        subject: subject(name, settings.subject_from_name),
        message: String::new(),
        case_reference: String::new(),
        urgent: settings.urgent,
        copy_to_sender: true,
        in_reply_to: None,
    };
    let plan = journal.plan(key);
    let found = Found::at(session, &plan)?;
    send::deliver(
        session,
        to,
        &paths,
        files,
        &options,
        found,
        false,
        KeepPlan::At(plan),
    )
    .await
}

/// Sets the file `name` aside in `failed/` with `error` in a `.error` file beside it,
/// abandons its send if one was under way (`key`), and forgets it: dropped again, it is
/// tried again.
#[allow(
    clippy::too_many_arguments,
    reason = "the pass's context, each named where it is used"
)]
async fn set_aside(
    session: &Session,
    journal: &Journal,
    key: Option<&str>,
    settings: &Settings,
    name: &str,
    error: anyhow::Error,
    duplicate_of: Option<&str>,
    events: &Events,
    tally: &mut Tally,
) -> Result<()> {
    let moved_to = move_into(&settings.dir, "failed", name)?;
    let reason = crate::one_line(&error);
    let mut because = moved_to.clone().into_os_string();
    because.push(".error");
    fs::write(&because, format!("{reason}\n"))
        .with_context(|| format!("cannot write {}", PathBuf::from(&because).display()))?;
    if let Some(key) = key {
        let plan = journal.plan(key);
        if Found::at(session, &plan)?.is_some() {
            // If the relay cannot be told now, it erases the unfinished upload itself
            // after a day: the file is set aside all the same.
            let _ = send::abandon(session, &plan).await;
        }
        journal.remove(key)?;
    }
    let line = format!(
        "{name}: not sent, moved to {}: {reason}",
        moved_to.display()
    );
    let event = Event::Failed {
        file: name,
        error: reason,
        duplicate_of,
        moved_to: &moved_to,
    };
    events.trouble(&event, &line)?;
    tally.add(error);
    Ok(())
}

/// Moves `dir/name` into `dir/folder` (created if needed) under its name, or the first
/// numbered one free (« rapport (2).pdf »); where it went.
fn move_into(dir: &Path, folder: &str, name: &str) -> Result<PathBuf> {
    let into = dir.join(folder);
    fs::create_dir_all(&into).with_context(|| format!("cannot create {}", into.display()))?;
    let taken = |path: &Path| {
        let mut error = path.as_os_str().to_owned();
        error.push(".error");
        path.symlink_metadata().is_ok() || Path::new(&error).symlink_metadata().is_ok()
    };
    let mut target = into.join(name);
    let mut number = 2;
    while taken(&target) {
        target = into.join(numbered_name(name, number));
        number += 1;
    }
    let from = dir.join(name);
    fs::rename(&from, &target)
        .with_context(|| format!("cannot move {} to {}", from.display(), target.display()))?;
    Ok(target)
}

/// The subject of the exchange of the file `name`.
fn subject(name: &str, from_name: bool) -> String {
    if !from_name {
        return name.to_owned();
    }
    let stem = match name.rfind('.') {
        Some(dot) if dot > 0 => name.get(..dot).unwrap_or(name),
        _ => name,
    };
    let subject = stem.replace('_', " ").trim().to_owned();
    if subject.is_empty() {
        name.to_owned()
    } else {
        subject
    }
}

/// SHA-256 of the file at `path`, hexadecimal, read in blocks.
fn file_sha256(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(buffer.get(..read).unwrap_or_default());
    }
    Ok(hex(&hasher.finalize()))
}

/// The idempotency key of a file of content `sha256` sent to `to`: what the journal
/// files it under.
fn idempotency_key(to: &OrgId, sha256: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"pli watch outbox\0")
        .chain_update(to.to_string().as_bytes())
        .chain_update(b"\0")
        .chain_update(sha256.as_bytes())
        .finalize();
    hex(&digest)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::subject;

    #[test]
    fn the_subject_is_the_file_name_or_what_it_reads() {
        assert_eq!(subject("rapport_2026.pdf", false), "rapport_2026.pdf");
        assert_eq!(
            subject("Rapport_evaluation_Durand.pdf", true),
            "Rapport evaluation Durand"
        );
        assert_eq!(subject("notes", true), "notes");
        assert_eq!(subject("_.pdf", true), "_.pdf");
    }
}
