//! Which TCP ports a node listens on, from the kernel's socket tables (`/proc/net/tcp` and
//! `tcp6` of the node's network namespace). Ports bound to loopback only are left out: the
//! preview reaches a node over its session network, where they do not answer.

/// Listening ports in the text of `/proc/net/tcp` and/or `/proc/net/tcp6`, sorted, unique.
pub fn listening(tables: &str) -> Vec<u16> {
    let mut ports: Vec<u16> = tables
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let _slot = fields.next()?;
            let local = fields.next()?;
            let _remote = fields.next()?;
            let state = fields.next()?;
            // 0A is TCP_LISTEN.
            if state != "0A" {
                return None;
            }
            let (address, port) = local.split_once(':')?;
            if is_loopback(address) {
                return None;
            }
            u16::from_str_radix(port, 16).ok()
        })
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// Loopback in the kernel's hex notation: 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104.
fn is_loopback(hex: &str) -> bool {
    match hex.len() {
        // IPv4, in host (little-endian) byte order: 127.0.0.1 is 0100007F.
        8 => hex.ends_with("7F"),
        32 => {
            hex == "00000000000000000000000001000000"
                || (hex.starts_with("0000000000000000FFFF0000") && hex.ends_with("7F"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 0200A8C0:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 0
   3: 0200A8C0:A2C4 0100A8C0:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 20 4 30 10 -1
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:22B8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6 1 0000000000000000 100 0 0 10 0
   2: 00000000000000000000000000000000:2382 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn listening_ports_are_read_and_loopback_and_connections_left_out() {
        let text = format!("{TCP}{TCP6}");
        // 8080 (v4 and v6, once), 80 on the node's address, 9090 on v6; not 3306 or 8888
        // (loopback) nor the established connection.
        assert_eq!(listening(&text), vec![80, 8080, 9090]);
        assert!(listening("").is_empty());
        assert!(listening("garbage\n1: x y z\n").is_empty());
    }
}
