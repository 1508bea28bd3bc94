//! `pilothouse incident list` and `pilothouse incident export ID [--out FILE]`.

use std::io::{self, Write};
use std::path::Path;

use jiff::Timestamp;

use super::audit_merge::merge_audit;
use super::files::{self, LoadError, incidents_dir};
use super::postmortem::{duration_text, render_markdown};
use crate::ops::audit::{self, AUDIT_FILE_NAME, AuditFilter};

/// Print one line per incident to `out`, oldest first; files that could not be read are
/// named on `err` and skipped. Title last: it is the one column of any length.
pub fn print_list(
    data_dir: &Path,
    now: Timestamp,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<bool> {
    let (incidents, problems) = files::list(data_dir)?;
    for problem in &problems {
        writeln!(err, "skipped {problem}")?;
    }
    if incidents.is_empty() {
        writeln!(err, "no incidents in {}", incidents_dir(data_dir).display())?;
        return Ok(true);
    }
    let id_width = incidents
        .iter()
        .map(|i| i.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    writeln!(
        out,
        "{:id_width$}  SEV  {:9}  {:17}  {:8}  TITLE",
        "ID", "STATUS", "DECLARED", "DURATION"
    )?;
    for incident in &incidents {
        writeln!(
            out,
            "{:id_width$}  {:3}  {:9}  {:17}  {:8}  {}",
            incident.id,
            incident.severity.label(),
            incident.status.label(),
            incident.declared_at.strftime("%Y-%m-%d %H:%MZ").to_string(),
            duration_text(incident.duration(now)),
            incident.title.replace(['\n', '\r'], " ")
        )?;
    }
    Ok(true)
}

/// Write the postmortem of incident `id` to `out_file`, or to `out` without one. The
/// audit log is merged in first (in memory only: exporting changes nothing on disk), so
/// an operation the console had no time to record before it stopped is not missing.
/// `Ok(false)` with a message on `err` when there is no such incident.
pub fn export(
    data_dir: &Path,
    id: &str,
    out_file: Option<&Path>,
    now: Timestamp,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<bool> {
    let mut incident = match files::load(data_dir, id) {
        Ok(incident) => incident,
        Err(error @ (LoadError::NotFound { .. } | LoadError::BadId(_))) => {
            writeln!(
                err,
                "pilothouse: {error}; `pilothouse incident list` shows them"
            )?;
            return Ok(false);
        }
        Err(error) => {
            writeln!(err, "pilothouse: {error}")?;
            return Ok(false);
        }
    };
    match audit::read(&data_dir.join(AUDIT_FILE_NAME), &AuditFilter::default()) {
        Ok((records, _)) => {
            merge_audit(&mut incident, &records);
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => writeln!(err, "audit log not merged: {error}")?,
    }
    let markdown = render_markdown(&incident, now);
    match out_file {
        Some(path) => {
            std::fs::write(path, markdown)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            writeln!(err, "wrote {}", path.display())?;
        }
        None => out.write_all(markdown.as_bytes())?,
    }
    Ok(true)
}
