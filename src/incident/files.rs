//! Incidents on disk: `<data_dir>/incidents/<id>.json`, one file per incident, replaced
//! whole after every change.
//!
//! A write goes to a temporary file in the same directory (`.<id>.json.<pid>.tmp`), is
//! synced, renamed over the old file, and the directory is synced: a crash at any moment
//! leaves either the old state or the new one, never half of either. A temporary file
//! left behind by such a crash is not `*.json` and is ignored. The files are private
//! (0600 in a 0700 directory): they name people and hosts, like the audit log.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use super::model::{FORMAT_VERSION, Incident, Status, is_valid_id};
use super::severity::Severity;
use crate::ops::audit::create_private_dir;

/// The directory in the data dir that holds the incidents.
pub const INCIDENTS_DIR: &str = "incidents";

const PRIVATE_FILE: u32 = 0o600;
const PRIVATE_DIR: u32 = 0o700;

/// Why an incident could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("`{0}` is not an incident id (INC-20261123-0312-ab12)")]
    BadId(String),
    #[error("no incident {id} in {}", dir.display())]
    NotFound { id: String, dir: PathBuf },
    #[error("{}: {error}", path.display())]
    Broken { path: PathBuf, error: String },
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: io::Error },
}

/// `<data_dir>/incidents`.
pub fn incidents_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(INCIDENTS_DIR)
}

/// `<data_dir>/incidents/<id>.json`.
pub fn incident_path(data_dir: &Path, id: &str) -> PathBuf {
    incidents_dir(data_dir).join(format!("{id}.json"))
}

/// Write the incident, replacing its file atomically; returns the file's path.
pub fn save(data_dir: &Path, incident: &Incident) -> io::Result<PathBuf> {
    if !is_valid_id(&incident.id) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{}` is not an incident id", incident.id),
        ));
    }
    let dir = incidents_dir(data_dir);
    create_private_dir(&dir)?;
    if std::fs::metadata(&dir)?.mode() & 0o777 != PRIVATE_DIR {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(PRIVATE_DIR))?;
    }
    let mut json = serde_json::to_vec_pretty(incident).map_err(io::Error::other)?;
    json.push(b'\n');
    let path = incident_path(data_dir, &incident.id);
    // Per process, so two consoles saving the same incident never write one temp file.
    let tmp = dir.join(format!(".{}.json.{}.tmp", incident.id, std::process::id()));
    let written = write_synced(&tmp, &json).and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(error);
    }
    // The rename is durable only once the directory entry is on disk.
    File::open(&dir)?.sync_all()?;
    Ok(path)
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(PRIVATE_FILE)
        .open(path)?;
    // A leftover temp file keeps its old mode through `open`; make it private again.
    if file.metadata()?.mode() & 0o777 != PRIVATE_FILE {
        file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_FILE))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

/// Read the incident `id`.
pub fn load(data_dir: &Path, id: &str) -> Result<Incident, LoadError> {
    if !is_valid_id(id) {
        return Err(LoadError::BadId(id.to_string()));
    }
    let path = incident_path(data_dir, id);
    match std::fs::read(&path) {
        Ok(bytes) => parse(&path, &bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Err(LoadError::NotFound {
            id: id.to_string(),
            dir: incidents_dir(data_dir),
        }),
        Err(error) => Err(LoadError::Io { path, error }),
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Incident, LoadError> {
    let broken = |error: String| LoadError::Broken {
        path: path.to_path_buf(),
        error,
    };
    let incident: Incident = serde_json::from_slice(bytes).map_err(|e| broken(e.to_string()))?;
    if incident.format > FORMAT_VERSION {
        return Err(broken(format!(
            "written in format {} by a newer pilothouse (this one reads up to {FORMAT_VERSION})",
            incident.format
        )));
    }
    Ok(incident)
}

/// One line of `pilothouse incident list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentSummary {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub declared_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}

impl IncidentSummary {
    pub fn of(incident: &Incident) -> IncidentSummary {
        IncidentSummary {
            id: incident.id.clone(),
            title: incident.title.clone(),
            severity: incident.severity,
            status: incident.status,
            declared_at: incident.declared_at,
            resolved_at: incident.resolved_at,
        }
    }

    /// From declaration to resolution, or to `now` while not resolved.
    pub fn duration(&self, now: Timestamp) -> SignedDuration {
        self.resolved_at
            .unwrap_or(now)
            .duration_since(self.declared_at)
    }
}

/// Every incident in the data dir, oldest first (ids sort by declaration), and the files
/// that could not be read (`INC-….json: expected value at line 1 column 1`), which are
/// skipped. No incidents directory is no incidents.
pub fn list(data_dir: &Path) -> io::Result<(Vec<IncidentSummary>, Vec<String>)> {
    let dir = incidents_dir(data_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Ok((Vec::new(), Vec::new()));
        }
        Err(error) => {
            return Err(io::Error::new(
                error.kind(),
                format!("{}: {error}", dir.display()),
            ));
        }
    };
    let mut summaries = Vec::new();
    let mut problems = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Temp files start with a dot and end in `.tmp`; only finished files count.
        if name.starts_with('.') || path.extension().is_none_or(|ext| ext != "json") {
            continue;
        }
        let read = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| parse(&path, &bytes).map_err(broken_reason));
        match read {
            Ok(incident) => summaries.push(IncidentSummary::of(&incident)),
            Err(error) => problems.push(format!("{name}: {error}")),
        }
    }
    summaries.sort_by(|a, b| (a.declared_at, &a.id).cmp(&(b.declared_at, &b.id)));
    problems.sort();
    Ok((summaries, problems))
}

/// The reason alone, since the caller names the file itself.
fn broken_reason(error: LoadError) -> String {
    match error {
        LoadError::Broken { error, .. } => error,
        other => other.to_string(),
    }
}
