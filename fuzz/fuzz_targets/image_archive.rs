//! Fuzzes `quai::fuzzing::image_archive`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quai::fuzzing::image_archive(data));
