//! Opening a client for an endpoint and agreeing on an API version with the engine.

use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};
use jiff::Timestamp;

use super::endpoint::{EndpointUrl, TlsFiles};
use super::ssh::{SshConnector, docker_over_ssh};
use crate::model::SourceHealth;

/// How long a request may wait for its response headers. Streams (events, logs, stats)
/// run longer than this once the headers are in.
const REQUEST_TIMEOUT_SECS: u64 = 30;

/// How long the first exchange with an engine may take before it counts as down.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why an engine could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Unsupported(String),
    /// The TLS client files are missing or unreadable.
    #[error("{0}")]
    Tls(String),
    /// ssh could not reach the engine: what ssh said.
    #[error("{url}: {said}")]
    Ssh { url: String, said: String },
    #[error("permission denied on {0} (is this user in the docker group?)")]
    PermissionDenied(String),
    #[error("no engine answers at {0}")]
    Unreachable(String),
    /// Any other failure; the message has the error's causes, because bollard's own
    /// words ("client error (SendRequest)") hide why a TLS handshake failed.
    #[error("{url}: {detail}")]
    Docker {
        url: String,
        detail: String,
        #[source]
        error: bollard::errors::Error,
    },
    #[error("{0}: no answer within {1:?}")]
    Timeout(String, Duration),
}

impl ConnectError {
    /// The health a source reports for this error: permission problems are `Forbidden`,
    /// everything else `Unavailable`.
    pub fn health(&self) -> SourceHealth {
        match self {
            ConnectError::PermissionDenied(what) => SourceHealth::Forbidden {
                what: format!("{what}: permission denied"),
            },
            other => SourceHealth::Unavailable {
                error: other.to_string(),
            },
        }
    }

    /// Classify a bollard error from a request to `url`.
    pub fn from_bollard(url: &str, error: bollard::errors::Error) -> ConnectError {
        use bollard::errors::Error as E;
        if let E::SocketNotFoundError(path) = &error {
            return ConnectError::Unreachable(format!("unix://{path} (no such socket)"));
        }
        match io_error_kind(&error) {
            Some(std::io::ErrorKind::PermissionDenied) => {
                ConnectError::PermissionDenied(url.to_string())
            }
            Some(
                std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::NotFound
                | std::io::ErrorKind::ConnectionReset,
            ) => ConnectError::Unreachable(url.to_string()),
            _ => ConnectError::Docker {
                url: url.to_string(),
                detail: with_causes(&error),
                error,
            },
        }
    }
}

/// An error and its causes, `a: b: c`, each said once (wrappers often repeat their cause).
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(cause) = current {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        current = cause.source();
    }
    text
}

/// The kind of the first I/O error in an error's chain of causes, if any.
fn io_error_kind(error: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        current = e.source();
    }
    None
}

/// A client for `url` that speaks the engine's API version (the newest both know).
pub async fn connect(url: &EndpointUrl) -> Result<Docker, ConnectError> {
    let shown = url.to_url();
    let mut ssh_diagnostics = None;
    let docker = match url {
        EndpointUrl::Unix(path) => Docker::connect_with_unix(
            &path.to_string_lossy(),
            REQUEST_TIMEOUT_SECS,
            API_DEFAULT_VERSION,
        ),
        EndpointUrl::Tcp { .. } => {
            Docker::connect_with_http(&shown, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        }
        EndpointUrl::Tls { host, port, certs } => {
            let files = readable_tls_files(&shown, certs.as_ref())?;
            // rustls needs a process-wide crypto provider; ring is the one built in. An
            // error only says one is installed already.
            let _ = rustls::crypto::ring::default_provider().install_default();
            Docker::connect_with_ssl(
                &format!("{host}:{port}"),
                &files.key,
                &files.cert,
                &files.ca,
                REQUEST_TIMEOUT_SECS,
                API_DEFAULT_VERSION,
            )
        }
        EndpointUrl::Ssh(target) => {
            let connector = SshConnector::new("ssh", target);
            ssh_diagnostics = Some(connector.diagnostics());
            docker_over_ssh(connector, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        }
        EndpointUrl::Unsupported { url, reason } => {
            return Err(ConnectError::Unsupported(format!("{url}: {reason}")));
        }
    }
    .map_err(|e| ConnectError::from_bollard(&shown, e))?;
    // bollard asks for its own newest API version unless told otherwise; older engines
    // (Debian's 20.10 speaks 1.41) refuse that, so agree on a version first.
    let error = match tokio::time::timeout(HANDSHAKE_TIMEOUT, docker.negotiate_version()).await {
        Ok(Ok(docker)) => return Ok(docker),
        Ok(Err(e)) => ConnectError::from_bollard(&shown, e),
        Err(_) => ConnectError::Timeout(shown.clone(), HANDSHAKE_TIMEOUT),
    };
    // Over SSH the HTTP error ("connection closed before message completed") hides the
    // real one, which ssh wrote to its stderr.
    match ssh_diagnostics.and_then(|d| d.last_error()) {
        Some(said) => Err(ConnectError::Ssh { url: shown, said }),
        None => Err(error),
    }
}

/// The TLS files, each checked to be readable so that a missing one is named rather than
/// reported as a failed handshake.
fn readable_tls_files<'a>(
    url: &str,
    certs: Option<&'a TlsFiles>,
) -> Result<&'a TlsFiles, ConnectError> {
    let files = certs.ok_or_else(|| {
        ConnectError::Tls(format!(
            "{url}: no TLS certificate directory (set DOCKER_CERT_PATH or cert_path)"
        ))
    })?;
    for (what, path) in [
        ("CA certificate", &files.ca),
        ("client certificate", &files.cert),
        ("client key", &files.key),
    ] {
        if let Err(e) = std::fs::File::open(path) {
            return Err(ConnectError::Tls(format!(
                "{url}: cannot read the {what} {}: {e}",
                path.display()
            )));
        }
    }
    Ok(files)
}

/// The engine's clock, so that `/events?since=` means the engine's "now" even when the
/// two clocks disagree. Falls back to ours (minus a margin) when the engine does not say.
pub async fn engine_now(docker: &Docker, url: &EndpointUrl) -> Result<Timestamp, ConnectError> {
    let info = match tokio::time::timeout(HANDSHAKE_TIMEOUT, docker.info()).await {
        Ok(Ok(info)) => info,
        Ok(Err(e)) => return Err(ConnectError::from_bollard(&url.to_url(), e)),
        Err(_) => return Err(ConnectError::Timeout(url.to_url(), HANDSHAKE_TIMEOUT)),
    };
    let reported = info
        .system_time
        .as_deref()
        .and_then(|t| t.parse::<Timestamp>().ok());
    Ok(reported.unwrap_or_else(|| {
        Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_secs(5))
            .unwrap_or_else(|_| Timestamp::now())
    }))
}

/// `/events?since=` wants seconds with an optional fraction.
pub fn since_param(t: Timestamp) -> String {
    format!("{}.{:09}", t.as_second(), t.subsec_nanosecond().max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_keeps_nanoseconds() {
        let t: Timestamp = "2026-11-22T18:28:15.000000042Z".parse().unwrap();
        assert_eq!(since_param(t), format!("{}.000000042", t.as_second()));
    }

    #[test]
    fn a_missing_socket_is_unreachable_and_says_where() {
        let error = ConnectError::from_bollard(
            "unix:///nope",
            bollard::errors::Error::SocketNotFoundError("/nope".into()),
        );
        assert!(
            matches!(error.health(), SourceHealth::Unavailable { error } if error.contains("/nope"))
        );
    }

    #[test]
    fn a_missing_tls_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), "x").unwrap();
        let files = TlsFiles::in_dir(dir.path());
        let error = readable_tls_files("https://h:2376", Some(&files)).unwrap_err();
        assert!(
            error.to_string().contains("client certificate")
                && error.to_string().contains("cert.pem"),
            "{error}"
        );
        assert!(readable_tls_files("https://h:2376", None).is_err());
    }
}
