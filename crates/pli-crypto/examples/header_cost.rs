//! A benchmark, not a test: what a post-quantum recipient costs per file against an X25519
//! one, natively. `cargo xtask bench crypto` builds it `--release`, runs it and reads the
//! `pli-bench <what> <µs>` lines it prints; `tests/browser_bench.rs` measures the same in
//! Chromium.
//!
//! The work is the same on both sides: encrypt a 1-byte file to one recipient (a fresh
//! file key, its stanza, the header MAC, one STREAM chunk), then decrypt it with the
//! matching identity. Only the recipient type differs.

#![allow(
    clippy::print_stdout,
    reason = "a benchmark prints its numbers for cargo xtask bench"
)]

use std::time::Instant;

use pli_crypto::age::{AnyIdentity, HybridIdentity, Identity, decrypt_to_vec, encrypt_to_vec};

/// Files per batch; the best batch of [`BATCHES`] is kept.
const FILES: u32 = 200;
const BATCHES: usize = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let kinds = [
        ("x25519", AnyIdentity::X25519(Identity::generate()?)),
        ("hybrid", AnyIdentity::Hybrid(HybridIdentity::generate()?)),
    ];
    for (name, identity) in &kinds {
        let recipient = [identity.to_recipient()];
        let identities = std::slice::from_ref(identity);
        let mut encrypt = f64::INFINITY;
        let mut decrypt = f64::INFINITY;
        let mut file = Vec::new();
        for _ in 0..BATCHES {
            let started = Instant::now();
            for _ in 0..FILES {
                file = encrypt_to_vec(&recipient, b"x")?.0;
            }
            encrypt = encrypt.min(started.elapsed().as_secs_f64() * 1e6 / f64::from(FILES));
            let started = Instant::now();
            for _ in 0..FILES {
                if decrypt_to_vec(identities, &file)? != b"x" {
                    return Err("decryption returned other bytes".into());
                }
            }
            decrypt = decrypt.min(started.elapsed().as_secs_f64() * 1e6 / f64::from(FILES));
        }
        println!(
            "{name}: 1-byte file of {} bytes: encrypt {encrypt:.1} µs, decrypt {decrypt:.1} µs (best of {BATCHES} batches of {FILES})",
            file.len()
        );
        println!("pli-bench header-{name}-encrypt-us {encrypt:.1}");
        println!("pli-bench header-{name}-decrypt-us {decrypt:.1}");
        println!("pli-bench header-{name}-bytes {}", file.len());
    }
    Ok(())
}
