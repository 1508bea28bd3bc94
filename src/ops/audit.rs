//! The audit log: one JSON line before an operation (its intent) and one after (its
//! outcome), in `<data_dir>/audit.jsonl` (DESIGN.md §6).
//!
//! The file is append-only and private (mode 0600, checked on every open). Each record is
//! written with one `write_all` of a whole line and then `sync_data`, so a crash leaves
//! complete records, and an intent without an outcome says an operation was interrupted.
//! `pilothouse audit` reads it back ([`report`]).

pub mod report;

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The audit log's file name in the data dir.
pub const AUDIT_FILE_NAME: &str = "audit.jsonl";

/// Owner read and write only: the log names people, hosts and what they changed.
const PRIVATE_FILE: u32 = 0o600;
/// Owner only, for the directories pilothouse creates to hold such files.
const PRIVATE_DIR: u32 = 0o700;

/// Which of an operation's two records this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditPhase {
    /// Written before anything is changed.
    Intent,
    /// Written once the operation ended, well or not.
    Outcome,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    #[serde(with = "timestamp_text")]
    pub time: Timestamp,
    pub phase: AuditPhase,
    /// One id per operation, shared by its intent and its outcome ([`operation_id`]).
    pub id: String,
    pub local_user: String,
    pub local_host: String,
    /// Who the far side thinks we are: the kubeconfig user, or the Docker host's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The Kubernetes context or Docker host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// What is changed: `deploy/shop/api`, `ctr/local/shop-postgres-1`.
    pub target: String,
    /// What is done: `scale`, `restart`, `backup`.
    pub operation: String,
    /// The operation's parameters (`{"replicas": 5}`); `null` when it has none.
    #[serde(default)]
    pub parameters: serde_json::Value,
    /// Why, as typed in the strong confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the server-side dry-run said, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<String>,
    /// How it ended, in words (outcome records only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl AuditRecord {
    /// The intent of a new operation by this process's user on this machine, with a fresh
    /// id; the optional fields are left for the caller.
    pub fn intent(
        time: Timestamp,
        target: impl Into<String>,
        operation: impl Into<String>,
        parameters: serde_json::Value,
    ) -> AuditRecord {
        AuditRecord {
            time,
            phase: AuditPhase::Intent,
            id: operation_id(time),
            local_user: local_user(),
            local_host: local_host(),
            identity: None,
            context: None,
            target: target.into(),
            operation: operation.into(),
            parameters,
            reason: None,
            dry_run: None,
            outcome: None,
            ok: None,
            duration_ms: None,
        }
    }

    /// The outcome of this intent's operation: the same id, target and parameters, so
    /// that either record alone says what was done.
    pub fn outcome(&self, time: Timestamp, ok: bool, outcome: impl Into<String>) -> AuditRecord {
        let elapsed = Duration::try_from(time.duration_since(self.time)).unwrap_or_default();
        AuditRecord {
            time,
            phase: AuditPhase::Outcome,
            outcome: Some(outcome.into()),
            ok: Some(ok),
            duration_ms: Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)),
            ..self.clone()
        }
    }
}

/// An id unique to one operation: the time, this process and a counter, so that two
/// operations in the same instant (or from two consoles) never share one.
pub fn operation_id(now: Timestamp) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(
        "{}-{}-{n}",
        now.strftime("%Y%m%dT%H%M%S%.6fZ"),
        std::process::id()
    )
}

/// The audit log, open for appending.
#[derive(Debug)]
pub struct AuditLog {
    file: File,
    path: PathBuf,
}

impl AuditLog {
    /// Open (or create) `<data_dir>/audit.jsonl`, making it private if it is not. A last
    /// line left incomplete by a crash is ended, so the next record starts on its own line.
    pub fn open(data_dir: &Path) -> io::Result<AuditLog> {
        let path = data_dir.join(AUDIT_FILE_NAME);
        let mut file = open_private_append(&path)?;
        if !ends_with_newline(&mut file)? {
            file.write_all(b"\n")?;
            file.sync_data()?;
        }
        Ok(AuditLog { file, path })
    }

    /// Write `record` as one line and wait until it is on disk.
    pub fn append(&mut self, record: &AuditRecord) -> io::Result<()> {
        write_line(&mut self.file, record)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Append `value` as one JSON line to the private file at `path` (created 0600, in a
/// directory created 0700), synced before returning. For the other JSON Lines files in the
/// data dir (the backup history), which follow the audit log's rules.
pub(crate) fn append_json_line(path: &Path, value: &impl Serialize) -> io::Result<()> {
    let mut file = open_private_append(path)?;
    if !ends_with_newline(&mut file)? {
        file.write_all(b"\n")?;
    }
    write_line(&mut file, value)
}

fn write_line(file: &mut File, value: &impl Serialize) -> io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(io::Error::other)?;
    line.push(b'\n');
    // One write of the whole line: O_APPEND places it at the end in one piece.
    file.write_all(&line)?;
    file.sync_data()
}

/// Open `path` for appending, creating it (and its directory) private; a file that
/// others can read is made private first.
fn open_private_append(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(PRIVATE_FILE)
        .open(path)?;
    let metadata = file.metadata()?;
    if metadata.mode() & 0o777 != PRIVATE_FILE {
        file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_FILE))?;
    }
    Ok(file)
}

/// Create `dir` and any missing parents with mode 0700; existing ones are left as they are.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR)
        .create(dir)
}

/// Whether the file is empty or its last byte is a newline.
fn ends_with_newline(file: &mut File) -> io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    // Reading moves the read position only; appends still go to the end.
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// The user running this process: `$USER`, else `$LOGNAME`, else the passwd name of the
/// process's uid, else `uid N`.
pub fn local_user() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Some(name) = std::env::var(var).ok().filter(|v| !v.is_empty()) {
            return name;
        }
    }
    // The owner of /proc/self is the process's (effective) uid; no libc needed.
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) else {
        return "unknown".to_string();
    };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| user_name_of(&passwd, uid))
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// The name of `uid` in the text of an `/etc/passwd`.
fn user_name_of(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let entry_uid: u32 = fields.nth(1)?.parse().ok()?;
        (entry_uid == uid && !name.is_empty()).then(|| name.to_string())
    })
}

/// This machine's name: the kernel's, else what `uname -n` says, else `$HOSTNAME`.
pub fn local_host() -> String {
    let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
    let from_uname = || {
        std::process::Command::new("uname")
            .arg("-n")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    from_kernel
        .or_else(from_uname)
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Which operations to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Operations with a record at or after this time.
    pub since: Option<Timestamp>,
    /// Operations in this Kubernetes context or on this Docker host.
    pub context: Option<String>,
}

impl AuditFilter {
    fn matches(&self, record: &AuditRecord) -> bool {
        self.since.is_none_or(|since| record.time >= since)
            && self
                .context
                .as_deref()
                .is_none_or(|wanted| record.context.as_deref() == Some(wanted))
    }
}

/// `--since`: an age (`30m`, `1h`, `2d`) or an RFC 3339 time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    Ago(Duration),
    At(Timestamp),
}

impl Since {
    /// The time this means, given that it is `now`.
    pub fn resolve(self, now: Timestamp) -> Timestamp {
        match self {
            Since::At(at) => at,
            Since::Ago(age) => jiff::SignedDuration::try_from(age)
                .ok()
                .and_then(|age| now.checked_sub(age).ok())
                .unwrap_or(Timestamp::MIN),
        }
    }
}

impl std::str::FromStr for Since {
    type Err = String;

    fn from_str(text: &str) -> Result<Since, String> {
        if let Ok(at) = text.parse::<Timestamp>() {
            return Ok(Since::At(at));
        }
        super::backup_config::parse_period(text)
            .map(Since::Ago)
            .map_err(|_| {
                format!("`{text}`: write an age (30m, 1h, 2d) or a time (2026-11-22T18:00:00Z)")
            })
    }
}

/// The records of the operations in the log at `path` that `filter` selects, in file
/// order, and the lines that could not be read (`audit.jsonl:17: …`), which are skipped.
///
/// An operation is kept whole: when one of its records matches, so does the other, so an
/// outcome is never shown without its intent only because the intent fell just before
/// `since`.
pub fn read(path: &Path, filter: &AuditFilter) -> io::Result<(Vec<AuditRecord>, Vec<String>)> {
    let bytes = std::fs::read(path)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<AuditRecord>(line) {
            Ok(record) => records.push(record),
            Err(error) => problems.push(format!("{name}:{}: {error}", index + 1)),
        }
    }
    let selected: HashSet<String> = records
        .iter()
        .filter(|r| filter.matches(r))
        .map(|r| r.id.clone())
        .collect();
    records.retain(|r| selected.contains(&r.id));
    Ok((records, problems))
}

/// `Timestamp` as RFC 3339 text in JSON (jiff's own serde support is not enabled).
pub(crate) mod timestamp_text {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(time)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_come_from_passwd_by_uid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nops:x:1000:1000::/home/ops:/bin/sh\n";
        assert_eq!(user_name_of(passwd, 1000).as_deref(), Some("ops"));
        assert_eq!(user_name_of(passwd, 0).as_deref(), Some("root"));
        assert_eq!(user_name_of(passwd, 7), None);
        assert!(!local_host().is_empty() && !local_user().is_empty());
    }

    #[test]
    fn since_takes_ages_and_times() {
        let now: Timestamp = "2026-11-22T12:00:00Z".parse().unwrap();
        let since = |text: &str| text.parse::<Since>().map(|s| s.resolve(now).to_string());
        assert_eq!(since("30m").unwrap(), "2026-11-22T11:30:00Z");
        assert_eq!(since("2d").unwrap(), "2026-11-20T12:00:00Z");
        assert_eq!(
            since("2026-11-01T08:00:00+01:00").unwrap(),
            "2026-11-01T07:00:00Z"
        );
        assert!(since("yesterday").unwrap_err().contains("30m"));
    }

    #[test]
    fn an_outcome_shares_the_intents_id_and_measures_the_duration() {
        let start: Timestamp = "2026-11-22T12:00:00Z".parse().unwrap();
        let intent = AuditRecord::intent(start, "deploy/shop/api", "scale", serde_json::json!({}));
        let end = start + jiff::SignedDuration::from_millis(1500);
        let outcome = intent.outcome(end, true, "scaled 3 → 5");
        assert_eq!(outcome.id, intent.id);
        assert_eq!(outcome.duration_ms, Some(1500));
        assert_eq!(outcome.phase, AuditPhase::Outcome);
        let other = AuditRecord::intent(start, "deploy/shop/api", "scale", serde_json::json!({}));
        assert_ne!(other.id, intent.id, "ids are unique within an instant");
    }
}
