//! Deterministic mutations, for the smoke test: what libFuzzer does at random, in a
//! fixed order from a fixed start, so that the smoke test runs the same inputs every time.
//!
//! Each mutation applies one to four edits to a seed: flip a bit, set a byte to a value
//! parsers care about, insert or delete bytes, duplicate or truncate, write a 32-bit
//! length, or splice in part of another seed.

/// A mutation source: a xorshift sequence from a starting value (not a source of secrets:
/// only test inputs come out of it).
#[derive(Debug, Clone)]
pub struct Mutator {
    state: u64,
}

/// Bytes that parsers branch on.
const INTERESTING_BYTES: &[u8] = &[
    0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, b'\n', b'\r', b' ', b'-', b'=', b':', b',', b'"', b'{',
    b'}', b'A', b'/', b'+', b'0', b'9',
];

/// 32-bit values that length fields branch on.
const INTERESTING_U32: &[u32] = &[0, 1, 2, 15, 16, 32, 64, 255, 256, 65_535, 65_536, u32::MAX];

impl Mutator {
    /// A sequence from `start` (any value; zero is replaced).
    pub fn new(start: u64) -> Self {
        Self {
            state: start.max(1),
        }
    }

    /// The next number of the sequence.
    pub fn next_u64(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// A number below `bound` (0 if `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        match u64::try_from(bound) {
            Ok(0) | Err(_) => 0,
            Ok(bound) => usize::try_from(self.next_u64() % bound).unwrap_or(0),
        }
    }

    /// `input` with one to four edits; `others` are spliced from.
    pub fn mutate(&mut self, input: &[u8], others: &[&[u8]]) -> Vec<u8> {
        let mut out = input.to_vec();
        for _ in 0..=self.below(4) {
            self.edit(&mut out, others);
        }
        out
    }

    fn edit(&mut self, out: &mut Vec<u8>, others: &[&[u8]]) {
        let len = out.len();
        match self.below(9) {
            0 if len > 0 => {
                let at = self.below(len);
                let bit = self.below(8);
                if let Some(byte) = out.get_mut(at) {
                    *byte ^= 1 << bit;
                }
            }
            1 if len > 0 => {
                let at = self.below(len);
                let value = self.pick(INTERESTING_BYTES);
                if let Some(byte) = out.get_mut(at) {
                    *byte = value;
                }
            }
            2 => {
                let at = self.below(len + 1);
                let count = 1 + self.below(8);
                let value = self.pick(INTERESTING_BYTES);
                out.splice(at..at, std::iter::repeat_n(value, count));
            }
            3 if len > 0 => {
                let at = self.below(len);
                let count = 1 + self.below(len - at).min(16);
                out.drain(at..(at + count).min(len));
            }
            4 if len > 0 => {
                let at = self.below(len);
                let count = 1 + self.below(len - at).min(64);
                let copy: Vec<u8> = out
                    .get(at..(at + count).min(len))
                    .unwrap_or_default()
                    .to_vec();
                let to = self.below(len + 1);
                out.splice(to..to, copy);
            }
            5 => out.truncate(self.below(len + 1)),
            6 if len >= 4 => {
                let at = self.below(len - 3);
                let value = INTERESTING_U32
                    .get(self.below(INTERESTING_U32.len()))
                    .copied()
                    .unwrap_or(0);
                if let Some(field) = out.get_mut(at..at + 4) {
                    field.copy_from_slice(&value.to_be_bytes());
                }
            }
            7 if !others.is_empty() => {
                let other = others
                    .get(self.below(others.len()))
                    .copied()
                    .unwrap_or_default();
                let from = self.below(other.len() + 1);
                let to = (from + 1 + self.below(256)).min(other.len());
                let at = self.below(len + 1);
                out.splice(
                    at..at,
                    other.get(from..to).unwrap_or_default().iter().copied(),
                );
            }
            _ => {
                let at = self.below(len + 1);
                let value = self.next_u64().to_le_bytes();
                out.splice(at..at, value.iter().take(1 + self.below(8)).copied());
            }
        }
    }

    fn pick(&mut self, values: &[u8]) -> u8 {
        values.get(self.below(values.len())).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::Mutator;

    #[test]
    fn the_same_start_gives_the_same_mutations() {
        let seed = b"age-encryption.org/v1\n-> X25519 abc\n";
        let mut a = Mutator::new(7);
        let mut b = Mutator::new(7);
        let first: Vec<Vec<u8>> = (0..50).map(|_| a.mutate(seed, &[b"other"])).collect();
        let second: Vec<Vec<u8>> = (0..50).map(|_| b.mutate(seed, &[b"other"])).collect();
        assert_eq!(first, second);
        assert!(first.iter().any(|m| m.as_slice() != seed));
    }
}
