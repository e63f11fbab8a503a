//! `HostSetup`: what Quai sets up on the engine's host rather than in a session — the
//! firewall rules of session networks, the local registry of the image catalog, and the
//! removal of what a server instance left behind. The server, its firewall keeper and its
//! registry keeper use it; sessions never do.

use std::net::SocketAddrV4;

use async_trait::async_trait;

use super::RuntimeError;
use crate::config::Egress;

/// The engine's host, as the server sets it up (object-safe, used as `Arc<dyn HostSetup>`).
#[async_trait]
pub trait HostSetup: Send + Sync + 'static {
    /// Makes the host enforce `egress` for every session network (firewall rules); returns
    /// how many rules were added. Engines on other hosts say so with an error.
    async fn enforce_egress(
        &self,
        egress: Egress,
        registry: Option<SocketAddrV4>,
    ) -> Result<usize, RuntimeError>;

    /// Starts (or keeps) the local registry holding the image catalog, which `docker` nodes
    /// created from now on use as their mirror (a pull-through cache of `upstream` when one
    /// is given); returns the mirror's address.
    async fn prepare_registry(
        &self,
        image: &str,
        upstream: Option<&str>,
    ) -> Result<String, RuntimeError>;

    /// Checks that the local registry prepared by `prepare_registry` runs; when it does not,
    /// starts it again and joins it to every session network. Returns whether it had to.
    async fn keep_registry(
        &self,
        image: &str,
        upstream: Option<&str>,
    ) -> Result<bool, RuntimeError>;

    /// Removes everything this server instance left behind (a previous run, a crash);
    /// returns how many objects were removed.
    async fn remove_leftovers(&self) -> Result<usize, RuntimeError>;
}
