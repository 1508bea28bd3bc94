//! Incidents (issue 8, without the UI): the file round-trips and is replaced atomically,
//! a dropped console resumes from disk, alerts and audited operations reach the timeline
//! once and in order, the postmortem has every section, and `pilothouse incident` lists
//! and exports from the data dir.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use jiff::{SignedDuration, Timestamp};
use pilothouse::incident::{
    self, EntryKind, Incident, Severity, Status, StepStatus, TimelineFilter, attach_runbook,
    link_operation, merge_audit, observe_alerts, record_answer, record_check, record_note,
    record_severity, record_status, record_step, render_markdown,
};
use pilothouse::model::{Alert, AlertId, AlertState};
use pilothouse::ops::audit::{AUDIT_FILE_NAME, AuditLog, AuditRecord};
use serde_json::json;

/// The incident-db scenario's clock: the database fails a minute in.
fn t(offset_secs: i64) -> Timestamp {
    let start: Timestamp = "2026-11-23T03:10:00Z".parse().expect("time");
    start + SignedDuration::from_secs(offset_secs)
}

fn alert(fingerprint: &str, labels: &[(&str, &str)], summary: &str, starts: i64) -> Alert {
    Alert {
        id: AlertId {
            source: "am".into(),
            fingerprint: fingerprint.into(),
        },
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        annotations: BTreeMap::from([("summary".to_string(), summary.to_string())]),
        state: AlertState::Firing,
        starts_at: Some(t(starts)),
        silenced_by: Vec::new(),
    }
}

/// The alerts of the incident-db scenario.
fn high_error_rate() -> Alert {
    alert(
        "f-err",
        &[
            ("alertname", "HighErrorRate"),
            ("severity", "critical"),
            ("namespace", "shop"),
            ("service", "api"),
            ("instance", "shop-app-1"),
        ],
        "错误率过高",
        120,
    )
}

fn crash_looping() -> Alert {
    alert(
        "f-crash",
        &[
            ("alertname", "KubePodCrashLooping"),
            ("severity", "warning"),
            ("namespace", "shop"),
            ("pod", "postgres-0"),
            ("job", "kube-state-metrics"),
        ],
        "Pod is crash looping.",
        75,
    )
}

fn unrelated_alerts() -> Vec<Alert> {
    vec![
        alert(
            "f-mem",
            &[
                ("alertname", "HighMemoryUsage"),
                ("severity", "warning"),
                ("instance", "shop-docker-01"),
                ("container", "shop-db-1"),
                ("job", "cadvisor"),
            ],
            "内存使用率过高",
            40,
        ),
        alert(
            "f-dog",
            &[("alertname", "Watchdog"), ("severity", "none")],
            "",
            -3 * 86_400,
        ),
        alert(
            "f-node",
            &[
                ("alertname", "KubeNodeNotReady"),
                ("severity", "warning"),
                ("node", "prod-node-2"),
                ("job", "kube-state-metrics"),
            ],
            "Node is not ready.",
            300,
        ),
    ]
}

/// A P1 declared three minutes in from HighErrorRate, led by `ops`.
fn declared() -> Incident {
    let alert = high_error_rate();
    Incident::declare(
        incident::title_from_alert(&alert),
        Severity::P1,
        Some("ops".into()),
        Some(&alert),
        t(180),
    )
}

/// An operation's intent and outcome as the runner writes them.
fn operation(
    start: i64,
    end: Option<i64>,
    target: &str,
    verb: &str,
    ok: bool,
    outcome: &str,
) -> Vec<AuditRecord> {
    let mut intent = AuditRecord::intent(t(start), target, verb, json!({}));
    intent.local_user = "ops".into();
    intent.local_host = "laptop".into();
    intent.reason = Some(format!("incident: {verb}"));
    let mut records = vec![intent.clone()];
    if let Some(end) = end {
        records.push(intent.outcome(t(end), ok, outcome));
    }
    records
}

struct Audit {
    records: Vec<AuditRecord>,
    /// The audit id of the cordon, linked to the incident by a runbook step.
    linked: String,
}

/// Operations around the incident: some belong to it, some do not.
fn audit() -> Audit {
    let mut records = Vec::new();
    // Before the declaration: not the incident's, though in scope.
    records.extend(operation(
        100,
        Some(110),
        "sim-prod/shop/deploy/api",
        "scale",
        true,
        "3 → 5",
    ));
    // In scope by namespace: the database behind the api.
    records.extend(operation(
        240,
        Some(300),
        "sim-prod/shop/sts/postgres",
        "restart",
        true,
        "rolled out 2/2",
    ));
    // Out of scope: another cluster's namespace.
    records.extend(operation(
        260,
        Some(262),
        "sim-staging/other/pod/x",
        "delete",
        true,
        "deleted",
    ));
    // Out of scope but linked by a runbook step.
    let cordon = operation(
        420,
        Some(421),
        "sim-prod/node/prod-node-2",
        "cordon",
        false,
        "forbidden: nodes is forbidden",
    );
    let linked = cordon[0].id.clone();
    records.extend(cordon);
    // Started before resolution, ended after it: the outcome follows.
    records.extend(operation(
        540,
        Some(660),
        "sim-prod/shop/deploy/api",
        "rollback",
        true,
        "rolled back to revision 2",
    ));
    // Interrupted: an intent with no outcome.
    records.extend(operation(
        560,
        None,
        "shop-docker-01/ctr/shop-app-1",
        "restart",
        true,
        "",
    ));
    // After the resolution: not the incident's.
    records.extend(operation(
        720,
        Some(730),
        "sim-prod/shop/deploy/api",
        "scale",
        true,
        "5 → 3",
    ));
    Audit { records, linked }
}

/// The incident walked through a runbook, with alerts, operations and notes, resolved at
/// ten minutes.
fn walked() -> (Incident, Audit) {
    let mut inc = declared();
    let mut alerts = vec![high_error_rate(), crash_looping()];
    alerts.extend(unrelated_alerts());
    observe_alerts(&mut inc, &alerts, t(190));
    let steps = ["check-health", "failover", "notify", "decide", "record"].map(String::from);
    attach_runbook(
        &mut inc,
        "database-failure",
        "Database failure",
        steps,
        "ops",
        t(200),
    )
    .expect("attach");
    record_step(
        &mut inc,
        "database-failure",
        "check-health",
        StepStatus::InProgress,
        "ops",
        t(205),
    )
    .expect("step");
    record_check(
        &mut inc,
        "database-failure",
        "check-health",
        "primary reachable",
        true,
    )
    .expect("tick");
    record_step(
        &mut inc,
        "database-failure",
        "check-health",
        StepStatus::Done,
        "ops",
        t(230),
    )
    .expect("step");
    record_note(
        &mut inc,
        "postgres-0 PANICs on start\nWAL looks corrupt",
        "ops",
        t(235),
    );
    record_step(
        &mut inc,
        "database-failure",
        "failover",
        StepStatus::Done,
        "ops",
        t(310),
    )
    .expect("step");
    let failed = StepStatus::Failed {
        reason: "no standby in staging".into(),
    };
    record_step(
        &mut inc,
        "database-failure",
        "notify",
        failed,
        "ops",
        t(320),
    )
    .expect("step");
    record_answer(
        &mut inc,
        "database-failure",
        "decide",
        "roll back the api",
        "ops",
        t(500),
    )
    .expect("answer");
    let skipped = StepStatus::Skipped {
        reason: "written in the postmortem".into(),
    };
    record_step(
        &mut inc,
        "database-failure",
        "record",
        skipped,
        "ops",
        t(590),
    )
    .expect("step");
    record_severity(&mut inc, Severity::P2, "ops", t(400));
    let audit = audit();
    link_operation(&mut inc, &audit.linked);
    // The console merges the log as it grows: here, what was written by 500 s.
    merge_audit(&mut inc, audit.records.iter().filter(|r| r.time <= t(500)));
    // HighErrorRate resolves at twelve minutes in the scenario; here the crash loop ends
    // first and the incident is resolved at ten.
    observe_alerts(&mut inc, &[high_error_rate()], t(580));
    record_status(&mut inc, Status::Mitigated, "ops", t(585));
    record_note(&mut inc, "api rolled back | errors down", "ops", t(595));
    record_status(&mut inc, Status::Resolved, "ops", t(600));
    // The rollback's outcome arrives after the resolution: merging again adds only it.
    merge_audit(&mut inc, &audit.records);
    (inc, audit)
}

fn kinds(inc: &Incident) -> Vec<EntryKind> {
    inc.timeline.iter().map(|e| e.kind).collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_json_round_trips_with_rfc3339_times() {
    let (inc, _) = walked();
    let text = serde_json::to_string_pretty(&inc).expect("serialise");
    let back: Incident = serde_json::from_str(&text).expect("deserialise");
    assert_eq!(back, inc);
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(value["declared_at"], "2026-11-23T03:13:00Z");
    assert_eq!(value["resolved_at"], "2026-11-23T03:20:00Z");
    assert_eq!(value["severity"], "P2");
    assert_eq!(value["status"], "resolved");
    let steps = &value["runbooks"][0]["steps"];
    assert_eq!(steps[2]["status"], "failed");
    assert_eq!(steps[2]["reason"], "no standby in staging");

    let dir = tempfile::tempdir().expect("tempdir");
    let path = incident::save(dir.path(), &inc).expect("save");
    assert_eq!(
        path,
        dir.path()
            .join("incidents")
            .join(format!("{}.json", inc.id))
    );
    assert_eq!(incident::load(dir.path(), &inc.id).expect("load"), inc);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().expect("dir")), 0o700);
}

#[test]
fn a_write_leaves_the_old_file_or_the_new_one_and_stale_temp_files_are_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut inc = declared();
    let path = incident::save(dir.path(), &inc).expect("save");
    let old = std::fs::read(&path).expect("read");

    // A crash mid-write leaves a torn temp file beside the complete old one.
    let incidents = path.parent().expect("dir");
    let torn = &old[..old.len() / 2];
    std::fs::write(incidents.join(format!(".{}.json.4242.tmp", inc.id)), torn).expect("torn");
    std::fs::write(incidents.join(format!("{}.json.tmp", inc.id)), torn).expect("torn");
    assert_eq!(incident::load(dir.path(), &inc.id).expect("old state"), inc);
    let (listed, problems) = incident::list(dir.path()).expect("list");
    assert_eq!(listed.len(), 1, "temp files are not incidents");
    assert!(problems.is_empty(), "{problems:?}");

    // The next save replaces the file whole and leaves no temp file of its own.
    record_note(&mut inc, "second write", "ops", t(200));
    incident::save(dir.path(), &inc).expect("save again");
    assert_eq!(incident::load(dir.path(), &inc.id).expect("new state"), inc);
    let own_tmp = incidents.join(format!(".{}.json.{}.tmp", inc.id, std::process::id()));
    assert!(!own_tmp.exists());
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn a_console_dropped_mid_runbook_resumes_with_identical_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut inc = declared();
    let id = inc.id.clone();
    // The console saves after every change, as the module asks.
    let steps = ["check-health", "failover"].map(String::from);
    attach_runbook(
        &mut inc,
        "database-failure",
        "Database failure",
        steps,
        "ops",
        t(200),
    )
    .expect("attach");
    incident::save(dir.path(), &inc).expect("save");
    record_step(
        &mut inc,
        "database-failure",
        "check-health",
        StepStatus::InProgress,
        "ops",
        t(205),
    )
    .expect("step");
    incident::save(dir.path(), &inc).expect("save");
    record_check(
        &mut inc,
        "database-failure",
        "check-health",
        "primary reachable",
        true,
    )
    .expect("tick");
    incident::save(dir.path(), &inc).expect("save");
    let at_kill = inc.clone();
    drop(inc); // the kill: nothing but the file survives

    let mut resumed = incident::load(dir.path(), &id).expect("resume");
    assert_eq!(resumed, at_kill);
    let step = resumed.runbook("database-failure").expect("runbook").steps[0].clone();
    assert_eq!(step.status, StepStatus::InProgress);
    assert!(step.ticked.contains("primary reachable"));
    // …and carries on where it was.
    record_step(
        &mut resumed,
        "database-failure",
        "check-health",
        StepStatus::Done,
        "ops",
        t(230),
    )
    .expect("step");
    incident::save(dir.path(), &resumed).expect("save");
    assert_eq!(incident::load(dir.path(), &id).expect("load"), resumed);
}

#[test]
fn operations_in_time_and_scope_or_linked_are_merged_once_in_order() {
    let (inc, audit) = walked();
    let ops: Vec<(&str, &str, Option<bool>)> = inc
        .operations
        .iter()
        .map(|op| (op.operation.as_str(), op.target.as_str(), op.ok))
        .collect();
    assert_eq!(
        ops,
        [
            ("restart", "sim-prod/shop/sts/postgres", Some(true)),
            ("cordon", "sim-prod/node/prod-node-2", Some(false)),
            ("rollback", "sim-prod/shop/deploy/api", Some(true)),
            ("restart", "shop-docker-01/ctr/shop-app-1", None),
        ]
    );
    let operation_entries = |inc: &Incident| {
        inc.timeline
            .iter()
            .filter(|e| e.kind == EntryKind::Operation)
            .map(|e| e.text.clone())
            .collect::<Vec<_>>()
    };
    let texts = operation_entries(&inc);
    assert_eq!(texts.len(), 7, "{texts:#?}");
    assert!(texts[1].contains("restart sim-prod/shop/sts/postgres: succeeded — rolled out 2/2"));
    assert!(
        texts.last().unwrap().contains("rolled back to revision 2"),
        "{texts:#?}"
    );

    // Merging again, or the same records in another order, changes nothing.
    let mut again = inc.clone();
    assert_eq!(merge_audit(&mut again, &audit.records), 0);
    let reversed: Vec<&AuditRecord> = audit.records.iter().rev().collect();
    assert_eq!(merge_audit(&mut again, reversed), 0);
    assert_eq!(again, inc);

    // The timeline is in time order whatever order things were recorded in.
    let times: Vec<Timestamp> = inc.timeline.iter().map(|e| e.at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[test]
fn alerts_in_scope_fire_and_resolve_once() {
    let mut inc = declared();
    let firing = || {
        let mut all = vec![high_error_rate(), crash_looping()];
        all.extend(unrelated_alerts());
        all
    };
    assert!(observe_alerts(&mut inc, &firing(), t(190)));
    assert!(!observe_alerts(&mut inc, &firing(), t(200)), "nothing new");
    let seen: Vec<&str> = inc
        .seen_alerts
        .values()
        .map(|s| s.alertname.as_str())
        .collect();
    assert_eq!(
        seen,
        ["KubePodCrashLooping", "HighErrorRate"],
        "by key: am/f-crash, am/f-err"
    );
    assert_eq!(
        kinds(&inc),
        [
            EntryKind::AlertFiring,
            EntryKind::AlertFiring,
            EntryKind::Declared
        ],
        "the alerts fired before the declaration, at their own start times"
    );

    // The crash loop ends: resolved once.
    let only_errors = [high_error_rate()];
    assert!(observe_alerts(&mut inc, &only_errors, t(400)));
    assert!(!observe_alerts(&mut inc, &only_errors, t(410)));
    let resolved = TimelineFilter {
        kinds: vec![EntryKind::AlertResolved],
        text: None,
    };
    let entries = incident::timeline(&inc, &resolved);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].text, "KubePodCrashLooping resolved");
    assert_eq!(entries[0].at, t(400));

    // It comes back: a new firing entry, after its resolution.
    let mut back = crash_looping();
    back.starts_at = Some(t(450));
    assert!(observe_alerts(
        &mut inc,
        &[high_error_rate(), back.clone()],
        t(460)
    ));
    assert!(!observe_alerts(
        &mut inc,
        &[high_error_rate(), back],
        t(470)
    ));
    let firing_entries = TimelineFilter {
        kinds: vec![EntryKind::AlertFiring],
        text: Some("crash".into()),
    };
    let crash: Vec<Timestamp> = incident::timeline(&inc, &firing_entries)
        .iter()
        .map(|e| e.at)
        .collect();
    assert_eq!(crash, [t(75), t(450)]);

    // A resolved incident watches no more.
    record_status(&mut inc, Status::Resolved, "ops", t(600));
    assert!(!observe_alerts(&mut inc, &[], t(610)));
}

#[test]
fn the_postmortem_has_every_section_in_order_with_outcomes() {
    let (inc, _) = walked();
    let md = render_markdown(&inc, t(3600));
    let mut from = 0;
    for section in incident::postmortem::SECTIONS {
        let heading = format!("\n## {section}\n");
        let at = md[from..]
            .find(&heading)
            .unwrap_or_else(|| panic!("`{section}` missing or out of order:\n{md}"));
        from += at + heading.len();
    }
    assert!(
        md.trim_end()
            .ends_with("<!-- action · owner · due date -->"),
        "follow-ups empty"
    );
    assert!(
        md.starts_with("# Postmortem: HighErrorRate: 错误率过高\n"),
        "{md}"
    );
    assert!(md.contains("**P2** — part of the system down"), "{md}");
    assert!(
        md.contains("7m 00s: 2026-11-23 03:13:00Z → 2026-11-23 03:20:00Z"),
        "{md}"
    );
    assert!(md.contains("`namespace=shop`, `service=api`"), "{md}");
    // Actions with their outcomes, the failed and the interrupted included.
    for outcome in [
        "succeeded: rolled out 2/2 (1m 00s)",
        "failed: forbidden: nodes is forbidden",
        "succeeded: rolled back to revision 2",
        "NO OUTCOME",
    ] {
        assert!(md.contains(outcome), "{outcome}:\n{md}");
    }
    // Runbook progress with reasons, ticks and answers.
    assert!(md.contains("### database-failure — Database failure (3/5 steps done or skipped)"));
    assert!(
        md.contains("- [!] `notify` — failed: no standby in staging"),
        "{md}"
    );
    assert!(md.contains("  - checked: primary reachable"), "{md}");
    assert!(md.contains("  - answer: roll back the api"), "{md}");
    // Notes quoted whole; a `|` does not break anything.
    assert!(
        md.contains("> postgres-0 PANICs on start\n> WAL looks corrupt"),
        "{md}"
    );
    // The timeline holds the alert, then the operation with its outcome, then the note.
    let timeline = &md[md.find("## Timeline").unwrap()..md.find("## Actions taken").unwrap()];
    let alert = timeline.find("HighErrorRate firing").expect("alert");
    let op = timeline
        .find("restart sim-prod/shop/sts/postgres: succeeded")
        .expect("op");
    let note = timeline
        .find("api rolled back | errors down")
        .expect("note");
    assert!(alert < op && op < note, "{timeline}");
}

fn pilothouse(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pilothouse"))
        .args(args)
        .env("PILOTHOUSE_DATA", data)
        .env("PILOTHOUSE_CONFIG", data.join("no-config"))
        .output()
        .expect("run pilothouse");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_lists_and_exports_and_skips_broken_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (code, out, err) = pilothouse(&data, &["incident", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty() && err.contains("no incidents"), "{out}{err}");

    let (mut inc, audit) = walked();
    // The console stopped before merging the last outcome: export merges the log itself.
    let last_outcome = inc
        .timeline
        .iter()
        .rposition(|e| e.kind == EntryKind::Operation);
    inc.timeline.remove(last_outcome.expect("an outcome"));
    incident::save(&data, &inc).expect("save");
    let mut log = AuditLog::open(&data).expect("audit");
    for record in &audit.records {
        log.append(record).expect("append");
    }
    assert!(data.join(AUDIT_FILE_NAME).exists());
    let open = declared();
    incident::save(&data, &open).expect("save");
    std::fs::write(
        data.join("incidents/INC-20261123-0000-dead.json"),
        "{ not json",
    )
    .expect("x");

    let (code, out, err) = pilothouse(&data, &["incident", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("skipped INC-20261123-0000-dead.json:"),
        "{err}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("DURATION"),
        "{out}"
    );
    let row = lines.iter().find(|l| l.starts_with(&inc.id)).expect("row");
    for column in [
        "P2",
        "resolved",
        "2026-11-23 03:13Z",
        "7m 00s",
        "HighErrorRate: 错误率过高",
    ] {
        assert!(row.contains(column), "{column}: {row}");
    }
    assert!(out.contains(&open.id) && out.contains("open"), "{out}");

    let (code, md, err) = pilothouse(&data, &["incident", "export", &inc.id]);
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains("## Follow-ups")
            && md.contains(
                "rollback sim-prod/shop/deploy/api: succeeded — rolled back to revision 2"
            ),
        "{md}"
    );
    // Export changes nothing on disk.
    assert_eq!(incident::load(&data, &inc.id).expect("load"), inc);

    let file = dir.path().join("pm.md");
    let (code, out, err) = pilothouse(
        &data,
        &[
            "incident",
            "export",
            &inc.id,
            "--out",
            file.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty() && err.contains("wrote"), "{out}{err}");
    assert_eq!(std::fs::read_to_string(&file).expect("written"), md);

    let (code, out, err) = pilothouse(&data, &["incident", "export", "INC-19990101-0000-0000"]);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("no incident INC-19990101-0000-0000"), "{err}");
    let (code, _, err) = pilothouse(&data, &["incident", "export", "../../etc/passwd"]);
    assert_eq!(code, 1);
    assert!(err.contains("not an incident id"), "{err}");
    let (code, _, err) = pilothouse(&data, &["incident", "export", "INC-20261123-0000-dead"]);
    assert_eq!(code, 1);
    assert!(err.contains("INC-20261123-0000-dead.json"), "{err}");
}

#[test]
fn resume_is_parsed_for_the_console() {
    use clap::Parser;
    let cli =
        pilothouse::cli::Cli::try_parse_from(["pilothouse", "--resume", "INC-1"]).expect("parse");
    assert_eq!(cli.resume.as_deref(), Some("INC-1"));
    assert!(cli.command.is_none());
}

#[test]
fn an_alert_missing_from_a_source_that_has_not_answered_is_not_resolved() {
    // Declared from HighErrorRate: it is seen firing.
    let mut inc = declared();
    assert!(inc.seen_alerts.values().any(|s| s.firing));
    // A console just started (or an Alertmanager unreachable): no alerts from `am` yet.
    let am_silent = |source: &str| source != "am";
    assert!(!pilothouse::incident::observe_alerts_from(
        &mut inc,
        &[],
        t(200),
        &am_silent
    ));
    assert!(inc.seen_alerts.values().all(|s| s.firing), "still firing");
    // Once `am` answers without it, it has resolved.
    assert!(pilothouse::incident::observe_alerts_from(
        &mut inc,
        &[],
        t(210),
        &|_| true
    ));
    assert!(inc.seen_alerts.values().all(|s| !s.firing));
}
