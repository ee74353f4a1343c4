//! Every stable error code of Pli, in one enum: the relay's (the `code` of an error body)
//! and those a client raises itself (the network is down, a signature does not verify, the
//! person cancelled). Clients match on these, never on messages; the web app has a French
//! and an English text for each (a native test in `pli-web` checks it), and the OpenAPI
//! document lists the relay's.

use crate::vocab::vocabulary;

vocabulary! {
    /// A stable machine error code.
    ///
    /// Words this version does not know (a newer relay) deserialize as
    /// [`ErrorCode::Unknown`] through [`ErrorCode::from_wire`].
    ErrorCode ("error code") {
        // ----- sent by the relay -----
        /// The request is malformed; the message says what is wrong.
        BadRequest = "bad_request",
        /// The JSON body does not match the request type.
        InvalidJson = "invalid_json",
        /// No valid session.
        Unauthenticated = "unauthenticated",
        /// Wrong e-mail address or password (never says which).
        InvalidCredentials = "invalid_credentials",
        /// The account has two-factor authentication: a code is needed.
        TotpRequired = "totp_required",
        /// The one-time code is wrong or was already used.
        TotpInvalid = "totp_invalid",
        /// Two-factor authentication must be turned on first (admins, and members of an
        /// organisation that requires it).
        TotpSetupRequired = "totp_setup_required",
        /// The organisation requires two-factor authentication: it cannot be turned off.
        TotpMandatory = "totp_mandatory",
        /// The organisation requires a ProConnect sign-in before this login (a person's;
        /// service accounts never need one).
        ProConnectRequired = "proconnect_required",
        /// The ProConnect sign-in this browser made was for another account.
        ProConnectMismatch = "proconnect_mismatch",
        /// A sensitive operation needs a recent password proof.
        ReauthRequired = "reauth_required",
        /// A member's only second factor is a passkey, which lets them log in without
        /// their password and choose a new one: a reset is issued only if they lost it
        /// too, said with `clear_second_factor` (a link alone must not open the account).
        SecondFactorIsPasskey = "second_factor_is_passkey",
        /// A cross-origin request was refused.
        OriginMismatch = "origin_mismatch",
        /// Authenticated, but not allowed.
        Forbidden = "forbidden",
        /// No such object, or not visible to this account (never told apart).
        NotFound = "not_found",
        /// The object is not in a state that allows this (generic).
        Conflict = "conflict",
        /// The object already exists.
        AlreadyExists = "already_exists",
        /// The object is not in a state that allows this.
        WrongState = "wrong_state",
        /// A key was published without a grant for every active member.
        GrantsIncomplete = "grants_incomplete",
        /// The platform requires post-quantum keys: an X25519 key generation is refused
        /// (every active member of the organisation must have a post-quantum key first).
        PostQuantumRequired = "post_quantum_required",
        /// The recipient's key generation is no longer the current one.
        StaleKeyGeneration = "stale_key_generation",
        /// The recipient's key generation is suspended.
        KeyGenerationSuspended = "key_generation_suspended",
        /// No organisation (with a key) by that id to send to.
        UnknownRecipient = "unknown_recipient",
        /// The one-time link is unknown, used or expired.
        InvitationInvalid = "invitation_invalid",
        /// The Idempotency-Key was used for a different request.
        IdempotencyMismatch = "idempotency_mismatch",
        /// A certificate does not verify or does not match what the relay knows.
        BadCertificate = "bad_certificate",
        /// A log policy the platform authority would sign, or did sign, cannot follow the
        /// one in force: another log (origin or key), not later, a quorum of 0 or larger
        /// than its witnesses, or not what the relay is configured with.
        LogPolicyInvalid = "log_policy_invalid",
        /// A signature does not verify.
        BadSignature = "bad_signature",
        /// The signed envelope does not match the upload.
        EnvelopeMismatch = "envelope_mismatch",
        /// The signed receipt does not match the exchange or its reader.
        ReceiptMismatch = "receipt_mismatch",
        /// Completion was asked before every part was stored.
        UploadIncomplete = "upload_incomplete",
        /// A part arrived before the one the relay expects next.
        PartOutOfOrder = "part_out_of_order",
        /// A part is larger than declared.
        PartTooLarge = "part_too_large",
        /// A part is shorter than declared.
        PartIncomplete = "part_incomplete",
        /// A part does not match its `Content-Digest`.
        PartHashMismatch = "part_hash_mismatch",
        /// The upload of a part was interrupted.
        PartInterrupted = "part_interrupted",
        /// A request body arrived too slowly (nothing for too long, or too little on
        /// average): the relay cut it and kept nothing of it; send it again.
        TooSlow = "too_slow",
        /// A part came without its `Content-Digest`.
        MissingDigest = "missing_digest",
        /// The exchange is larger than allowed.
        ExchangeTooLarge = "exchange_too_large",
        /// The organisation's storage quota is reached.
        QuotaExceeded = "quota_exceeded",
        /// The exchange expired: its ciphertext is purged.
        Expired = "expired",
        /// The requested byte range is outside the object.
        RangeNotSatisfiable = "range_not_satisfiable",
        /// Too many attempts; retry after the time the relay says.
        RateLimited = "rate_limited",
        /// The relay's storage is full.
        StorageFull = "storage_full",
        /// A dependency (database, blob store) is unavailable; retry.
        Unavailable = "unavailable",
        /// The relay does as much of this as it can at once (password checks, part
        /// uploads, live-event streams); retry in a moment (`Retry-After`).
        Busy = "busy",
        /// The passkey's answer does not verify (another site's, replayed, or a ceremony
        /// that expired or was already used).
        PasskeyInvalid = "passkey_invalid",
        /// Passkeys need the relay to be reached by a domain name (not an IP address).
        PasskeyUnavailable = "passkey_unavailable",
        /// A bug or an unexpected failure on the relay (the detail is in its log only).
        Internal = "internal",

        // ----- raised by the client itself -----
        /// The relay could not be reached, or its answer could not be read.
        Network = "network",
        /// The password does not open the key bundle.
        WrongPassword = "wrong_password",
        /// The two passwords typed differ.
        PasswordMismatch = "password_mismatch",
        /// The password is too short.
        PasswordTooShort = "password_too_short",
        /// The new password is too easy to guess (its zxcvbn score is too low).
        PasswordWeak = "password_weak",
        /// The page could not load the password-strength estimator (its own WebAssembly
        /// module), so it cannot judge a new password: nothing was sent.
        PasswordCheckUnavailable = "password_check_unavailable",
        /// Something the relay served does not verify (a signature, a certificate chain).
        Verification = "verification",
        /// The relay serves another platform root key than the one pinned.
        RootChanged = "root_changed",
        /// The relay serves a key the transparency log says is not the organisation's
        /// latest (an older generation, one never published, one suspended since).
        KeyNotLatest = "key_not_latest",
        /// The key (or the person's certificate) has expired: its admin must publish a new
        /// generation (or certify the person again).
        KeyExpired = "key_expired",
        /// The relay presents as valid a person whose certificate the log shows revoked
        /// or replaced (a removed member kept in a member list): nothing was granted or
        /// sent to them.
        CertificateRevoked = "certificate_revoked",
        /// The send is under way in another tab or window of this browser: one send of
        /// an exchange at a time.
        SendUnderWay = "send_under_way",
        /// A resume was asked with a plan older than the one this browser keeps now for
        /// that send (it moved on elsewhere since), or with none kept: it cannot be
        /// resumed safely from there.
        PlanNotLatest = "plan_not_latest",
        /// The transparency log the relay serves does not hold together: a checkpoint
        /// without the witnesses' cosignatures, entries that are not the ones it signs,
        /// a log shorter than one seen before (a fork or a rollback).
        LogInconsistent = "log_inconsistent",
        /// The relay serves a log policy (the witnesses and their quorum) that the
        /// platform root did not sign, that the log does not hold as the latest, or an
        /// earlier one than a device already verified (a rollback to former witnesses).
        LogPolicyRefused = "log_policy_refused",
        /// A ciphertext is corrupted or truncated.
        Decryption = "decryption",
        /// No unlocked keys in this browser tab or process.
        Locked = "locked",
        /// The person cancelled.
        Cancelled = "cancelled",
        /// Reading or writing a local file failed.
        Io = "io",
        /// The recipient organisation has published no key yet.
        RecipientNoKey = "recipient_no_key",
        /// The recipient organisation's current key is suspended.
        RecipientKeySuspended = "recipient_key_suspended",
        /// A file changed while it was being read and sent (its size), or since the
        /// interrupted send being resumed encrypted it (its content).
        FileChanged = "file_changed",
        /// The browser cannot save a file of this size (no streamed download).
        SaveUnsupported = "save_unsupported",
        /// The browser did not start the download (downloads blocked for the site).
        SaveBlocked = "save_blocked",
        /// Files picked to resume a send are not the interrupted send's (other names or
        /// sizes).
        ResumeFiles = "resume_files",
        /// The interrupted send was planned by an earlier version that did not record
        /// what it sent: it can be abandoned, not resumed.
        PlanOutdated = "plan_outdated",
        /// The account's keys need its account key (from the kit de secours), and this
        /// device does not have it.
        AccountKeyNeeded = "account_key_needed",
        /// What was typed as an account key is not one (a character missing, extra or
        /// mistyped).
        AccountKeyTypo = "account_key_typo",
        /// The relay says the account opens with the password alone (an account from
        /// before account keys), which clients no longer accept: the account key is
        /// needed, or, for an account that never had one, a reset.
        PasswordOnlyEnded = "password_only_ended",
        /// The action needs the platform root, which this device does not hold.
        RootAbsent = "root_absent",
        /// What was given as a root file is not one (or is incomplete).
        RootFileInvalid = "root_file_invalid",
        /// The passphrase does not open this root file.
        RootPassphrase = "root_passphrase",
        /// The root file holds another platform's root.
        RootFileOther = "root_file_other",
        /// The root cannot be taken off the relay before it is saved as a root file.
        RootNotSaved = "root_not_saved",
        /// The browser or the authenticator cannot use passkeys to unlock keys (no
        /// WebAuthn, or no PRF extension).
        PasskeyUnsupported = "passkey_unsupported",
        /// What the passkey gave does not unlock the keys sealed with it.
        PasskeyUnlock = "passkey_unlock",
        /// A code this version does not know (sent by a newer relay).
        Unknown = "unknown",
    }
}

/// The first code a client raises itself: every code before it is the relay's.
const FIRST_LOCAL: ErrorCode = ErrorCode::Network;

impl ErrorCode {
    /// A code read from the wire: a word this version does not know is [`Self::Unknown`],
    /// never an error (a newer relay may add codes).
    pub fn from_wire(word: &str) -> Self {
        word.parse().unwrap_or(Self::Unknown)
    }

    /// Whether the relay sends this code (the others are raised by clients).
    pub fn is_relay(self) -> bool {
        self < FIRST_LOCAL
    }

    /// The relay's codes, for the OpenAPI document.
    pub fn relay_codes() -> impl Iterator<Item = Self> {
        Self::ALL.iter().copied().filter(|code| code.is_relay())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn words_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            let word = code.as_str();
            assert!(seen.insert(word), "{word} twice");
            assert!(
                word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{word}"
            );
            assert_eq!(ErrorCode::from_wire(word), *code);
        }
    }

    #[test]
    fn an_unknown_word_from_a_newer_relay_is_unknown_not_an_error() {
        assert_eq!(ErrorCode::from_wire("teapot"), ErrorCode::Unknown);
    }

    #[test]
    fn relay_and_local_codes_are_told_apart() {
        assert!(ErrorCode::Expired.is_relay());
        assert!(ErrorCode::Internal.is_relay());
        assert!(!ErrorCode::Network.is_relay());
        assert!(!ErrorCode::Cancelled.is_relay());
        assert!(ErrorCode::relay_codes().all(ErrorCode::is_relay));
        assert_eq!(ErrorCode::relay_codes().count(), 49);
    }
}
