//! `pli watch`: folders handed over to the relay and back, for software that can only
//! write and read files. [`outbox`] sends each file that appears in a folder as one
//! exchange, then moves it to `sent/` (or `failed/`, with a `.error` file saying why);
//! [`inbox`] receives each new exchange into a folder of its own and acknowledges it.
//! Both write their [`journal`] in the folder before each step, so that a watcher killed
//! at any point (`kill -9`, a reboot) and started again finishes what it was doing —
//! resuming an interrupted send from its kept plan — without sending or saving anything
//! twice.
//!
//! One relay session serves pass after pass, every `--every` seconds; when the relay
//! ends it (after 12 hours) the watcher logs in again. A failure of one file or exchange
//! does not stop the others: the network or the relay unavailable leaves it for the next
//! pass; a refusal (or something that does not verify) sets it aside. With `--once`, one
//! pass, then the status of the first failure, if any.

mod inbox;
mod journal;
mod outbox;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use pli_api::{Category, ErrorCode, OrgId};
use pli_client::ClientError;
use serde::Serialize;

use crate::output::Output;
use crate::receive::ReceivedOne;
use journal::Journal;

/// `pli watch` arguments.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["outbox", "inbox"])))]
pub(crate) struct WatchArgs {
    /// Send each file that appears in DIR, as one exchange, then move it to DIR/sent (or
    /// DIR/failed, with DIR/failed/NAME.error saying why). Write each file elsewhere, or
    /// under a name starting with a dot or ending in .tmp or .part, then rename it into
    /// DIR: a file is taken once its size and time stay the same for a second.
    #[arg(long, value_name = "DIR")]
    outbox: Option<PathBuf>,
    /// Receive every new exchange (delivered, and read by nobody of the organisation yet)
    /// into a folder of its own in the folder --to names, DIR/ID, and acknowledge it.
    #[arg(long)]
    inbox: bool,
    /// With --outbox, the recipient organisation (its code or id, as pli directory lists
    /// them); with --inbox, the folder the exchanges are received into.
    #[arg(long, value_name = "ORG|DIR")]
    to: String,
    /// With --outbox, what the files are: signalement, rapport, decision,
    /// demande_evaluation or autre.
    #[arg(long, required_unless_present = "inbox", conflicts_with = "inbox")]
    category: Option<Category>,
    /// With --outbox, mark each exchange urgent (listed first).
    #[arg(long, conflicts_with = "inbox")]
    urgent: bool,
    /// With --outbox, the subject is the file's name without its extension, underscores
    /// read as spaces (rapport_evaluation.pdf: « rapport evaluation »); by default it is
    /// the whole file name.
    #[arg(long, conflicts_with = "inbox")]
    subject_from_name: bool,
    /// Seconds between two passes.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    every: u64,
    /// One pass, then exit (for cron and scripts): status 0 if everything found was
    /// handed over, else the first failure's.
    #[arg(long)]
    once: bool,
    /// With --outbox, how many days the journal remembers a file delivered, to refuse
    /// the same content dropped again for the same organisation (older entries are
    /// removed: the journal does not grow without end).
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = 90,
        conflicts_with = "inbox",
        value_parser = clap::value_parser!(u64).range(1..=3650)
    )]
    remember: u64,
    /// Print one JSON line per event (without it: on a terminal, one line for people;
    /// elsewhere nothing but what failed, on standard error).
    #[arg(long)]
    json: bool,
}

/// What happened to one file or exchange, as `--json` prints it (the `event` field says
/// which).
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Event<'a> {
    /// A file of the outbox delivered (`resumed`: by finishing an interrupted send), then
    /// moved to `moved_to`.
    Sent {
        file: &'a str,
        exchange_id: &'a str,
        resumed: bool,
        moved_to: &'a Path,
    },
    /// A file of the outbox not sent: refused by the relay, or the same content already
    /// sent (`duplicate_of` names that exchange); moved to `moved_to`, with `error` in
    /// `moved_to` + `.error`.
    Failed {
        file: &'a str,
        error: String,
        duplicate_of: Option<&'a str>,
        moved_to: &'a Path,
    },
    /// An exchange received into its folder (as `pli receive --json` lists it) and
    /// acknowledged.
    Received(&'a ReceivedOne),
    /// An exchange saved before (by a run cut short, or pli receive --no-ack),
    /// acknowledged now.
    Acknowledged {
        exchange_id: &'a str,
        folder: &'a Path,
    },
    /// An exchange that cannot be received (it does not verify, say): never tried again
    /// (unless its entry is removed from the journal).
    NotReceived { exchange_id: &'a str, error: String },
    /// A file or an exchange that could not be handed over now (the network, the relay
    /// unavailable): tried again at the next pass.
    Retry {
        file: Option<&'a str>,
        exchange_id: Option<&'a str>,
        error: String,
    },
}

/// Where the events go.
#[derive(Debug)]
struct Events {
    output: Output,
}

impl Events {
    /// Something handed over: a JSON line, or on a terminal a line for people.
    fn done(&self, event: &Event<'_>, text: impl FnOnce() -> String) -> Result<()> {
        self.output.event(event, text)
    }

    /// Something not handed over: a JSON line, else `pli: text` on standard error.
    fn trouble(&self, event: &Event<'_>, text: &str) -> Result<()> {
        if self.output.json {
            self.output.event(event, String::new)
        } else {
            crate::report(text);
            Ok(())
        }
    }
}

/// What a pass left undone.
#[derive(Debug, Default)]
struct Tally {
    undone: usize,
    first: Option<anyhow::Error>,
}

impl Tally {
    fn add(&mut self, error: anyhow::Error) {
        self.undone += 1;
        if self.first.is_none() {
            self.first = Some(error);
        }
    }

    /// Success, or the first failure (whose status the command ends with).
    fn into_result(self, what: &str) -> Result<()> {
        match self.first {
            None => Ok(()),
            Some(first) => Err(first.context(format!("{} {what}, the first", self.undone))),
        }
    }
}

/// What to do about a failure.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// The relay ended the session: log in again.
    SessionOver,
    /// The network, or the relay unavailable: try again at the next pass.
    Again,
    /// Refused by the relay, not verified, or a local problem with this one thing: set it
    /// aside.
    SetAside,
}

fn verdict(error: &anyhow::Error) -> Verdict {
    let client = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<ClientError>());
    match client {
        Some(client) if client.code() == ErrorCode::Unauthenticated => Verdict::SessionOver,
        Some(_) if crate::status_of(error) == crate::EXIT_FAILURE => Verdict::Again,
        _ => Verdict::SetAside,
    }
}

/// How one session's passes ended.
enum Ended {
    /// `--once`: the pass done.
    Once(Tally),
    /// The relay ended the session.
    SessionOver,
}

/// What is watched.
enum Mode {
    Outbox(outbox::Settings),
    Inbox { dir: PathBuf },
}

/// What is watched, as one session sees it: the outbox's recipient looked up (in the
/// verified directory, for a code).
enum Target<'a> {
    Outbox(&'a outbox::Settings, OrgId),
    Inbox(&'a Path),
}

/// `pli watch`.
pub(crate) fn run(args: WatchArgs) -> Result<()> {
    let mode = match (&args.outbox, args.category) {
        (Some(dir), Some(category)) => Mode::Outbox(outbox::Settings {
            dir: dir.clone(),
            to: args.to.clone(),
            category,
            urgent: args.urgent,
            subject_from_name: args.subject_from_name,
            remember: Duration::from_secs(args.remember.saturating_mul(24 * 3600)),
        }),
        _ => Mode::Inbox {
            dir: PathBuf::from(&args.to),
        },
    };
    let folder = match &mode {
        Mode::Outbox(settings) => &settings.dir,
        Mode::Inbox { dir } => dir,
    };
    if !folder.is_dir() {
        bail!("{} is not a folder", folder.display());
    }
    let journal = Journal::open(folder)?;
    let events = Events {
        output: Output { json: args.json },
    };
    let every = Duration::from_secs(args.every);
    loop {
        // At start, and at each new session (every 12 hours): the journal's housekeeping.
        match &mode {
            Mode::Outbox(settings) => outbox::reconcile(&journal, settings)?,
            Mode::Inbox { dir } => crate::staging::sweep(dir)?,
        }
        let ended = crate::account::with_session(async |session, _| {
            let target = match &mode {
                Mode::Outbox(settings) => {
                    let to = crate::send::recipient(session, &settings.to)
                        .await
                        .context("--to")?;
                    Target::Outbox(settings, to)
                }
                Mode::Inbox { dir } => Target::Inbox(dir),
            };
            loop {
                let pass = match &target {
                    Target::Outbox(settings, to) => {
                        outbox::pass(session, &journal, settings, to, &events).await
                    }
                    Target::Inbox(dir) => inbox::pass(session, &journal, dir, &events).await,
                };
                match pass {
                    Ok(tally) if args.once => return Ok(Ended::Once(tally)),
                    Ok(_) => {}
                    Err(error) if verdict(&error) == Verdict::SessionOver => {
                        return Ok(Ended::SessionOver);
                    }
                    Err(error) => return Err(error),
                }
                tokio::time::sleep(every).await;
            }
        });
        match ended {
            Ok(Ended::Once(tally)) => {
                return tally.into_result(match &mode {
                    Mode::Outbox(_) => "file(s) not sent",
                    Mode::Inbox { .. } => "exchange(s) not received",
                });
            }
            // Logged in again after a pause (a relay that ends every session at once is not
            // asked again and again).
            Ok(Ended::SessionOver) => std::thread::sleep(every),
            // The network or the relay down: said, and tried again (not with --once).
            Err(error) if !args.once && verdict(&error) == Verdict::Again => {
                crate::report(&format!(
                    "{}: trying again in {} s",
                    crate::one_line(&error),
                    args.every
                ));
                std::thread::sleep(every);
            }
            Err(error) => return Err(error),
        }
    }
}

/// Milliseconds since the epoch, now.
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
