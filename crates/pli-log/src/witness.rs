//! A witness's rule (C2SP `tlog-witness`): cosign a checkpoint only if the log's key
//! signed it and it extends, by a valid consistency proof, the last checkpoint this
//! witness cosigned for that log. The HTTP side and the state on disk are `pli witness`'s.

use base64::Engine as _;
use pli_crypto::sign::VerifyingKey;
use serde::{Deserialize, Serialize};
use tlog_tiles::Hash;

use crate::note::{ED25519, key_id, parse_checkpoint};

/// The longest consistency proof a request may carry (C2SP: 63 hashes).
pub const MAX_PROOF: usize = 63;

/// What a witness remembers of one log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogState {
    /// The log's origin (and its key's name).
    pub origin: String,
    /// The log's public key (Ed25519).
    pub log_key: [u8; 32],
    /// The size of the last checkpoint cosigned (0: none yet).
    pub size: u64,
    /// Its root hash.
    pub hash: [u8; 32],
}

/// Why a witness refuses a checkpoint, with the HTTP status C2SP gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 400: the request is not a `tlog-witness` request.
    #[error("malformed request: {0}")]
    Malformed(&'static str),
    /// 404: the witness does not know this log.
    #[error("unknown log")]
    UnknownLog,
    /// 403: the log's key did not sign the checkpoint.
    #[error("the checkpoint is not signed by the log's key")]
    NotSigned,
    /// 409: the request's old size is not the last one cosigned (which is returned).
    #[error("the last checkpoint cosigned has size {size}")]
    Conflict {
        /// The witness's size for this log.
        size: u64,
    },
    /// 422: the consistency proof does not prove that the new tree extends the old (a
    /// checkpoint of the witness's size with another root, a proof from size 0, a tree
    /// of size 0 whose root is not the empty tree's).
    #[error("the consistency proof does not verify")]
    Inconsistent,
}

impl Refusal {
    /// The HTTP status C2SP `tlog-witness` assigns.
    pub fn status(&self) -> u16 {
        match self {
            Self::Malformed(_) => 400,
            Self::NotSigned => 403,
            Self::UnknownLog => 404,
            Self::Conflict { .. } => 409,
            Self::Inconsistent => 422,
        }
    }
}

/// An `add-checkpoint` request: the size the log believes this witness is at, a
/// consistency proof from it, and the new checkpoint note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The previous size.
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<[u8; 32]>,
    /// The checkpoint, as a signed note.
    pub note: Vec<u8>,
}

impl AddCheckpoint {
    /// The request body: `old N`, one base64 hash a line, a blank line, the note.
    pub fn to_body(&self) -> Vec<u8> {
        let mut body = format!("old {}\n", self.old_size).into_bytes();
        for hash in &self.proof {
            body.extend_from_slice(
                base64::engine::general_purpose::STANDARD
                    .encode(hash)
                    .as_bytes(),
            );
            body.push(b'\n');
        }
        body.push(b'\n');
        body.extend_from_slice(&self.note);
        body
    }

    /// Parses a request body.
    pub fn parse(body: &[u8]) -> Result<Self, Refusal> {
        let text = std::str::from_utf8(body).map_err(|_| Refusal::Malformed("not UTF-8"))?;
        let (head, note) = text
            .split_once("\n\n")
            .ok_or(Refusal::Malformed("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        // ASCII decimal without leading zeroes (`u64::from_str` also takes `+7`, `007`).
        let old_size = lines
            .next()
            .and_then(|line| line.strip_prefix("old "))
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            .filter(|n| *n == "0" || !n.starts_with('0'))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or(Refusal::Malformed("the first line is not `old <size>`"))?;
        let mut proof = Vec::new();
        for line in lines {
            let hash = Hash::parse_hash(line)
                .map_err(|_| Refusal::Malformed("a proof line is not a hash"))?;
            proof.push(hash.0);
            if proof.len() > MAX_PROOF {
                return Err(Refusal::Malformed("the proof is too long"));
            }
        }
        Ok(Self {
            old_size,
            proof,
            note: note.as_bytes().to_vec(),
        })
    }
}

/// Checks a request against what the witness remembers of the log; on success, the
/// state to remember and the checkpoint text to cosign.
pub fn check(state: &LogState, request: &AddCheckpoint) -> Result<(LogState, Vec<u8>), Refusal> {
    let (text, checkpoint) =
        parse_checkpoint(&request.note).map_err(|_| Refusal::Malformed("not a checkpoint note"))?;
    if checkpoint.origin() != state.origin {
        return Err(Refusal::UnknownLog);
    }
    let log_key = VerifyingKey::from_bytes(&state.log_key).map_err(|_| Refusal::UnknownLog)?;
    let note = signed_note::Note::from_bytes(&request.note)
        .map_err(|_| Refusal::Malformed("not a signed note"))?;
    let verifier = crate::note::log_verifier(&state.origin, log_key);
    let list = signed_note::VerifierList::new(vec![verifier]);
    let id = key_id(&state.origin, ED25519, &log_key);
    match note.verify(&list) {
        Ok((verified, _)) if verified.iter().any(|s| s.id() == id) => {}
        _ => return Err(Refusal::NotSigned),
    }
    let new_size = checkpoint.size();
    let new_hash = *checkpoint.hash();
    // C2SP's order: 400 for an old size past the checkpoint, before 409 for a stale one.
    if request.old_size > new_size {
        return Err(Refusal::Malformed(
            "the old size is larger than the checkpoint's",
        ));
    }
    if request.old_size != state.size {
        return Err(Refusal::Conflict { size: state.size });
    }
    let consistent = if new_size == 0 {
        // The empty tree's root is the hash of the empty string (RFC 6962, 2.1).
        request.proof.is_empty() && new_hash == tlog_tiles::EMPTY_HASH
    } else if request.old_size == 0 {
        request.proof.is_empty()
    } else if request.old_size == new_size {
        request.proof.is_empty() && new_hash.0 == state.hash
    } else {
        let proof: Vec<Hash> = request.proof.iter().map(|h| Hash(*h)).collect();
        tlog_tiles::check_tree(
            &proof,
            new_size,
            new_hash,
            request.old_size,
            Hash(state.hash),
        )
        .is_ok()
    };
    if !consistent {
        return Err(Refusal::Inconsistent);
    }
    Ok((
        LogState {
            size: new_size,
            hash: new_hash.0,
            ..state.clone()
        },
        text,
    ))
}
