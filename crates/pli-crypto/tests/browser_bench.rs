//! A benchmark, not a test: pli-crypto's age encryption compiled to WASM against WebCrypto
//! AES-GCM, over the same buffer in the same Chromium page.
//!
//! Built only with the `browser-bench` feature and run by `cargo xtask bench crypto`, which
//! reads the `pli-bench <what> <MiB/s>` lines this prints (`--nocapture`). Natively this
//! file compiles to nothing.

#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Promise, Uint8Array};
use pli_crypto::age::{Decryptor, Encryptor, Identity};
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{AesGcmParams, AesKeyGenParams, CryptoKey, Performance, SubtleCrypto};

wasm_bindgen_test_configure!(run_in_browser);

/// The buffer every contender goes through.
const TOTAL: usize = 64 << 20;
/// Pieces fed to the age encryptor, as the web app feeds a file.
const PIECE: usize = 1 << 20;
/// The page yields to the event loop after each segment (a multiple of [`PIECE`]).
const SEGMENT: usize = 8 << 20;
/// One `crypto.subtle.encrypt` call per chunk, like a chunked AES-GCM upload.
const WEBCRYPTO_CHUNK: usize = 64 << 10;
const RUNS: usize = 3;
const MIB: f64 = 1024.0 * 1024.0;

fn js_error(error: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&error.to_string())
}

/// Cheap deterministic bytes (xorshift64): ciphers do not care, and filling 64 MiB from
/// `crypto.getRandomValues` (64 KiB per call) would only slow the setup.
fn data() -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut data = Vec::with_capacity(TOTAL);
    while data.len() < TOTAL {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.extend_from_slice(&state.to_le_bytes());
    }
    data.truncate(TOTAL);
    data
}

fn performance() -> Result<Performance, JsValue> {
    web_sys::window()
        .and_then(|window| window.performance())
        .ok_or_else(|| js_error("no window.performance"))
}

fn subtle() -> Result<SubtleCrypto, JsValue> {
    let window = web_sys::window().ok_or_else(|| js_error("no window"))?;
    Ok(window.crypto()?.subtle())
}

/// Lets the event loop run (the runner polls the page between runs).
async fn yield_now() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or_else(|| js_error("no window"))?;
    let promise = Promise::new(&mut |resolve, _reject| {
        let _ = window.set_timeout_with_callback(&resolve);
    });
    JsFuture::from(promise).await.map(drop)
}

fn mib_per_s(bytes: usize, millis: f64) -> f64 {
    (bytes as f64 / MIB) / (millis / 1000.0).max(1e-9)
}

fn report(what: &str, best_millis: f64) {
    let speed = mib_per_s(TOTAL, best_millis);
    console_log!(
        "{what}: {} MiB in {best_millis:.0} ms (best of {RUNS}): {speed:.1} MiB/s",
        TOTAL >> 20
    );
    console_log!("pli-bench {what} {speed:.1}");
}

#[wasm_bindgen_test]
async fn wasm_age_vs_webcrypto_aes_gcm() -> Result<(), JsValue> {
    let clock = performance()?;
    let data = data();
    let identity = Identity::generate().map_err(js_error)?;
    let recipients = [identity.to_recipient()];

    // age (X25519 + ChaCha20-Poly1305 STREAM) in WASM, 1 MiB pieces, output discarded.
    // The page yields between segments (untimed) so that the runner's WebDriver polls are
    // answered; a renderer busy for long is reported as hung.
    let mut best = f64::INFINITY;
    let mut ciphertext = Vec::new();
    for run in 0..RUNS {
        yield_now().await?;
        let keep = run == 0;
        let capacity = if keep {
            TOTAL + TOTAL / 1000 + 4096
        } else {
            2 * PIECE
        };
        let mut out = Vec::with_capacity(capacity);
        let mut started = clock.now();
        let mut elapsed = 0.0;
        let mut encryptor = Encryptor::new(&recipients).map_err(js_error)?;
        for segment in data.chunks(SEGMENT) {
            for piece in segment.chunks(PIECE) {
                encryptor.update(piece, &mut out).map_err(js_error)?;
                if !keep {
                    out.clear();
                }
            }
            elapsed += clock.now() - started;
            yield_now().await?;
            started = clock.now();
        }
        encryptor.finish(&mut out).map_err(js_error)?;
        elapsed += clock.now() - started;
        best = best.min(elapsed);
        if keep {
            ciphertext = out;
        }
    }
    report("wasm-encrypt", best);

    // The same in reverse, from the ciphertext of the first run.
    let mut best = f64::INFINITY;
    for _ in 0..RUNS {
        yield_now().await?;
        let mut out = Vec::with_capacity(2 * PIECE);
        let mut plaintext_len = 0;
        let mut started = clock.now();
        let mut elapsed = 0.0;
        let mut decryptor = Decryptor::new(vec![identity.clone()]);
        for segment in ciphertext.chunks(SEGMENT) {
            for piece in segment.chunks(PIECE) {
                decryptor.update(piece, &mut out).map_err(js_error)?;
                plaintext_len += out.len();
                out.clear();
            }
            elapsed += clock.now() - started;
            yield_now().await?;
            started = clock.now();
        }
        decryptor.finish(&mut out).map_err(js_error)?;
        elapsed += clock.now() - started;
        best = best.min(elapsed);
        if plaintext_len + out.len() != TOTAL {
            return Err(js_error("decryption returned the wrong length"));
        }
    }
    report("wasm-decrypt", best);
    drop(ciphertext);

    // WebCrypto AES-256-GCM over the same buffer, one awaited call per 64 KiB chunk.
    let subtle = subtle()?;
    let usages = Array::of1(&JsValue::from_str("encrypt"));
    let algorithm = AesKeyGenParams::new("AES-GCM", 256);
    let key: CryptoKey =
        JsFuture::from(subtle.generate_key_with_object(&algorithm, false, &usages)?)
            .await?
            .unchecked_into();
    let mut best = f64::INFINITY;
    let mut counter: u64 = 0;
    for _ in 0..RUNS {
        yield_now().await?;
        let started = clock.now();
        for chunk in data.chunks(WEBCRYPTO_CHUNK) {
            counter += 1;
            let mut iv = [0u8; 12];
            for (byte, value) in iv.iter_mut().skip(4).zip(counter.to_be_bytes()) {
                *byte = value;
            }
            let params = AesGcmParams::new("AES-GCM", &Uint8Array::from(&iv[..]));
            let sealed =
                JsFuture::from(subtle.encrypt_with_object_and_u8_array(&params, &key, chunk)?)
                    .await?;
            if counter == 1 {
                let sealed: js_sys::ArrayBuffer = sealed.unchecked_into();
                if sealed.byte_length() as usize != chunk.len() + 16 {
                    return Err(js_error("AES-GCM returned the wrong length"));
                }
            }
        }
        best = best.min(clock.now() - started);
    }
    report("webcrypto-aes-gcm-encrypt", best);
    Ok(())
}

/// SHA-256 in WASM (`sha2`, 1 MiB updates, as a streaming hash is fed) against WebCrypto's
/// `digest` (one call per 16 MiB, the size of a send's segment and part), same buffer.
#[wasm_bindgen_test]
async fn sha256_in_wasm_vs_webcrypto_digest() -> Result<(), JsValue> {
    use sha2::{Digest as _, Sha256};
    const WHOLE: usize = 16 << 20;
    let clock = performance()?;
    let data = data();
    let mut best = f64::INFINITY;
    let mut first = None;
    for _ in 0..RUNS {
        yield_now().await?;
        let mut started = clock.now();
        let mut elapsed = 0.0;
        let mut hash = Sha256::new();
        for segment in data.chunks(SEGMENT) {
            for piece in segment.chunks(PIECE) {
                hash.update(piece);
            }
            elapsed += clock.now() - started;
            yield_now().await?;
            started = clock.now();
        }
        let digest: [u8; 32] = hash.finalize().into();
        elapsed += clock.now() - started;
        best = best.min(elapsed);
        if *first.get_or_insert(digest) != digest {
            return Err(js_error("sha2 gave two digests for one buffer"));
        }
    }
    report("wasm-sha256", best);

    let subtle = subtle()?;
    let mut best = f64::INFINITY;
    for _ in 0..RUNS {
        yield_now().await?;
        let started = clock.now();
        for chunk in data.chunks(WHOLE) {
            let digest =
                JsFuture::from(subtle.digest_with_str_and_u8_array("SHA-256", chunk)?).await?;
            let digest: js_sys::ArrayBuffer = digest.unchecked_into();
            if digest.byte_length() != 32 {
                return Err(js_error("digest returned the wrong length"));
            }
        }
        best = best.min(clock.now() - started);
    }
    report("webcrypto-sha256", best);
    Ok(())
}

/// What a post-quantum recipient costs per file against an X25519 one, in WASM: the same
/// work as `examples/header_cost.rs` natively (a 1-byte file encrypted to one recipient,
/// then decrypted), best batch of 5 × 200 files; `pli-bench header-<kind>-<op>-us` lines.
#[wasm_bindgen_test]
async fn header_cost_of_a_hybrid_recipient_vs_x25519() -> Result<(), JsValue> {
    use pli_crypto::age::{AnyIdentity, HybridIdentity, decrypt_to_vec, encrypt_to_vec};
    const FILES: u32 = 200;
    let clock = performance()?;
    let kinds = [
        (
            "x25519",
            AnyIdentity::X25519(Identity::generate().map_err(js_error)?),
        ),
        (
            "hybrid",
            AnyIdentity::Hybrid(HybridIdentity::generate().map_err(js_error)?),
        ),
    ];
    for (name, identity) in &kinds {
        let recipient = [identity.to_recipient()];
        let identities = std::slice::from_ref(identity);
        let mut encrypt = f64::INFINITY;
        let mut decrypt = f64::INFINITY;
        let mut file = Vec::new();
        for _ in 0..5 {
            yield_now().await?;
            let started = clock.now();
            for _ in 0..FILES {
                file = encrypt_to_vec(&recipient, b"x").map_err(js_error)?.0;
            }
            encrypt = encrypt.min((clock.now() - started) * 1000.0 / f64::from(FILES));
            let started = clock.now();
            for _ in 0..FILES {
                if decrypt_to_vec(identities, &file).map_err(js_error)? != b"x" {
                    return Err(js_error("decryption returned other bytes"));
                }
            }
            decrypt = decrypt.min((clock.now() - started) * 1000.0 / f64::from(FILES));
        }
        console_log!("{name}: encrypt {encrypt:.1} µs, decrypt {decrypt:.1} µs per 1-byte file");
        console_log!("pli-bench header-{name}-encrypt-us {encrypt:.1}");
        console_log!("pli-bench header-{name}-decrypt-us {decrypt:.1}");
    }
    Ok(())
}
