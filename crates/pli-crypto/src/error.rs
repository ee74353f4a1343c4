//! The crate's errors.
//!
//! Decryption failures are reported by class (not an age file, no matching key, altered
//! header, truncated, corrupted), which is what a person needs to act on; inside a class
//! nothing says which check failed.

/// Why an age file could not be decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptError {
    /// The input does not start like an age file (or is empty).
    #[error("not an age file")]
    NotAgeFile,
    /// The input is an age file of a version other than v1.
    #[error("unsupported age format version")]
    UnsupportedVersion,
    /// The header does not follow the age v1 grammar.
    #[error("malformed age header")]
    MalformedHeader,
    /// The header has more recipient stanzas than Pli accepts.
    #[error(
        "the age header has more than {} recipient stanzas",
        crate::age::MAX_STANZAS
    )]
    TooManyStanzas,
    /// The header is larger than Pli accepts.
    #[error("the age header is larger than {} bytes", crate::age::MAX_HEADER_LEN)]
    HeaderTooLarge,
    /// The input ends inside the header or the payload nonce.
    #[error("the age file is truncated (incomplete header)")]
    TruncatedHeader,
    /// None of the given identities can open this file.
    #[error("no identity matches: the file was not encrypted to this key")]
    NoMatch,
    /// The header MAC does not verify: the header was altered.
    #[error("the age header was altered (MAC mismatch)")]
    HeaderMac,
    /// The payload ends before its final chunk.
    #[error("the age file is truncated")]
    Truncated,
    /// A payload chunk does not authenticate, or data follows the final chunk.
    #[error("the encrypted data is corrupted")]
    Corrupted,
    /// The ASCII armor is not strict PEM with the `AGE ENCRYPTED FILE` label.
    #[error("invalid ASCII armor")]
    Armor,
    /// A run of chunks was lent out of place: before the header was read, not at a chunk
    /// boundary, or not whole chunks. The caller's mistake, not the file's (which may be
    /// sound).
    #[error("chunks lent out of place (not at a chunk boundary, or not whole chunks)")]
    Misuse,
}

/// Everything else that can go wrong in this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Decryption failed.
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
    /// A key string or key bytes are not valid.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// A canonical encoding is malformed; the text names the first problem found.
    #[error("malformed {what}: {problem}")]
    Encoding {
        /// The object being decoded.
        what: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A signature does not verify.
    #[error("the signature does not verify")]
    BadSignature,
    /// A certificate chain or a signed object does not fit the expected context.
    #[error("verification failed: {0}")]
    Verification(&'static str),
    /// A file was to be encrypted to both post-quantum (`age1pq1…`) and classic (`age1…`)
    /// recipients: its file key would be only as safe as the classic stanza.
    #[error(
        "post-quantum and classic recipients cannot be mixed: the file would not resist \
         quantum computers"
    )]
    MixedRecipients,
    /// A value is out of the accepted range (sizes, counts, parameters).
    #[error("out of range: {0}")]
    OutOfRange(&'static str),
    /// The operating system's random number generator failed.
    #[error("the random number generator failed")]
    Random,
    /// The password or the key bundle is wrong (they cannot be told apart).
    #[error("wrong password or damaged key bundle")]
    WrongPassword,
    /// What was typed is not an account key (length, alphabet or check character).
    #[error("this is not an account key: a character is missing, extra or mistyped")]
    AccountKeyTypo,
    /// The account's keys need its account key, and none was given.
    #[error("this account needs its account key")]
    AccountKeyNeeded,
    /// The passphrase does not open this root file (or the file was altered).
    #[error("wrong passphrase for this root file (or the file was altered)")]
    WrongPassphrase,
    /// What this passkey gave does not open what was sealed with it (another passkey,
    /// an authenticator without the PRF extension, or a value altered on the relay).
    #[error("this passkey does not unlock these keys")]
    PasskeyUnlock,
}
