//! Fuzzes `quai::fuzzing::workspace_archive`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quai::fuzzing::workspace_archive(data));
