//! What the benches share: how many runs to make (QUAI_BENCH_RUNS, 5 by default) and
//! durations in milliseconds.

use std::time::Duration;

pub fn runs() -> usize {
    std::env::var("QUAI_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
