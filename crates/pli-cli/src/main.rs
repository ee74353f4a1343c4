//! The `pli` command line.
//!
//! This file only parses the command line and reports errors; each group of commands
//! lives in its own module:
//!
//! * [`offline`]: `keygen`, `encrypt`, `decrypt`, which work on local files only and are
//!   compatible with the `age` and `rage` tools.
//! * [`witness`]: `pli witness keygen`, `vkey`, `serve`, a witness of a Pli key
//!   directory (C2SP `tlog-witness`), the one command that serves.
//! * [`monitor`]: `pli monitor`, an organisation's watch over the key directory's log.
//!
//! The helpers they share: [`keys`] (reading recipients and identity files), [`files`]
//! (streaming input, and output that appears only once complete), [`armor`] (streaming
//! ASCII armor).
//!
//! Every failure ends the process with status 1 and one line on standard error,
//! `pli: <what went wrong>: <why>`; `pli monitor` ends with status 3 when it found entries
//! that need a look.

use std::error::Error as StdError;
use std::io::{self, Write as _};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

mod armor;
mod authority;
mod files;
mod keys;
mod monitor;
mod offline;
mod witness;

/// End-to-end encrypted file exchange: age-compatible encryption on the command line.
#[derive(Debug, Parser)]
#[command(
    name = "pli",
    version,
    subcommand_required = true,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate an age identity (an X25519 key pair, or with --pq a post-quantum hybrid
    /// one), like `age-keygen`.
    Keygen(offline::KeygenArgs),
    /// Encrypt a file to one or more age recipients, like `age -e`.
    Encrypt(offline::EncryptArgs),
    /// Decrypt an age file (binary or ASCII-armored), like `age -d`.
    Decrypt(offline::DecryptArgs),
    /// Run a witness of a Pli key directory: cosign the relay's checkpoints (C2SP
    /// tlog-witness).
    Witness(witness::WitnessArgs),
    /// Watch an organisation in a Pli key directory's log: list every entry about it
    /// since the last run; status 3 if one was signed by none of its admins or broke the
    /// directory's rules (run it from cron).
    Monitor(monitor::MonitorArgs),
    /// The platform authority's root file: check a copy opens and print the root's
    /// fingerprint.
    Authority(authority::AuthorityArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let result = match cli.command {
        Command::Keygen(args) => offline::keygen(args),
        Command::Encrypt(args) => offline::encrypt(args),
        Command::Decrypt(args) => offline::decrypt(args),
        Command::Witness(args) => witness::run(args),
        Command::Authority(args) => authority::run(args),
        Command::Monitor(args) => match monitor::run(args) {
            Ok(true) => return ExitCode::from(3),
            Ok(false) => Ok(()),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// Help and version go to standard output with status 0; a usage error becomes one line.
fn usage_error(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // Nothing sensible to do if even this cannot be printed.
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            ExitCode::FAILURE
        }
        _ => {
            // clap's first paragraph is the message (it may span a few lines, such as the
            // list of missing arguments); the rest is usage and tips.
            let text = error.to_string();
            let message = text
                .lines()
                .map(str::trim)
                .take_while(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            report(&format!("{message} (see pli --help)"));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, joined by `": "`.
fn one_line(error: &anyhow::Error) -> String {
    error.chain().map(describe).collect::<Vec<_>>().join(": ")
}

/// One cause, without the `(os error N)` that `std::io::Error` appends.
fn describe(cause: &(dyn StdError + 'static)) -> String {
    let text = cause.to_string();
    let code = cause
        .downcast_ref::<io::Error>()
        .and_then(io::Error::raw_os_error);
    match code {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .map_or_else(|| text.clone(), str::to_owned),
        None => text,
    }
}

/// Prints `pli: <message>` as exactly one line: control characters (which a file name
/// may hold) are escaped.
fn report(message: &str) {
    let mut line = String::with_capacity(message.len() + 6);
    line.push_str("pli: ");
    for c in message.chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line.push('\n');
    // If standard error is gone there is nobody left to tell; the status still says it.
    let _ = io::stderr().lock().write_all(line.as_bytes());
}
