//! Subnets of session networks: /28 slices (13 addresses: up to 5 nodes, the local registry
//! and room to spare) of one IPv4 range, 10.213.0.0/16 by default, so a host runs thousands
//! of sessions instead of the thirty or so networks Docker's default address pools allow.
//! Slices are handed out round-robin from a random start; one the engine says overlaps a
//! network in use (another session, another server) is skipped.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, Ordering};

/// Size of a session's subnet.
pub const PREFIX: u8 = 28;

#[derive(Debug)]
pub struct Subnets {
    base: u32,
    count: u32,
    next: AtomicU32,
}

/// One slice: its CIDR and its gateway (the host's address on the session bridge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub subnet: String,
    pub gateway: String,
}

impl Subnets {
    /// Reads `a.b.c.d/n` (n at most 28).
    pub fn parse(cidr: &str) -> Result<Subnets, String> {
        let invalid = || format!("`{cidr}` is not an IPv4 range such as 10.213.0.0/16");
        let (addr, prefix) = cidr.split_once('/').ok_or_else(invalid)?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| invalid())?;
        let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
        if prefix > PREFIX {
            return Err(format!(
                "`{cidr}` is too small: sessions need /{PREFIX} subnets, so the range must be /{PREFIX} or larger"
            ));
        }
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        let count = 1u32 << (PREFIX - prefix);
        Ok(Subnets {
            base: u32::from(addr) & mask,
            count,
            next: AtomicU32::new(rand::random::<u32>() % count),
        })
    }

    /// How many slices the range holds.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The next slice to try.
    pub fn next(&self) -> Slice {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.count;
        let network = self.base + index * (1 << (32 - PREFIX));
        Slice {
            subnet: format!("{}/{PREFIX}", Ipv4Addr::from(network)),
            gateway: Ipv4Addr::from(network + 1).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_is_cut_into_slices_that_cover_it_once() {
        let subnets = Subnets::parse("10.213.7.9/24").unwrap();
        assert_eq!(subnets.count(), 16);
        let mut seen: Vec<String> = (0..16).map(|_| subnets.next().subnet).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 16);
        assert!(seen.contains(&"10.213.7.0/28".to_string()));
        assert!(seen.contains(&"10.213.7.240/28".to_string()));
        let again = subnets.next();
        assert!(seen.contains(&again.subnet));
        let slice = Subnets::parse("10.0.0.0/28").unwrap().next();
        assert_eq!(
            slice,
            Slice {
                subnet: "10.0.0.0/28".into(),
                gateway: "10.0.0.1".into()
            }
        );
    }

    #[test]
    fn ranges_that_cannot_hold_a_session_are_refused() {
        assert!(Subnets::parse("10.0.0.0/29")
            .unwrap_err()
            .contains("too small"));
        assert!(Subnets::parse("10.0.0.0").is_err());
        assert!(Subnets::parse("nonsense/16").is_err());
        assert_eq!(Subnets::parse("10.213.0.0/16").unwrap().count(), 4096);
    }
}
