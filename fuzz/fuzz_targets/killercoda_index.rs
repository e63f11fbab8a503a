//! Fuzzes `quai::fuzzing::killercoda_index`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quai::fuzzing::killercoda_index(data));
