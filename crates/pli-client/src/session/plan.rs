//! The sealed plan of a send: what finishing an upload needs once the exchange exists
//! (the encryption seeds, the manifest's and envelope's fields), sealed to the sender's
//! own key and handed to the caller, so that a send cut off by a reload or a crash can be
//! resumed ([`super::Session::resume_send`]) or abandoned.
//!
//! **One key and nonce, one plaintext.** A resume encrypts again from the same seeds, so
//! a file picked again with other content would seal other plaintext under a key and
//! nonces whose ciphertext may already be out (on the relay, which is not trusted, or on
//! the wire): its holder would learn the XOR of the two plaintexts and Poly1305 keys. So
//! the plan also records the SHA-256 of every ciphertext *part* before it leaves — the
//! hash the part's `Content-Digest` and the envelope carry anyway — and the rule is: no
//! part leaves the client before its hash is in a plan handed to the caller. A resume
//! makes each part again and, where a hash is recorded for it, stops with
//! [`ClientError::FileChanged`] if the part made again differs, before it leaves (sent
//! again, or counted as the relay's); a part with no hash recorded never left.
//!
//! Why that is enough, though parts do not line up with STREAM chunks (the header and the
//! tags shift them): every ciphertext byte that ever left lies in a recorded part, and a
//! resume lets a part leave only if it is byte for byte the one recorded or none of it
//! left before. A chunk that straddles a recorded part and one that never left keeps,
//! in the recorded part, the bytes sent before (or the resume stops there); what of it
//! lies in the other part, its tag included, leaves only once. No byte is ever out under
//! two plaintexts. The manifest, object 0, is recorded the same way.
//!
//! Until 7 December 2026 the plan recorded the SHA-256 of every 16 MiB *plaintext
//! segment* instead, hashed before any of it was encrypted (version 2): a whole second
//! pass over the files, with WebCrypto in the browser, for a check the parts' own hashes
//! give. Version 1 plans (before any hash) and version 2 plans are still read, to show
//! and abandon the send they describe, but never resumed ([`ClientError::PlanOutdated`]):
//! nothing in them says which parts left.

use pli_api::{Base64, ExchangeId, OrgId, UserId};
use pli_crypto::age::EncryptionSeed;
use pli_crypto::manifest::{Category, FileEntry, Manifest};
use pli_crypto::preview::Preview;
use serde::{Deserialize, Serialize};

use crate::ClientError;

/// The version of the plans this client writes.
pub(super) const VERSION: u8 = 3;

/// The smallest part a resumable send accepts from the relay (which asks for 16 MiB): the
/// plan records a hash and is handed out again for every part, so parts of the envelope's
/// smallest size (64 KiB) would have the caller seal and store the plan 16,384 times per
/// GiB, and a plan for 10 GiB outgrow the browser's storage.
pub(super) const MIN_PART_SIZE: u64 = 4 << 20;

/// A plan whose content contradicts itself (or the send it is used for).
fn damaged() -> ClientError {
    ClientError::verification("this interrupted send is damaged")
}

/// What finishing an upload needs, once the exchange is created: sealed to the sender's
/// own key, it is the only thing a caller keeps to resume after a restart.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Plan {
    /// [`VERSION`]; 1 for a plan written before any hash, 2 for one recording plaintext
    /// segments (read, never resumed).
    pub(super) version: u8,
    /// The sender (a plan is refused in anyone else's session).
    pub(super) user_id: UserId,
    pub(super) exchange_id: ExchangeId,
    pub(super) created_at: u64,
    pub(super) expires_at: u64,
    pub(super) part_size: u64,
    pub(super) recipient_org_id: OrgId,
    pub(super) recipient_generation: u32,
    pub(super) sender_generation: Option<u32>,
    /// Index in [`Category::ALL`].
    pub(super) category: u8,
    pub(super) subject: String,
    pub(super) message: String,
    pub(super) case_reference: String,
    pub(super) urgent: bool,
    pub(super) in_reply_to: Option<ExchangeId>,
    pub(super) files: Vec<PlannedFile>,
    /// One [`EncryptionSeed`] per object: the manifest's first, then each file's.
    pub(super) seeds: Vec<Base64>,
    /// Version 2 only: the plaintext span each hash of `segments` covered (0 otherwise).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(super) segment_len: u64,
    /// Version 2 only: per file, the SHA-256 of its plaintext segments (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) segments: Vec<Base64>,
    /// Per object (the manifest's first, then each file's), the SHA-256 of each of its
    /// parts that may have left, in order, concatenated (32 bytes each). Empty before
    /// version 3.
    #[serde(default)]
    pub(super) parts: Vec<Base64>,
    /// The sealed [`Preview`] the envelope will carry, sealed once the exchange exists (so
    /// a resume signs the very same bytes); empty in a plan written before previews, whose
    /// envelope then carries none.
    #[serde(default)]
    pub(super) preview: Base64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Drop for Plan {
    fn drop(&mut self) {
        for seed in &mut self.seeds {
            zeroize::Zeroize::zeroize(&mut seed.0);
        }
    }
}

/// A file of an interrupted send.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedFile {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type.
    pub media_type: String,
}

impl std::fmt::Debug for PlannedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannedFile")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// What the sealed plan of an interrupted send says, for the person deciding to resume
/// or abandon it.
#[derive(Clone)]
pub struct PendingSend {
    /// The exchange being uploaded.
    pub exchange_id: ExchangeId,
    /// Its recipient.
    pub recipient_org_id: OrgId,
    /// Its subject.
    pub subject: String,
    /// Its files, in order: the same ones must be picked again.
    pub files: Vec<PlannedFile>,
}

impl std::fmt::Debug for PendingSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSend")
            .field("exchange_id", &self.exchange_id)
            .finish_non_exhaustive()
    }
}

impl Plan {
    /// Reads a plan's JSON, checking its shape (not whose it is).
    pub(super) fn from_json(json: &[u8]) -> Result<Self, ClientError> {
        let plan: Self = serde_json::from_slice(json)
            .map_err(|_| ClientError::verification("this interrupted send cannot be read"))?;
        if plan.seeds.len() != plan.files.len() + 1 {
            return Err(damaged());
        }
        let legacy = plan.segment_len != 0 || !plan.segments.is_empty();
        match plan.version {
            1 if !legacy && plan.parts.is_empty() => {}
            2 if legacy && plan.parts.is_empty() => {}
            VERSION => {
                if legacy
                    || plan.part_size < MIN_PART_SIZE
                    || !pli_crypto::envelope::part_size_allowed(plan.part_size)
                    || plan.parts.len() != plan.files.len() + 1
                    || plan.parts.iter().any(|h| {
                        !h.0.len().is_multiple_of(32)
                            || h.0.len() / 32 > pli_crypto::envelope::MAX_PARTS
                    })
                {
                    return Err(damaged());
                }
            }
            _ => {
                return Err(ClientError::verification(
                    "this interrupted send was written by another version of Pli",
                ));
            }
        }
        Ok(plan)
    }

    /// Whether this plan may be resumed: a version 1 or 2 plan does not say which parts
    /// left, so encrypting again from its seeds could send other ciphertext where some
    /// was sent.
    pub(super) fn resumable(&self) -> Result<(), ClientError> {
        if self.version == VERSION {
            Ok(())
        } else {
            Err(ClientError::PlanOutdated)
        }
    }

    /// How many parts of object `object` the plan records (0 for an object it does not
    /// have).
    pub(super) fn recorded(&self, object: u32) -> usize {
        usize::try_from(object)
            .ok()
            .and_then(|i| self.parts.get(i))
            .map_or(0, |hashes| hashes.0.len() / 32)
    }

    /// Checks part `part` of object `object` (0: the manifest; then each file), made
    /// again or for the first time and hashing to `sha256`, before it leaves: if a hash is
    /// recorded for it, it must be the same (else [`ClientError::FileChanged`]); if not,
    /// it is recorded — the next one in order — and `true` says the plan must be handed
    /// out again before the part leaves.
    pub(super) fn check_part(
        &mut self,
        object: u32,
        part: u32,
        sha256: &[u8; 32],
    ) -> Result<bool, ClientError> {
        let index = usize::try_from(object).map_err(|_| damaged())?;
        let recorded = self.parts.get_mut(index).ok_or_else(damaged)?;
        let count = recorded.0.len() / 32;
        let at = usize::try_from(part).map_err(|_| damaged())?;
        if at < count {
            if recorded.0.get(at * 32..at * 32 + 32) == Some(&sha256[..]) {
                return Ok(false);
            }
            // A file's part differs: that file changed. The manifest's would differ only
            // with a file's whole hash, whose parts are all checked before it is made.
            return Err(match index.checked_sub(1).and_then(|f| self.files.get(f)) {
                Some(file) => ClientError::FileChanged(file.name.clone()),
                None => ClientError::verification(
                    "the manifest made again differs from the one already sent",
                ),
            });
        }
        if at > count {
            return Err(ClientError::verification("parts checked out of order"));
        }
        recorded.0.extend_from_slice(sha256);
        Ok(true)
    }

    /// The manifest, with the files' plaintext hashes (zeros where not known yet).
    pub(super) fn manifest(&self, hashes: &[[u8; 32]]) -> Result<Manifest, ClientError> {
        let category = Category::ALL
            .get(usize::from(self.category))
            .copied()
            .ok_or_else(|| ClientError::verification("unknown category"))?;
        Ok(Manifest {
            exchange_id: self.exchange_id,
            category,
            subject: self.subject.clone(),
            message: self.message.clone(),
            case_reference: self.case_reference.clone(),
            files: self
                .files
                .iter()
                .enumerate()
                .map(|(i, f)| FileEntry {
                    name: f.name.clone(),
                    size: f.size,
                    media_type: f.media_type.clone(),
                    sha256: hashes.get(i).copied().unwrap_or([0; 32]),
                })
                .collect(),
        })
    }

    /// What lists will show of this exchange, before it is sealed.
    pub(super) fn preview(&self) -> Result<Preview, ClientError> {
        let manifest = self.manifest(&[])?;
        Ok(Preview {
            exchange_id: manifest.exchange_id,
            category: manifest.category,
            subject: manifest.subject.clone(),
            case_reference: manifest.case_reference.clone(),
            size: self
                .files
                .iter()
                .map(|f| f.size)
                .fold(0, u64::saturating_add),
        })
    }

    pub(super) fn seed(&self, index: usize) -> Result<EncryptionSeed, ClientError> {
        let bytes = self.seeds.get(index).ok_or_else(damaged)?;
        Ok(EncryptionSeed::from_bytes(&bytes.0)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(sizes: &[u64]) -> Plan {
        Plan {
            version: VERSION,
            user_id: UserId::from_bytes([1; 16]),
            exchange_id: ExchangeId::from_bytes([2; 16]),
            created_at: 1,
            expires_at: 2,
            part_size: 16 << 20,
            recipient_org_id: OrgId::from_bytes([3; 16]),
            recipient_generation: 1,
            sender_generation: None,
            category: 0,
            subject: "Rapport".into(),
            message: String::new(),
            case_reference: String::new(),
            urgent: false,
            in_reply_to: None,
            files: sizes
                .iter()
                .enumerate()
                .map(|(i, size)| PlannedFile {
                    name: format!("f{i}.pdf"),
                    size: *size,
                    media_type: "application/pdf".into(),
                })
                .collect(),
            seeds: (0..=sizes.len()).map(|_| Base64(vec![7; 32])).collect(),
            segment_len: 0,
            segments: Vec::new(),
            parts: (0..=sizes.len()).map(|_| Base64(Vec::new())).collect(),
            preview: Base64::default(),
        }
    }

    #[test]
    fn the_preview_copies_the_manifest_and_adds_up_the_sizes() {
        let mut plan = plan(&[410, 3 << 30]);
        plan.case_reference = "2026/00123".into();
        let preview = plan.preview().unwrap();
        let manifest = plan.manifest(&[]).unwrap();
        assert_eq!(preview.exchange_id, manifest.exchange_id);
        assert_eq!(preview.category, manifest.category);
        assert_eq!(preview.subject, "Rapport");
        assert_eq!(preview.case_reference, "2026/00123");
        assert_eq!(preview.size, 410 + (3 << 30));
        // A plan sealed before previews existed reads with none.
        let mut old = json(&plan);
        old.as_object_mut().unwrap().remove("preview");
        let read: Plan = serde_json::from_value(old).unwrap();
        assert!(read.preview.0.is_empty());
    }

    fn json(plan: &Plan) -> serde_json::Value {
        serde_json::to_value(plan).unwrap()
    }

    fn read(value: &serde_json::Value) -> Result<Plan, ClientError> {
        Plan::from_json(&serde_json::to_vec(value).unwrap())
    }

    #[test]
    fn parts_are_recorded_in_order_and_other_content_is_refused() {
        let mut plan = plan(&[40 << 20, 0]);
        let a = [0xa; 32];
        let b = [0xb; 32];
        // Object 1 is the first file.
        assert!(plan.check_part(1, 0, &a).unwrap(), "new: hand the plan out");
        assert!(!plan.check_part(1, 0, &a).unwrap(), "the same: nothing new");
        let error = plan.check_part(1, 0, &b).unwrap_err();
        assert!(matches!(&error, ClientError::FileChanged(name) if name == "f0.pdf"));
        assert_eq!(error.code(), pli_api::ErrorCode::FileChanged);
        assert!(plan.check_part(1, 2, &a).is_err(), "out of order");
        assert!(plan.check_part(3, 0, &a).is_err(), "no such object");
        assert!(plan.check_part(1, 1, &b).unwrap());
        assert!(plan.check_part(1, 2, &a).unwrap());
        assert_eq!(plan.parts[1].0.len(), 3 * 32);
        // The manifest (object 0): a difference there is no file's.
        assert!(plan.check_part(0, 0, &a).unwrap());
        let error = plan.check_part(0, 0, &b).unwrap_err();
        assert!(matches!(error, ClientError::Verification(_)), "{error}");

        // What was recorded survives sealing (JSON) and is checked after it.
        let mut again = read(&json(&plan)).unwrap();
        again.resumable().unwrap();
        assert!(!again.check_part(1, 1, &b).unwrap());
        assert!(again.check_part(1, 1, &a).is_err());
        assert!(!again.check_part(0, 0, &a).unwrap());
    }

    #[test]
    fn version_1_and_2_plans_are_read_to_be_abandoned_but_never_resumed() {
        // A version 1 plan: no hash at all.
        let mut v1 = json(&plan(&[5]));
        v1["version"] = 1.into();
        v1.as_object_mut().unwrap().remove("parts");
        // A version 2 plan: the hashes of plaintext segments.
        let mut v2 = v1.clone();
        v2["version"] = 2.into();
        v2["segment_len"] = (16u64 << 20).into();
        v2["segments"] = serde_json::json!([Base64(vec![1; 32]).encode()]);
        for old in [v1, v2] {
            let old = read(&old).unwrap();
            assert_eq!(old.files[0].size, 5);
            let error = old.resumable().unwrap_err();
            assert!(matches!(error, ClientError::PlanOutdated));
            assert_eq!(error.code(), pli_api::ErrorCode::PlanOutdated);
        }
        let written = json(&plan(&[5]));
        assert!(written.get("segments").is_none() && written.get("segment_len").is_none());
        read(&written).unwrap().resumable().unwrap();
    }

    #[test]
    fn plans_whose_shape_is_wrong_are_refused() {
        let good = json(&plan(&[17 << 20]));
        let wrong = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut value = good.clone();
            change(&mut value);
            read(&value).is_err()
        };
        assert!(!wrong(&|_| {}));
        assert!(wrong(&|v| v["version"] = 4.into()));
        assert!(wrong(&|v| v["part_size"] = 0.into()));
        assert!(wrong(&|v| v["part_size"] = (MIN_PART_SIZE - 1).into()));
        assert!(!wrong(&|v| v["part_size"] = MIN_PART_SIZE.into()));
        assert!(wrong(&|v| v["part_size"] = ((64u64 << 20) + 1).into()));
        // More hashes than an envelope lists parts.
        let many = Base64(vec![1; 32 * (pli_crypto::envelope::MAX_PARTS + 1)]).encode();
        assert!(wrong(&|v| v["parts"] = serde_json::json!([many, []])));
        // One list per object: the manifest and the file.
        assert!(wrong(&|v| v["parts"] = serde_json::json!([])));
        let one = Base64(vec![1; 32]).encode();
        assert!(wrong(&|v| v["parts"] = serde_json::json!([one])));
        assert!(!wrong(&|v| v["parts"] = serde_json::json!([one, one])));
        // A hash cut short.
        let short = Base64(vec![1; 31]).encode();
        assert!(wrong(&|v| v["parts"] = serde_json::json!([one, short])));
        assert!(wrong(&|v| v["seeds"] = serde_json::json!([])));
        // Version 3 with segments, or version 2 or 1 with parts: not what Pli wrote.
        assert!(wrong(&|v| v["segment_len"] = (16u64 << 20).into()));
        assert!(wrong(&|v| v["version"] = 2.into()));
        assert!(wrong(&|v| v["version"] = 1.into()));
    }
}
