//! The client's errors.

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The relay answered with an error code.
    #[error("{status}: {code}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Stable machine code.
        code: String,
        /// Explanation.
        message: String,
    },
    /// The relay could not be reached or the answer could not be read.
    #[error("network: {0}")]
    Http(#[from] reqwest::Error),
    /// Cryptography refused something (wrong password, bad signature, corrupted file…).
    #[error(transparent)]
    Crypto(#[from] pli_crypto::Error),
    /// Decryption failed.
    #[error(transparent)]
    Decrypt(#[from] pli_crypto::DecryptError),
    /// Something the relay served does not verify: never trust it.
    #[error("verification failed: {0}")]
    Verification(String),
    /// The relay serves another platform root key than the one this client pinned: every
    /// certificate it serves could be forged, so nothing it says is trusted.
    #[error("the relay serves another platform root key than the one pinned: refusing to trust it")]
    RootChanged,
    /// Reading or writing a local file failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl ClientError {
    /// The relay's error code, if this is a relay error.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status, if this is a relay error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn verification(text: impl Into<String>) -> Self {
        Self::Verification(text.into())
    }
}
