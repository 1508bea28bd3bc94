//! The Docker source: live containers, stats and logs from Docker Engines (and Podman's
//! Docker-compatible API) through bollard (DESIGN.md §5, issue 5).
//!
//! Each host is one task ([`host::HostSource`]) with its own health, backoff and
//! connection; a host that is down never holds up the others. Per connection
//! ([`session`]): one list call and an inspect per container, then `/events` only; the list
//! is fetched again only after the event stream breaks, and replaces the host's containers
//! in one batch.
//!
//! - [`endpoint`], [`discover`]: which engines, found as the docker CLI finds them.
//! - [`connect`]: a client per endpoint (unix socket, TCP, TLS, or [`ssh`]), API version
//!   agreed, errors named.
//! - [`convert`], [`listing`], [`events`]: the engine's answers as the store's containers.
//! - [`stats`]: a small budget of samples per host, spent where the user looks: the
//!   selected container streams, rows on screen are sampled in turn, the rest sparsely.
//! - [`logs`]: followers that reattach after a restart without repeating a line, reading
//!   a local engine's log files directly when they can.
//! - [`interest`]: what the console wants watched closely ([`DockerControl`]).
//! - [`exec`]: run a configured argv in a container, output to a file (backups).

pub mod connect;
pub mod convert;
pub mod discover;
pub mod endpoint;
pub mod events;
pub mod exec;
pub mod host;
pub mod interest;
pub mod listing;
pub mod logs;
mod session;
pub mod settings;
pub mod ssh;
pub mod stats;

pub use discover::Discovery;
pub use endpoint::{DockerEndpoint, EndpointUrl, SshTarget, TlsFiles};
pub use exec::{ExecOutcome, ExecRequest, exec_to_file};
pub use interest::{DockerControl, DockerInterest, LogStart};
pub use stats::StatsPolicy;

/// How the Docker sources work; the defaults suit a console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DockerOptions {
    pub stats: StatsPolicy,
    /// Read containers' `json-file` logs from disk when the engine is on this machine and
    /// the files are readable, rather than through the API (see [`logs::json_file`]).
    pub read_log_files: bool,
}

impl Default for DockerOptions {
    fn default() -> DockerOptions {
        DockerOptions {
            stats: StatsPolicy::default(),
            read_log_files: true,
        }
    }
}

use tokio_util::sync::CancellationToken;

use crate::sources::EventSink;

/// Start one source per endpoint, sending into `sink`. They run until `cancel` fires or
/// the console closes its channel; the returned control tells them what to watch closely.
pub fn spawn_sources(
    endpoints: Vec<DockerEndpoint>,
    sink: EventSink,
    options: DockerOptions,
    cancel: &CancellationToken,
) -> DockerControl {
    let (control, _) = DockerControl::channel();
    for endpoint in endpoints {
        let source = host::HostSource::new(
            endpoint,
            sink.clone(),
            control.subscribe(),
            options,
            cancel.child_token(),
        );
        tokio::spawn(source.run());
    }
    control
}
