//! Runbooks (issue 8): the shipped ones check clean, broken ones are reported at their
//! line, the CLI's output and exit codes, user overrides, wait conditions over a fleet,
//! and which runbooks an alert suggests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use jiff::Timestamp;
use pilothouse::runbook::library::{self, SHIPPED};
use pilothouse::runbook::{
    Condition, ConditionState, IncidentSeverity, Library, Origin, Params, StepBody, evaluate,
    matching, parse_action,
};
use pilothouse::store::Fleet;

fn broken(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/runbooks")
        .join(name)
}

/// The problems of one broken file, as `runbooks check` prints them.
fn problems_of(name: &str) -> Vec<String> {
    let path = broken(name);
    match library::read_file(&path) {
        Ok(_) => panic!("{name} should not check clean"),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

fn pilothouse(config: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pilothouse"))
        .args(args)
        .env("PILOTHOUSE_CONFIG", config)
        .env("PILOTHOUSE_DATA", config.join("data"))
        .output()
        .expect("run pilothouse");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn every_shipped_runbook_checks_clean_and_ids_are_unique() {
    let mut ids = Vec::new();
    for (name, _) in SHIPPED {
        let runbook = library::shipped(name)
            .expect("listed")
            .unwrap_or_else(|problems| {
                let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
                panic!("{name}:\n{}", text.join("\n"))
            });
        assert_eq!(runbook.id, *name, "a shipped runbook's id is its file name");
        assert_eq!(runbook.origin, Origin::Shipped);
        ids.push(runbook.id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), SHIPPED.len());
    let library = Library::load(None);
    assert!(library.problems().is_empty(), "{:?}", library.problems());
    assert_eq!(library.runbooks().len(), SHIPPED.len());
}

#[test]
fn a_syntax_error_names_its_line() {
    let problems = problems_of("syntax-error.yaml");
    assert_eq!(problems.len(), 1, "{problems:?}");
    let path = broken("syntax-error.yaml");
    assert!(
        problems[0].starts_with(&format!(
            "{}:8:7: did not find expected ',' or ']'",
            path.display()
        )),
        "{problems:?}"
    );
    assert!(
        !problems[0].contains("at line"),
        "the position is said once: {problems:?}"
    );
}

#[test]
fn an_unknown_step_kind_names_its_line() {
    let problems = problems_of("unknown-kind.yaml");
    let path = broken("unknown-kind.yaml");
    assert_eq!(
        problems,
        [format!(
            "{}:9:11: steps[1].kind: unknown step kind `reboot`, expected one of `check`, `action`, `observe`, `wait`, `decision`, `note`",
            path.display()
        )]
    );
}

#[test]
fn an_unknown_action_names_its_line() {
    let problems = problems_of("unknown-action.yaml");
    let path = broken("unknown-action.yaml");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!(
            "{}:10:14: action `redeploy deploy/{{{{deployment}}}}`: unknown action `redeploy`",
            path.display()
        )),
        "{problems:?}"
    );
}

#[test]
fn a_template_naming_a_missing_parameter_points_at_the_placeholder() {
    let problems = problems_of("missing-parameter.yaml");
    let path = broken("missing-parameter.yaml");
    assert_eq!(
        problems,
        [format!(
            "{}:10:30: `{{{{deployment}}}}` names no parameter (declared: namespace)",
            path.display()
        )]
    );
}

#[test]
fn a_missing_next_target_names_its_line() {
    let problems = problems_of("missing-next.yaml");
    let path = broken("missing-next.yaml");
    assert_eq!(
        problems,
        [format!(
            "{}:10:29: option target `escalate` names no step (steps: ask, done; or `end`)",
            path.display()
        )]
    );
}

#[test]
fn every_other_problem_is_reported_at_once_in_line_order() {
    let problems = problems_of("several-problems.yaml");
    let path = broken("several-problems.yaml").display().to_string();
    let expected = [
        ":10:12: a Deployment condition is `ready == desired` or `ready >= N`, not `is happy`",
        ":11:9: duplicate step id `wait` (first used on line 7)",
        ":15:14: `soon` is not a duration",
        ":17:11: a check step needs `items`",
        ":19:14: `command` does not belong to a check step (it is for action steps",
        ":20:11: next `nowhere` names no step",
    ];
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (problem, want) in problems.iter().zip(expected) {
        assert!(
            problem.starts_with(&format!("{path}{want}")),
            "{problem}\nwant {want}"
        );
    }
}

#[test]
fn the_cli_checks_shipped_and_user_runbooks_and_exits_1_on_a_problem() {
    let config = tempfile::tempdir().unwrap();
    let (code, out) = pilothouse(config.path(), &["runbooks", "check"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok builtin:runbooks/database-failure.yaml\n"),
        "{out}"
    );
    assert!(
        out.ends_with(&format!(
            "ok: {} runbooks checked, no problems\n",
            SHIPPED.len()
        )),
        "{out}"
    );

    // A broken user runbook fails the check, named with its line.
    let dir = config.path().join("runbooks");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(broken("unknown-kind.yaml"), dir.join("mine.yaml")).unwrap();
    let (code, out) = pilothouse(config.path(), &["runbooks", "check"]);
    assert_eq!(code, 1, "{out}");
    let user_file = dir.join("mine.yaml");
    assert!(
        out.contains(&format!(
            "{}:9:11: steps[1].kind: unknown step kind `reboot`",
            user_file.display()
        )),
        "{out}"
    );
    assert!(
        out.ends_with(&format!(
            "1 problem in 1 of {} runbooks\n",
            SHIPPED.len() + 1
        )),
        "{out}"
    );

    // Files named on the command line are checked instead.
    let missing = broken("missing-parameter.yaml");
    let (code, out) = pilothouse(
        config.path(),
        &[
            "runbooks",
            "check",
            missing.to_str().unwrap(),
            broken("missing-next.yaml").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("{}:10:30: ", missing.display())),
        "{out}"
    );
    assert!(out.ends_with("2 problems in 2 of 2 runbooks\n"), "{out}");
    let (code, out) = pilothouse(config.path(), &["runbooks", "check", "/nonexistent/x.yaml"]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("/nonexistent/x.yaml:1:1: cannot read: "),
        "{out}"
    );
}

#[test]
fn a_user_runbook_overrides_a_shipped_one_by_id_and_a_broken_one_is_skipped() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path().join("runbooks");
    std::fs::create_dir(&dir).unwrap();
    // The file name does not matter: the id does.
    std::fs::write(
        dir.join("our-db.yaml"),
        "id: database-failure\ntitle: Our database runbook\nsteps:\n  - {id: call, kind: check, title: Call the DBA, items: [call]}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("extra.yml"),
        "id: cache-flush\ntitle: Flush the cache\nsteps:\n  - {id: flush, kind: note, title: Flush, text: \"**Flush** it\"}\n",
    )
    .unwrap();
    // Meant to replace high-cpu, but broken: reported, and the shipped one stays.
    std::fs::write(
        dir.join("high-cpu.yaml"),
        "id: high-cpu\ntitle: Broken\nsteps:\n  - {id: x, kind: action, title: X, command: \"explode deploy/x\"}\n",
    )
    .unwrap();

    let library = Library::load(Some(config.path()));
    let db = library.get("database-failure").unwrap();
    assert_eq!(
        (db.title.as_str(), db.origin),
        ("Our database runbook", Origin::User)
    );
    assert!(library.replaces_shipped("database-failure"));
    assert_eq!(library.get("high-cpu").unwrap().origin, Origin::Shipped);
    assert!(library.get("cache-flush").is_some());
    assert_eq!(library.runbooks().len(), SHIPPED.len() + 1);
    let problems: Vec<String> = library.problems().iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!("{}:4:", dir.join("high-cpu.yaml").display())),
        "{problems:?}"
    );

    let (code, out) = pilothouse(config.path(), &["runbooks", "list"]);
    assert_eq!(code, 0);
    let line = |id: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} in {out}"))
    };
    assert!(
        line("database-failure").ends_with(&format!(
            "{} (overrides the built-in)",
            dir.join("our-db.yaml").display()
        )),
        "{out}"
    );
    assert!(line("high-cpu").ends_with("built-in"), "{out}");
    assert!(
        line("cache-flush").ends_with(&dir.join("extra.yml").display().to_string()),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "skipped: {}:4:",
            dir.join("high-cpu.yaml").display()
        )),
        "{out}"
    );

    // A second user file with an id already taken by a user file is a problem.
    std::fs::write(
        dir.join("zz-again.yaml"),
        "id: cache-flush\ntitle: Again\nsteps:\n  - {id: a, kind: note, title: A, text: a}\n",
    )
    .unwrap();
    std::fs::remove_file(dir.join("high-cpu.yaml")).unwrap();
    let (code, out) = pilothouse(config.path(), &["runbooks", "check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{}:1:5: runbook id `cache-flush` is already defined by {}",
            dir.join("zz-again.yaml").display(),
            dir.join("extra.yml").display()
        )),
        "{out}"
    );
}

fn fixture_fleet() -> Fleet {
    let mut fleet = Fleet::new();
    for event in pilothouse::fixture::embedded(Timestamp::now()) {
        fleet.apply(event);
    }
    fleet
}

fn state(fleet: &Fleet, condition: &str, params: &Params) -> ConditionState {
    let condition = Condition::parse(condition).unwrap_or_else(|e| panic!("{condition}: {e}"));
    evaluate(&condition, fleet, params)
}

fn not_yet(s: ConditionState) -> String {
    match s {
        ConditionState::NotYet(why) => why,
        other => panic!("expected NotYet, got {other:?}"),
    }
}

fn unknown(s: ConditionState) -> String {
    match s {
        ConditionState::Unknown(why) => why,
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn wait_conditions_evaluate_over_the_fixture_fleet() {
    let fleet = fixture_fleet();
    let none = Params::new();
    let params = Params::from([
        ("namespace".to_string(), "shop".to_string()),
        ("deployment".to_string(), "api".to_string()),
    ]);
    // shop/api exists on prod and staging: a wait must not pick one.
    assert!(
        unknown(state(&fleet, "deploy/api ready == desired -n shop", &none)).contains("ambiguous")
    );
    // On prod it has 3 of 4 ready.
    let why = not_yet(state(
        &fleet,
        "deploy/{{deployment}} ready == desired -n {{namespace}} @shop-prod",
        &params,
    ));
    assert!(why.contains("3 ready"), "{why}");
    assert_eq!(
        state(&fleet, "deploy/api ready >= 3 -n shop @shop-prod", &none),
        ConditionState::Holds
    );
    assert_eq!(
        state(
            &fleet,
            "deploy/frontend ready == desired -n shop @shop-prod",
            &none
        ),
        ConditionState::Holds
    );
    assert!(
        not_yet(state(
            &fleet,
            "deploy/nope ready == desired @shop-prod",
            &none
        ))
        .contains("no deploy/nope")
    );
    assert!(
        unknown(state(
            &fleet,
            "deploy/api ready == desired @elsewhere",
            &none
        ))
        .contains("not connected")
    );

    // A crash-looping pod is phase Running but not running.
    let why = not_yet(state(&fleet, "pod/api-7d9f8b6c5d-x2k4q running", &none));
    assert!(why.contains("CrashLoopBackOff"), "{why}");

    // Jobs: the failed redis backup, by name prefix and through its CronJob.
    assert_eq!(
        state(&fleet, "job/redis-backup-* failed -n shop", &none),
        ConditionState::Holds
    );
    assert_eq!(
        state(&fleet, "job redis-backup-29501340 failed", &none),
        ConditionState::Holds
    );
    assert!(
        not_yet(state(
            &fleet,
            "cronjob/redis-backup succeeded -n shop",
            &none
        ))
        .contains("failed")
    );

    // Docker containers and nodes.
    assert_eq!(
        state(&fleet, "ctr/shop-db-1 healthy", &none),
        ConditionState::Holds
    );
    assert!(not_yet(state(&fleet, "ctr/shop-redis-1 running", &none)).contains("restarting"));
    assert!(not_yet(state(&fleet, "node/node-c ready", &none)).contains("NotReady"));
    assert_eq!(
        state(&fleet, "node/node-a ready", &none),
        ConditionState::Holds
    );

    // Alerts: HighErrorRate is active in shop; nothing of the name in payments.
    assert!(not_yet(state(&fleet, "alert HighErrorRate resolved", &none)).contains("still active"));
    assert_eq!(
        state(&fleet, "alert HighErrorRate firing -n shop", &none),
        ConditionState::Holds
    );
    assert_eq!(
        state(&fleet, "alert HighErrorRate resolved -n payments", &none),
        ConditionState::Holds
    );
    // A silenced alert is still active: its condition has not cleared.
    assert_eq!(
        state(&fleet, "alert HighMemoryUsage firing", &none),
        ConditionState::Holds
    );

    // An empty fleet cannot say.
    let empty = Fleet::new();
    assert!(
        unknown(state(&empty, "deploy/api ready == desired", &none))
            .contains("no Kubernetes context")
    );
    assert!(
        unknown(state(&empty, "alert HighErrorRate resolved", &none)).contains("no Alertmanager")
    );
}

#[test]
fn a_stale_source_makes_a_condition_unknown() {
    let mut fleet = fixture_fleet();
    fleet.apply(pilothouse::store::SourceEvent::Health {
        source: pilothouse::model::SourceKey::new(
            pilothouse::model::SourceKind::Kubernetes,
            "shop-prod",
        ),
        health: pilothouse::model::SourceHealth::Stale {
            since: Timestamp::now(),
            error: "connection refused".into(),
        },
    });
    let why = unknown(state(
        &fleet,
        "deploy/frontend ready == desired -n shop @shop-prod",
        &Params::new(),
    ));
    assert!(why.contains("stale"), "{why}");
}

/// The labels of an alert in the incident-db scenario, read from the scenario itself.
fn scenario_alert(name: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/incident-db.yaml"),
    )
    .unwrap();
    let doc: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let alerts = doc["alertmanager"]["alerts"].as_sequence().unwrap();
    let alert = alerts
        .iter()
        .find(|a| a["labels"]["alertname"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("{name} in incident-db"));
    serde_norway::from_value(alert["labels"].clone()).unwrap()
}

fn ids<'a>(runbooks: &[&'a pilothouse::runbook::Runbook]) -> Vec<&'a str> {
    runbooks.iter().map(|r| r.id.as_str()).collect()
}

#[test]
fn alerts_suggest_runbooks_best_first() {
    let library = Library::load(None);
    // incident-db: HighErrorRate → a P1 incident → the database-failure runbook is among
    // the suggestions, after the one written for the alert itself.
    let high_error_rate = scenario_alert("HighErrorRate");
    let suggested = library.matching(&high_error_rate, Some(IncidentSeverity::P1));
    let suggested = ids(&suggested);
    assert_eq!(suggested[0], "high-error-rate", "{suggested:?}");
    assert!(suggested.contains(&"database-failure"), "{suggested:?}");
    assert!(!suggested.contains(&"daily-checklist"), "{suggested:?}");

    // The crash-looping primary picks the database runbook over the generic one.
    let crash = scenario_alert("KubePodCrashLooping");
    let suggested = library.matching(&crash, Some(IncidentSeverity::P1));
    assert_eq!(
        ids(&suggested)[..2],
        ["database-failure", "service-failure"]
    );

    // By hand, with no alert: severity alone.
    let suggested = library.matching(&BTreeMap::new(), Some(IncidentSeverity::P3));
    assert_eq!(ids(&suggested), ["high-cpu", "high-memory"]);
    assert!(library.matching(&BTreeMap::new(), None).is_empty());

    // Regex values are anchored: `HighErrorRateX` is not `HighErrorRate`.
    let runbooks = library.runbooks();
    let other = matching(runbooks, &labels(&[("alertname", "HighErrorRateX")]), None);
    assert!(!ids(&other).contains(&"high-error-rate"));
    let pg = matching(runbooks, &labels(&[("alertname", "PostgreSQLDown")]), None);
    assert_eq!(ids(&pg), ["database-failure"]);
}

#[test]
fn the_database_runbook_fits_the_incident_db_scenario() {
    let library = Library::load(None);
    let runbook = library.get("database-failure").unwrap();
    let params = runbook.fill_parameters(&scenario_alert("HighErrorRate"));
    assert_eq!(params["namespace"], "shop");
    assert_eq!(params["database"], "postgres");
    assert_eq!(params["app"], "api", "from the alert's service label");
    assert!(runbook.missing_parameters(&params).is_empty());

    // The walk the incident test takes: a check, a restart, a wait, a decision.
    let kinds: Vec<&str> = runbook.steps.iter().map(|s| s.body.kind_name()).collect();
    let at = kinds.iter().position(|k| *k == "check").unwrap();
    assert_eq!(kinds[at..at + 4], ["check", "action", "wait", "decision"]);
    let StepBody::Action { command, .. } = &runbook.steps[at + 1].body else {
        unreachable!()
    };
    let line = command.render(&params);
    assert_eq!(line, "restart sts/postgres -n shop");
    assert!(parse_action(&line).is_ok());
    let StepBody::Wait { until, .. } = &runbook.steps[at + 2].body else {
        unreachable!()
    };
    assert_eq!(
        until.to_string(),
        "sts/{{database}} ready == desired -n {{namespace}}"
    );
}
