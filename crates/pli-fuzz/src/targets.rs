//! The targets' bodies, one module each (its doc lists the properties it checks), and
//! what they share: [`property`], and [`pieces`] to split an input as a network would.

mod age_armor;
mod age_decrypt;
mod age_header;
mod age_tamper;
mod api_json;
mod canonical;
mod signed;
mod upload_headers;

pub use age_armor::age_armor;
pub use age_decrypt::age_decrypt;
pub use age_header::age_header;
pub use age_tamper::age_tamper;
pub use api_json::{JSON_TYPES, api_json};
#[cfg(test)]
pub(crate) use canonical::accepted as canonical_accepted;
pub use canonical::canonical;
pub use signed::{SIGNED_MODES, signed};
pub use upload_headers::upload_headers;

/// Fails the run if `holds` is false: a property of the code under test is broken, and
/// the input that broke it is what the fuzzer must keep.
#[allow(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking: libFuzzer (or the \
              smoke test) records the input"
)]
#[track_caller]
pub(crate) fn property(holds: bool, what: impl FnOnce() -> String) {
    if !holds {
        panic!("property violated: {}", what());
    }
}

/// Piece sizes to split `data` into, drawn from the data itself (so a run is repeatable):
/// mostly small, some around the 64 KiB STREAM chunk, summing to at least `data.len()`.
pub(crate) fn pieces(data: &[u8]) -> Vec<usize> {
    // FNV-1a over the length and a few bytes: cheap, and different for most inputs.
    let mut state = 0xcbf2_9ce4_8422_2325u64 ^ data.len() as u64;
    for byte in data.iter().take(16).chain(data.iter().rev().take(16)) {
        state = (state ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut sizes = Vec::new();
    let mut total = 0usize;
    while total < data.len() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let size = match state % 8 {
            0 => 1,
            1 => 2 + below(state >> 8, 15),
            2 => 64,
            3 => 65_536 + 16,
            4 => 65_536 + 17,
            5 => 65_535,
            _ => 1 + below(state >> 8, 4096),
        };
        sizes.push(size);
        total = total.saturating_add(size);
    }
    sizes
}

/// `value % bound` as a `usize` (`bound` is small).
pub(crate) fn below(value: u64, bound: u64) -> usize {
    usize::try_from(value % bound.max(1)).unwrap_or(0)
}

/// `data` cut into the sizes of [`pieces`] (or whole, if `whole`).
pub(crate) fn split(data: &[u8], whole: bool) -> Vec<&[u8]> {
    if whole {
        return vec![data];
    }
    let mut rest = data;
    let mut parts = Vec::new();
    for size in pieces(data) {
        let (part, tail) = rest.split_at(size.min(rest.len()));
        parts.push(part);
        rest = tail;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_input_and_depend_on_it() {
        for len in [0, 1, 100, 70_000] {
            let data = vec![7u8; len];
            let parts = split(&data, false);
            assert_eq!(parts.concat(), data);
            assert!(parts.iter().all(|part| !part.is_empty()) || len == 0);
        }
        assert_ne!(pieces(&[1; 5000]), pieces(&[2; 5000]));
    }
}
