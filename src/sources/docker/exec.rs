//! Running a configured command in a container for a backup (`pg_dump`, `redis-cli
//! BGSAVE`): its stdout streamed to a file, its exit code, size and SHA-256 reported.
//!
//! The command is an argv array, handed to the engine as is: no shell ever sees it, so no
//! container or database name can turn into shell syntax (DESIGN.md §6).

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// Stderr kept for the report: the end is where the error usually is.
const STDERR_TAIL_BYTES: usize = 8 * 1024;

/// How long to wait, after the output ends, for the engine to record the exit code.
const EXIT_CODE_WAIT: Duration = Duration::from_secs(10);

/// A command to run in a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    /// The container's id or name.
    pub container: String,
    /// The program and its arguments, exactly as the program receives them.
    pub argv: Vec<String>,
    /// `user`, `user:group`, `uid` or `uid:gid`; the container's default when `None`.
    pub user: Option<String>,
    pub working_dir: Option<String>,
    /// `NAME=value` pairs added to the container's environment.
    pub env: Vec<String>,
}

impl ExecRequest {
    pub fn new(container: impl Into<String>, argv: Vec<String>) -> ExecRequest {
        ExecRequest {
            container: container.into(),
            argv,
            user: None,
            working_dir: None,
            env: Vec::new(),
        }
    }
}

/// What a finished command produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutcome {
    /// The command's exit code; `None` if the engine never reported one.
    pub exit_code: Option<i64>,
    /// Bytes of stdout written to `path`.
    pub bytes: u64,
    /// SHA-256 of those bytes, lowercase hex.
    pub sha256: String,
    /// Where the output is: the requested path after exit code 0, else the `.partial`
    /// file beside it, so a failed backup never sits under the name of a good one.
    pub path: PathBuf,
    /// The end of stderr (at most 8 KiB), lossily decoded.
    pub stderr_tail: String,
}

impl ExecOutcome {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("the command is empty")]
    EmptyArgv,
    #[error("{0}")]
    Docker(#[from] bollard::errors::Error),
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
}

/// Run `request` and stream its stdout to `path` (mode 0600: backups hold data).
pub async fn exec_to_file(
    docker: &Docker,
    request: &ExecRequest,
    path: &Path,
) -> Result<ExecOutcome, ExecError> {
    if request.argv.is_empty() || request.argv[0].is_empty() {
        return Err(ExecError::EmptyArgv);
    }
    let partial = partial_path(path);
    let io = |error| ExecError::Io {
        path: partial.clone(),
        error,
    };
    let mut file = open_private(&partial).await.map_err(io)?;
    let options = CreateExecOptions {
        attach_stdin: Some(false),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(false),
        cmd: Some(request.argv.clone()),
        user: request.user.clone(),
        working_dir: request.working_dir.clone(),
        env: (!request.env.is_empty()).then(|| request.env.clone()),
        ..CreateExecOptions::default()
    };
    let exec = docker.create_exec(&request.container, options).await?;
    let start = StartExecOptions {
        detach: false,
        tty: false,
        // Frames are written as they come; a bigger buffer only means fewer reads.
        output_capacity: Some(64 * 1024),
    };
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut stderr: Vec<u8> = Vec::new();
    if let StartExecResults::Attached { mut output, .. } =
        docker.start_exec(&exec.id, Some(start)).await?
    {
        while let Some(frame) = output.next().await {
            match frame? {
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    hasher.update(&message);
                    bytes += message.len() as u64;
                    file.write_all(&message).await.map_err(io)?;
                }
                LogOutput::StdErr { message } => {
                    stderr.extend_from_slice(&message);
                    if stderr.len() > 2 * STDERR_TAIL_BYTES {
                        stderr.drain(..stderr.len() - STDERR_TAIL_BYTES);
                    }
                }
                LogOutput::StdIn { .. } => {}
            }
        }
    }
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    drop(file);
    let exit_code = exit_code(docker, &exec.id).await?;
    let kept = if exit_code == Some(0) {
        tokio::fs::rename(&partial, path)
            .await
            .map_err(|error| ExecError::Io {
                path: path.to_path_buf(),
                error,
            })?;
        path.to_path_buf()
    } else {
        partial.clone()
    };
    let tail_start = stderr.len().saturating_sub(STDERR_TAIL_BYTES);
    Ok(ExecOutcome {
        exit_code,
        bytes,
        sha256: hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        path: kept,
        stderr_tail: String::from_utf8_lossy(&stderr[tail_start..]).into_owned(),
    })
}

/// The exit code, once the engine has recorded it. The output can end a moment before
/// the engine marks the process finished, so this asks again briefly until it has.
async fn exit_code(docker: &Docker, exec_id: &str) -> Result<Option<i64>, ExecError> {
    let deadline = tokio::time::Instant::now() + EXIT_CODE_WAIT;
    let mut pause = Duration::from_millis(5);
    loop {
        let inspect = docker.inspect_exec(exec_id).await?;
        if inspect.running != Some(true) {
            return Ok(inspect.exit_code);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// Where the output of a command that did not succeed is kept: `<path>.partial`.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

async fn open_private(path: &Path) -> std::io::Result<tokio::fs::File> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_output_sits_beside_the_target() {
        assert_eq!(
            partial_path(Path::new("/backups/db-2026.sql")),
            Path::new("/backups/db-2026.sql.partial")
        );
    }
}
