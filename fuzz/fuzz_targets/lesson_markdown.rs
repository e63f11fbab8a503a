//! Fuzzes `quai::fuzzing::lesson_markdown`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quai::fuzzing::lesson_markdown(data));
