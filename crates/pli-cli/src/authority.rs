//! `pli authority check FILE`: opens a platform root file (saved from the platform page,
//! see `pli_crypto::authority`) and prints the root's fingerprint, so that the platform
//! authority can verify a copy (a second USB key, a safe's copy) without a browser and
//! compare the fingerprint with the one the platform pages and the kits show. Nothing is
//! written; the key never leaves the process.
//!
//! The passphrase is read from `PLI_ROOT_PASSPHRASE`, else from the first line of
//! standard input.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use zeroize::Zeroizing;

/// `pli authority …`.
#[derive(Debug, Args)]
pub(crate) struct AuthorityArgs {
    #[command(subcommand)]
    command: AuthorityCommand,
}

#[derive(Debug, Subcommand)]
enum AuthorityCommand {
    /// Open a root file and print the root's fingerprint (the passphrase from
    /// PLI_ROOT_PASSPHRASE, else the first line of standard input).
    Check {
        /// The root file (pli-cle-racine-….txt).
        file: PathBuf,
    },
}

/// Larger than any root file: what is bigger is refused unread.
const MAX_FILE: u64 = 16 * 1024;

pub(crate) fn run(args: AuthorityArgs) -> Result<()> {
    let AuthorityCommand::Check { file } = args.command;
    let size = std::fs::metadata(&file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > MAX_FILE {
        bail!("{} is not a root file (too large)", file.display());
    }
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let passphrase = match std::env::var("PLI_ROOT_PASSPHRASE") {
        Ok(phrase) => Zeroizing::new(phrase),
        Err(_) => {
            let mut line = Zeroizing::new(String::new());
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the passphrase from standard input")?;
            Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned())
        }
    };
    let root = pli_crypto::authority::open(&text, &passphrase).map_err(|error| match error {
        pli_crypto::Error::WrongPassphrase => {
            anyhow::anyhow!("the passphrase does not open this root file (or it was altered)")
        }
        other => anyhow::anyhow!("{}: {other}", file.display()),
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "root file OK")?;
    writeln!(out, "fingerprint: {}", root.verifying_key().fingerprint())?;
    Ok(())
}
