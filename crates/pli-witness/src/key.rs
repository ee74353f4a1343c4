//! The witness's key file: the 32-byte Ed25519 seed, raw, readable by its owner only.
//! Made once by `pli witness keygen`, never overwritten; the name goes with it on the
//! command line (a key id binds both, so the same seed under another name is another
//! witness).

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::Path;

use anyhow::{Context as _, bail};
use pli_log::note::{COSIGNATURE_V1, NoteKey};
use zeroize::Zeroizing;

/// The `cosignature/v1` verifier key (`name+id+base64`) of the witness `name` whose key
/// is `seed`.
pub fn verifier_key(name: &str, seed: &[u8; 32]) -> anyhow::Result<String> {
    let key = NoteKey::new(name, seed).with_context(|| format!("invalid witness name {name:?}"))?;
    key.verifier_key(COSIGNATURE_V1)
        .context("cannot encode the witness key")
}

/// Makes a new key from the operating system's randomness and writes it to `path`
/// (mode 0600), which must not exist yet.
pub fn generate_key_file(path: &Path) -> anyhow::Result<Zeroizing<[u8; 32]>> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut_slice())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("cannot draw a key from the operating system")?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create the key file {}", path.display()))?;
    file.write_all(seed.as_slice())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write the key file {}", path.display()))?;
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        // Best effort: the key is written; some file systems cannot sync a folder.
        let _ = File::open(dir).and_then(|dir| dir.sync_all());
    }
    Ok(seed)
}

/// Reads a key file: exactly 32 bytes, not readable by anyone but its owner.
pub fn read_key_file(path: &Path) -> anyhow::Result<Zeroizing<[u8; 32]>> {
    let file =
        File::open(path).with_context(|| format!("cannot open the key file {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = file
            .metadata()
            .with_context(|| format!("cannot read the key file {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            bail!(
                "the key file {} is open to others (mode {:o}): chmod 600 it",
                path.display(),
                mode & 0o777
            );
        }
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(33));
    file.take(33)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read the key file {}", path.display()))?;
    let Ok(seed) = <[u8; 32]>::try_from(bytes.as_slice()) else {
        bail!(
            "the key file {} is not a witness key (32 bytes)",
            path.display()
        );
    };
    Ok(Zeroizing::new(seed))
}
