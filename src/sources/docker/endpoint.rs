//! Where a Docker Engine is: one URL, parsed the way the docker CLI reads `-H` and
//! `DOCKER_HOST`, and the short name the host column shows for it.

use std::path::{Path, PathBuf};

/// The socket the docker CLI uses when nothing says otherwise.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The port of an unencrypted Docker Engine API when a `tcp://` URL gives none.
pub const DEFAULT_TCP_PORT: u16 = 2375;

/// The port of a TLS Docker Engine API when the URL gives none (as the docker CLI).
pub const DEFAULT_TLS_PORT: u16 = 2376;

/// The client certificate, its key and the CA that signed the engine's certificate, as
/// the docker CLI finds them in `DOCKER_CERT_PATH`: `cert.pem`, `key.pem`, `ca.pem`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// `ca.pem`, `cert.pem` and `key.pem` in `dir`.
    pub fn in_dir(dir: &Path) -> TlsFiles {
        TlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }
}

/// An engine reached over SSH, as the docker CLI does it: `ssh [-l user] [-p port] host
/// docker system dial-stdio`, with HTTP spoken over the command's stdin and stdout.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// Extra `ssh` arguments from the config file (`-i KEY`, `-F FILE`, `-J JUMP`), placed
    /// before the destination. Arguments, never a shell string.
    pub options: Vec<String>,
}

/// How to reach one engine.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EndpointUrl {
    /// A Unix socket: `unix:///var/run/docker.sock`.
    Unix(PathBuf),
    /// Plain HTTP over TCP: `tcp://host:2375` or `http://host:2375`.
    Tcp { host: String, port: u16 },
    /// HTTPS with client certificates, the server verified against the CA: `https://host`,
    /// `tcp://host:2376` with `DOCKER_TLS_VERIFY`, or a configured host with `cert_path`.
    /// `certs` is `None` until discovery fills in the default directory
    /// (`DOCKER_CERT_PATH`, else the docker config directory).
    Tls {
        host: String,
        port: u16,
        certs: Option<TlsFiles>,
    },
    /// `ssh://[user@]host[:port]`.
    Ssh(SshTarget),
    /// Something the docker CLI accepts but pilothouse cannot reach (named pipes, TLS
    /// without verification). Kept rather than refused so that the host shows as unavailable and says why:
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
    /// Parse `unix:///path`, a bare absolute socket path, `tcp://host[:port]`,
    /// `http://host[:port]`, `https://host[:port]` (TLS, default port 2376) or
    /// `ssh://[user@]host[:port]`. `npipe://` parses as [`EndpointUrl::Unsupported`].
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
            let (host, port) =
                parse_host_port(rest).ok_or_else(|| error("expected tcp://HOST[:PORT]"))?;
            return Ok(EndpointUrl::Tcp {
                host,
                port: port.unwrap_or(DEFAULT_TCP_PORT),
            });
        }
        if let Some(rest) = url.strip_prefix("https://") {
            let (host, port) =
                parse_host_port(rest).ok_or_else(|| error("expected https://HOST[:PORT]"))?;
            return Ok(EndpointUrl::Tls {
                host,
                port: port.unwrap_or(DEFAULT_TLS_PORT),
                certs: None,
            });
        }
        if let Some(rest) = url.strip_prefix("ssh://") {
            return parse_ssh(rest)
                .map(EndpointUrl::Ssh)
                .ok_or_else(|| error("expected ssh://[USER@]HOST[:PORT]"));
        }
        if url.starts_with("npipe://") {
            return Ok(EndpointUrl::Unsupported {
                url: url.to_string(),
                reason: "named pipes exist only on Windows".to_string(),
            });
        }
        Err(error(
            "expected unix://, tcp://, http://, https:// or ssh://",
        ))
    }

    /// This URL with TLS: a `tcp://` host becomes a TLS host (on port 2376 unless `url`
    /// named a port), as `DOCKER_TLS_VERIFY` or a configured `cert_path` makes it. Other
    /// kinds are returned unchanged. `url` is the text the URL was parsed from.
    pub fn with_tls(self, url: &str, certs: Option<TlsFiles>) -> EndpointUrl {
        match self {
            EndpointUrl::Tcp { host, port } => {
                let named_port = url
                    .split_once("://")
                    .and_then(|(_, rest)| parse_host_port(rest))
                    .and_then(|(_, port)| port);
                EndpointUrl::Tls {
                    host,
                    port: named_port.unwrap_or(if port == DEFAULT_TCP_PORT {
                        DEFAULT_TLS_PORT
                    } else {
                        port
                    }),
                    certs,
                }
            }
            EndpointUrl::Tls {
                host,
                port,
                certs: old,
            } => EndpointUrl::Tls {
                host,
                port,
                certs: certs.or(old),
            },
            other => other,
        }
    }

    /// The URL in canonical form, for messages and de-duplication.
    pub fn to_url(&self) -> String {
        match self {
            EndpointUrl::Unix(path) => format!("unix://{}", path.display()),
            EndpointUrl::Tcp { host, port } => format!("tcp://{host}:{port}"),
            EndpointUrl::Tls { host, port, .. } => format!("https://{host}:{port}"),
            EndpointUrl::Ssh(target) => format!("ssh://{}", target.destination_with_port()),
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
            EndpointUrl::Tls { host, port, .. } if *port == DEFAULT_TLS_PORT => host.clone(),
            EndpointUrl::Tls { host, port, .. } => format!("{host}:{port}"),
            EndpointUrl::Ssh(target) => target.destination_with_port(),
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

impl SshTarget {
    /// `user@host` or `host`, as ssh takes it.
    pub fn destination(&self) -> String {
        match &self.user {
            Some(user) => format!("{user}@{}", self.host),
            None => self.host.clone(),
        }
    }

    /// `user@host:port`, for names and messages.
    pub fn destination_with_port(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.destination()),
            None => self.destination(),
        }
    }

    /// The `ssh` arguments that run `docker system dial-stdio` on the host. `BatchMode`:
    /// ssh must never prompt for a password or a host key on the console's terminal; it
    /// fails instead and the host shows the error.
    pub fn ssh_args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-T"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Some(user) = &self.user {
            args.extend(["-l".to_string(), user.clone()]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".to_string(), port.to_string()]);
        }
        args.extend(self.options.iter().cloned());
        // `--` so that a host can never be read as an option.
        args.extend(
            ["--", self.host.as_str(), "docker", "system", "dial-stdio"]
                .iter()
                .map(|s| s.to_string()),
        );
        args
    }
}

/// `[user@]host[:port]` of an `ssh://` URL; no path, as the docker CLI.
fn parse_ssh(rest: &str) -> Option<SshTarget> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return None;
    }
    let (user, host_port) = match rest.rsplit_once('@') {
        Some((user, host_port)) if !user.is_empty() => (Some(user.to_string()), host_port),
        Some(_) => return None,
        None => (None, rest),
    };
    let (host, port) = parse_host_port(host_port)?;
    // A host starting with '-' would be an ssh option.
    if host.starts_with('-') || user.as_deref().is_some_and(|u| u.starts_with('-')) {
        return None;
    }
    Some(SshTarget {
        user,
        host,
        port,
        options: Vec::new(),
    })
}

/// `host[:port]`, `[v6]:port`; the port only when the text names one.
fn parse_host_port(rest: &str) -> Option<(String, Option<u16>)> {
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
        Some(p) => Some(p.parse().ok()?),
        None => None,
    };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    Some((host, port))
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
        assert_eq!(
            EndpointUrl::parse("ssh://me@box:2222").unwrap(),
            EndpointUrl::Ssh(SshTarget {
                user: Some("me".into()),
                host: "box".into(),
                port: Some(2222),
                options: vec![],
            })
        );
        assert_eq!(
            EndpointUrl::parse("https://secure").unwrap(),
            EndpointUrl::Tls {
                host: "secure".into(),
                port: DEFAULT_TLS_PORT,
                certs: None
            }
        );
        assert!(matches!(
            EndpointUrl::parse("npipe:////./pipe/docker_engine").unwrap(),
            EndpointUrl::Unsupported { .. }
        ));
        for bad in [
            "unix://relative.sock",
            "tcp://",
            "tcp://h:port",
            "ftp://x",
            "box",
            "ssh://box/path",
            "ssh://@box",
            "ssh://-oProxyCommand=x",
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
        assert_eq!(name("ssh://box:2222"), "box:2222");
        assert_eq!(name("https://secure"), "secure");
        assert_eq!(name("https://secure:12376"), "secure:12376");
    }

    #[test]
    fn tls_turns_tcp_into_https_on_the_tls_port_unless_a_port_was_named() {
        let certs = TlsFiles::in_dir(Path::new("/certs"));
        let tls = |url: &str| {
            EndpointUrl::parse(url)
                .unwrap()
                .with_tls(url, Some(certs.clone()))
        };
        assert_eq!(tls("tcp://secure").to_url(), "https://secure:2376");
        assert_eq!(tls("tcp://secure:2375").to_url(), "https://secure:2375");
        assert_eq!(tls("tcp://secure:9999").to_url(), "https://secure:9999");
        assert!(
            matches!(tls("https://s"), EndpointUrl::Tls { certs: Some(c), .. } if c.ca == Path::new("/certs/ca.pem"))
        );
        assert_eq!(tls("unix:///x.sock"), EndpointUrl::Unix("/x.sock".into()));
    }

    #[test]
    fn ssh_arguments_are_the_docker_clis_and_never_prompt() {
        let EndpointUrl::Ssh(mut target) = EndpointUrl::parse("ssh://ops@db-1:2222").unwrap()
        else {
            panic!("not ssh");
        };
        target.options = vec!["-i".into(), "/keys/ops".into()];
        assert_eq!(
            target.ssh_args().join(" "),
            "-o BatchMode=yes -o ConnectTimeout=10 -T -l ops -p 2222 -i /keys/ops \
             -- db-1 docker system dial-stdio"
        );
    }
}
