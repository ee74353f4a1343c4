//! The platform root's file: how the platform authority keeps its root signing key off
//! the relay.
//!
//! The root certifies organisations and their administrators; whoever holds it can
//! certify anything. It is therefore never stored on the relay, not even sealed: it lives
//! in the authority's browser (sealed there, see the web worker's keystore) and in this
//! file, which the authority saves at set-up and keeps offline (a USB key in a safe). A
//! new browser imports it; `pli authority check` opens it to verify a copy.
//!
//! ```text
//! Pli — clé racine de la plateforme
//! Empreinte : 1A2B 3C4D …
//! -----BEGIN PLI ROOT KEY-----
//! base64(version ‖ m_cost ‖ t_cost ‖ p_cost ‖ salt ‖ nonce ‖ sealed seed ‖ tag)
//! -----END PLI ROOT KEY-----
//! ```
//!
//! The seed is sealed with XChaCha20-Poly1305 under HKDF-SHA-256(Argon2id(passphrase,
//! salt), info = "pli/v1/root-file"); the version, the parameters and the salt are the
//! additional data, so none can be changed without the file failing to open. The lines
//! before the armour are for people; only what the armour holds is trusted, and the
//! fingerprint printed above it is checked against the key it opens to.

use base64::Engine as _;
use chacha20poly1305::aead::{AeadInOut as _, KeyInit as _};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::password::{KdfParams, Secrets, stretch};
use crate::sign::SigningKey;
use crate::{Error, random};

const VERSION: u8 = 1;
const BEGIN: &str = "-----BEGIN PLI ROOT KEY-----";
const END: &str = "-----END PLI ROOT KEY-----";
/// Version, three costs, salt: what the additional data covers.
const HEADER_LEN: usize = 1 + 4 * 3 + 16;
const BODY_LEN: usize = HEADER_LEN + 24 + 32 + 16;

/// Seals `root` under `passphrase` as the text of a root file.
pub fn seal(root: &SigningKey, passphrase: &str) -> Result<String, Error> {
    let params = KdfParams {
        secrets: Secrets::Password,
        ..KdfParams::generate()?
    };
    let mut body = Vec::with_capacity(BODY_LEN);
    body.push(VERSION);
    for cost in [params.m_cost_kib, params.t_cost, params.p_cost] {
        body.extend_from_slice(&cost.to_be_bytes());
    }
    body.extend_from_slice(&params.salt);
    let nonce = random::bytes::<24>()?;
    let cipher = cipher(passphrase, &params)?;
    let mut seed = Zeroizing::new(*root.to_bytes());
    let tag = cipher
        .encrypt_inout_detached(&XNonce::from(nonce), &body, seed.as_mut_slice().into())
        .map_err(|_| Error::Random)?;
    body.extend_from_slice(&nonce);
    body.extend_from_slice(seed.as_slice());
    body.extend_from_slice(&tag);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&body);
    let mut text = format!(
        "Pli — clé racine de la plateforme\nEmpreinte : {}\n{BEGIN}\n",
        root.verifying_key().fingerprint()
    );
    for line in encoded.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(END);
    text.push('\n');
    Ok(text)
}

/// Opens a root file's text with `passphrase`. [`Error::Encoding`] names what makes it
/// no root file; a wrong passphrase (or a file altered after it was written) is
/// [`Error::WrongPassphrase`].
pub fn open(text: &str, passphrase: &str) -> Result<SigningKey, Error> {
    let malformed = |problem| Error::Encoding {
        what: "root file",
        problem,
    };
    let (_, rest) = text
        .split_once(BEGIN)
        .ok_or(malformed("no PLI ROOT KEY armour"))?;
    let (armoured, _) = rest.split_once(END).ok_or(malformed("the armour is cut"))?;
    let compact: String = armoured.split_whitespace().collect();
    let body = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| malformed("the armour is not base64"))?;
    if body.len() != BODY_LEN {
        return Err(malformed("the armour's length is wrong"));
    }
    let (header, rest) = body.split_at(HEADER_LEN);
    let (&version, costs) = header.split_first().ok_or(malformed("empty"))?;
    if version != VERSION {
        return Err(malformed("unknown version"));
    }
    let cost = |i: usize| -> Result<u32, Error> {
        costs
            .get(i * 4..i * 4 + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .ok_or(malformed("the parameters are cut"))
    };
    let salt = costs
        .get(12..28)
        .and_then(|b| <[u8; 16]>::try_from(b).ok())
        .ok_or(malformed("the salt is cut"))?;
    let params = KdfParams {
        secrets: Secrets::Password,
        m_cost_kib: cost(0)?,
        t_cost: cost(1)?,
        p_cost: cost(2)?,
        salt,
    };
    let (nonce, rest) = rest
        .split_first_chunk::<24>()
        .ok_or(malformed("the nonce is cut"))?;
    let (sealed, tag) = rest
        .split_last_chunk::<16>()
        .ok_or(malformed("the tag is cut"))?;
    let mut seed = Zeroizing::new([0u8; 32]);
    if sealed.len() != seed.len() {
        return Err(malformed("the armour's length is wrong"));
    }
    seed.copy_from_slice(sealed);
    cipher(passphrase, &params)?
        .decrypt_inout_detached(
            &XNonce::from(*nonce),
            header,
            seed.as_mut_slice().into(),
            &(*tag).into(),
        )
        .map_err(|_| Error::WrongPassphrase)?;
    let root = SigningKey::from_bytes(&seed);
    // The fingerprint written for people must be the key's: a file whose visible line
    // was edited to name another root is refused rather than trusted by its reader.
    if let Some(line) = text.lines().find_map(|l| l.strip_prefix("Empreinte : "))
        && line.trim() != root.verifying_key().fingerprint().to_string()
    {
        return Err(malformed("the fingerprint line is not this key's"));
    }
    Ok(root)
}

fn cipher(passphrase: &str, params: &KdfParams) -> Result<XChaCha20Poly1305, Error> {
    let stretched = stretch(passphrase.as_bytes(), params)?;
    let mut key = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(None, stretched.as_slice())
        .expand(b"pli/v1/root-file", key.as_mut_slice())
        .map_err(|_| Error::OutOfRange("HKDF"))?;
    XChaCha20Poly1305::new_from_slice(key.as_slice()).map_err(|_| Error::OutOfRange("key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSPHRASE: &str = "Armoire forte, deuxième étage, clé bleue";

    #[test]
    fn a_root_file_opens_with_its_passphrase_only() {
        let root = SigningKey::generate().unwrap();
        let text = seal(&root, PASSPHRASE).unwrap();
        assert!(text.contains(&root.verifying_key().fingerprint().to_string()));
        let opened = open(&text, PASSPHRASE).unwrap();
        assert_eq!(opened.verifying_key(), root.verifying_key());
        assert_eq!(
            open(&text, "armoire forte").unwrap_err(),
            Error::WrongPassphrase
        );
        // Wrapped by a mail client or a text editor: still the same file.
        let rewrapped = text.replace('\n', "\r\n");
        assert!(open(&rewrapped, PASSPHRASE).is_ok());
    }

    #[test]
    fn an_altered_root_file_is_refused_and_says_why() {
        let root = SigningKey::generate().unwrap();
        let text = seal(&root, PASSPHRASE).unwrap();
        // Weaker parameters written over the real ones: the additional data no longer
        // matches (or the parameters are refused outright).
        let lines: Vec<&str> = text.lines().collect();
        let body_line = lines.iter().position(|l| *l == BEGIN).unwrap() + 1;
        let mut body = base64::engine::general_purpose::STANDARD
            .decode(lines[body_line..lines.len() - 1].concat())
            .unwrap();
        body[4] ^= 1;
        let mut altered = lines[..body_line].join("\n");
        altered.push('\n');
        altered.push_str(&base64::engine::general_purpose::STANDARD.encode(&body));
        altered.push('\n');
        altered.push_str(END);
        assert!(matches!(
            open(&altered, PASSPHRASE).unwrap_err(),
            Error::WrongPassphrase | Error::OutOfRange(_)
        ));
        let other = SigningKey::generate()
            .unwrap()
            .verifying_key()
            .fingerprint();
        let lying = text.replace(
            &root.verifying_key().fingerprint().to_string(),
            &other.to_string(),
        );
        assert!(matches!(
            open(&lying, PASSPHRASE).unwrap_err(),
            Error::Encoding { .. }
        ));
        for cut in ["", "Pli", &text[..text.len() / 2]] {
            assert!(matches!(
                open(cut, PASSPHRASE).unwrap_err(),
                Error::Encoding { .. }
            ));
        }
    }
}
