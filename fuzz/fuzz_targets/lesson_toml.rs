//! Fuzzes `quai::fuzzing::lesson_toml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quai::fuzzing::lesson_toml(data));
