//! The offline commands: `keygen`, `encrypt`, `decrypt`.
//!
//! They read and write age files and key files exactly as `age` and `age-keygen` do, so
//! the two tools can be mixed freely. Files stream through in blocks of
//! [`BLOCK_SIZE`]: memory stays bounded whatever the file size.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail};
use clap::Args;
use pli_crypto::age::{AnyIdentity, CHUNK_SIZE, Decryptor, Encryptor, HybridIdentity, Identity};
use zeroize::Zeroizing;

use crate::armor::ArmorEncoder;
use crate::files::{Access, BLOCK_SIZE, Blocks, Existing, Input, Layout, Output};
use crate::keys;

/// `pli keygen`.
#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Write the identity to FILE (mode 0600, never overwritten) instead of standard
    /// output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Generate a post-quantum hybrid key pair (ML-KEM-768 + X25519: AGE-SECRET-KEY-PQ-1…,
    /// age1pq1…), like `age-keygen -pq`.
    #[arg(long)]
    pq: bool,
}

/// `pli encrypt`.
#[derive(Debug, Args)]
pub(crate) struct EncryptArgs {
    /// Encrypt to this recipient (age1…, or post-quantum age1pq1…; the two kinds cannot be
    /// mixed); may be repeated.
    #[arg(short, long = "recipient", value_name = "RECIPIENT")]
    recipients: Vec<String>,
    /// Encrypt to every recipient listed in FILE, one a line; may be repeated.
    #[arg(short = 'R', long = "recipients-file", value_name = "FILE")]
    recipients_files: Vec<PathBuf>,
    /// Write ASCII-armored (PEM) text instead of binary.
    #[arg(short, long)]
    armor: bool,
    /// Write the age file to OUT ("-": standard output). OUT appears only once complete.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// The file to encrypt (default, or "-": standard input).
    #[arg(value_name = "IN")]
    input: Option<PathBuf>,
}

/// `pli decrypt`.
#[derive(Debug, Args)]
pub(crate) struct DecryptArgs {
    /// Decrypt with the identities (AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…) in FILE; may
    /// be repeated.
    #[arg(short, long = "identity", value_name = "FILE")]
    identities: Vec<PathBuf>,
    /// Write the plaintext to OUT ("-": standard output). OUT appears only once the
    /// whole file has been authenticated, and is readable by its owner only.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// The age file to decrypt, binary or armored (default, or "-": standard input).
    #[arg(value_name = "IN")]
    input: Option<PathBuf>,
}

/// Writes a new identity in `age-keygen`'s format.
pub(crate) fn keygen(args: KeygenArgs) -> Result<()> {
    let path = args.output.as_deref();
    // Checked before the key is made (for a clear error) and again, atomically, when the
    // file is put in place.
    let mut output = Output::create(path, Access::Private, Existing::Refuse)?;
    let identity: AnyIdentity = if args.pq {
        HybridIdentity::generate().map(Into::into)
    } else {
        Identity::generate().map(Into::into)
    }
    .context("cannot generate a key")?;
    let recipient = identity.to_recipient().to_string();
    let secret = identity
        .to_secret_string()
        .context("cannot encode the key")?;
    let created = rfc3339_utc(SystemTime::now());
    let mut text = Zeroizing::new(String::with_capacity(128 + recipient.len() + secret.len()));
    for part in [
        "# created: ",
        &created,
        "\n# public key: ",
        &recipient,
        "\n",
        &secret,
        "\n",
    ] {
        text.push_str(part);
    }
    output.write_all(text.as_bytes())?;
    output.commit()?;
    // Like age-keygen: the public key on standard error unless the file went to a terminal.
    if !Output::is_stdout(path) || !std::io::stdout().is_terminal() {
        let mut stderr = std::io::stderr().lock();
        std::io::Write::write_all(&mut stderr, format!("Public key: {recipient}\n").as_bytes())
            .context("cannot write to standard error")?;
    }
    Ok(())
}

/// Encrypts IN to every recipient.
pub(crate) fn encrypt(args: EncryptArgs) -> Result<()> {
    let recipients = keys::recipients(&args.recipients, &args.recipients_files)?;
    let path = args.output.as_deref();
    // `-o -` says "standard output, whatever it is", as with age.
    if !args.armor && path.is_none() && std::io::stdout().is_terminal() {
        bail!(
            "refusing to write binary ciphertext to a terminal: use -o FILE, -a/--armor, or \
             redirect the output"
        );
    }
    let input = Input::open(args.input.as_deref())?;
    let mut output = Output::create(path, Access::Shared, Existing::Replace)?;
    // The ciphertext's SHA-256 is for envelopes: a file on disk does not need it.
    let mut encryptor = Encryptor::new(&recipients)
        .context("cannot start the encryption")?
        .without_hash();
    let mut armor = args.armor.then(ArmorEncoder::new);

    // Each block is read where its ciphertext goes and sealed there. Its last chunk is
    // the payload's if no byte follows, which only the next block says: each block is
    // sealed once the next one is read (the reading thread reads the one after).
    let mut blocks = Blocks::read_ahead(input, Layout::Sealable)?;
    let mut header = Vec::new();
    let mut text = Vec::new();
    let mut current = blocks.next()?;
    let empty = current.is_none();
    while let Some((mut block, len)) = current {
        let next = if len == BLOCK_SIZE {
            blocks.next()?
        } else {
            None
        };
        let run = encryptor
            .reserve(len, next.is_none(), &mut header)
            .context("cannot encrypt")?;
        let sealed = block
            .get_mut(..run.ciphertext_len())
            .context("cannot encrypt: a block shorter than its run")?;
        run.seal_in_place(sealed).context("cannot encrypt")?;
        // The header comes out with the first run.
        write_ciphertext(&mut output, armor.as_mut(), &header, &mut text)?;
        header.clear();
        write_ciphertext(&mut output, armor.as_mut(), sealed, &mut text)?;
        blocks.recycle(block);
        current = next;
    }
    if empty {
        // An empty file: the header and an empty last chunk.
        encryptor.finish(&mut header).context("cannot encrypt")?;
        write_ciphertext(&mut output, armor.as_mut(), &header, &mut text)?;
    }
    if let Some(armor) = armor {
        text.clear();
        armor.finish(&mut text)?;
        output.write_all(&text)?;
    }
    output.commit()
}

fn write_ciphertext(
    output: &mut Output,
    armor: Option<&mut ArmorEncoder>,
    binary: &[u8],
    text: &mut Vec<u8>,
) -> Result<()> {
    match armor {
        None => output.write_all(binary),
        Some(armor) => {
            text.clear();
            armor.update(binary, text)?;
            output.write_all(text)
        }
    }
}

/// Decrypts IN with the first identity that matches.
pub(crate) fn decrypt(args: DecryptArgs) -> Result<()> {
    let identities = keys::identities(&args.identities)?;
    let input = Input::open(args.input.as_deref())?;
    let mut output = Output::create(args.output.as_deref(), Access::Private, Existing::Replace)?;
    // The ciphertext's SHA-256 is for envelopes: decrypting a file does not need it.
    let mut decryptor = Decryptor::new(identities).without_hash();

    let mut blocks = Blocks::read_ahead(input, Layout::Contiguous)?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(BLOCK_SIZE + CHUNK_SIZE));
    let mut total = 0;
    while let Some((block, len)) = blocks.next()? {
        total += len;
        // Authenticated plaintext may come out before an error (the chunks before a
        // damaged one); with -o it is thrown away with the temporary file.
        let result = decryptor.update(block.get(..len).unwrap_or_default(), &mut plaintext);
        blocks.recycle(block);
        output.write_all(&plaintext)?;
        plaintext.clear();
        result?;
    }
    if total == 0 {
        bail!("not an age file: the input is empty");
    }
    let result = decryptor.finish(&mut plaintext);
    output.write_all(&plaintext)?;
    plaintext.clear();
    result?;
    output.commit()
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC, whole seconds).
pub(crate) fn rfc3339_utc(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01, so that leap days end each 400-year era.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn rfc3339_dates() {
        for (seconds, expected) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_399, "2000-02-28T23:59:59Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (951_868_800, "2000-03-01T00:00:00Z"),
            (1_709_210_096, "2024-02-29T12:34:56Z"),
            (4_102_444_800, "2100-01-01T00:00:00Z"),
        ] {
            let time = UNIX_EPOCH + Duration::from_secs(seconds);
            assert_eq!(rfc3339_utc(time), expected, "{seconds}");
        }
    }
}
