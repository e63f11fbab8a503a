//! Per-client rate limit on session creation: a sliding window of the last minute's
//! creations per client address, so one client cannot take the whole playground.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

pub struct Limiter {
    per_minute: u32,
    seen: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Limiter {
    pub fn new(per_minute: u32) -> Self {
        Limiter {
            per_minute,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one creation by `client`, or returns the seconds until it may create again.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.check_at(client, Instant::now())
    }

    fn check_at(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let mut seen = self.seen.lock().expect("limiter lock");
        seen.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.duration_since(*t) < WINDOW)
        });
        let times = seen.entry(client).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            times.pop_front();
        }
        if times.len() >= self.per_minute as usize {
            let oldest = *times.front().expect("a full window has a first entry");
            return Err((WINDOW - now.duration_since(oldest)).as_secs().max(1));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_over_its_limit_waits_until_the_window_moves_on() {
        let limiter = Limiter::new(2);
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let start = Instant::now();
        assert!(limiter.check_at(client, start).is_ok());
        assert!(limiter
            .check_at(client, start + Duration::from_secs(10))
            .is_ok());
        assert_eq!(
            limiter.check_at(client, start + Duration::from_secs(20)),
            Err(40)
        );
        assert!(limiter
            .check_at(client, start + Duration::from_secs(61))
            .is_ok());
    }

    #[test]
    fn clients_are_counted_apart() {
        let limiter = Limiter::new(1);
        let now = Instant::now();
        assert!(limiter.check_at("192.0.2.1".parse().unwrap(), now).is_ok());
        assert!(limiter.check_at("192.0.2.2".parse().unwrap(), now).is_ok());
        assert!(limiter.check_at("192.0.2.1".parse().unwrap(), now).is_err());
    }
}
