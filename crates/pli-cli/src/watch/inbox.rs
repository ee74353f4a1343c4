//! `pli watch --inbox --to DIR`: every new exchange received into `DIR/<exchange id>/`
//! (by `pli receive`'s own code: the folder appears only once every file verified), then
//! acknowledged. New means delivered and read by nobody of the organisation yet. The
//! journal entry of an exchange (`DIR/.pli-journal/<exchange id>.json`) is written once it
//! is saved, and again once acknowledged: an exchange saved but not acknowledged when the
//! watcher was killed (or saved by `pli receive --no-ack`) is acknowledged by the next
//! pass, never saved twice. What a receive killed midway left (a hidden `.pli-receive-…`
//! folder, its files decrypted so far) is removed when the watcher starts: it holds the
//! folder's lock, so no receive of its own is under way.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result};
use pli_api::ExchangeId;
use pli_client::Session;
use serde::{Deserialize, Serialize};

use super::journal::Journal;
use super::{Event, Events, Tally, Verdict, verdict};
use crate::receive;

/// The journal entry of one exchange.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Incoming {
    /// Saved into its folder; the read receipt not sent yet.
    Saved,
    /// Saved, and the read receipt sent.
    Acknowledged,
    /// Could not be received (it does not verify, say): not tried again, unless this
    /// entry is removed.
    Refused { error: String },
}

/// Removes what receives killed midway left in `dir`.
pub(super) fn sweep(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with(receive::TEMPORARY_PREFIX)
        {
            continue;
        }
        let path = entry.path();
        let removed = if entry.file_type()?.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(())
}

/// One pass over the inbox.
pub(super) async fn pass(
    session: &Session,
    journal: &Journal,
    dir: &Path,
    events: &Events,
) -> Result<Tally> {
    let mut tally = Tally::default();
    for id in receive::unread(session).await? {
        let key = id.to_string();
        let saved = match journal.read::<Incoming>(&key)? {
            Some(Incoming::Acknowledged | Incoming::Refused { .. }) => continue,
            Some(Incoming::Saved) => true,
            None => dir.join(&key).symlink_metadata().is_ok(),
        };
        let outcome = if saved {
            acknowledge(session, journal, dir, &id, events).await
        } else {
            receive(session, journal, dir, &id, events).await
        };
        let Err(error) = outcome else { continue };
        let reason = crate::one_line(&error);
        // Only the relay's refusal or a failed verification is the exchange's own; a local
        // failure (the disk full, say) is this machine's: tried again.
        let local = crate::status_of(&error) == crate::EXIT_FAILURE;
        let verdict = match verdict(&error) {
            Verdict::SetAside if local => Verdict::Again,
            verdict => verdict,
        };
        match verdict {
            Verdict::SessionOver => return Err(error),
            Verdict::Again => {
                let event = Event::Retry {
                    file: None,
                    exchange_id: Some(&key),
                    error: reason.clone(),
                };
                let line =
                    format!("{key}: not received yet, tried again at the next pass: {reason}");
                events.trouble(&event, &line)?;
            }
            Verdict::SetAside => {
                journal.write(
                    &key,
                    &Incoming::Refused {
                        error: reason.clone(),
                    },
                )?;
                let line = format!("{key} NOT RECEIVED: {reason}");
                let event = Event::NotReceived {
                    exchange_id: &key,
                    error: reason,
                };
                events.trouble(&event, &line)?;
            }
        }
        tally.add(error);
    }
    Ok(tally)
}

/// Receives exchange `id` into `dir/<id>`, then acknowledges it.
async fn receive(
    session: &Session,
    journal: &Journal,
    dir: &Path,
    id: &ExchangeId,
    events: &Events,
) -> Result<()> {
    let key = id.to_string();
    let Some((mut one, opened)) = receive::receive_folder(session, id, dir).await? else {
        // Its folder appeared meanwhile.
        return acknowledge(session, journal, dir, id, events).await;
    };
    journal.write(&key, &Incoming::Saved)?;
    receive::acknowledge(session, &opened, &mut one).await?;
    journal.write(&key, &Incoming::Acknowledged)?;
    events.done(&Event::Received(&one), || {
        format!(
            "{key} from {} ({}), verified — {}: {} file(s) in {}",
            one.sender.name,
            one.sender.organisation,
            one.subject,
            one.files.len(),
            dir.join(&key).display()
        )
    })
}

/// Sends the read receipt of exchange `id`, saved in `dir/<id>` before.
async fn acknowledge(
    session: &Session,
    journal: &Journal,
    dir: &Path,
    id: &ExchangeId,
    events: &Events,
) -> Result<()> {
    let key = id.to_string();
    receive::ack_id(session, id).await?;
    journal.write(&key, &Incoming::Acknowledged)?;
    let folder = dir.join(&key);
    let event = Event::Acknowledged {
        exchange_id: &key,
        folder: &folder,
    };
    events.done(&event, || {
        format!("{key}: saved before in {}, acknowledged", folder.display())
    })
}
