//! Where a Docker Engine is: one URL, parsed the way the docker CLI reads `-H` and
//! `DOCKER_HOST`, and the short name the host column shows for it.

use std::path::{Path, PathBuf};

/// The socket the docker CLI uses when nothing says otherwise.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The port of an unencrypted Docker Engine API when a `tcp://` URL gives none.
pub const DEFAULT_TCP_PORT: u16 = 2375;

/// How to reach one engine.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EndpointUrl {
    /// A Unix socket: `unix:///var/run/docker.sock`.
    Unix(PathBuf),
    /// Plain HTTP over TCP: `tcp://host:2375` or `http://host:2375`.
    Tcp { host: String, port: u16 },
    /// Something the docker CLI accepts but pilothouse cannot reach (TLS, SSH, named
    /// pipes). Kept rather than refused so that the host shows as unavailable and says why:
    /// a configured host must never silently vanish.
    Unsupported { url: String, reason: String },
}

/// A URL that is not a Docker endpoint at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{url}` is not a Docker host URL: {reason}")]
pub struct EndpointError {
    pub url: String,
    pub reason: String,
}

impl EndpointUrl {
    /// Parse `unix:///path`, a bare absolute socket path, `tcp://host[:port]` or
    /// `http://host[:port]`. `https://`, `ssh://` and `npipe://` parse as
    /// [`EndpointUrl::Unsupported`].
    pub fn parse(url: &str) -> Result<EndpointUrl, EndpointError> {
        let url = url.trim();
        let error = |reason: &str| EndpointError {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        if let Some(path) = url.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(error("a unix socket path must be absolute (unix:///path)"));
            }
            return Ok(EndpointUrl::Unix(PathBuf::from(path)));
        }
        if url.starts_with('/') {
            return Ok(EndpointUrl::Unix(PathBuf::from(url)));
        }
        if let Some(rest) = url
            .strip_prefix("tcp://")
            .or_else(|| url.strip_prefix("http://"))
        {
            return parse_host_port(rest).ok_or_else(|| error("expected tcp://HOST[:PORT]"));
        }
        for (scheme, reason) in [
            ("https://", "TLS connections are not supported yet"),
            ("ssh://", "SSH connections are not supported yet"),
            ("npipe://", "named pipes exist only on Windows"),
        ] {
            if url.starts_with(scheme) {
                return Ok(EndpointUrl::Unsupported {
                    url: url.to_string(),
                    reason: reason.to_string(),
                });
            }
        }
        Err(error("expected unix://, tcp:// or http://"))
    }

    /// The URL in canonical form, for messages and de-duplication.
    pub fn to_url(&self) -> String {
        match self {
            EndpointUrl::Unix(path) => format!("unix://{}", path.display()),
            EndpointUrl::Tcp { host, port } => format!("tcp://{host}:{port}"),
            EndpointUrl::Unsupported { url, .. } => url.clone(),
        }
    }

    /// A short name for the host column: `local` for the standard socket, `podman` for a
    /// Podman socket, the socket's file stem otherwise; `host` or `host:port` for TCP.
    pub fn short_name(&self) -> String {
        match self {
            EndpointUrl::Unix(path) => unix_name(path),
            EndpointUrl::Tcp { host, port } if *port == DEFAULT_TCP_PORT => host.clone(),
            EndpointUrl::Tcp { host, port } => format!("{host}:{port}"),
            EndpointUrl::Unsupported { url, .. } => url
                .split_once("://")
                .map_or(url.as_str(), |(_, rest)| rest)
                .trim_end_matches('/')
                .to_string(),
        }
    }
}

impl std::str::FromStr for EndpointUrl {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<EndpointUrl, EndpointError> {
        EndpointUrl::parse(s)
    }
}

fn parse_host_port(rest: &str) -> Option<EndpointUrl> {
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    // `[::1]:2375`: the brackets keep the colons of the address apart from the port's.
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (host, after) = inner.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => DEFAULT_TCP_PORT,
    };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    Some(EndpointUrl::Tcp { host, port })
}

fn unix_name(path: &Path) -> String {
    if path == Path::new(DEFAULT_SOCKET) || path == Path::new("/run/docker.sock") {
        return "local".to_string();
    }
    if path.parent().and_then(Path::file_name) == Some("podman".as_ref()) {
        return "podman".to_string();
    }
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .filter(|stem| !stem.is_empty())
        .unwrap_or_else(|| path.display().to_string())
}

/// One engine the console watches: its name in the host column and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerEndpoint {
    /// The host column's value and the source's name; unique among the endpoints.
    pub name: String,
    pub url: EndpointUrl,
}

impl DockerEndpoint {
    pub fn new(name: impl Into<String>, url: EndpointUrl) -> DockerEndpoint {
        DockerEndpoint {
            name: name.into(),
            url,
        }
    }

    /// An endpoint named after its URL.
    pub fn from_url(url: EndpointUrl) -> DockerEndpoint {
        DockerEndpoint::new(url.short_name(), url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_like_the_docker_cli_reads_them() {
        assert_eq!(
            EndpointUrl::parse("unix:///var/run/docker.sock").unwrap(),
            EndpointUrl::Unix(DEFAULT_SOCKET.into())
        );
        assert_eq!(
            EndpointUrl::parse("/run/user/1000/podman/podman.sock").unwrap(),
            EndpointUrl::Unix("/run/user/1000/podman/podman.sock".into())
        );
        assert_eq!(
            EndpointUrl::parse("tcp://build-1:2376").unwrap(),
            EndpointUrl::Tcp {
                host: "build-1".into(),
                port: 2376
            }
        );
        assert_eq!(
            EndpointUrl::parse("tcp://10.0.0.5").unwrap().to_url(),
            "tcp://10.0.0.5:2375"
        );
        assert_eq!(
            EndpointUrl::parse("http://[::1]:2375/").unwrap().to_url(),
            "tcp://[::1]:2375"
        );
        assert!(matches!(
            EndpointUrl::parse("ssh://me@box").unwrap(),
            EndpointUrl::Unsupported { .. }
        ));
        for bad in [
            "unix://relative.sock",
            "tcp://",
            "tcp://h:port",
            "ftp://x",
            "box",
        ] {
            assert!(EndpointUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_short_enough_for_the_host_column() {
        let name = |url: &str| EndpointUrl::parse(url).unwrap().short_name();
        assert_eq!(name("unix:///var/run/docker.sock"), "local");
        assert_eq!(name("unix:///run/user/1000/podman/podman.sock"), "podman");
        assert_eq!(name("unix:///tmp/engine-2.sock"), "engine-2");
        assert_eq!(name("tcp://build-1:2375"), "build-1");
        assert_eq!(name("tcp://build-1:12375"), "build-1:12375");
        assert_eq!(name("ssh://me@box"), "me@box");
    }
}
