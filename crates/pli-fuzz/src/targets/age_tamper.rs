//! `age_tamper`: a real age file, encrypted for the fixture identity from the fixture
//! seed, edited as the input says (bytes flipped, inserted or deleted, the file cut or
//! extended, two STREAM chunks swapped), then fed to the [`Decryptor`] in pieces, binary
//! or armored.
//!
//! The input: one byte for the plaintext's size (under 600 bytes, or around 64, 128 or
//! 192 KiB), two for
//! the offset from it, one for the number of edits (0 to 3) and whether to armor, six
//! per edit (kind, big-endian position, value), then the plaintext's material.
//!
//! * The file as written decrypts to its plaintext, and the lengths reported are the
//!   encryption's.
//! * An edited file never decrypts: its error comes after releasing only a prefix of the
//!   plaintext made of whole chunks, and none of the chunk where the first edit is (none
//!   at all for an edit in the header or the nonce).
//! * Armored (files up to about one chunk), the edited file gives the same verdict and
//!   plaintext as its binary form.

use pli_crypto::age::{CHUNK_SIZE, Decryptor, ENCRYPTED_CHUNK_SIZE, Encryptor, Lengths, armor};

use super::age_decrypt::{plain, run};
use super::{below, property};
use crate::fixtures;

/// The largest edited file also fed to the decryptor armored.
const ARMORED_UP_TO: usize = 70_000;

/// The `age_tamper` target.
pub fn age_tamper(data: &[u8]) {
    let mut input = Reader(data);
    // Mostly small files (fast); one in eight around each of 64, 128 and 192 KiB.
    let chunks = usize::from(input.u8() % 8).saturating_sub(4);
    let offset = usize::from(input.u16() % 1024);
    let len = match chunks {
        0 => offset % 600,
        _ => (chunks * CHUNK_SIZE + offset).saturating_sub(512),
    };
    let flags = input.u8();
    let armored = flags & 4 != 0;
    let edits: Vec<Edit> = (0..flags % 4)
        .map(|_| Edit {
            kind: input.u8(),
            at: input.u32(),
            value: input.u8(),
        })
        .collect();
    let plaintext = plaintext(input.0, len);
    let Some((original, lengths)) = encrypt(&plaintext) else {
        property(false, || "the fixture seed does not encrypt".to_owned());
        return;
    };

    let mut file = original.clone();
    for edit in &edits {
        edit.apply(&mut file);
    }
    let binary = run(decryptor(), &file, false);
    // Armored files up to about one chunk: enough to cross a chunk boundary inside the
    // armor, and the byte-by-byte armor decoding of larger ones would slow every run.
    if armored && file.len() <= ARMORED_UP_TO {
        let text = armor(&file);
        let armored = run(decryptor(), text.as_bytes(), false);
        // The same plaintext and verdict; the error may differ when an edit makes the
        // file start like armor (alone, it is read as armor; inside armor, it is not age).
        let (armored_result, armored_released) = plain(armored);
        let (binary_result, binary_released) = plain(binary.clone());
        property(
            armored_result.is_ok() == binary_result.is_ok() && armored_released == binary_released,
            || format!("armored: {armored_result:?}; binary: {binary_result:?}"),
        );
    }

    let (result, released) = binary;
    if file == original {
        property(
            result.as_ref().is_ok_and(|summary| {
                summary.plaintext_len == lengths.plaintext_len
                    && summary.ciphertext_len == lengths.ciphertext_len
            }) && released == plaintext,
            || format!("the file as written: {result:?}, expected {lengths:?}"),
        );
        return;
    }
    let first_change = first_difference(&file, &original);
    let payload = fixtures::seed_prefix_len();
    let bound = first_change
        .checked_sub(payload)
        .map_or(0, |at| at / ENCRYPTED_CHUNK_SIZE * CHUNK_SIZE);
    property(
        result.is_err()
            && plaintext.starts_with(&released)
            && released.len() % CHUNK_SIZE == 0
            && released.len() <= bound,
        || {
            format!(
                "edited at byte {first_change} (edits {edits:?}): {result:?} after releasing \
                 {} bytes (at most {bound})",
                released.len()
            )
        },
    )
}

/// A decryptor with the fixture identity only, without the ciphertext's hash.
fn decryptor() -> Decryptor<Lengths> {
    Decryptor::new([fixtures::identity()]).without_hash()
}

/// `len` bytes of `material` repeated (a filler text if there is none), each 64 KiB chunk
/// marked with its index so that no two chunks are alike.
fn plaintext(material: &[u8], len: usize) -> Vec<u8> {
    const FILLER: &[u8] = b"Pli: a file of no interest, 0123456789.\n";
    let unit = if material.is_empty() {
        FILLER
    } else {
        material
    };
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let take = unit.len().min(len - out.len());
        out.extend_from_slice(unit.get(..take).unwrap_or_default());
    }
    for (index, chunk) in out.chunks_mut(CHUNK_SIZE).enumerate() {
        for (byte, mark) in chunk.iter_mut().zip(index.to_le_bytes()) {
            *byte ^= mark;
        }
    }
    out
}

/// Where `a` and `b` first differ (the shorter one's length if one starts the other).
fn first_difference(a: &[u8], b: &[u8]) -> usize {
    // Block by block first (a memory comparison), then byte by byte in the block.
    const BLOCK: usize = 4096;
    let mut start = 0;
    for (x, y) in a.chunks(BLOCK).zip(b.chunks(BLOCK)) {
        if x != y {
            return start
                + x.iter()
                    .zip(y)
                    .position(|(p, q)| p != q)
                    .unwrap_or(x.len().min(y.len()));
        }
        start += x.len();
    }
    a.len().min(b.len())
}

/// The file the fixture seed makes of `plaintext`, and its lengths (the hash of the
/// ciphertext a decryption reports is `age_decrypt`'s to check).
fn encrypt(plaintext: &[u8]) -> Option<(Vec<u8>, Lengths)> {
    let mut encryptor = Encryptor::from_seed(fixtures::seed()).ok()?.without_hash();
    let mut file = Vec::new();
    encryptor.update(plaintext, &mut file).ok()?;
    let summary = encryptor.finish(&mut file).ok()?;
    Some((file, summary))
}

/// One change to the file.
#[derive(Debug, Clone, Copy)]
struct Edit {
    kind: u8,
    at: u32,
    value: u8,
}

impl Edit {
    fn apply(&self, file: &mut Vec<u8>) {
        let at = |len: usize| below(u64::from(self.at), len as u64);
        match self.kind % 6 {
            0 => {
                let at = at(file.len());
                if let Some(byte) = file.get_mut(at) {
                    *byte ^= self.value.max(1);
                }
            }
            1 => file.truncate(at(file.len())),
            2 => file.extend(std::iter::repeat_n(
                self.value,
                usize::from(self.value % 8) + 1,
            )),
            3 => file.insert(at(file.len() + 1), self.value),
            4 => {
                if !file.is_empty() {
                    file.remove(at(file.len()));
                }
            }
            _ => swap_chunks(file, at, usize::from(self.value)),
        }
    }
}

/// Swaps two whole encrypted chunks of the payload (a STREAM reordering).
fn swap_chunks(file: &mut [u8], at: impl Fn(usize) -> usize, other: usize) {
    let payload = fixtures::seed_prefix_len();
    let chunks = file.len().saturating_sub(payload) / ENCRYPTED_CHUNK_SIZE;
    if chunks < 2 {
        return;
    }
    let a = at(chunks);
    let b = (a + 1 + other % (chunks - 1)) % chunks;
    let (first, second) = (a.min(b), a.max(b));
    let start = |index: usize| payload + index * ENCRYPTED_CHUNK_SIZE;
    let Some(tail) = file.get_mut(start(first)..) else {
        return;
    };
    let (left, right) = tail.split_at_mut(start(second) - start(first));
    if let (Some(x), Some(y)) = (
        left.get_mut(..ENCRYPTED_CHUNK_SIZE),
        right.get_mut(..ENCRYPTED_CHUNK_SIZE),
    ) {
        x.swap_with_slice(y);
    }
}

/// Reads the input's fields, as zeros once it runs out.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        for byte in &mut out {
            if let Some((first, rest)) = self.0.split_first() {
                *byte = *first;
                self.0 = rest;
            }
        }
        out
    }

    fn u8(&mut self) -> u8 {
        u8::from_be_bytes(self.take())
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.take())
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take())
    }
}
