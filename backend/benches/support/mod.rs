//! What the benches share: how many runs to make (QUAI_BENCH_RUNS, 5 by default),
//! durations in milliseconds, the address a `quai serve` they started listens on, that
//! server itself (`served`) and a student typing into it (`bot`).
// Each bench uses part of it.
#![allow(dead_code)]

pub mod bot;
pub mod served;
pub mod terminal;

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

/// The address the `quai serve` in `child` (its standard output piped) says it listens on;
/// the rest of what it prints is read and dropped, so it never blocks on a full pipe.
pub fn listening_url(child: &mut std::process::Child) -> String {
    let stdout = child.stdout.take().expect("quai serve's output is piped");
    let (said, heard) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = said.send(line);
        }
    });
    loop {
        let line = heard
            .recv_timeout(Duration::from_secs(60))
            .expect("quai serve said where it listens");
        if let Some(url) = line.strip_prefix("Quai is listening on ") {
            return url.trim_end_matches('/').to_string();
        }
    }
}
