//! TOTP (RFC 6238): HMAC-SHA-1, 30-second steps, 6 digits, one step of clock drift
//! either way, each step usable once.

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;

/// The 6-digit code for `secret` at time step `step` (RFC 4226's HOTP).
pub fn code(secret: &[u8], step: u64) -> Option<u32> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).ok()?;
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest.last()? & 0x0f);
    let window: [u8; 4] = digest.get(offset..offset + 4)?.try_into().ok()?;
    Some((u32::from_be_bytes(window) & 0x7fff_ffff) % 1_000_000)
}

/// The step `code` matches around `now_ms`, if any (steps before `after` are refused,
/// so a code cannot be replayed).
pub fn matching_step(secret: &[u8], code_text: &str, now_ms: u64, after: u64) -> Option<u64> {
    let code_text = code_text.trim();
    if code_text.len() != 6 || !code_text.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code_text.parse().ok()?;
    let now = now_ms / 1000 / STEP_SECONDS;
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .filter(|step| *step > after)
        .find(|step| code(secret, *step) == Some(wanted))
}

/// Base32 (RFC 4648, no padding) for authenticator apps.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.extend(
                ALPHABET
                    .get(((buffer >> bits) & 31) as usize)
                    .map(|c| char::from(*c)),
            );
        }
    }
    if bits > 0 {
        out.extend(
            ALPHABET
                .get(((buffer << (5 - bits)) & 31) as usize)
                .map(|c| char::from(*c)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        let secret = b"12345678901234567890";
        // (time, 8-digit code) from RFC 6238 appendix B; we use the last 6 digits.
        for (time, expected) in [
            (59u64, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_234_567_890, 89_005_924),
        ] {
            assert_eq!(
                code(secret, time / 30),
                Some(expected % 1_000_000),
                "{time}"
            );
        }
    }

    #[test]
    fn drift_of_one_step_and_no_replay() {
        let secret = [3u8; 20];
        let now_ms = 1_790_000_000_000;
        let step = now_ms / 1000 / 30;
        let previous = format!("{:06}", code(&secret, step - 1).unwrap());
        assert_eq!(matching_step(&secret, &previous, now_ms, 0), Some(step - 1));
        assert_eq!(
            matching_step(&secret, &previous, now_ms, step - 1),
            None,
            "replayed"
        );
        let old = format!("{:06}", code(&secret, step - 2).unwrap());
        assert_eq!(matching_step(&secret, &old, now_ms, 0), None, "too old");
        assert_eq!(matching_step(&secret, "12345", now_ms, 0), None);
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }
}
