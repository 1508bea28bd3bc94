//! A container's backup: the target's argv run in it through exec, stdout streamed to a
//! private file under the data dir, and each attempt recorded in a history that outlives
//! the console, so the backups view can say when a target last succeeded.
//!
//! ```text
//! <data_dir>/backups/<host>/<container>/20261122T183000Z.out    a good backup
//! <data_dir>/backups/<host>/<container>/20261122T190000Z.out.partial   a failed one's output
//! <data_dir>/backups/history.jsonl                             one line per attempt
//! ```

use std::path::{Path, PathBuf};

use bollard::Docker;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::is_not_found;
use crate::ops::OpError;
use crate::ops::audit::{append_json_line, create_private_dir, timestamp_text};
use crate::ops::backup_config::BackupTarget;
use crate::sources::docker::exec::{ExecError, ExecRequest, exec_to_file, partial_path};

/// The history's file name, in `<data_dir>/backups`.
pub const HISTORY_FILE_NAME: &str = "history.jsonl";

/// How many lines of stderr a failure quotes: the end is where the error usually is.
const STDERR_LINES_QUOTED: usize = 3;

/// One backup attempt that ran, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    /// The target's name (`[[backup]] name`).
    pub target: String,
    pub container: String,
    /// The Docker host it ran on.
    pub host: String,
    #[serde(with = "timestamp_text")]
    pub started: Timestamp,
    #[serde(with = "timestamp_text")]
    pub finished: Timestamp,
    /// `None` when the engine never reported one.
    pub exit_code: Option<i64>,
    /// Bytes of output written.
    pub bytes: u64,
    /// SHA-256 of the output, lowercase hex.
    pub sha256: String,
    /// Where the output is: `….out` when it succeeded, `….out.partial` when not.
    pub path: PathBuf,
    /// Exit code 0.
    pub ok: bool,
}

/// Back up `target` on `host` (the name of the Docker host `docker` talks to, which
/// [`super::locate_container`] finds when the target names none), the output going to
/// `<data_dir>/backups/<host>/<container>/<now, UTC>.out` with mode 0600.
///
/// Every attempt that ran is appended to the history, failures included. A non-zero exit
/// code is [`OpError::Failed`] with the exit code and the end of stderr; its output stays
/// beside the good backups as `.partial`. A missing or stopped container is refused
/// before anything is written.
pub async fn backup(
    docker: &Docker,
    host: &str,
    target: &BackupTarget,
    data_dir: &Path,
    now: Timestamp,
) -> Result<BackupRecord, OpError> {
    let what = format!("backup {}", target.name);
    ensure_running(docker, host, &target.container, &what).await?;
    let dir = data_dir
        .join("backups")
        .join(path_component(host))
        .join(path_component(&target.container));
    create_private_dir(&dir)
        .map_err(|e| OpError::Failed(format!("{what}: {}: {e}", dir.display())))?;
    let path = unused_output_path(&dir, now);
    let request = ExecRequest::new(target.container.clone(), target.argv.clone());
    let outcome = match exec_to_file(docker, &request, &path).await {
        Ok(outcome) => outcome,
        Err(error) => {
            remove_if_empty(&partial_path(&path));
            return Err(exec_error(&what, host, &target.container, error));
        }
    };
    let record = BackupRecord {
        target: target.name.clone(),
        container: target.container.clone(),
        host: host.to_string(),
        started: now,
        finished: Timestamp::now(),
        exit_code: outcome.exit_code,
        bytes: outcome.bytes,
        sha256: outcome.sha256.clone(),
        path: outcome.path.clone(),
        ok: outcome.succeeded(),
    };
    append_json_line(&history_path(data_dir), &record).map_err(|e| {
        OpError::Failed(format!(
            "{what}: output in {}, but the backup history could not be written: {e}",
            record.path.display()
        ))
    })?;
    if record.ok {
        return Ok(record);
    }
    let code = match record.exit_code {
        Some(code) => format!("exit code {code}"),
        None => "the engine reported no exit code".to_string(),
    };
    let mut message = format!("{what}: {code}");
    let stderr = stderr_tail(&outcome.stderr_tail);
    if !stderr.is_empty() {
        message.push_str(&format!(": {stderr}"));
    }
    message.push_str(&format!("; output kept in {}", record.path.display()));
    Err(OpError::Failed(message))
}

/// `<data_dir>/backups/history.jsonl`.
pub fn history_path(data_dir: &Path) -> PathBuf {
    data_dir.join("backups").join(HISTORY_FILE_NAME)
}

/// Every attempt in the history, oldest first. Lines that cannot be read (a last line
/// cut short by a crash) are skipped: the history informs, it must never stop the view.
pub fn load_history(data_dir: &Path) -> Vec<BackupRecord> {
    let Ok(bytes) = std::fs::read(history_path(data_dir)) else {
        return Vec::new();
    };
    bytes
        .split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect()
}

/// The newest successful backup of the target named `target`.
pub fn last_success<'a>(history: &'a [BackupRecord], target: &str) -> Option<&'a BackupRecord> {
    history
        .iter()
        .filter(|r| r.ok && r.target == target)
        .max_by_key(|r| r.finished)
}

/// Refuse early, before any file exists, when the container is missing or not running:
/// exec needs a running container.
async fn ensure_running(
    docker: &Docker,
    host: &str,
    container: &str,
    what: &str,
) -> Result<(), OpError> {
    let inspect = docker
        .inspect_container(container, None)
        .await
        .map_err(|error| {
            if is_not_found(&error) {
                OpError::Refused(format!("{what}: no container {container} on {host}"))
            } else {
                prefixed(what, error.into())
            }
        })?;
    let running = inspect.state.and_then(|s| s.running).unwrap_or(false);
    if !running {
        return Err(OpError::Refused(format!(
            "{what}: container {container} on {host} is not running"
        )));
    }
    Ok(())
}

fn exec_error(what: &str, host: &str, container: &str, error: ExecError) -> OpError {
    match error {
        ExecError::EmptyArgv => OpError::Refused(format!("{what}: the command is empty")),
        ExecError::Docker(error) if is_not_found(&error) => {
            OpError::Refused(format!("{what}: no container {container} on {host}"))
        }
        ExecError::Docker(error) => prefixed(what, error.into()),
        ExecError::Io { .. } => OpError::Failed(format!("{what}: {error}")),
    }
}

fn prefixed(what: &str, error: OpError) -> OpError {
    match error {
        OpError::ReadOnly(m) => OpError::ReadOnly(m),
        OpError::Forbidden(m) => OpError::Forbidden(format!("{what}: {m}")),
        OpError::Refused(m) => OpError::Refused(format!("{what}: {m}")),
        OpError::Failed(m) => OpError::Failed(format!("{what}: {m}")),
    }
}

/// `<dir>/<now>.out`, or `<now>-2.out` and on when a backup of the same second exists,
/// so that a second backup never replaces the first.
fn unused_output_path(dir: &Path, now: Timestamp) -> PathBuf {
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let taken = |path: &Path| path.exists() || partial_path(path).exists();
    let first = dir.join(format!("{stamp}.out"));
    if !taken(&first) {
        return first;
    }
    (2u32..)
        .map(|n| dir.join(format!("{stamp}-{n}.out")))
        .find(|path| !taken(path))
        .unwrap_or(first)
}

/// A host or container name as one directory name: never a path of its own (`/`, `..`).
fn path_component(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | '\0' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    match cleaned.trim_start_matches('.') {
        "" => format!("_{cleaned}"),
        _ if cleaned.starts_with('.') => format!("_{cleaned}"),
        _ => cleaned,
    }
}

/// The last few non-empty lines of stderr, on one line.
fn stderr_tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines[lines.len().saturating_sub(STDERR_LINES_QUOTED)..].join(" / ")
}

/// An exec that failed before any output leaves an empty `.partial`: nothing to keep.
fn remove_if_empty(path: &Path) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_leave_their_directory() {
        assert_eq!(path_component("shop-postgres-1"), "shop-postgres-1");
        assert_eq!(path_component("me@box:2222"), "me@box:2222");
        assert_eq!(path_component("../etc"), "_.._etc");
        assert_eq!(path_component(".."), "_..");
        assert_eq!(path_component("a/b"), "a_b");
    }

    #[test]
    fn a_second_backup_in_the_same_second_gets_its_own_name() {
        let dir = tempfile::tempdir().unwrap();
        let now: Timestamp = "2026-11-22T18:30:00.7Z".parse().unwrap();
        let first = unused_output_path(dir.path(), now);
        assert_eq!(first, dir.path().join("20261122T183000Z.out"));
        std::fs::write(partial_path(&first), "").unwrap();
        assert_eq!(
            unused_output_path(dir.path(), now),
            dir.path().join("20261122T183000Z-2.out")
        );
    }

    #[test]
    fn the_stderr_tail_is_its_last_lines() {
        assert_eq!(stderr_tail("a\n\nb\nc\nd\n"), "b / c / d");
        assert_eq!(stderr_tail(""), "");
    }

    #[test]
    fn history_skips_a_broken_last_line_and_finds_the_last_success() {
        let dir = tempfile::tempdir().unwrap();
        let record = |n: i64, ok: bool| BackupRecord {
            target: "db".into(),
            container: "db-1".into(),
            host: "local".into(),
            started: Timestamp::from_second(n).unwrap(),
            finished: Timestamp::from_second(n + 1).unwrap(),
            exit_code: Some(if ok { 0 } else { 1 }),
            bytes: 1,
            sha256: "00".into(),
            path: format!("/b/{n}.out").into(),
            ok,
        };
        for (n, ok) in [(10, true), (20, true), (30, false)] {
            append_json_line(&history_path(dir.path()), &record(n, ok)).unwrap();
        }
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(history_path(dir.path()))
            .unwrap();
        std::io::Write::write_all(&mut file, b"{\"target\":\"db\",\"cont").unwrap();
        let history = load_history(dir.path());
        assert_eq!(history.len(), 3);
        assert_eq!(last_success(&history, "db"), Some(&record(20, true)));
        assert_eq!(last_success(&history, "other"), None);
        // A line appended after the broken one still starts on its own line.
        append_json_line(&history_path(dir.path()), &record(40, true)).unwrap();
        assert_eq!(load_history(dir.path()).len(), 4);
    }
}
