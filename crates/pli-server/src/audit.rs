//! The audit log's hash chain: every entry commits to the previous one, so a removed,
//! reordered or edited entry breaks the chain from that point on.
//!
//! ```text
//! hash(n) = SHA-256("pli/v1/audit\0" || hash(n-1) || chain || seq || at || actor
//!                    || action || object type || object id || detail)
//! ```
//! with integers big-endian on 8 bytes, text as a 4-byte big-endian length then UTF-8,
//! and hash(0) = 32 zero bytes. Entries say who did what to which object, and when:
//! never a file name, subject or content.

use pli_api::{OrgId, Sha256Hex, UserId};
use sha2::{Digest as _, Sha256};

/// Which hash chain an entry belongs to: an organisation's, or the platform's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// `audit:<organisation id>`.
    Org(OrgId),
    /// `audit:platform`.
    Platform,
}

impl Chain {
    /// The chain's name, as stored.
    pub fn name(self) -> String {
        match self {
            Self::Org(org) => format!("audit:{org}"),
            Self::Platform => "audit:platform".to_owned(),
        }
    }
}

/// What an entry records. Each action is about one kind of object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The platform was set up (root key, platform organisation, its admin).
    PlatformSetup,
    /// An organisation was created.
    OrgCreated,
    /// The platform authority signed a new policy of the key directory's log (its
    /// witnesses or quorum changed); the object is the policy's entry in the log.
    LogPolicyChanged,
    /// An organisation's retention changed.
    OrgRetention,
    /// Whether an organisation's members must use two-factor authentication changed.
    OrgSecondFactor,
    /// An organisation's SIRET numbers or ProConnect rule changed.
    OrgProConnect,
    /// An account was tied to a ProConnect identity at its first ProConnect sign-in.
    ProConnectLinked,
    /// A ProConnect sign-in naming an account was refused (another establishment, another
    /// identity tied), or a login without one where the organisation requires it.
    ProConnectRefused,
    /// A wrong password or code for an existing account.
    LoginFailed,
    /// A login.
    LoginSucceeded,
    /// A password changed (same keys).
    PasswordChanged,
    /// Two-factor authentication turned on.
    TotpEnabled,
    /// A member turned two-factor authentication off.
    TotpDisabled,
    /// Someone added a passkey to their account.
    PasskeyAdded,
    /// Someone removed one of their passkeys.
    PasskeyRemoved,
    /// Someone invited into an organisation.
    MemberInvited,
    /// A new set-up link issued to a member who lost their password.
    MemberResetIssued,
    /// A member set up new keys with a reset link.
    MemberResetAccepted,
    /// An invitee created their account.
    MemberJoined,
    /// A member's keys certified.
    MemberCertified,
    /// A person asked to move to a post-quantum encryption key.
    KeyUpgradeRequested,
    /// A member's signing key certified again: their encryption key moved to
    /// post-quantum, or their certificate renewed.
    MemberRecertified,
    /// Organisation keys granted to a member.
    MemberGranted,
    /// A member removed.
    MemberRemoved,
    /// A key generation published.
    KeyPublished,
    /// A key generation suspended.
    KeySuspended,
    /// An exchange created (upload begins).
    ExchangeCreated,
    /// An exchange completed, on the sender's side.
    ExchangeSent,
    /// An exchange completed, on the recipient's side.
    ExchangeDelivered,
    /// A read receipt posted.
    ExchangeRead,
    /// An upload cancelled by its sender.
    ExchangeCancelled,
    /// An exchange purged (expired or abandoned).
    ExchangePurged,
}

impl Action {
    /// The entry's `action`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlatformSetup => "platform.setup",
            Self::OrgCreated => "org.created",
            Self::LogPolicyChanged => "log.policy_changed",
            Self::OrgRetention => "org.retention",
            Self::OrgSecondFactor => "org.second_factor",
            Self::OrgProConnect => "org.proconnect",
            Self::ProConnectLinked => "proconnect.linked",
            Self::ProConnectRefused => "proconnect.refused",
            Self::LoginFailed => "login.failed",
            Self::LoginSucceeded => "login.succeeded",
            Self::PasswordChanged => "password.changed",
            Self::TotpEnabled => "totp.enabled",
            Self::TotpDisabled => "totp.disabled",
            Self::PasskeyAdded => "passkey.added",
            Self::PasskeyRemoved => "passkey.removed",
            Self::MemberInvited => "member.invited",
            Self::MemberResetIssued => "member.reset_issued",
            Self::MemberResetAccepted => "member.reset_accepted",
            Self::MemberJoined => "member.joined",
            Self::MemberCertified => "member.certified",
            Self::KeyUpgradeRequested => "member.key_upgrade_requested",
            Self::MemberRecertified => "member.recertified",
            Self::MemberGranted => "member.granted",
            Self::MemberRemoved => "member.removed",
            Self::KeyPublished => "key.published",
            Self::KeySuspended => "key.suspended",
            Self::ExchangeCreated => "exchange.created",
            Self::ExchangeSent => "exchange.sent",
            Self::ExchangeDelivered => "exchange.delivered",
            Self::ExchangeRead => "exchange.read",
            Self::ExchangeCancelled => "exchange.cancelled",
            Self::ExchangePurged => "exchange.purged",
        }
    }

    /// The kind of object the entry names (its `object_type`).
    pub fn object_type(self) -> &'static str {
        match self {
            Self::PlatformSetup
            | Self::OrgCreated
            | Self::OrgRetention
            | Self::OrgSecondFactor
            | Self::OrgProConnect => "organisation",
            Self::ProConnectLinked
            | Self::ProConnectRefused
            | Self::LoginFailed
            | Self::LoginSucceeded
            | Self::PasswordChanged
            | Self::TotpEnabled
            | Self::TotpDisabled
            | Self::PasskeyAdded
            | Self::PasskeyRemoved
            | Self::MemberInvited
            | Self::MemberResetIssued
            | Self::MemberResetAccepted
            | Self::MemberJoined
            | Self::MemberCertified
            | Self::KeyUpgradeRequested
            | Self::MemberRecertified
            | Self::MemberGranted
            | Self::MemberRemoved => "user",
            Self::KeyPublished | Self::KeySuspended => "org_key",
            Self::LogPolicyChanged => "log_entry",
            Self::ExchangeCreated
            | Self::ExchangeSent
            | Self::ExchangeDelivered
            | Self::ExchangeRead
            | Self::ExchangeCancelled
            | Self::ExchangePurged => "exchange",
        }
    }
}

/// An entry to append: who did what to which object, and when (never a file name,
/// subject or content: `detail` holds ids and sizes only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// The log it goes to.
    pub chain: Chain,
    /// When (ms since the Unix epoch).
    pub at: u64,
    /// Who, if a person.
    pub actor: Option<UserId>,
    /// What.
    pub action: Action,
    /// Which object (its id; its kind is the action's).
    pub object_id: String,
    /// Small JSON with ids and sizes only (`routes::common::detail`).
    pub detail: String,
}

/// One audit log entry: the relay stores, hashes, verifies and sends the wire type
/// itself (its hashes are 32 bytes, written as hex in JSON only).
pub use pli_api::messages::AuditEntry;

/// Lowercase hexadecimal.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash an entry must have, given its fields and `prev_hash`.
pub fn entry_hash(entry: &AuditEntry) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"pli/v1/audit\0");
    hasher.update(entry.prev_hash.0);
    let text = |hasher: &mut Sha256, value: &str| {
        hasher.update(u32::try_from(value.len()).unwrap_or(u32::MAX).to_be_bytes());
        hasher.update(value.as_bytes());
    };
    text(&mut hasher, &entry.chain);
    hasher.update(entry.seq.to_be_bytes());
    hasher.update(entry.at.to_be_bytes());
    text(&mut hasher, entry.actor.as_deref().unwrap_or(""));
    text(&mut hasher, &entry.action);
    text(&mut hasher, &entry.object_type);
    text(&mut hasher, &entry.object_id);
    text(&mut hasher, &entry.detail);
    hasher.finalize().into()
}

/// The result of checking a chain: the wire type itself.
pub use pli_api::messages::ChainVerification as Verification;

/// Checks entries given in order, from seq 1, against each other and against the
/// stored head.
#[derive(Debug)]
pub struct Verifier {
    expected_seq: u64,
    prev: [u8; 32],
    first_bad: Option<u64>,
    /// Entries numbered above this are not part of the chain verified.
    last: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev: [0; 32],
            first_bad: None,
            last: u64::MAX,
        }
    }
}

impl Verifier {
    /// A verifier of the chain up to the head numbered `head_seq`, read before its
    /// entries: entries appended since (by requests running beside the verification) are
    /// not part of it. Reading past the head made a busy chain look broken at its end
    /// (found by `cargo xtask chaos`, issue 11). An entry removed, edited or renumbered
    /// still shows: the chain then falls short of its head.
    pub fn up_to(head_seq: u64) -> Self {
        Self {
            last: head_seq,
            ..Self::default()
        }
    }

    /// Checks the next entry.
    pub fn push(&mut self, entry: &AuditEntry) {
        if entry.seq > self.last {
            return;
        }
        let ok = entry.seq == self.expected_seq
            && entry.prev_hash.0 == self.prev
            && entry_hash(entry) == entry.hash.0;
        if !ok && self.first_bad.is_none() {
            self.first_bad = Some(self.expected_seq.min(entry.seq));
        }
        self.expected_seq = entry.seq.saturating_add(1);
        self.prev = entry.hash.0;
    }

    /// The verdict, given the chain's stored head (`seq`, `hash`).
    pub fn finish(mut self, head: (u64, [u8; 32])) -> Verification {
        let entries = self.expected_seq - 1;
        if (head.0 != entries || head.1 != self.prev) && self.first_bad.is_none() {
            // Entries were removed at the end, or the head was rewritten.
            self.first_bad = Some(entries.min(head.0).saturating_add(1));
        }
        Verification {
            valid: self.first_bad.is_none(),
            entries,
            first_bad_seq: self.first_bad,
            head: Sha256Hex(self.prev),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut prev = [0; 32];
        (1..=n)
            .map(|seq| {
                let mut entry = AuditEntry {
                    chain: "audit:x".into(),
                    seq,
                    at: 1000 + seq,
                    actor: Some("u".into()),
                    action: "exchange.delivered".into(),
                    object_type: "exchange".into(),
                    object_id: format!("e{seq}"),
                    detail: "{}".into(),
                    prev_hash: Sha256Hex(prev),
                    hash: Sha256Hex::default(),
                };
                entry.hash = Sha256Hex(entry_hash(&entry));
                prev = entry.hash.0;
                entry
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry], head: (u64, [u8; 32])) -> Verification {
        let mut verifier = Verifier::default();
        entries.iter().for_each(|e| verifier.push(e));
        verifier.finish(head)
    }

    #[test]
    fn an_intact_chain_verifies_and_any_change_is_located() {
        let entries = chain(5);
        let head = (5, entries[4].hash.0);
        assert!(verify(&entries, head).valid);

        let mut edited = entries.clone();
        edited[2].detail = "{\"size\":1}".into();
        assert_eq!(verify(&edited, head).first_bad_seq, Some(3));

        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(verify(&removed, head).first_bad_seq, Some(2));

        let truncated = &entries[..4];
        assert_eq!(verify(truncated, head).first_bad_seq, Some(5));

        let mut reordered = entries.clone();
        reordered.swap(3, 4);
        assert!(!verify(&reordered, head).valid);
    }

    /// Issue 11 (found by `cargo xtask chaos`): the head is read before the entries, and
    /// a request appending meanwhile made the chain look broken at its new last entry.
    #[test]
    fn a_chain_verified_up_to_its_head_ignores_entries_appended_since() {
        let entries = chain(5);
        let head = (4, entries[3].hash.0);
        assert_eq!(verify(&entries, head).first_bad_seq, Some(5));
        let up_to = |entries: &[AuditEntry]| {
            let mut verifier = Verifier::up_to(head.0);
            entries.iter().for_each(|e| verifier.push(e));
            verifier.finish(head)
        };
        let verdict = up_to(&entries);
        assert!(verdict.valid, "{verdict:?}");
        assert_eq!(verdict.entries, 4);
        // What was there at the head still has to be whole.
        let mut edited = entries.clone();
        edited[1].detail = "{\"size\":1}".into();
        assert_eq!(up_to(&edited).first_bad_seq, Some(2));
        let mut renumbered = entries.clone();
        renumbered[3].seq = 9;
        assert!(!up_to(&renumbered).valid);
        assert!(!up_to(&entries[..3]).valid);
    }
}
