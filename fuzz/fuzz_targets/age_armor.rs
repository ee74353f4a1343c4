//! libFuzzer entry point of the `age_armor` target: `pli_fuzz::targets::age_armor`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pli_fuzz::targets::age_armor(data));
