//! Fuzzes `quai::fuzzing::socket_frame`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quai::fuzzing::socket_frame(data));
