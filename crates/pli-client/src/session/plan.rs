//! The sealed plan of a send: what finishing an upload needs once the exchange exists
//! (the encryption seeds, the manifest's and envelope's fields), sealed to the sender's
//! own key and handed to the caller, so that a send cut off by a reload or a crash can be
//! resumed ([`super::Session::resume_send`]) or abandoned.
//!
//! **One key and nonce, one plaintext.** A resume encrypts again from the same seeds, so
//! a file picked again with other content would seal other plaintext under a key and
//! nonces whose ciphertext may already be out (on the relay, which is not trusted, or on
//! the wire): its holder would learn the XOR of the two plaintexts and Poly1305 keys. So
//! the plan also records the SHA-256 of every plaintext *segment* encrypted for upload —
//! [`SEGMENT_LEN`] bytes, a whole number of STREAM chunks — and the rule is: no
//! ciphertext made from a seed leaves the client before the hash of every segment it
//! comes from is in a plan handed to the caller. A resume hashes each segment of a file
//! picked again *before* encrypting it and stops with [`ClientError::FileChanged`] if a
//! recorded hash differs; a segment with no hash recorded was never sent.
//!
//! Version 1 plans (before segment hashes) are still read, to show and abandon the send
//! they describe, but never resumed ([`ClientError::PlanOutdated`]): nothing in them says
//! what already left.

use pli_api::{Base64, ExchangeId, OrgId, UserId};
use pli_crypto::age::EncryptionSeed;
use pli_crypto::manifest::{Category, FileEntry, Manifest};
use pli_crypto::preview::Preview;
use serde::{Deserialize, Serialize};

use crate::ClientError;

/// The version of the plans this client writes.
pub(super) const VERSION: u8 = 2;

/// The plaintext span one recorded hash covers: 256 STREAM chunks of 64 KiB, 16 MiB.
///
/// Segments live in the *plaintext*, aligned on STREAM chunks, so every chunk (one key,
/// one nonce) lies in exactly one segment whatever the header length, the number of
/// recipients or the relay's part size; ciphertext parts, shifted by the header and the
/// tags, do not line up with chunks. 16 MiB keeps the plan small (640 hashes, 20 KiB, for
/// a 10 GiB file) and a plan handed out about once per uploaded part (16 MiB), while a
/// resume holds at most one segment in memory to hash it before encrypting it.
pub(super) const SEGMENT_LEN: u64 = 256 * pli_crypto::age::CHUNK_SIZE as u64;

/// The largest segment a plan may declare (a resume holds one in memory).
const MAX_SEGMENT_LEN: u64 = 64 << 20;

/// How many segments of `segment_len` bytes a plaintext of `size` bytes has (none if it is
/// empty: an empty file encrypts to one empty final chunk, the same bytes whatever the
/// file, since there is no other empty plaintext).
pub(super) fn segment_count(size: u64, segment_len: u64) -> u64 {
    if segment_len == 0 {
        return 0;
    }
    size.div_ceil(segment_len)
}

/// Segment `k` of a plaintext of `size` bytes: its offset and length, if it has one.
pub(super) fn segment(size: u64, segment_len: u64, k: u64) -> Option<(u64, u64)> {
    let start = k.checked_mul(segment_len)?;
    (start < size).then(|| (start, (size - start).min(segment_len)))
}

/// What finishing an upload needs, once the exchange is created: sealed to the sender's
/// own key, it is the only thing a caller keeps to resume after a restart.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Plan {
    /// [`VERSION`]; 1 for a plan written before segment hashes (never resumed).
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
    /// The plaintext span each hash of `segments` covers ([`SEGMENT_LEN`]; 0 in version 1).
    #[serde(default)]
    pub(super) segment_len: u64,
    /// Per file, the SHA-256 of its plaintext segments encrypted for upload so far, in
    /// order, concatenated (32 bytes each). Empty in version 1.
    #[serde(default)]
    pub(super) segments: Vec<Base64>,
    /// The sealed [`Preview`] the envelope will carry, sealed once the exchange exists (so
    /// a resume signs the very same bytes); empty in a plan written before previews, whose
    /// envelope then carries none.
    #[serde(default)]
    pub(super) preview: Base64,
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
        let damaged = || ClientError::verification("this interrupted send is damaged");
        if plan.seeds.len() != plan.files.len() + 1 {
            return Err(damaged());
        }
        match plan.version {
            1 if plan.segment_len == 0 && plan.segments.is_empty() => {}
            VERSION => {
                let chunk = pli_crypto::age::CHUNK_SIZE as u64;
                if plan.segment_len == 0
                    || !plan.segment_len.is_multiple_of(chunk)
                    || plan.segment_len > MAX_SEGMENT_LEN
                    || plan.segments.len() != plan.files.len()
                {
                    return Err(damaged());
                }
                for (file, hashes) in plan.files.iter().zip(&plan.segments) {
                    let count = segment_count(file.size, plan.segment_len);
                    if !hashes.0.len().is_multiple_of(32) || hashes.0.len() as u64 / 32 > count {
                        return Err(damaged());
                    }
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

    /// Whether this plan may be resumed: a version 1 plan does not say which plaintext
    /// its uploaded parts came from, so encrypting again from its seeds could seal other
    /// content under a key and nonce already used.
    pub(super) fn resumable(&self) -> Result<(), ClientError> {
        if self.version == VERSION {
            Ok(())
        } else {
            Err(ClientError::PlanOutdated)
        }
    }

    /// Checks segment `k` of file `file`, whose plaintext hashes to `sha256`, before any
    /// of it is encrypted: if a hash is recorded for it, it must be the same (else
    /// [`ClientError::FileChanged`]); if not, it is recorded — the next one in order — and
    /// `true` says the plan must be handed out again before its ciphertext leaves.
    pub(super) fn check_segment(
        &mut self,
        file: usize,
        k: u64,
        sha256: &[u8; 32],
    ) -> Result<bool, ClientError> {
        let name = self
            .files
            .get(file)
            .map(|f| f.name.clone())
            .ok_or_else(|| ClientError::verification("this interrupted send is damaged"))?;
        let recorded = self
            .segments
            .get_mut(file)
            .ok_or_else(|| ClientError::verification("this interrupted send is damaged"))?;
        let count = recorded.0.len() as u64 / 32;
        let at = usize::try_from(k.saturating_mul(32))
            .map_err(|_| ClientError::verification("segment out of range"))?;
        if k < count {
            return if recorded.0.get(at..at + 32) == Some(&sha256[..]) {
                Ok(false)
            } else {
                Err(ClientError::FileChanged(name))
            };
        }
        if k > count {
            return Err(ClientError::verification("segments checked out of order"));
        }
        recorded.0.extend_from_slice(sha256);
        Ok(true)
    }

    /// Whether the hash of every segment of every file is recorded: only then is the
    /// manifest's plaintext (the files' whole hashes) fixed, so only then may it be
    /// encrypted and sent.
    pub(super) fn every_segment_recorded(&self) -> bool {
        self.files.len() == self.segments.len()
            && self.files.iter().zip(&self.segments).all(|(f, hashes)| {
                hashes.0.len() as u64 / 32 == segment_count(f.size, self.segment_len)
            })
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
        let bytes = self
            .seeds
            .get(index)
            .ok_or_else(|| ClientError::verification("this interrupted send is damaged"))?;
        Ok(EncryptionSeed::from_bytes(&bytes.0)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNK: u64 = pli_crypto::age::CHUNK_SIZE as u64;

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
            segment_len: SEGMENT_LEN,
            segments: sizes.iter().map(|_| Base64(Vec::new())).collect(),
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
    fn segments_tile_the_plaintext_on_whole_stream_chunks() {
        assert_eq!(SEGMENT_LEN, 16 << 20);
        assert_eq!(SEGMENT_LEN % CHUNK, 0);
        for size in [
            0,
            1,
            CHUNK - 1,
            CHUNK,
            SEGMENT_LEN - 1,
            SEGMENT_LEN,
            SEGMENT_LEN + 1,
            3 * SEGMENT_LEN + 5,
            10 << 30,
        ] {
            let count = segment_count(size, SEGMENT_LEN);
            let mut next = 0;
            for k in 0..count {
                let (start, len) = segment(size, SEGMENT_LEN, k).unwrap();
                assert_eq!(start, next, "size {size}, segment {k}: contiguous");
                assert!(len > 0 && len <= SEGMENT_LEN);
                assert!(
                    k + 1 == count || len == SEGMENT_LEN,
                    "only the last is short"
                );
                // Each STREAM chunk (one nonce) lies in exactly one segment.
                assert_eq!(start % CHUNK, 0);
                assert_eq!(
                    (start + len) % CHUNK == 0,
                    k + 1 < count || size % CHUNK == 0
                );
                next = start + len;
            }
            assert_eq!(next, size, "size {size}: covered");
            assert_eq!(segment(size, SEGMENT_LEN, count), None);
        }
        // Chunk c is in segment c / 256, first byte to last.
        for c in [0u64, 1, 255, 256, 257, 1000] {
            let first = c * CHUNK / SEGMENT_LEN;
            let last = ((c + 1) * CHUNK - 1) / SEGMENT_LEN;
            assert_eq!((first, last), (c / 256, c / 256));
        }
        assert_eq!(segment_count(0, SEGMENT_LEN), 0);
        assert_eq!(segment_count(SEGMENT_LEN, SEGMENT_LEN), 1);
        assert_eq!(segment_count(SEGMENT_LEN + 1, SEGMENT_LEN), 2);
        assert_eq!(segment(u64::MAX, SEGMENT_LEN, u64::MAX), None);
        // A 10 GiB file: 640 hashes, 20 KiB in the plan.
        assert_eq!(segment_count(10 << 30, SEGMENT_LEN) * 32, 20 * 1024);
    }

    #[test]
    fn segments_are_recorded_in_order_and_other_content_is_refused() {
        let mut plan = plan(&[2 * SEGMENT_LEN + 1, 0]);
        assert!(!plan.every_segment_recorded());
        let a = [0xa; 32];
        let b = [0xb; 32];
        assert!(
            plan.check_segment(0, 0, &a).unwrap(),
            "new: hand the plan out"
        );
        assert!(
            !plan.check_segment(0, 0, &a).unwrap(),
            "the same: nothing new"
        );
        let error = plan.check_segment(0, 0, &b).unwrap_err();
        assert!(matches!(&error, ClientError::FileChanged(name) if name == "f0.pdf"));
        assert_eq!(error.code(), pli_api::ErrorCode::FileChanged);
        assert!(plan.check_segment(0, 2, &a).is_err(), "out of order");
        assert!(plan.check_segment(2, 0, &a).is_err(), "no such file");
        assert!(plan.check_segment(0, 1, &b).unwrap());
        assert!(!plan.every_segment_recorded());
        assert!(plan.check_segment(0, 2, &a).unwrap());
        // The empty file has no segment: everything is recorded.
        assert!(plan.every_segment_recorded());
        assert_eq!(plan.segments[0].0.len(), 3 * 32);

        // What was recorded survives sealing (JSON) and is checked after it.
        let mut again = read(&json(&plan)).unwrap();
        again.resumable().unwrap();
        assert!(!again.check_segment(0, 1, &b).unwrap());
        assert!(again.check_segment(0, 1, &a).is_err());
    }

    #[test]
    fn version_1_plans_are_read_to_be_abandoned_but_never_resumed() {
        // A version 1 plan: this one without the segment fields.
        let mut v1 = json(&plan(&[5]));
        v1["version"] = 1.into();
        let object = v1.as_object_mut().unwrap();
        object.remove("segment_len");
        object.remove("segments");
        let old = read(&v1).unwrap();
        assert_eq!(old.files[0].size, 5);
        let error = old.resumable().unwrap_err();
        assert!(matches!(error, ClientError::PlanOutdated));
        assert_eq!(error.code(), pli_api::ErrorCode::PlanOutdated);
        read(&json(&plan(&[5]))).unwrap().resumable().unwrap();
    }

    #[test]
    fn plans_whose_shape_is_wrong_are_refused() {
        let good = json(&plan(&[SEGMENT_LEN + 1]));
        let wrong = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut value = good.clone();
            change(&mut value);
            read(&value).is_err()
        };
        assert!(!wrong(&|_| {}));
        assert!(wrong(&|v| v["version"] = 3.into()));
        assert!(wrong(&|v| v["segment_len"] = 0.into()));
        assert!(wrong(&|v| v["segment_len"] = (SEGMENT_LEN + 1).into()));
        assert!(wrong(&|v| v["segment_len"] = (128u64 << 20).into()));
        assert!(wrong(&|v| v["segments"] = serde_json::json!([])));
        // Three hashes for a file of two segments; a hash cut short.
        let three = Base64(vec![1; 96]).encode();
        assert!(wrong(&|v| v["segments"] = serde_json::json!([three])));
        let short = Base64(vec![1; 31]).encode();
        assert!(wrong(&|v| v["segments"] = serde_json::json!([short])));
        assert!(wrong(&|v| v["seeds"] = serde_json::json!([])));
        // A version 1 plan with segment fields is not one this client wrote.
        assert!(wrong(&|v| v["version"] = 1.into()));
    }
}
