//! A send's file hash on a helper of the pool ([`Hasher`], the keys' worker's side;
//! [`hash_one`], the helper's): the file's own SHA-256 for the manifest, which
//! WebAssembly computes slowly (no SHA instructions) and WebCrypto cannot stream. One
//! helper keeps the hash's state between the runs it is sent, in the order they were
//! posted; the others seal meanwhile.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use pli_client::{Output, PoolHasher, PoolRun};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use super::{Inner, Job, Pool, Refused, end_when_idle};

/// How a hash job ends its hash (its input is then empty).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum HashEnd {
    /// It does not: more runs follow.
    No,
    /// The hash is given back, and forgotten.
    Digest,
    /// Forgotten without being computed (a send failed or cancelled).
    Cancel,
}

impl HashEnd {
    /// The message's `end` field.
    pub(super) const fn word(self) -> Option<&'static str> {
        match self {
            Self::No => None,
            Self::Digest => Some("digest"),
            Self::Cancel => Some("cancel"),
        }
    }
}

/// A SHA-256 computed by one helper of the pool, which keeps its state between the
/// updates it is sent (a worker takes its messages in the order they were posted).
pub(super) struct Hasher {
    pool: Pool,
    helper: usize,
    session: u32,
    /// No update sent yet: the next one starts the hash on the helper.
    first: bool,
    /// Its hash was asked for: the helper forgets it as it answers.
    finished: bool,
}

impl Hasher {
    /// Hash `session`, on helper `helper` of `pool`, counted among its hashers until
    /// dropped.
    pub(super) fn new(pool: &Rc<RefCell<Inner>>, helper: usize, session: u32) -> Self {
        pool.borrow_mut().hashers += 1;
        Self {
            pool: Pool {
                inner: Rc::clone(pool),
            },
            helper,
            session,
            first: true,
            finished: false,
        }
    }

    fn job(&mut self, end: HashEnd) -> Job {
        let job = Job::Hash {
            session: self.session,
            first: self.first,
            end,
        };
        self.first = false;
        job
    }
}

impl PoolHasher for Hasher {
    fn update(&mut self, bytes: &[u8]) -> PoolRun {
        let job = self.job(HashEnd::No);
        self.pool.run((job, &[]), bytes, 0, Some(self.helper))
    }

    fn finish(mut self: Box<Self>) -> PoolRun {
        let job = self.job(HashEnd::Digest);
        self.finished = true;
        self.pool.run((job, &[]), &[], 32, Some(self.helper))
    }
}

impl Drop for Hasher {
    /// A hash left before its end (a send failed or cancelled) is forgotten by its helper
    /// all the same (its state holds the last bytes of plaintext not yet hashed); the
    /// answer is awaited in the background, as patiently as any job's, so that a helper
    /// that gives none is ended rather than kept waited for.
    fn drop(&mut self) {
        if !self.first && !self.finished {
            let job = self.job(HashEnd::Cancel);
            let forgotten = self.pool.run((job, &[]), &[], 0, Some(self.helper));
            wasm_bindgen_futures::spawn_local(async move {
                let _ = forgotten.await;
            });
        }
        let mut inner = self.pool.inner.borrow_mut();
        inner.hashers = inner.hashers.saturating_sub(1);
        drop(inner);
        end_when_idle(&self.pool.inner);
    }
}

thread_local! {
    /// A helper's hashes under way ([`Job::Hash`]), by session: each state boxed where it
    /// is updated and finalised, so that no copy of it (holding up to 63 bytes of
    /// plaintext) stays in the map's memory; `sha2`'s `zeroize` wipes it when dropped.
    static HASHES: RefCell<HashMap<u32, Box<sha2::Sha256>>> = RefCell::new(HashMap::new());
}

/// Adds the input of a hash job to its session's hash (from the buffer, a piece at a time,
/// then wiped there), and at its end gives the hash or forgets it: refused for a session
/// this helper did not start (a helper started again would otherwise give the hash of a
/// part of the file).
pub(super) fn hash_one(
    data: &JsValue,
    given: &Uint8Array,
    session: u32,
) -> Result<Output, Refused> {
    use sha2::Digest as _;
    let flag = |name: &str| Reflect::get(data, &name.into()).is_ok_and(|v| v.is_truthy());
    let end = Reflect::get(data, &"end".into())
        .ok()
        .and_then(|v| v.as_string());
    let mut piece = Zeroizing::new(vec![0u8; 64 << 10]);
    let hashed = HASHES.with(|hashes| {
        let mut hashes = hashes.borrow_mut();
        if flag("first") {
            hashes.insert(session, Box::new(sha2::Sha256::new()));
        }
        let hash = hashes.get_mut(&session)?;
        let mut at = 0;
        while at < given.length() {
            let stop = given.length().min(at.saturating_add(piece.len() as u32));
            let n = (stop - at) as usize;
            let into = piece.get_mut(..n)?;
            given.subarray(at, stop).copy_to(into);
            hash.update(&*into);
            at = stop;
        }
        Some(match end.as_deref() {
            Some("digest") => {
                let digest = hash.finalize_reset().to_vec();
                hashes.remove(&session);
                digest
            }
            Some(_) => {
                hashes.remove(&session);
                Vec::new()
            }
            None => Vec::new(),
        })
    });
    given.fill(0, 0, given.length());
    hashed
        .map(Output::new)
        .ok_or_else(|| Refused::Other(JsValue::from_str("a hash this helper did not start")))
}
