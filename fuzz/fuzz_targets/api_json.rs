//! libFuzzer entry point of the `api_json` target: `pli_fuzz::targets::api_json`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pli_fuzz::targets::api_json(data));
