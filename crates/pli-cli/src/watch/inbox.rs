//! `pli watch --inbox --to DIR`: every new exchange received into `DIR/<exchange id>/`
//! (by `pli receive`'s own code: the folder appears only once every file verified), then
//! acknowledged. New means delivered and read by nobody of the organisation yet. The
//! journal entry of an exchange (`DIR/.pli-journal/<exchange id>.json`) is written once it
//! is saved, and again once acknowledged: an exchange saved but not acknowledged when the
//! watcher was killed (or saved by `pli receive --no-ack`) is acknowledged by the next
//! pass, never saved twice. A receive killed midway leaves nothing: its files have no name
//! until every one verified (`crate::staging`), and what a kill between naming the files
//! and naming their folder left is removed by the next receive in that folder.

use std::path::Path;

use anyhow::Result;
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

/// One pass over the inbox.
pub(super) async fn pass(
    session: &Session,
    journal: &Journal,
    dir: &Path,
    events: &Events,
) -> Result<Tally> {
    let mut tally = Tally::default();
    let unread = receive::unread(session).await?;
    forget(journal, &unread)?;
    for id in unread {
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

/// Removes the entries that no longer serve: an exchange acknowledged, or refused, that
/// is no longer unread (read by someone, or expired) is never listed again, so its entry
/// would never be asked for. An entry of an exchange saved but not acknowledged stays.
fn forget(journal: &Journal, unread: &[ExchangeId]) -> Result<()> {
    let unread: std::collections::HashSet<String> =
        unread.iter().map(ToString::to_string).collect();
    for key in journal.keys()? {
        if unread.contains(&key) {
            continue;
        }
        // Another kind of entry (the folder was an outbox once) is not this one's business.
        if let Ok(Some(Incoming::Acknowledged | Incoming::Refused { .. })) =
            journal.read::<Incoming>(&key)
        {
            journal.remove(&key)?;
        }
    }
    Ok(())
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
