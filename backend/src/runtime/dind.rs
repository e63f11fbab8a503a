//! How `docker` nodes get Docker Engine inside them, per DinD mode: the container settings of
//! each mode, and what a rootless node needs from the engine's host (a tun device its user
//! can open). Only `privileged` and `caps` give a node root on the host, and
//! only an operator's `--allow-host-root` selects them (see `config`).

use std::collections::HashMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use bollard::models::{DeviceMapping, HostConfig, HostConfigLogConfig};

use crate::config::DindMode;

/// `user` of a rootless node's container and of every exec Quai makes into it.
pub const NODE_USER: &str = "1000:1000";

/// Where the node's user finds its Docker Engine.
const NODE_RUNTIME_DIR: &str = "/run/user/1000";

/// Quai's seccomp profile for rootless nodes: everything but what acts on the whole host,
/// with namespaces and mounts allowed for rootlesskit (the file says which calls and why).
const ROOTLESS_SECCOMP: &str = include_str!("seccomp-rootless.json");

/// Capabilities a rootless node keeps in its bounding set: newuidmap and newgidmap (file
/// capabilities, no setuid bit) need them to map the sub-ids of the engine's user
/// namespace. The node's processes run as `NODE_USER`, so none is ever effective otherwise.
const ROOTLESS_CAPS: &[&str] = &["SETUID", "SETGID"];

/// Capabilities dockerd inside a `caps` node does not need: dropped even there.
const CAPS_MODE_DROPPED: &[&str] = &[
    "SYS_RESOURCE",
    "SYS_MODULE",
    "SYS_BOOT",
    "SYS_TIME",
    "SYS_RAWIO",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_CONTROL",
];

/// The tun device of the host, often mode 0600 (udev makes it 0666 on most distributions).
const HOST_TUN: &str = "/dev/net/tun";

/// The tun device's numbers, fixed by the kernel's list of devices.
const TUN_NUMBERS: (u64, u64) = (10, 200);

/// A tun device node of Quai's own, mode 0666, made when the host's is not: opening it lets
/// a process use tun devices only in network namespaces it owns, which is why distributions
/// leave /dev/net/tun open to all.
const OWN_TUN: &str = "/run/quai/net-tun";

/// Sets the container settings of a `docker` node for `mode` on `host`. `tun` is the path on
/// the engine's host of the tun device a rootless node gets (see `tun_device`).
pub fn apply(host: &mut HostConfig, mode: DindMode, tun: &str) {
    host.cgroupns_mode = Some(bollard::models::HostConfigCgroupnsModeEnum::PRIVATE);
    match mode {
        DindMode::Sysbox => host.runtime = Some("sysbox-runc".to_string()),
        DindMode::Auto | DindMode::Rootless => {
            host.cap_drop = Some(vec!["ALL".to_string()]);
            host.cap_add = Some(ROOTLESS_CAPS.iter().map(|c| c.to_string()).collect());
            host.security_opt = Some(vec![
                format!("seccomp={ROOTLESS_SECCOMP}"),
                // AppArmor's docker-default forbids the mounts rootlesskit makes in its own
                // namespaces; the kernel still checks them against the unprivileged user.
                "apparmor=unconfined".to_string(),
            ]);
            // No masked or read-only /proc paths (`systempaths=unconfined`), so the engine
            // can mount a fresh proc for its containers: the kernel refuses one while parts
            // of the node's are covered. /proc/sys stays writable by host root only, and
            // nothing in the node is root.
            host.masked_paths = Some(Vec::new());
            host.readonly_paths = Some(Vec::new());
            host.devices = Some(vec![DeviceMapping {
                path_on_host: Some(tun.to_string()),
                path_in_container: Some(HOST_TUN.to_string()),
                cgroup_permissions: Some("rwm".to_string()),
            }]);
            // `docker run -p 80:80` binds port 80 as the node's user.
            host.sysctls = Some(HashMap::from([(
                "net.ipv4.ip_unprivileged_port_start".to_string(),
                "0".to_string(),
            )]));
        }
        DindMode::Privileged => host.privileged = Some(true),
        DindMode::Caps => {
            host.cap_add = Some(vec!["ALL".to_string()]);
            host.cap_drop = Some(CAPS_MODE_DROPPED.iter().map(|c| c.to_string()).collect());
            host.security_opt = Some(vec![
                "seccomp=unconfined".to_string(),
                "apparmor=unconfined".to_string(),
            ]);
            // /proc/sys, /proc/sysrq-trigger and the like stay masked and read-only (no
            // `systempaths=unconfined`): dockerd does not need them, and writable host-wide
            // sysctls such as core_pattern would hand the host to the node at once.
        }
    }
}

/// Bounded logs of a node's own output (every profile).
pub fn bounded_logs() -> HostConfigLogConfig {
    HostConfigLogConfig {
        typ: Some("json-file".to_string()),
        config: Some(HashMap::from([
            ("max-size".to_string(), "1m".to_string()),
            ("max-file".to_string(), "1".to_string()),
        ])),
    }
}

/// Whether nodes of `mode` run as the unprivileged node user.
pub fn runs_unprivileged(mode: DindMode) -> bool {
    matches!(mode, DindMode::Auto | DindMode::Rootless)
}

/// Environment of a rootless node: where its user's Docker Engine listens.
pub fn rootless_env() -> Vec<String> {
    vec![
        format!("XDG_RUNTIME_DIR={NODE_RUNTIME_DIR}"),
        format!("DOCKER_HOST=unix://{NODE_RUNTIME_DIR}/docker.sock"),
    ]
}

/// The path on this host of a tun device that a rootless node's user can open: the host's
/// own when it is open to all, else Quai's own device node (made once, as root). Fails with
/// what the operator must do when neither can be had.
pub fn tun_device() -> Result<String, String> {
    let open_to_all = |path: &str| {
        std::fs::metadata(path)
            .map(|m| m.file_type().is_char_device() && m.permissions().mode() & 0o666 == 0o666)
            .unwrap_or(false)
    };
    if open_to_all(HOST_TUN) {
        return Ok(HOST_TUN.to_string());
    }
    if open_to_all(OWN_TUN) {
        return Ok(OWN_TUN.to_string());
    }
    // The tun device is character device 10:200 on every Linux; a host (or a container
    // running Quai) may lack the /dev/net/tun node even where the kernel has the device.
    let (major, minor) = std::fs::metadata(HOST_TUN)
        .map(|m| (libc_major(m.rdev()), libc_minor(m.rdev())))
        .unwrap_or(TUN_NUMBERS);
    let _ = std::fs::remove_file(OWN_TUN);
    if let Some(dir) = Path::new(OWN_TUN).parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let made = std::process::Command::new("mknod")
        .args([
            "-m",
            "0666",
            OWN_TUN,
            "c",
            &major.to_string(),
            &minor.to_string(),
        ])
        .output()
        .map_err(|e| e.to_string())?;
    if made.status.success() && open_to_all(OWN_TUN) {
        tracing::info!(
            device = OWN_TUN,
            "rootless docker nodes get a tun device open to their user"
        );
        return Ok(OWN_TUN.to_string());
    }
    Err(format!(
        "rootless docker nodes need a tun device their user can open, and {HOST_TUN} is not open to all ({}); run quai as root, or `chmod 0666 {HOST_TUN}` on the engine's host as udev does on most distributions",
        String::from_utf8_lossy(&made.stderr).trim()
    ))
}

fn libc_major(rdev: u64) -> u64 {
    ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff)
}

fn libc_minor(rdev: u64) -> u64 {
    (rdev & 0xff) | ((rdev >> 12) & !0xff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rootless_seccomp_profile_is_json_that_refuses_what_acts_on_the_whole_host() {
        let profile: serde_json::Value = serde_json::from_str(ROOTLESS_SECCOMP).unwrap();
        let denied: Vec<&str> = profile["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|rule| rule["names"].as_array().unwrap())
            .filter_map(|name| name.as_str())
            .collect();
        for call in [
            "init_module",
            "finit_module",
            "kexec_load",
            "open_by_handle_at",
            "bpf",
            "keyctl",
        ] {
            assert!(denied.contains(&call), "{call} is allowed");
        }
        for call in ["unshare", "clone", "mount", "setns"] {
            assert!(
                !denied.contains(&call),
                "{call} is refused: rootlesskit needs it"
            );
        }
    }

    #[test]
    fn a_rootless_node_keeps_only_the_capabilities_newuidmap_needs() {
        let mut host = HostConfig::default();
        apply(&mut host, DindMode::Rootless, OWN_TUN);
        assert_eq!(host.privileged, None);
        assert_eq!(host.cap_drop, Some(vec!["ALL".to_string()]));
        assert_eq!(
            host.cap_add,
            Some(vec!["SETUID".to_string(), "SETGID".to_string()])
        );
        let devices = host.devices.unwrap();
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].path_in_container.as_deref(), Some(HOST_TUN));
        assert!(host
            .security_opt
            .unwrap()
            .iter()
            .all(|opt| opt != "seccomp=unconfined"));
    }

    #[test]
    fn device_numbers_are_read_as_the_kernel_packs_them() {
        // 10:200 is the tun device everywhere.
        let rdev = (10u64 << 8) | 200;
        assert_eq!((libc_major(rdev), libc_minor(rdev)), TUN_NUMBERS);
    }
}
