//! The audit log as the operations runner writes it and `pilothouse audit` reads it: two
//! synced records per operation, a private file, a crash's broken line reported and
//! skipped, filters, and the command's two outputs.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use jiff::{SignedDuration, Timestamp};
use pilothouse::ops::audit::{
    self, AUDIT_FILE_NAME, AuditFilter, AuditLog, AuditPhase, AuditRecord,
};
use serde_json::json;

fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

/// An intent as the runner would write it, with fixed names so output can be compared.
fn intent(time: Timestamp, context: &str, target: &str, operation: &str) -> AuditRecord {
    let mut record = AuditRecord::intent(time, target, operation, json!({"replicas": 5}));
    record.local_user = "ops".into();
    record.local_host = "laptop".into();
    record.context = Some(context.into());
    record.identity = Some("admin@prod".into());
    record
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

fn everything() -> AuditFilter {
    AuditFilter::default()
}

#[test]
fn each_operation_is_two_whole_lines_that_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut log = AuditLog::open(&data).expect("open creates the data dir");
    assert_eq!(log.path(), data.join(AUDIT_FILE_NAME));
    let scale = intent(
        at("2026-11-22T12:00:00Z"),
        "prod",
        "deploy/shop/api",
        "scale",
    );
    log.append(&scale).unwrap();
    let scaled = scale.outcome(at("2026-11-22T12:00:02Z"), true, "replicas 3 → 5");
    log.append(&scaled).unwrap();
    let restart = intent(
        at("2026-11-22T12:01:00Z"),
        "prod",
        "ctr/local/db",
        "restart",
    );
    log.append(&restart).unwrap();

    let text = std::fs::read_to_string(log.path()).unwrap();
    assert!(text.ends_with('\n'));
    assert_eq!(text.lines().count(), 3, "one line per record:\n{text}");
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("\"phase\":\"intent\""),
        "{text}"
    );
    let (records, problems) = audit::read(log.path(), &everything()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(records, [scale.clone(), scaled.clone(), restart]);
    assert_eq!(
        records[0].id, records[1].id,
        "intent and outcome share an id"
    );
    assert_ne!(records[0].id, records[2].id);
    assert_eq!(records[1].phase, AuditPhase::Outcome);
    assert_eq!(records[1].duration_ms, Some(2000));
}

#[test]
fn the_file_is_private_when_created_and_made_private_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path()).unwrap();
    assert_eq!(mode(log.path()), 0o600);
    drop(log);

    let other = tempfile::tempdir().unwrap();
    let path = other.path().join(AUDIT_FILE_NAME);
    std::fs::write(&path, "").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(mode(&path), 0o644);
    let mut log = AuditLog::open(other.path()).unwrap();
    assert_eq!(mode(&path), 0o600, "opening fixes a readable log");
    log.append(&intent(Timestamp::now(), "c", "t", "o"))
        .unwrap();
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn a_line_cut_short_by_a_crash_is_reported_and_the_rest_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = AuditLog::open(dir.path()).unwrap();
    let first = intent(
        at("2026-11-22T12:00:00Z"),
        "prod",
        "deploy/shop/api",
        "scale",
    );
    log.append(&first).unwrap();
    log.append(&first.outcome(at("2026-11-22T12:00:01Z"), true, "done"))
        .unwrap();
    drop(log);
    // What a crash in the middle of a write would leave: half a record, no newline.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join(AUDIT_FILE_NAME))
        .unwrap();
    std::io::Write::write_all(&mut file, b"{\"time\":\"2026-11-22T12:02:00Z\",\"pha").unwrap();
    drop(file);

    let path = dir.path().join(AUDIT_FILE_NAME);
    let (records, problems) = audit::read(&path, &everything()).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("audit.jsonl:3: "), "{problems:?}");

    // The next console appends after the broken line, not onto it.
    let mut log = AuditLog::open(dir.path()).unwrap();
    let next = intent(
        at("2026-11-22T12:03:00Z"),
        "prod",
        "deploy/shop/web",
        "restart",
    );
    log.append(&next).unwrap();
    let (records, problems) = audit::read(&path, &everything()).unwrap();
    assert_eq!(records.last(), Some(&next));
    assert_eq!(records.len(), 3);
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn filters_select_whole_operations_by_time_and_context() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = AuditLog::open(dir.path()).unwrap();
    let early = intent(at("2026-11-22T10:00:00Z"), "prod", "deploy/a", "scale");
    let late = intent(at("2026-11-22T12:30:00Z"), "staging", "deploy/b", "scale");
    // Straddles the `since` below: its intent is before, its outcome after.
    let straddling = intent(at("2026-11-22T11:59:59Z"), "prod", "deploy/c", "restart");
    for record in [
        early.clone(),
        early.outcome(at("2026-11-22T10:00:01Z"), true, "ok"),
        straddling.clone(),
        straddling.outcome(at("2026-11-22T12:00:01Z"), false, "timed out"),
        late.clone(),
    ] {
        log.append(&record).unwrap();
    }
    let ids = |filter: AuditFilter| {
        let (records, _) = audit::read(log.path(), &filter).unwrap();
        records
            .iter()
            .map(|r| (r.target.clone(), r.phase))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(AuditFilter {
            since: Some(at("2026-11-22T12:00:00Z")),
            context: None,
        }),
        [
            ("deploy/c".to_string(), AuditPhase::Intent),
            ("deploy/c".to_string(), AuditPhase::Outcome),
            ("deploy/b".to_string(), AuditPhase::Intent),
        ]
    );
    assert_eq!(
        ids(AuditFilter {
            since: None,
            context: Some("prod".into()),
        })
        .len(),
        4
    );
    assert_eq!(
        ids(AuditFilter {
            since: Some(at("2026-11-22T12:00:00Z")),
            context: Some("staging".into()),
        }),
        [("deploy/b".to_string(), AuditPhase::Intent)]
    );
}

// ---------------------------------------------------------------------------------------
// `pilothouse audit`
// ---------------------------------------------------------------------------------------

fn pilothouse_audit(data: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pilothouse"))
        .arg("audit")
        .args(args)
        .env("PILOTHOUSE_DATA", data)
        .env("PILOTHOUSE_CONFIG", data.join("no-config"))
        .output()
        .expect("run pilothouse audit");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A log with a finished scale an hour and a half ago, an interrupted restart a minute
/// ago, and a broken last line.
fn recent_log(data: &Path) -> (AuditRecord, AuditRecord) {
    let now = Timestamp::now();
    let mut log = AuditLog::open(data).unwrap();
    let mut scale = intent(
        now - SignedDuration::from_mins(90),
        "prod",
        "deploy/shop/api",
        "scale",
    );
    scale.reason = Some("black friday".into());
    let scaled = scale.outcome(
        scale.time + SignedDuration::from_millis(1500),
        true,
        "replicas 3 → 5",
    );
    let restart = intent(
        now - SignedDuration::from_mins(1),
        "staging",
        "deploy/shop/web",
        "restart",
    );
    for record in [&scale, &scaled, &restart] {
        log.append(record).unwrap();
    }
    (scale, restart)
}

#[test]
fn the_command_pairs_intents_with_outcomes_and_flags_the_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let (scale, restart) = recent_log(dir.path());
    let (ok, out, err) = pilothouse_audit(dir.path(), &[]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "one line per operation:\n{out}");
    let time = |r: &AuditRecord| r.time.strftime("%Y-%m-%d %H:%M:%SZ").to_string();
    assert_eq!(
        lines[0],
        format!(
            "{}  ops@laptop  prod  scale deploy/shop/api  replicas=5  ok: replicas 3 → 5  \
             1.5s  reason: \"black friday\"",
            time(&scale)
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "{}  ops@laptop  staging  restart deploy/shop/web  replicas=5  NO OUTCOME — interrupted?",
            time(&restart)
        )
    );

    let (ok, out, _) = pilothouse_audit(dir.path(), &["--since", "1h"]);
    assert!(ok);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("deploy/shop/web"), "{out}");
    let (_, out, _) = pilothouse_audit(dir.path(), &["--context", "prod"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("deploy/shop/api"), "{out}");
    let since = (Timestamp::now() - SignedDuration::from_hours(2)).to_string();
    let (_, out, _) = pilothouse_audit(dir.path(), &["--since", &since]);
    assert_eq!(out.lines().count(), 2, "{out}");
}

#[test]
fn the_command_prints_json_lines_and_reports_broken_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (scale, restart) = recent_log(dir.path());
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join(AUDIT_FILE_NAME))
        .unwrap();
    std::io::Write::write_all(&mut file, b"{\"broken\":").unwrap();
    let (ok, out, err) = pilothouse_audit(dir.path(), &["--json"]);
    assert!(ok, "{err}");
    let records: Vec<AuditRecord> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is a record"))
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0], scale);
    assert_eq!(records[2], restart);
    assert!(err.contains("audit.jsonl:4: "), "{err}");
}

#[test]
fn the_command_says_when_nothing_was_recorded_and_refuses_a_bad_since() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = pilothouse_audit(dir.path(), &[]);
    assert!(ok);
    assert!(out.is_empty());
    assert!(err.contains("no operations recorded yet"), "{err}");
    let (ok, _, err) = pilothouse_audit(dir.path(), &["--since", "yesterday"]);
    assert!(!ok);
    assert!(err.contains("30m"), "{err}");
}
