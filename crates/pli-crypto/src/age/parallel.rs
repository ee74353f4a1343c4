//! Sealing and opening a batch of full STREAM chunks on several threads (feature
//! `parallel`, native only; the browser would use Web Workers).
//!
//! The threads are scoped to one batch: the caller works too, and the helpers borrow the
//! caller's buffers, so no byte is copied for them. Chunks are claimed one at a time from
//! a shared queue, so a thread that the system preempts (the CLI's reader, another
//! process) delays nobody: the others take its share.
//!
//! Sealing or opening a 64 KiB chunk takes about 50 µs on one core. Spawning and joining
//! a scoped thread costs about 40 µs on the 2-core machines this was measured on, and
//! waking a persistent thread still about 20 µs; a pool could not borrow the caller's
//! buffers without `unsafe` either, and copying every chunk in and out would cost more
//! than it saves. So batches smaller than [`MIN_CHUNKS`] stay on the caller's thread
//! (with 4 chunks, two threads were no faster than one), and the command line's 4 MiB
//! blocks (64 chunks) pay about 2 % for the threads.
//!
//! The SHA-256 of the ciphertext is sequential, but it need not wait for the batch: when
//! encrypting, whichever thread is free hashes the chunks already sealed, in order, while
//! the others seal the next ones; when decrypting, the ciphertext is all there and one
//! thread hashes it while the others open chunks.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread;

use super::stream::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, Opened, PayloadKey};
use super::summary::sealed::Hasher;
use crate::Error;

/// Batches with fewer full chunks than this are processed on the caller's thread alone.
pub(crate) const MIN_CHUNKS: usize = 8;

/// The threads worth using: the available parallelism, at most 8.
pub(crate) fn available() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// Locks `mutex`; a panicking thread cannot leave the queue half-updated (its updates
/// are single assignments), and its panic is propagated when it is joined.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `work` on the caller's thread and on `threads - 1` scoped helpers, after
/// `first` on the caller's; returns every thread's result, propagating a helper's panic.
fn on_threads<T: Send>(
    threads: usize,
    first: impl FnOnce(),
    work: impl Fn() -> T + Sync,
) -> Vec<T> {
    thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(&work)).collect();
        first();
        let mut results = vec![work()];
        for helper in helpers {
            match helper.join() {
                Ok(result) => results.push(result),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    })
}

/// The state shared by the threads sealing a batch.
struct Sealing<'a, P, H> {
    /// Chunks not yet claimed: the plaintext and where its ciphertext goes, with their
    /// index in the batch.
    todo: std::iter::Enumerate<std::iter::Zip<P, std::slice::ChunksMut<'a, u8>>>,
    /// Sealed chunks that cannot be hashed yet (an earlier one is still being sealed).
    sealed: BTreeMap<usize, &'a [u8]>,
    /// The index of the next chunk to hash.
    next_to_hash: usize,
    /// `None` while a thread is hashing.
    hasher: Option<&'a mut H>,
    /// Threads waiting for the next chunk to hash to be sealed.
    waiting: usize,
    failed: Option<Error>,
}

/// Seals `chunks` full chunks of `plaintext` into `region` (room for each chunk and its
/// tag), the first one with `counter`, on up to `threads` threads; feeds the sealed
/// chunks to `hasher` in order.
pub(crate) fn seal<'p, P, H>(
    key: &PayloadKey,
    counter: u64,
    plaintext: P,
    region: &mut [u8],
    hasher: &mut H,
    threads: usize,
) -> Result<(), Error>
where
    P: Iterator<Item = &'p [u8]> + Send,
    H: Hasher,
{
    let chunks = region.len().div_ceil(ENCRYPTED_CHUNK_SIZE);
    let state = Mutex::new(Sealing {
        todo: plaintext
            .zip(region.chunks_mut(ENCRYPTED_CHUNK_SIZE))
            .enumerate(),
        sealed: BTreeMap::new(),
        next_to_hash: 0,
        hasher: Some(hasher),
        waiting: 0,
        failed: None,
    });
    let wake = Condvar::new();
    let threads = threads.min(chunks);
    on_threads(
        threads,
        || {},
        || seal_worker(&state, &wake, key, counter, chunks),
    );
    let state = state
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    state.failed.map_or(Ok(()), Err)
}

fn seal_worker<'p, P, H>(
    state: &Mutex<Sealing<'_, P, H>>,
    wake: &Condvar,
    key: &PayloadKey,
    counter: u64,
    chunks: usize,
) where
    P: Iterator<Item = &'p [u8]>,
    H: Hasher,
{
    let mut guard = lock(state);
    loop {
        if guard.failed.is_some() {
            return;
        }
        // Hash what can be hashed, in order, outside the lock.
        let next = guard.next_to_hash;
        if H::ENABLED
            && guard.sealed.contains_key(&next)
            && let Some(hasher) = guard.hasher.take()
        {
            let mut ready = Vec::new();
            let sealing = &mut *guard;
            while let Some(chunk) = sealing.sealed.remove(&sealing.next_to_hash) {
                ready.push(chunk);
                sealing.next_to_hash += 1;
            }
            drop(guard);
            ready.into_iter().for_each(|chunk| hasher.update(chunk));
            guard = lock(state);
            guard.hasher = Some(hasher);
            continue;
        }
        // Else seal the next chunk, outside the lock.
        if let Some((index, (text, chunk))) = guard.todo.next() {
            drop(guard);
            let sealed = key.seal_into(counter + index as u64, false, text, chunk);
            guard = lock(state);
            match sealed {
                Ok(()) if H::ENABLED => {
                    guard.sealed.insert(index, chunk);
                }
                Ok(()) => {}
                Err(error) => guard.failed = Some(error),
            }
            if guard.waiting > 0 {
                wake.notify_all();
            }
            continue;
        }
        // Nothing left to seal. Done, unless the hasher waits for a chunk that another
        // thread is still sealing (if another thread is hashing, it will go on).
        if !H::ENABLED || guard.hasher.is_none() || guard.next_to_hash == chunks {
            return;
        }
        guard.waiting += 1;
        guard = wake
            .wait(guard)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.waiting -= 1;
    }
}

/// Seals in place the full chunks of `region` (each chunk's plaintext followed by room
/// for its tag: [`ENCRYPTED_CHUNK_SIZE`] bytes), the first one with `counter`, on up to
/// `threads` threads. No hash: only a [`Reserved`](super::Reserved) run seals in place.
pub(crate) fn seal_in_place(
    key: &PayloadKey,
    counter: u64,
    region: &mut [u8],
    threads: usize,
) -> Result<(), Error> {
    if !region.len().is_multiple_of(ENCRYPTED_CHUNK_SIZE) {
        return Err(Error::OutOfRange("full chunks"));
    }
    let chunks = region.len() / ENCRYPTED_CHUNK_SIZE;
    // The chunks not yet claimed, and the first failure (which stops the others).
    let todo = Mutex::new((region.chunks_mut(ENCRYPTED_CHUNK_SIZE).enumerate(), None));
    on_threads(
        threads.min(chunks),
        || {},
        || loop {
            let mut guard = lock(&todo);
            let (queue, failed) = &mut *guard;
            let Some((index, chunk)) = queue.next().filter(|_| failed.is_none()) else {
                return;
            };
            drop(guard);
            if let Err(error) = key.seal_in_place(counter + index as u64, false, chunk) {
                lock(&todo).1 = Some(error);
                return;
            }
        },
    );
    let (_, failed) = todo
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    failed.map_or(Ok(()), Err)
}

/// The state shared by the threads opening a batch.
struct Opening<'a> {
    /// Chunks not yet claimed: where the plaintext goes and the encrypted chunk, with
    /// their index in the batch.
    todo: std::iter::Enumerate<
        std::iter::Zip<std::slice::ChunksMut<'a, u8>, std::slice::Chunks<'a, u8>>,
    >,
    /// Chunks from this index on need not be opened: an earlier one failed or was final.
    limit: usize,
}

/// Opens the consecutive full chunks of `encrypted` into `bodies` (room for the
/// plaintext of each), the first one with `counter`, on up to `threads` threads; one of
/// them first runs `side` (hashing the input).
///
/// Returns the outcome of every chunk up to the first one that was final or failed; the
/// bodies of the chunks that opened hold their plaintext.
pub(crate) fn open(
    key: &PayloadKey,
    counter: u64,
    bodies: &mut [u8],
    encrypted: &[u8],
    side: impl FnOnce(),
    threads: usize,
) -> Vec<Opened> {
    let chunks = bodies.len().div_ceil(CHUNK_SIZE);
    let state = Mutex::new(Opening {
        todo: bodies
            .chunks_mut(CHUNK_SIZE)
            .zip(encrypted.chunks(ENCRYPTED_CHUNK_SIZE))
            .enumerate(),
        limit: chunks,
    });
    let done = on_threads(threads.min(chunks), side, || {
        let mut done = Vec::new();
        loop {
            let (index, (body, chunk)) = {
                let mut guard = lock(&state);
                let limit = guard.limit;
                match guard.todo.next() {
                    Some(job) if job.0 < limit => job,
                    _ => break,
                }
            };
            let opened = key.open_into(counter + index as u64, chunk, body);
            if opened != Opened::More {
                let mut guard = lock(&state);
                guard.limit = guard.limit.min(index + 1);
            }
            done.push((index, opened));
        }
        done
    });
    let mut outcomes = vec![Opened::Failed; chunks];
    for (index, opened) in done.into_iter().flatten() {
        if let Some(slot) = outcomes.get_mut(index) {
            *slot = opened;
        }
    }
    // Chunks after the first final or failed one were perhaps not opened: drop them.
    let end = outcomes
        .iter()
        .position(|opened| *opened != Opened::More)
        .map_or(chunks, |last| last + 1);
    outcomes.truncate(end);
    outcomes
}

#[cfg(test)]
mod tests {
    use sha2::{Digest as _, Sha256};
    use zeroize::Zeroizing;

    use super::*;
    use crate::age::FileKey;
    use crate::age::stream::TAG_SIZE;

    fn key() -> PayloadKey {
        PayloadKey::from_bytes(
            &PayloadKey::derive_bytes(&FileKey(Zeroizing::new([7; 16])), &[3; 16]).unwrap(),
        )
    }

    fn plaintext(chunks: usize) -> Vec<u8> {
        (0..chunks * CHUNK_SIZE).map(|i| (i % 251) as u8).collect()
    }

    fn seal_serially(key: &PayloadKey, counter: u64, plaintext: &[u8]) -> Vec<u8> {
        let mut out = vec![0; plaintext.len() / CHUNK_SIZE * ENCRYPTED_CHUNK_SIZE];
        let slots = out.chunks_mut(ENCRYPTED_CHUNK_SIZE);
        for (i, (text, slot)) in plaintext.chunks(CHUNK_SIZE).zip(slots).enumerate() {
            key.seal_into(counter + i as u64, false, text, slot)
                .unwrap();
        }
        out
    }

    #[test]
    fn sealing_on_any_number_of_threads_gives_the_same_bytes_and_hash() {
        let key = key();
        let plaintext = plaintext(37);
        let expected = seal_serially(&key, 5, &plaintext);
        let expected_hash = Sha256::digest(&expected);
        for threads in 1..=6 {
            let mut region = vec![0; expected.len()];
            let mut hasher = Sha256::new();
            seal(
                &key,
                5,
                plaintext.chunks(CHUNK_SIZE),
                &mut region,
                &mut hasher,
                threads,
            )
            .unwrap();
            assert!(region == expected, "{threads} threads");
            assert_eq!(hasher.finalize(), expected_hash, "{threads} threads");
        }
    }

    #[test]
    fn sealing_in_place_on_any_number_of_threads_gives_the_same_bytes() {
        let key = key();
        let plaintext = plaintext(37);
        let expected = seal_serially(&key, 5, &plaintext);
        for threads in 1..=6 {
            let mut region = vec![0xa5; expected.len()];
            for (text, slot) in plaintext
                .chunks(CHUNK_SIZE)
                .zip(region.chunks_mut(ENCRYPTED_CHUNK_SIZE))
            {
                slot[..CHUNK_SIZE].copy_from_slice(text);
            }
            seal_in_place(&key, 5, &mut region, threads).unwrap();
            assert!(region == expected, "{threads} threads");
        }
        // Only whole sealed chunks.
        let mut short = vec![0; 2 * ENCRYPTED_CHUNK_SIZE - 1];
        assert!(seal_in_place(&key, 0, &mut short, 2).is_err());
    }

    #[test]
    fn opening_stops_at_the_first_damaged_or_final_chunk_on_any_number_of_threads() {
        let key = key();
        let plaintext = plaintext(30);
        let sealed = seal_serially(&key, 0, &plaintext);
        for threads in 1..=5 {
            let mut bodies = vec![0; plaintext.len()];
            let outcomes = open(&key, 0, &mut bodies, &sealed, || {}, threads);
            assert_eq!(outcomes, vec![Opened::More; 30]);
            assert!(bodies == plaintext);

            let mut damaged = sealed.clone();
            damaged[11 * ENCRYPTED_CHUNK_SIZE + CHUNK_SIZE + TAG_SIZE / 2] ^= 1;
            let mut side_ran = false;
            let outcomes = open(&key, 0, &mut bodies, &damaged, || side_ran = true, threads);
            let mut expected = vec![Opened::More; 11];
            expected.push(Opened::Failed);
            assert_eq!(outcomes, expected, "{threads} threads");
            assert!(side_ran);
        }
        // A final chunk in the middle.
        let mut sealed = sealed;
        let last = 9 * ENCRYPTED_CHUNK_SIZE..10 * ENCRYPTED_CHUNK_SIZE;
        let text = &plaintext[9 * CHUNK_SIZE..10 * CHUNK_SIZE];
        key.seal_into(9, true, text, &mut sealed[last]).unwrap();
        let mut bodies = vec![0; plaintext.len()];
        let outcomes = open(&key, 0, &mut bodies, &sealed, || {}, 3);
        let mut expected = vec![Opened::More; 9];
        expected.push(Opened::Last);
        assert_eq!(outcomes, expected);
        assert!(bodies[..10 * CHUNK_SIZE] == plaintext[..10 * CHUNK_SIZE]);
    }
}
