//! Recipients and identities given on the command line or in files.
//!
//! Both file formats are `age`'s: one key a line, blank lines and lines starting with `#`
//! ignored, so files written by `age-keygen` and `pli keygen` work with either tool. Keys
//! are X25519 (`age1…`, `AGE-SECRET-KEY-1…`) or post-quantum hybrid (`age1pq1…`,
//! `AGE-SECRET-KEY-PQ-1…`), and identity files may hold both kinds.
//! Identity files are read into memory that is zeroized afterwards, and no error message
//! ever repeats a line of an identity file, nor anything that looks like a secret key.

use std::fs::File;
use std::io::Read as _;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use pli_crypto::age::{AnyIdentity, AnyRecipient, MAX_STANZAS};
use zeroize::Zeroizing;

/// Key files are small; anything larger is a mistake (such as `-i` on an encrypted file).
const MAX_KEY_FILE: u64 = 1 << 20;

/// The recipients of `-r` (in order) then those of each `-R` file; at least one.
pub(crate) fn recipients(
    strings: &[String],
    files: &[impl AsRef<Path>],
) -> Result<Vec<AnyRecipient>> {
    let mut recipients = strings
        .iter()
        .map(|s| parse_recipient(s, ""))
        .collect::<Result<Vec<_>>>()?;
    for path in files {
        let path = path.as_ref();
        let text = read_key_file(path, "recipients file")?;
        let text = std::str::from_utf8(&text)
            .with_context(|| format!("recipients file {} is not text", path.display()))?;
        let before = recipients.len();
        for (number, line) in key_lines(text) {
            let location = format!(" in {} line {number}", path.display());
            recipients.push(parse_recipient(line, &location)?);
        }
        if recipients.len() == before {
            bail!("no recipient in {}", path.display());
        }
    }
    if recipients.is_empty() {
        bail!("no recipient: give one with -r age1… or -R FILE");
    }
    if recipients.len() > MAX_STANZAS {
        bail!(
            "too many recipients: {} (an age file made by pli has at most {MAX_STANZAS})",
            recipients.len()
        );
    }
    Ok(recipients)
}

/// Parses one recipient; `location` (such as `" in FILE line N"`) goes in the error.
fn parse_recipient(s: &str, location: &str) -> Result<AnyRecipient> {
    if looks_secret(s) {
        bail!(
            "invalid recipient{location}: this is a secret key (AGE-SECRET-KEY-1…); encrypt \
             to its public key (age1…) instead, and keep the secret key private"
        );
    }
    s.parse()
        .with_context(|| format!("invalid recipient {s:?}{location}"))
}

/// The identities of every `-i` file, in order; at least one.
pub(crate) fn identities(files: &[impl AsRef<Path>]) -> Result<Vec<AnyIdentity>> {
    let mut identities = Vec::new();
    for path in files {
        let path = path.as_ref();
        let text = read_key_file(path, "identity file")?;
        let Ok(text) = std::str::from_utf8(&text) else {
            bail!(
                "identity file {} is not a text file of AGE-SECRET-KEY-… lines",
                path.display()
            );
        };
        let before = identities.len();
        for (number, line) in key_lines(text) {
            // The line is a secret (or a typo of one): never repeat it.
            let identity = line
                .parse::<AnyIdentity>()
                .with_context(|| format!("invalid identity in {} line {number}", path.display()))?;
            identities.push(identity);
        }
        if identities.len() == before {
            bail!("no identity in {}", path.display());
        }
    }
    if identities.is_empty() {
        bail!("no identity: give the key file with -i FILE");
    }
    Ok(identities)
}

/// Reads a whole key file into memory that is zeroized when dropped.
fn read_key_file(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    let file =
        File::open(path).with_context(|| format!("cannot open {what} {}", path.display()))?;
    // Sized up front so that the buffer is not reallocated (leaving copies) as it fills.
    let size = file
        .metadata()
        .map_or(0, |meta| meta.len())
        .min(MAX_KEY_FILE);
    let mut buf = Zeroizing::new(Vec::with_capacity(usize::try_from(size)?.saturating_add(1)));
    file.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    if buf.len() as u64 > MAX_KEY_FILE {
        bail!(
            "{what} {} is too large (more than {} KiB)",
            path.display(),
            MAX_KEY_FILE >> 10
        );
    }
    Ok(buf)
}

/// The lines that hold a key, with their 1-based line numbers.
fn key_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
}

fn looks_secret(s: &str) -> bool {
    s.trim()
        .get(..15)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("AGE-SECRET-KEY-"))
}
