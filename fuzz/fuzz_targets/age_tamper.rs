//! libFuzzer entry point of the `age_tamper` target: `pli_fuzz::targets::age_tamper`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pli_fuzz::targets::age_tamper(data));
