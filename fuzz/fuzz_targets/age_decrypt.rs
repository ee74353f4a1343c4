//! libFuzzer entry point of the `age_decrypt` target: `pli_fuzz::targets::age_decrypt`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pli_fuzz::targets::age_decrypt(data));
