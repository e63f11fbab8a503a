//! Fuzzes `quai::fuzzing::keeper_frames`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quai::fuzzing::keeper_frames(data));
