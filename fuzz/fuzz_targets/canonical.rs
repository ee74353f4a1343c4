//! libFuzzer entry point of the `canonical` target: `pli_fuzz::targets::canonical`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pli_fuzz::targets::canonical(data));
