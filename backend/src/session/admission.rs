//! Who may start a playground, decided in one place. A request's client is its IPv4 address
//! or its IPv6 /64 (one home or one machine is given a whole /64, so counting addresses
//! inside it would count nothing); behind a reverse proxy, `edge::client` reads the address
//! from `X-Forwarded-For`, and only when the connection comes from a `--trusted-proxy`. A
//! client may start `--create-per-minute` playgrounds a minute (`Limiter`) and hold
//! `--max-sessions-per-client` at once (`Sessions::create` counts them with the places it
//! reserves). Networks an operator lists with `--exempt-network` (a school's own, a room
//! behind one NAT address) pass both: they are `Admission::Exempt`, the allowance a class's
//! seats will use too.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ipnet::IpNet;

/// One client, as the per-client limits count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    V4(Ipv4Addr),
    /// The first 64 bits of an IPv6 address.
    V6Net(u64),
}

impl ClientKey {
    pub fn of(ip: IpAddr) -> ClientKey {
        match ip {
            IpAddr::V4(v4) => ClientKey::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(v4),
                None => ClientKey::V6Net((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

impl ClientKey {
    /// The key `Display` wrote (`192.0.2.1`, `2001:db8::/64`), as the store keeps it.
    pub fn parse(text: &str) -> Option<ClientKey> {
        match text.strip_suffix("/64") {
            Some(net) => net
                .parse::<std::net::Ipv6Addr>()
                .ok()
                .map(|v6| ClientKey::V6Net((u128::from(v6) >> 64) as u64)),
            None => text.parse::<Ipv4Addr>().ok().map(ClientKey::V4),
        }
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientKey::V4(v4) => write!(f, "{v4}"),
            ClientKey::V6Net(prefix) => {
                let net = std::net::Ipv6Addr::from(u128::from(*prefix) << 64);
                write!(f, "{net}/64")
            }
        }
    }
}

/// How a new playground is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Within the per-client limits of `client`.
    Client(ClientKey),
    /// Outside them: a listed network (and, later, a class's seats).
    Exempt,
}

impl Admission {
    /// How a request from `ip` is counted, given the networks exempt from per-client limits.
    pub fn of(ip: IpAddr, exempt: &[IpNet]) -> Admission {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        if exempt.iter().any(|net| net.contains(&ip)) {
            Admission::Exempt
        } else {
            Admission::Client(ClientKey::of(ip))
        }
    }

    pub fn client(&self) -> Option<ClientKey> {
        match self {
            Admission::Client(key) => Some(*key),
            Admission::Exempt => None,
        }
    }
}

/// Reads `--trusted-proxy` and `--exempt-network` values (`192.0.2.0/24`, `2001:db8::/48`, or a
/// bare address).
pub fn parse_networks(flag: &str, values: &[String]) -> Result<Vec<IpNet>, String> {
    values
        .iter()
        .map(|value| {
            let value = value.trim();
            value
                .parse::<IpNet>()
                .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!("{flag} {value:?} is not a network such as 192.0.2.0/24 or 2001:db8::/48, nor an address")
                })
        })
        .collect()
}

const WINDOW: Duration = Duration::from_secs(60);

/// Playgrounds started per client in the last minute: a sliding window each.
pub struct Limiter {
    per_minute: u32,
    seen: Mutex<HashMap<ClientKey, VecDeque<Instant>>>,
}

impl Limiter {
    pub fn new(per_minute: u32) -> Self {
        Limiter {
            per_minute,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one start by `client`, or returns the seconds until it may start again.
    pub fn check(&self, client: ClientKey) -> Result<(), u64> {
        self.check_at(client, Instant::now())
    }

    /// Whether `client` is over its limit now, without counting anything: the seconds until
    /// it may try again. (Failed sign-ins and wrong join codes are counted with `check` only
    /// when they fail, and refused early with this.)
    pub fn blocked(&self, client: ClientKey) -> Option<u64> {
        let now = Instant::now();
        let seen = self.seen.lock().expect("limiter lock");
        let times = seen.get(&client)?;
        let recent: Vec<&Instant> = times
            .iter()
            .filter(|t| now.duration_since(**t) < WINDOW)
            .collect();
        if recent.len() >= self.per_minute as usize {
            let oldest = recent.first()?;
            return Some((WINDOW - now.duration_since(**oldest)).as_secs().max(1));
        }
        None
    }

    fn check_at(&self, client: ClientKey, now: Instant) -> Result<(), u64> {
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

    fn key(ip: &str) -> ClientKey {
        ClientKey::of(ip.parse().unwrap())
    }

    #[test]
    fn a_client_is_an_ipv4_address_or_an_ipv6_slash_64() {
        assert_ne!(key("192.0.2.1"), key("192.0.2.2"));
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
        assert_eq!(key("2001:db8:1:2::1").to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn listed_networks_are_exempt_and_others_are_counted_per_client() {
        let exempt = parse_networks("--exempt-network", &["198.51.100.0/24".into()]).unwrap();
        assert_eq!(
            Admission::of("198.51.100.77".parse().unwrap(), &exempt),
            Admission::Exempt
        );
        assert_eq!(
            Admission::of("::ffff:198.51.100.77".parse().unwrap(), &exempt),
            Admission::Exempt
        );
        assert_eq!(
            Admission::of("192.0.2.1".parse().unwrap(), &exempt),
            Admission::Client(key("192.0.2.1"))
        );
        let err = parse_networks("--exempt-network", &["a school".into()]).unwrap_err();
        assert!(err.contains("--exempt-network"), "{err}");
        assert_eq!(
            parse_networks("--trusted-proxy", &["10.0.0.1".into()]).unwrap()[0].to_string(),
            "10.0.0.1/32"
        );
    }

    #[test]
    fn a_client_over_its_limit_waits_until_the_window_moves_on() {
        let limiter = Limiter::new(2);
        let client = key("192.0.2.1");
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
        assert!(limiter.check_at(key("192.0.2.1"), now).is_ok());
        assert!(limiter.check_at(key("192.0.2.2"), now).is_ok());
        assert!(limiter.check_at(key("192.0.2.1"), now).is_err());
    }
}
