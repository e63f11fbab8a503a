//! Fuzzes `quai::fuzzing::client_msg`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quai::fuzzing::client_msg(data));
