//! libFuzzer entry point of the `age_header` target: `pli_fuzz::targets::age_header`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pli_fuzz::targets::age_header(data));
