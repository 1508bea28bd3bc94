//! Engines reached over SSH, the way the docker CLI reaches them: each HTTP connection is an
//! `ssh … HOST docker system dial-stdio` process, and the API is spoken over its stdin and
//! stdout. The docker CLI must be installed on the remote host (it is wherever `docker -H
//! ssh://…` works); authentication is the user's ssh setup (agent, keys, `~/.ssh/config`).
//!
//! bollard 0.21 has an `ssh` feature, but it goes through the `openssh` crate, which starts
//! a new multiplexing master for every connection and ignores ssh's `BatchMode`; this is
//! the plain process the CLI runs, given to bollard as a custom transport. Connections are
//! pooled, so a steady console keeps a few ssh processes open instead of starting one per
//! request.

use std::ffi::OsString;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bollard::{BollardRequest, ClientVersion, Docker};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, Join};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::endpoint::SshTarget;

/// How long an idle pooled connection (an ssh process) is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The most of ssh's error output kept for messages.
const STDERR_KEPT: usize = 2048;

/// What ssh last wrote to stderr (or why it could not start): the reason behind a
/// connection that closed before the engine answered ("Permission denied (publickey)").
#[derive(Debug, Clone, Default)]
pub struct SshDiagnostics(Arc<Mutex<String>>);

impl SshDiagnostics {
    /// The last complete, non-empty line ssh wrote to stderr, if any.
    pub fn last_error(&self) -> Option<String> {
        let text = self.0.lock().ok()?.clone();
        text.lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_string)
    }

    fn set(&self, text: String) {
        if let Ok(mut kept) = self.0.lock() {
            *kept = text;
        }
    }
}

/// Starts one `ssh … docker system dial-stdio` per connection.
#[derive(Debug, Clone)]
pub struct SshConnector {
    program: Arc<OsString>,
    args: Arc<Vec<String>>,
    diagnostics: SshDiagnostics,
}

impl SshConnector {
    /// A connector running `program` (normally `ssh`) with the target's arguments.
    pub fn new(program: impl Into<OsString>, target: &SshTarget) -> SshConnector {
        SshConnector {
            program: Arc::new(program.into()),
            args: Arc::new(target.ssh_args()),
            diagnostics: SshDiagnostics::default(),
        }
    }

    pub fn diagnostics(&self) -> SshDiagnostics {
        self.diagnostics.clone()
    }

    fn spawn(&self) -> io::Result<SshStream> {
        let mut child = Command::new(self.program.as_os_str())
            .args(self.args.iter())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // The connection is the process: dropping one ends the other.
            .kill_on_drop(true)
            .spawn()
            .inspect_err(|e| {
                self.diagnostics.set(format!(
                    "cannot run {}: {e}",
                    self.program.to_string_lossy()
                ));
            })?;
        let (Some(stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            // Invariant: all three were asked for as pipes just above.
            return Err(io::Error::other("ssh started without its pipes"));
        };
        let diagnostics = self.diagnostics.clone();
        tokio::spawn(async move {
            let mut text = Vec::new();
            let mut chunk = [0u8; 512];
            while let Ok(n) = stderr.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                text.extend_from_slice(&chunk[..n]);
                if text.len() > STDERR_KEPT {
                    text.drain(..text.len() - STDERR_KEPT);
                }
                diagnostics.set(String::from_utf8_lossy(&text).into_owned());
            }
        });
        Ok(SshStream {
            io: TokioIo::new(tokio::io::join(stdout, stdin)),
            _child: child,
        })
    }
}

impl tower::Service<hyper::Uri> for SshConnector {
    type Response = SshStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<SshStream>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: hyper::Uri) -> Self::Future {
        let result = self.spawn();
        Box::pin(async move { result })
    }
}

/// One connection: the ssh process's stdout and stdin.
pub struct SshStream {
    io: TokioIo<Join<ChildStdout, ChildStdin>>,
    _child: Child,
}

impl hyper::rt::Read for SshStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for SshStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

impl Connection for SshStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

/// A bollard client whose connections are ssh processes run by `connector`.
pub fn docker_over_ssh(
    connector: SshConnector,
    timeout_secs: u64,
    version: &ClientVersion,
) -> Result<Docker, bollard::errors::Error> {
    let client = Arc::new(
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(IDLE_TIMEOUT)
            .build(connector),
    );
    Docker::connect_with_custom_transport(
        move |request: BollardRequest| {
            let client = Arc::clone(&client);
            async move {
                client
                    .request(request)
                    .await
                    .map_err(bollard::errors::Error::from)
            }
        },
        // Only the Host header sees this; the connector ignores where requests go.
        Some("http://docker"),
        timeout_secs,
        version,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> SshTarget {
        SshTarget {
            user: None,
            host: "box".into(),
            port: None,
            options: vec![],
        }
    }

    #[tokio::test]
    async fn a_missing_ssh_program_is_said_plainly() {
        let connector = SshConnector::new("/nonexistent/ssh", &target());
        assert!(connector.spawn().is_err());
        let said = connector.diagnostics().last_error().unwrap();
        assert!(said.starts_with("cannot run /nonexistent/ssh"), "{said}");
    }

    #[tokio::test]
    async fn the_last_stderr_line_explains_a_failed_connection() {
        // `sh -c SCRIPT ssh-args…`: a stand-in for ssh that fails as ssh does.
        let mut t = target();
        t.options = vec![];
        let connector = SshConnector {
            program: Arc::new("sh".into()),
            args: Arc::new(vec![
                "-c".into(),
                "echo 'debug1: x' >&2; echo 'me@box: Permission denied (publickey).' >&2".into(),
            ]),
            diagnostics: SshDiagnostics::default(),
        };
        let docker = docker_over_ssh(connector.clone(), 5, bollard::API_DEFAULT_VERSION).unwrap();
        assert!(docker.ping().await.is_err());
        // The stderr reader may lag the failed request by a moment.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while connector.diagnostics().last_error().is_none() {
            assert!(tokio::time::Instant::now() < deadline, "no stderr kept");
            tokio::task::yield_now().await;
        }
        assert_eq!(
            connector.diagnostics().last_error().unwrap(),
            "me@box: Permission denied (publickey)."
        );
    }
}
