//! The native recipient types Pli implements, as one type for recipients and one for
//! identities (what a command line reads from its arguments and key files), and the
//! rule that keeps a post-quantum file post-quantum.
//!
//! | type | recipient | identity | stanza |
//! |---|---|---|---|
//! | X25519 | [`Recipient`] `age1…` | [`Identity`] `AGE-SECRET-KEY-1…` | `X25519` |
//! | MLKEM768-X25519 | [`HybridRecipient`] `age1pq1…` | [`HybridIdentity`] `AGE-SECRET-KEY-PQ-1…` | `mlkem768x25519` |

use std::fmt;
use std::str::FromStr;

use zeroize::Zeroizing;

use super::FileKey;
use super::format::Stanza;
use super::mlkem768x25519::{self, HybridIdentity, HybridRecipient};
use super::x25519::{self, Identity, Recipient};
use crate::{DecryptError, Error};

/// A recipient of either native type, chosen when it is parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyRecipient {
    /// `age1…`: classic, not safe against quantum computers.
    X25519(Recipient),
    /// `age1pq1…`: post-quantum hybrid.
    Hybrid(HybridRecipient),
}

impl AnyRecipient {
    /// Whether files encrypted to this recipient resist quantum computers (as long as
    /// every other recipient of the file does too).
    pub fn is_post_quantum(&self) -> bool {
        matches!(self, Self::Hybrid(_))
    }

    pub(crate) fn wrap(&self, file_key: &FileKey) -> Result<Stanza, Error> {
        match self {
            Self::X25519(recipient) => recipient.wrap(file_key),
            Self::Hybrid(recipient) => recipient.wrap(file_key),
        }
    }
}

/// Refuses a mix of post-quantum and classic recipients, as Go's age does: the file key
/// would be only as safe as its classic stanza. (The spec says such a file SHOULD NOT be
/// made; decryption still accepts one.)
pub(crate) fn check_compatible(recipients: &[AnyRecipient]) -> Result<(), Error> {
    let post_quantum = recipients.iter().filter(|r| r.is_post_quantum()).count();
    if post_quantum == 0 || post_quantum == recipients.len() {
        Ok(())
    } else {
        Err(Error::MixedRecipients)
    }
}

impl From<Recipient> for AnyRecipient {
    fn from(recipient: Recipient) -> Self {
        Self::X25519(recipient)
    }
}

impl From<HybridRecipient> for AnyRecipient {
    fn from(recipient: HybridRecipient) -> Self {
        Self::Hybrid(recipient)
    }
}

impl fmt::Display for AnyRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::X25519(recipient) => recipient.fmt(f),
            Self::Hybrid(recipient) => recipient.fmt(f),
        }
    }
}

impl FromStr for AnyRecipient {
    type Err = Error;

    /// `age1pq1…` is a hybrid recipient, anything else must be an X25519 one.
    fn from_str(s: &str) -> Result<Self, Error> {
        if has_prefix(s, "age1pq1") {
            s.parse().map(Self::Hybrid)
        } else {
            s.parse().map(Self::X25519)
        }
    }
}

/// An identity of either native type, chosen when it is parsed.
#[derive(Debug, Clone)]
pub enum AnyIdentity {
    /// `AGE-SECRET-KEY-1…`.
    X25519(Identity),
    /// `AGE-SECRET-KEY-PQ-1…`.
    Hybrid(HybridIdentity),
}

impl AnyIdentity {
    /// The public recipient of this identity.
    pub fn to_recipient(&self) -> AnyRecipient {
        match self {
            Self::X25519(identity) => identity.to_recipient().into(),
            Self::Hybrid(identity) => identity.to_recipient().into(),
        }
    }

    /// The `AGE-SECRET-KEY-…` encoding, zeroized when dropped.
    pub fn to_secret_string(&self) -> Result<Zeroizing<String>, Error> {
        match self {
            Self::X25519(identity) => identity.to_secret_string(),
            Self::Hybrid(identity) => identity.to_secret_string(),
        }
    }

    /// The secret bytes (an X25519 scalar, or a hybrid key's seed), zeroized when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        match self {
            Self::X25519(identity) => identity.to_bytes(),
            Self::Hybrid(identity) => identity.to_bytes(),
        }
    }

    /// The identity of [`to_bytes`](Self::to_bytes)' secret, of the type named (the
    /// bytes alone do not tell an X25519 scalar from a hybrid seed).
    pub fn from_bytes(post_quantum: bool, bytes: &[u8; 32]) -> Result<Self, Error> {
        if post_quantum {
            HybridIdentity::from_bytes(bytes).map(Self::Hybrid)
        } else {
            Ok(Self::X25519(Identity::from_bytes(*bytes)))
        }
    }

    /// Whether it is a post-quantum (hybrid) identity.
    pub fn is_post_quantum(&self) -> bool {
        matches!(self, Self::Hybrid(_))
    }

    /// Tries to unwrap the file key from a checked stanza: `Ok(None)` if the stanza is of
    /// another type or not addressed to this identity.
    pub(crate) fn unwrap(&self, stanza: &CheckedStanza) -> Result<Option<FileKey>, DecryptError> {
        match (self, stanza) {
            (Self::X25519(identity), CheckedStanza::X25519(stanza)) => identity.unwrap(stanza),
            (Self::Hybrid(identity), CheckedStanza::Hybrid(stanza)) => identity.unwrap(stanza),
            _ => Ok(None),
        }
    }
}

impl From<Identity> for AnyIdentity {
    fn from(identity: Identity) -> Self {
        Self::X25519(identity)
    }
}

impl From<HybridIdentity> for AnyIdentity {
    fn from(identity: HybridIdentity) -> Self {
        Self::Hybrid(identity)
    }
}

impl FromStr for AnyIdentity {
    type Err = Error;

    /// `AGE-SECRET-KEY-PQ-1…` is a hybrid identity, anything else must be an X25519 one.
    fn from_str(s: &str) -> Result<Self, Error> {
        if has_prefix(s, "AGE-SECRET-KEY-PQ-1") {
            s.parse().map(Self::Hybrid)
        } else {
            s.parse().map(Self::X25519)
        }
    }
}

/// Whether `s` starts with `prefix` in either case (Bech32 is all one case or the other).
fn has_prefix(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// A recipient stanza, checked as its type's specification says before any identity is
/// tried, so that the outcome does not depend on the identities or their order.
pub(crate) enum CheckedStanza {
    X25519(x25519::secret::Checked),
    /// Boxed: `enc` is 1,120 bytes.
    Hybrid(Box<mlkem768x25519::Checked>),
    /// A type Pli does not implement (scrypt, plugins, grease): ignored, as the spec
    /// tells identity implementations.
    Other,
}

impl CheckedStanza {
    pub(crate) fn new(stanza: &Stanza) -> Result<Self, DecryptError> {
        if let Some(checked) = x25519::secret::check_stanza(stanza)? {
            return Ok(Self::X25519(checked));
        }
        if let Some(checked) = mlkem768x25519::check_stanza(stanza)? {
            return Ok(Self::Hybrid(Box::new(checked)));
        }
        Ok(Self::Other)
    }
}
