//! `pilothouse audit`: the audit log as one line per operation, its intent and outcome
//! paired by id, or the records themselves as JSON Lines (`--json`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use super::{AUDIT_FILE_NAME, AuditFilter, AuditPhase, AuditRecord, read};

/// What an intent without an outcome says: the console stopped before the operation
/// ended (a crash, a kill, a lost terminal), so whether it happened must be checked.
pub const NO_OUTCOME: &str = "NO OUTCOME — interrupted?";

/// Print the operations in `<data_dir>/audit.jsonl` that `filter` selects to `out`, and
/// unreadable lines to `err`. A missing log is no error: nothing was done yet.
pub fn print_report(
    data_dir: &Path,
    filter: &AuditFilter,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<bool> {
    let path = data_dir.join(AUDIT_FILE_NAME);
    let (records, problems) = match read(&path, filter) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            writeln!(
                err,
                "no operations recorded yet ({} does not exist)",
                path.display()
            )?;
            return Ok(true);
        }
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    };
    for problem in &problems {
        writeln!(err, "skipped {problem}")?;
    }
    if json {
        for record in &records {
            let line = serde_json::to_string(record).map_err(io::Error::other)?;
            writeln!(out, "{line}")?;
        }
    } else {
        out.write_all(render_operations(&records).as_bytes())?;
    }
    Ok(true)
}

/// One line per operation, in the order they started.
pub fn render_operations(records: &[AuditRecord]) -> String {
    let mut outcomes: HashMap<&str, &AuditRecord> = HashMap::new();
    for record in records.iter().filter(|r| r.phase == AuditPhase::Outcome) {
        outcomes.insert(&record.id, record);
    }
    let mut text = String::new();
    let mut shown: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for record in records {
        if !shown.insert(&record.id) {
            continue;
        }
        let outcome = outcomes.get(record.id.as_str()).copied();
        let intent = (record.phase == AuditPhase::Intent).then_some(record);
        text.push_str(&render_operation(intent, outcome));
        text.push('\n');
    }
    text
}

/// `time  user@host  context  operation target  parameters  outcome  duration  reason: …`
fn render_operation(intent: Option<&AuditRecord>, outcome: Option<&AuditRecord>) -> String {
    // An outcome alone (its intent lost, or cut off by a filter) still says what was done.
    let Some(first) = intent.or(outcome) else {
        return String::new();
    };
    let mut line = format!(
        "{}  {}@{}  {}  {} {}",
        first.time.strftime("%Y-%m-%d %H:%M:%SZ"),
        first.local_user,
        first.local_host,
        first
            .context
            .as_deref()
            .or(first.identity.as_deref())
            .unwrap_or("-"),
        first.operation,
        first.target,
    );
    let parameters = render_parameters(&first.parameters);
    if !parameters.is_empty() {
        let _ = write!(line, "  {parameters}");
    }
    match outcome {
        None => {
            let _ = write!(line, "  {NO_OUTCOME}");
        }
        Some(outcome) => {
            let verdict = match outcome.ok {
                Some(true) => "ok",
                Some(false) => "FAILED",
                None => "ended",
            };
            let _ = write!(line, "  {verdict}");
            if let Some(said) = outcome.outcome.as_deref().filter(|s| !s.is_empty()) {
                let _ = write!(line, ": {said}");
            }
            if let Some(ms) = outcome.duration_ms {
                let _ = write!(line, "  {}", render_duration(ms));
            }
            if intent.is_none() {
                line.push_str("  (no intent recorded)");
            }
        }
    }
    if let Some(reason) = first.reason.as_deref().filter(|r| !r.is_empty()) {
        let _ = write!(line, "  reason: {reason:?}");
    }
    line
}

/// `replicas=5 image=api:1.2`: an object's keys and values, strings without quotes
/// unless they hold spaces; anything else as compact JSON.
fn render_parameters(parameters: &serde_json::Value) -> String {
    match parameters {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(key, value)| match value {
                serde_json::Value::String(s)
                    if !s.is_empty() && !s.contains(char::is_whitespace) =>
                {
                    format!("{key}={s}")
                }
                other => format!("{key}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

/// `850ms`, `12.3s`, `4m05s`.
fn render_duration(ms: u64) -> String {
    match ms {
        0..1000 => format!("{ms}ms"),
        1000..60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        _ => format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn intent() -> AuditRecord {
        let mut record = AuditRecord::intent(
            "2026-11-22T12:00:00Z".parse::<Timestamp>().unwrap(),
            "deploy/shop/api",
            "scale",
            serde_json::json!({"replicas": 5, "note": "two words"}),
        );
        record.local_user = "ops".into();
        record.local_host = "laptop".into();
        record.context = Some("prod-eu".into());
        record.reason = Some("black friday".into());
        record
    }

    #[test]
    fn an_operation_is_one_line_with_its_outcome() {
        let intent = intent();
        let outcome = intent.outcome(
            "2026-11-22T12:00:01.5Z".parse().unwrap(),
            true,
            "replicas 3 → 5",
        );
        assert_eq!(
            render_operations(&[intent, outcome]),
            "2026-11-22 12:00:00Z  ops@laptop  prod-eu  scale deploy/shop/api  \
             note=\"two words\" replicas=5  ok: replicas 3 → 5  1.5s  reason: \"black friday\"\n"
        );
    }

    #[test]
    fn an_intent_alone_says_it_was_interrupted() {
        let text = render_operations(&[intent()]);
        assert!(text.contains(NO_OUTCOME), "{text}");
        let mut failed =
            intent().outcome("2026-11-22T12:05:00Z".parse().unwrap(), false, "timed out");
        failed.reason = None;
        let text = render_operations(&[failed]);
        assert!(
            text.contains("FAILED: timed out  5m00s  (no intent recorded)"),
            "{text}"
        );
    }

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(render_duration(850), "850ms");
        assert_eq!(render_duration(12_345), "12.3s");
        assert_eq!(render_duration(245_000), "4m05s");
    }
}
