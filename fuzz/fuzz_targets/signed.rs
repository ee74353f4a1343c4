//! libFuzzer entry point of the `signed` target: `pli_fuzz::targets::signed`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pli_fuzz::targets::signed(data));
