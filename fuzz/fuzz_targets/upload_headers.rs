//! libFuzzer entry point of the `upload_headers` target: `pli_fuzz::targets::upload_headers`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pli_fuzz::targets::upload_headers(data));
