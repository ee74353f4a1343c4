//! The client's errors. Each has a stable [`ErrorCode`] ([`ClientError::code`]): the
//! relay's for its answers, a local one for what the client found itself.

use pli_api::ErrorCode;

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
        code: ErrorCode,
        /// Explanation.
        message: String,
        /// For a login: the wait, or the attempts left before one.
        attempts: pli_api::messages::Attempts,
        /// The relay's `Retry-After`, in seconds, if it sent one (`busy`, `unavailable`,
        /// `storage_full`, `rate_limited`).
        retry_after_s: Option<u64>,
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
    /// The relay serves a key the transparency log does not confirm as the organisation's
    /// latest, unsuspended key.
    #[error("the key directory's log refuses this key: {0}")]
    KeyNotLatest(pli_log::Mismatch),
    /// The transparency log does not hold together (cosignatures, entries, a fork or a
    /// rollback).
    #[error("the key directory's log does not hold together: {0}")]
    LogInconsistent(String),
    /// The relay serves a log policy (witnesses, quorum) the root did not sign, that the
    /// log does not hold as its latest, or one older than a device verified (a rollback
    /// to former witnesses).
    #[error("the key directory's log policy is refused: {0}")]
    LogPolicyRefused(String),
    /// The log policy proposed for signing cannot follow the one in force (another log,
    /// a quorum of 0 or beyond its witnesses).
    #[error("this log policy cannot be signed: {0}")]
    LogPolicyInvalid(String),
    /// The relay's answer broke off or could not be read (a body read by the caller's
    /// own means: the browser's fetch).
    #[error("network: {0}")]
    Unreadable(std::io::Error),
    /// Reading or writing a local file failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A new password was refused before anything was derived or sent: too short, or too
    /// easy to guess.
    #[error(transparent)]
    WeakPassword(#[from] pli_strength::WeakPassword),
    /// The organisation has published no key yet: nothing can be sent to it.
    #[error("this organisation has no key yet")]
    NoKey,
    /// The organisation's current key is suspended: nothing can be sent to it.
    #[error("this organisation's key is suspended")]
    KeySuspended,
    /// A file is not what was announced (nothing was delivered): its size changed while
    /// it was read and sent, or, resuming a send, its content differs from what was
    /// already encrypted and sent (found before any of the difference leaves).
    #[error("file {0} changed since it was first sent")]
    FileChanged(String),
    /// The files picked to resume a send are not exactly its files (names or sizes
    /// differ; other content is [`Self::FileChanged`]).
    #[error("pick again exactly the files of the interrupted send")]
    ResumeFiles,
    /// The sealed plan of an interrupted send was written by an earlier version, which did
    /// not record what it sent: it cannot be resumed safely, only abandoned.
    #[error("this interrupted send cannot be resumed: abandon it and send again")]
    PlanOutdated,
    /// The relay holds parts of an interrupted send that its sealed plan does not record:
    /// the plan is older than what was sent (another copy went further, or its last
    /// write was lost), so resuming from it could seal other content under a key and
    /// nonce already used.
    #[error(
        "this interrupted send went further than this plan records: it cannot be resumed from it"
    )]
    PlanNotLatest,
    /// The action needs the platform root, which this device does not hold (its root
    /// file was not imported here).
    #[error("this action needs the platform root: import the root file on this device")]
    RootAbsent,
    /// The relay says the account opens with the password alone (from before account
    /// keys), which this client no longer believes (`PASSWORD_ONLY_UNTIL_MS`).
    #[error(
        "accounts that open with the password alone are no longer accepted: the account key is needed, or a reset"
    )]
    PasswordOnlyEnded,
    /// The root file holds another root than this platform's.
    #[error("this root file holds another platform's root")]
    RootFileOther,
}

impl ClientError {
    /// Whether a send was refused, before anything was created, because a key it read
    /// changed meanwhile: a rotation landing between the log's read and the directory's
    /// (the certificate served is newer than the log verified), or between reading the
    /// key and creating the exchange (the relay answers `stale_key_generation`). Asking
    /// again reads the new key. (A relay that keeps serving another key than the log's
    /// is refused again, the same way.)
    pub fn key_changed_meanwhile(&self) -> bool {
        matches!(
            self,
            Self::KeyNotLatest(pli_log::Mismatch::NotInLog | pli_log::Mismatch::Outdated { .. })
                | Self::Api {
                    code: ErrorCode::StaleKeyGeneration,
                    ..
                }
        )
    }

    /// The stable code: the relay's for its answers, a local one otherwise.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Api { code, .. } => *code,
            Self::Http(_) | Self::Unreadable(_) => ErrorCode::Network,
            Self::Crypto(pli_crypto::Error::WrongPassword) => ErrorCode::WrongPassword,
            Self::Crypto(pli_crypto::Error::AccountKeyNeeded) => ErrorCode::AccountKeyNeeded,
            Self::Crypto(pli_crypto::Error::AccountKeyTypo) => ErrorCode::AccountKeyTypo,
            Self::Crypto(pli_crypto::Error::WrongPassphrase) => ErrorCode::RootPassphrase,
            Self::Crypto(pli_crypto::Error::PasskeyUnlock) => ErrorCode::PasskeyUnlock,
            Self::Crypto(pli_crypto::Error::Encoding {
                what: "root file", ..
            }) => ErrorCode::RootFileInvalid,
            Self::RootAbsent => ErrorCode::RootAbsent,
            Self::RootFileOther => ErrorCode::RootFileOther,
            Self::PasswordOnlyEnded => ErrorCode::PasswordOnlyEnded,
            Self::Crypto(_) | Self::Verification(_) => ErrorCode::Verification,
            Self::RootChanged => ErrorCode::RootChanged,
            Self::KeyNotLatest(pli_log::Mismatch::Suspended { .. }) => {
                ErrorCode::RecipientKeySuspended
            }
            Self::KeyNotLatest(pli_log::Mismatch::NoKey) => ErrorCode::RecipientNoKey,
            Self::KeyNotLatest(pli_log::Mismatch::Expired) => ErrorCode::KeyExpired,
            Self::KeyNotLatest(pli_log::Mismatch::Revoked) => ErrorCode::CertificateRevoked,
            Self::KeyNotLatest(_) => ErrorCode::KeyNotLatest,
            Self::LogInconsistent(_) => ErrorCode::LogInconsistent,
            Self::LogPolicyRefused(_) => ErrorCode::LogPolicyRefused,
            Self::LogPolicyInvalid(_) => ErrorCode::LogPolicyInvalid,
            // This code's own mistake, not the file's.
            Self::Decrypt(pli_crypto::DecryptError::Misuse) => ErrorCode::Internal,
            Self::Decrypt(_) => ErrorCode::Decryption,
            Self::Io(_) => ErrorCode::Io,
            Self::WeakPassword(weak) => weak.code(),
            Self::NoKey => ErrorCode::RecipientNoKey,
            Self::KeySuspended => ErrorCode::RecipientKeySuspended,
            Self::FileChanged(_) => ErrorCode::FileChanged,
            Self::ResumeFiles => ErrorCode::ResumeFiles,
            Self::PlanOutdated => ErrorCode::PlanOutdated,
            Self::PlanNotLatest => ErrorCode::PlanNotLatest,
        }
    }

    /// What the relay said about login throttling (empty for any other error).
    pub fn attempts(&self) -> pli_api::messages::Attempts {
        match self {
            Self::Api { attempts, .. } => *attempts,
            _ => pli_api::messages::Attempts::default(),
        }
    }

    /// How long the relay asked to wait before trying again (its `Retry-After`), if it did.
    pub fn retry_after_s(&self) -> Option<u64> {
        match self {
            Self::Api { retry_after_s, .. } => *retry_after_s,
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

impl ClientError {
    /// A failure to read a body: the transport's own error if it was one (natively,
    /// reqwest's, as when the client read the body itself), [`ClientError::Unreadable`]
    /// otherwise.
    pub(crate) fn reading(error: std::io::Error) -> Self {
        match error.downcast::<reqwest::Error>() {
            Ok(error) => Self::Http(error),
            Err(error) => Self::Unreadable(error),
        }
    }
}
