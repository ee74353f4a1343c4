//! What the networked commands print on standard output: lines for people, or with
//! `--json` one JSON document (one JSON line per event for `pli watch`) whose fields the
//! README documents (fields may be added, never renamed or removed).

use std::cell::Cell;
use std::io::{self, IsTerminal as _, Write as _};

use anyhow::Result;
use pli_client::{Phase, Progress};
use serde::Serialize;

/// The `--json` switch every networked command that prints something takes.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct Output {
    /// Print one JSON document instead of lines for people.
    #[arg(long)]
    pub(crate) json: bool,
}

impl Output {
    /// Prints `value` as JSON, or the text `text` makes.
    pub(crate) fn print<T: Serialize>(
        &self,
        value: &T,
        text: impl FnOnce() -> String,
    ) -> Result<()> {
        let mut bytes = if self.json {
            serde_json::to_vec_pretty(value)?
        } else {
            text().into_bytes()
        };
        if self.json {
            bytes.push(b'\n');
        }
        io::stdout().lock().write_all(&bytes)?;
        Ok(())
    }
}

impl Output {
    /// Prints one event of a command that goes on (`pli watch`): one JSON line with
    /// `--json`, else `text`'s line — only if standard output is a terminal (quiet in
    /// scripts and logs). Flushed at once, so a reader sees each event as it happens.
    pub(crate) fn event<T: Serialize>(
        &self,
        value: &T,
        text: impl FnOnce() -> String,
    ) -> Result<()> {
        let mut bytes = if self.json {
            serde_json::to_vec(value)?
        } else if io::stdout().is_terminal() {
            text().into_bytes()
        } else {
            return Ok(());
        };
        bytes.push(b'\n');
        let mut stdout = io::stdout().lock();
        stdout.write_all(&bytes)?;
        stdout.flush()?;
        Ok(())
    }
}

/// How far a send or a receive is, on one line of standard error that rewrites itself:
/// only when standard error is a terminal (quiet in scripts and logs); the line is cleared
/// when the meter is dropped, so that what follows starts on a clean line.
#[derive(Debug)]
pub(crate) struct Meter {
    on: bool,
    shown: Cell<Option<(Phase, u64)>>,
}

impl Meter {
    /// A meter, on if standard error is a terminal.
    pub(crate) fn new() -> Self {
        Self {
            on: io::stderr().is_terminal(),
            shown: Cell::new(None),
        }
    }

    /// Shows `progress` if its percentage changed. Encryption is not shown: it runs ahead
    /// of the upload, which is what the relay acknowledged.
    pub(crate) fn report(&self, progress: Progress) {
        let what = match progress.phase {
            Phase::Encrypt => return,
            Phase::Upload => "sending",
            Phase::Download => "receiving",
        };
        if !self.on || progress.total == 0 {
            return;
        }
        let percent = progress.done.saturating_mul(100) / progress.total;
        if self.shown.get() == Some((progress.phase, percent)) {
            return;
        }
        self.shown.set(Some((progress.phase, percent)));
        let line = format!(
            "\r{what} {percent:>3} % ({} of {} MiB)\x1b[K",
            progress.done >> 20,
            progress.total >> 20
        );
        // A progress line that cannot be shown is no reason to stop.
        let _ = io::stderr().lock().write_all(line.as_bytes());
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        if self.on && self.shown.get().is_some() {
            let _ = io::stderr().lock().write_all(b"\r\x1b[K");
        }
    }
}

/// Milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn utc(ms: u64) -> String {
    crate::offline::rfc3339_utc(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms))
}
