//! Fuzzes `quai::fuzzing::upload_tar`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quai::fuzzing::upload_tar(data));
