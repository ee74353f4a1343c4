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
//! * The networked commands of a person's account, each a client of the relay through
//!   pli-client: [`account`] (`login`, `logout`, `whoami`, and how every command obtains
//!   an unlocked session), [`lists`] (`directory`, `inbox`, `outbox`), [`send`]
//!   (resumable), [`receive`] (`receive`, `ack`), [`watch`] (folders handed off to and
//!   from the relay, on their own); [`profile`] is what `login` saves.
//!
//! The helpers they share: [`keys`] (reading recipients and identity files), [`files`]
//! (streaming input, and output that appears only once complete), [`armor`] (streaming
//! ASCII armor), [`output`] (`--json`).
//!
//! Every failure ends the process with one line on standard error,
//! `pli: <what went wrong>: <why>`, and a status that says which kind of failure it was
//! ([`EXIT_CODES`]).

use std::error::Error as StdError;
use std::io::{self, Write as _};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

mod account;
mod armor;
mod authority;
mod files;
mod keys;
mod lists;
mod monitor;
mod offline;
mod output;
mod profile;
mod receive;
mod send;
mod service;
mod staging;
mod watch;
mod witness;

/// The exit statuses, as `pli --help` and the README list them.
const EXIT_CODES: &str = "\
Exit status:
  0  success
  1  failure (a file, the network, the relay unavailable…)
  2  usage error (unknown command or option, missing argument)
  3  pli monitor: entries of the key directory's log need a look
  4  refused by the relay: authentication (wrong password, account key or TOTP code),
     permission, unknown exchange or organisation
  5  verification failed: a signature, certificate, hash or the key directory's log does
     not check out, or the relay serves another platform root — possibly an attack:
     nothing it served was used

pli watch --once ends with the status of the first file or exchange it could not hand
over (a file set aside as a duplicate: 1).

The networked commands read the account from the environment: PLI_EMAIL, PLI_PASSWORD,
PLI_ACCOUNT_KEY (the recovery kit's key) and PLI_TOTP if two-factor authentication is
on; without PLI_PASSWORD, the service account's credential that pli service enrol wrote
(PLI_SERVICE_CREDENTIAL, else service.json in PLI_HOME); the profile saved by pli login
from PLI_HOME (default ~/.config/pli).";

/// Status 1: a failure that is none of the others.
pub(crate) const EXIT_FAILURE: u8 = 1;
/// Status 2: the command line is wrong.
const EXIT_USAGE: u8 = 2;
/// Status 3: `pli monitor` found entries that need a look.
const EXIT_ALERT: u8 = 3;
/// Status 4: the relay refused (authentication, permission, unknown id).
pub(crate) const EXIT_REFUSED: u8 = 4;
/// Status 5: something did not verify (possibly an attack).
pub(crate) const EXIT_VERIFICATION: u8 = 5;

/// End-to-end encrypted file exchange: age-compatible encryption on the command line.
#[derive(Debug, Parser)]
#[command(
    name = "pli",
    version,
    subcommand_required = true,
    arg_required_else_help = true,
    after_help = EXIT_CODES
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
    /// Log in to a relay with the account in the environment, pin the platform root and
    /// save the profile the other networked commands use (no password, key or token).
    Login(account::LoginArgs),
    /// Remove the profile.
    Logout(account::LogoutArgs),
    /// A service account, a program's own account in an organisation: enrol it on this
    /// machine from the link its admin issued.
    Service(service::ServiceArgs),
    /// Print the account, its organisation and role.
    Whoami(account::WhoamiArgs),
    /// List the organisations of the key directory, verified, with their keys'
    /// fingerprints.
    Directory(lists::ListArgs),
    /// Send files to an organisation (run the same command again after a cut: it
    /// resumes); prints the exchange id.
    Send(send::SendArgs),
    /// List the exchanges received by the organisation.
    Inbox(lists::ListArgs),
    /// List the exchanges sent by the organisation, with their read receipts.
    Outbox(lists::ListArgs),
    /// Download, verify and decrypt an exchange (or all unread ones) into a folder, print
    /// its verified sender, and send the signed read receipt.
    Receive(receive::ReceiveArgs),
    /// Send the signed read receipt of an exchange received with --no-ack.
    Ack(receive::AckArgs),
    /// Hand folders to the relay for software that only writes and reads files: send
    /// each file that appears in --outbox DIR (then moved to DIR/sent, or DIR/failed with
    /// a .error file saying why), or receive each new exchange into --inbox --to DIR;
    /// every --every seconds, or once with --once.
    Watch(watch::WatchArgs),
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
            Ok(true) => return ExitCode::from(EXIT_ALERT),
            Ok(false) => Ok(()),
            Err(e) => Err(e),
        },
        Command::Login(args) => account::login(args),
        Command::Logout(args) => account::logout(args),
        Command::Service(args) => service::run(args),
        Command::Whoami(args) => account::whoami(args),
        Command::Directory(args) => lists::directory(args),
        Command::Send(args) => send::run(args),
        Command::Inbox(args) => lists::inbox(args),
        Command::Outbox(args) => lists::outbox(args),
        Command::Receive(args) => receive::run(args),
        Command::Ack(args) => receive::ack(args),
        Command::Watch(args) => watch::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&one_line(&error));
            ExitCode::from(status_of(&error))
        }
    }
}

/// Ends the process at once with `error`'s line and status (where a callback cannot
/// return an error and must not let the work go on).
pub(crate) fn exit_on(error: &anyhow::Error) -> ! {
    report(&one_line(error));
    std::process::exit(i32::from(status_of(error)))
}

/// The status for `error`: what pli-client found, if it is one of its errors.
pub(crate) fn status_of(error: &anyhow::Error) -> u8 {
    use pli_client::ClientError as E;
    let Some(client) = error.chain().find_map(|c| c.downcast_ref::<E>()) else {
        return EXIT_FAILURE;
    };
    match client {
        E::Api { status, .. } if *status < 500 => EXIT_REFUSED,
        E::Crypto(
            pli_crypto::Error::WrongPassword
            | pli_crypto::Error::AccountKeyNeeded
            | pli_crypto::Error::AccountKeyTypo,
        )
        | E::PasswordOnlyEnded => EXIT_REFUSED,
        E::Verification(_)
        | E::RootChanged
        | E::LogInconsistent(_)
        | E::LogPolicyRefused(_)
        | E::Decrypt(_)
        | E::Crypto(_) => EXIT_VERIFICATION,
        // No key to send to, or a suspended or expired one: the log says so, no attack.
        E::KeyNotLatest(_) => match client.code() {
            pli_api::ErrorCode::RecipientNoKey
            | pli_api::ErrorCode::RecipientKeySuspended
            | pli_api::ErrorCode::KeyExpired => EXIT_REFUSED,
            _ => EXIT_VERIFICATION,
        },
        E::NoKey | E::KeySuspended => EXIT_REFUSED,
        _ => EXIT_FAILURE,
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
            ExitCode::from(EXIT_USAGE)
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
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The error and its causes on one line, joined by `": "`.
pub(crate) fn one_line(error: &anyhow::Error) -> String {
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
pub(crate) fn report(message: &str) {
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
