//! Free disk space where the suite writes (the project's `target/`, the Docker Engine's data),
//! as `df` tells it, for the suite's start and its summary: a run that fills the disk fails
//! in many places at once, and these lines say why.

use std::process::Command;

/// About what a fresh `cargo xtask test` writes: the builds (the test binaries 2.8 GB, the fuzz
/// targets 2.3 GB, the server 1.2 GB, the page 0.6 GB), the session images and their local
/// registry (about 4 GB), the tools it installs, and what its sessions pull and write while
/// they run.
pub const SUITE_NEEDS_GIB: f64 = 15.0;

/// Where the suite writes: the project (its builds) and the Docker Engine's data.
const PLACES: [(&str, &str); 2] = [(".", "builds"), ("/var/lib/docker", "Docker Engine")];

/// Bytes free on each filesystem the suite writes to, once per filesystem (a bind mount of the
/// same device counts once), with what writes there; empty when `df` cannot tell.
pub fn free() -> Vec<(String, u64)> {
    // (device, mount point, what writes there, bytes available)
    let mut seen: Vec<(String, String, String, u64)> = Vec::new();
    for (path, what) in PLACES {
        let Ok(out) = Command::new("df")
            .args(["--output=source,target,avail", "-B1", path])
            .output()
        else {
            continue;
        };
        if !out.status.success() {
            continue;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let Some((device, mount, avail)) = text.lines().nth(1).and_then(parse_row) else {
            continue;
        };
        match seen.iter_mut().find(|(d, _, _, _)| *d == device) {
            Some((_, _, whats, _)) => whats.push_str(&format!(", {what}")),
            None => seen.push((device, mount, what.to_string(), avail)),
        }
    }
    seen.into_iter()
        .map(|(_, mount, what, avail)| (format!("{mount} ({what})"), avail))
        .collect()
}

/// One `df --output=source,target,avail` row: the device, its mount point, the bytes available.
fn parse_row(row: &str) -> Option<(String, String, u64)> {
    let mut fields = row.split_whitespace();
    let device = fields.next()?.to_string();
    let mount = fields.next()?.to_string();
    let avail = fields.next()?.parse().ok()?;
    Some((device, mount, avail))
}

/// Bytes as GiB with one decimal.
pub fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

/// "12.3 GiB free on / (builds, Docker Engine)", for a message.
pub fn describe(free: &[(String, u64)]) -> String {
    if free.is_empty() {
        return "free disk unknown (df failed)".into();
    }
    free.iter()
        .map(|(place, avail)| format!("{} free on {place}", gib(*avail)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The least free space among `free`, if any.
pub fn least(free: &[(String, u64)]) -> Option<u64> {
    free.iter().map(|(_, avail)| *avail).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_df_row_gives_its_device_mount_and_bytes() {
        assert_eq!(
            parse_row("/dev/vda  /var/lib/docker   15032385536"),
            Some(("/dev/vda".into(), "/var/lib/docker".into(), 15_032_385_536))
        );
        assert_eq!(parse_row("Filesystem Mounted on Avail"), None);
        assert_eq!(parse_row(""), None);
    }

    #[test]
    fn free_space_reads_as_one_line_per_filesystem() {
        let free = vec![("/ (builds, Docker Engine)".to_string(), 3 << 29)];
        assert_eq!(describe(&free), "1.5 GiB free on / (builds, Docker Engine)");
        assert_eq!(describe(&[]), "free disk unknown (df failed)");
        assert_eq!(least(&free), Some(3 << 29));
    }

    #[test]
    fn this_machine_has_a_filesystem_for_the_builds() {
        crate::shell::enter_project_root().unwrap();
        let free = free();
        assert!(
            free.iter().any(|(place, _)| place.contains("builds")),
            "{free:?}"
        );
    }
}
