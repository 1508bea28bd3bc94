//! Docker operations against a real Docker Engine (`.ci/docker-up` starts one and builds
//! the busybox test image): restart, stop and start read back by inspect, backups through
//! exec, and how a missing container or a failing command is reported.
//!
//! Without an engine the tests print `skip: no Docker engine` and pass, unless
//! `PILOTHOUSE_REQUIRE_SERVICES=1` (CI), where they fail.

// The Docker source's harness: the engine, and containers removed even when a test fails.
#[allow(dead_code, unused_imports)]
#[path = "docker_source/harness.rs"]
mod harness;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use bollard::Docker;
use bollard::models::ContainerStateStatusEnum;
use harness::{SOCKET, TestContainers, engine, no_tuning, sha256_hex};
use jiff::Timestamp;
use pilothouse::ops::OpError;
use pilothouse::ops::backup_config::{BackupPolicy, BackupTarget, DEFAULT_KEEP};
use pilothouse::ops::docker::{
    ContainerAction, backup, client_for, container_action, last_success, load_history,
    locate_container,
};
use pilothouse::sources::docker::{DockerEndpoint, EndpointUrl};

/// A service that stops promptly on SIGTERM, as a well-behaved one does.
const SERVICE: &[&str] = &[
    "sh",
    "-c",
    "trap 'exit 0' TERM; while true; do sleep 0.1; done",
];

async fn state(docker: &Docker, id: &str) -> (Option<ContainerStateStatusEnum>, Timestamp) {
    let inspect = docker.inspect_container(id, None).await.expect("inspect");
    let state = inspect.state.expect("state");
    let started = state
        .started_at
        .as_deref()
        .expect("started_at")
        .parse()
        .expect("an RFC 3339 start time");
    (state.status, started)
}

fn target(name: &str, container: &str, argv: &[&str]) -> BackupTarget {
    BackupTarget {
        name: name.to_string(),
        container: container.to_string(),
        host: None,
        argv: argv.iter().map(|s| s.to_string()).collect(),
        policy: BackupPolicy::Daily,
        keep: DEFAULT_KEEP,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_stop_and_start_do_what_they_say() {
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, "ops-actions");
    let id = t.run("svc", SERVICE, no_tuning).await;
    let name = t.name("svc");
    let (status, started) = state(&docker, &id).await;
    assert_eq!(status, Some(ContainerStateStatusEnum::RUNNING));

    let begun = std::time::Instant::now();
    container_action(&docker, &name, ContainerAction::Restart)
        .await
        .expect("restart");
    assert!(
        begun.elapsed() < Duration::from_secs(8),
        "a container that handles SIGTERM is not waited on for the full grace"
    );
    let (status, restarted) = state(&docker, &id).await;
    assert_eq!(status, Some(ContainerStateStatusEnum::RUNNING));
    assert!(restarted > started, "{restarted} after {started}");

    container_action(&docker, &name, ContainerAction::Stop)
        .await
        .expect("stop");
    assert_eq!(
        state(&docker, &id).await.0,
        Some(ContainerStateStatusEnum::EXITED)
    );
    container_action(&docker, &id, ContainerAction::Stop)
        .await
        .expect("stopping a stopped container is done already");

    container_action(&docker, &name, ContainerAction::Start)
        .await
        .expect("start");
    let (status, started_again) = state(&docker, &id).await;
    assert_eq!(status, Some(ContainerStateStatusEnum::RUNNING));
    assert!(started_again > restarted);
    container_action(&docker, &name, ContainerAction::Start)
        .await
        .expect("starting a running container is done already");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_container_is_refused() {
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, "ops-missing");
    let missing = t.name("never-created");
    for action in [
        ContainerAction::Restart,
        ContainerAction::Stop,
        ContainerAction::Start,
    ] {
        let error = container_action(&docker, &missing, action)
            .await
            .unwrap_err();
        assert_eq!(
            error,
            OpError::Refused(format!("{action} {missing}: no such container"))
        );
    }
    let data = tempfile::tempdir().unwrap();
    let error = backup(
        &docker,
        "local",
        &target("db", &missing, &["seq", "1", "3"]),
        data.path(),
        Timestamp::now(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error,
        OpError::Refused(format!("backup db: no container {missing} on local"))
    );
    assert!(
        !data.path().join("backups").exists(),
        "nothing is written for a refused backup"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_come_from_the_sources_connect_and_hosts_are_found() {
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, "ops-locate");
    t.run("svc", SERVICE, no_tuning).await;
    let local = DockerEndpoint::new("local", EndpointUrl::Unix(SOCKET.into()));
    let gone = DockerEndpoint::new("gone", EndpointUrl::Unix("/nonexistent/docker.sock".into()));
    client_for(&local)
        .await
        .expect("a client")
        .ping()
        .await
        .expect("ping");
    let error = client_for(&gone).await.unwrap_err();
    assert!(
        matches!(&error, OpError::Refused(m) if m.starts_with("Docker host gone: ") && m.contains("/nonexistent/docker.sock")),
        "{error:?}"
    );

    let endpoints = [gone.clone(), local.clone()];
    let (found, _) = locate_container(&t.name("svc"), None, &endpoints)
        .await
        .expect("the local engine has it");
    assert_eq!(found.name, "local");
    let error = locate_container(&t.name("nope"), None, &endpoints)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, OpError::Refused(m) if m.contains("not asked: Docker host gone")),
        "{error:?}"
    );
    let error = locate_container(&t.name("svc"), Some("elsewhere"), &endpoints)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        OpError::Refused("no Docker host named elsewhere".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_is_a_private_file_with_its_size_hash_and_history() {
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, "ops-backup");
    t.run("db", SERVICE, no_tuning).await;
    let container = t.name("db");
    let data = tempfile::tempdir().unwrap();
    let now: Timestamp = "2026-11-22T18:30:05.25Z".parse().unwrap();
    let record = backup(
        &docker,
        "local",
        &target("shop-db", &container, &["seq", "1", "1000"]),
        data.path(),
        now,
    )
    .await
    .expect("backup");

    let expected: String = (1..=1000).map(|n| format!("{n}\n")).collect();
    let path = data
        .path()
        .join(format!("backups/local/{container}/20261122T183005Z.out"));
    assert_eq!(record.path, path);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
    assert_eq!(record.bytes, expected.len() as u64);
    assert_eq!(record.sha256, sha256_hex(expected.as_bytes()));
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(record.ok);
    assert_eq!(record.exit_code, Some(0));
    assert_eq!(
        (record.target.as_str(), record.host.as_str()),
        ("shop-db", "local")
    );
    assert_eq!(record.started, now);

    let history = load_history(data.path());
    assert_eq!(history, std::slice::from_ref(&record));
    assert_eq!(last_success(&history, "shop-db"), Some(&record));
    let history_file = data.path().join("backups/history.jsonl");
    assert_eq!(
        std::fs::metadata(&history_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    // A second backup in the same second keeps the first.
    let second = backup(
        &docker,
        "local",
        &target("shop-db", &container, &["seq", "1", "3"]),
        data.path(),
        now,
    )
    .await
    .expect("second backup");
    assert_ne!(second.path, record.path);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
    assert_eq!(load_history(data.path()).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_command_is_failed_with_its_exit_code_and_keeps_partial_output() {
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, "ops-backup-fail");
    t.run("db", SERVICE, no_tuning).await;
    let container = t.name("db");
    let data = tempfile::tempdir().unwrap();
    let now: Timestamp = "2026-11-22T19:00:00Z".parse().unwrap();
    // argv, not a shell string: sh is the program and the script its argument.
    let failing = target(
        "shop-db",
        &container,
        &[
            "sh",
            "-c",
            "echo partial; echo 'pg_dump: connection refused' >&2; exit 3",
        ],
    );
    let error = backup(&docker, "local", &failing, data.path(), now)
        .await
        .unwrap_err();
    let partial = data.path().join(format!(
        "backups/local/{container}/20261122T190000Z.out.partial"
    ));
    assert_eq!(
        error,
        OpError::Failed(format!(
            "backup shop-db: exit code 3: pg_dump: connection refused; output kept in {}",
            partial.display()
        ))
    );
    assert_eq!(std::fs::read_to_string(&partial).unwrap(), "partial\n");
    assert!(!partial.with_extension("").exists(), "no good-looking file");

    let error = backup(
        &docker,
        "local",
        &target("other", &container, &["false"]),
        data.path(),
        now,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, OpError::Failed(m) if m.starts_with("backup other: exit code 1; output kept in ")),
        "{error:?}"
    );

    let history = load_history(data.path());
    assert_eq!(history.len(), 2, "failures are in the history too");
    assert_eq!(history[0].exit_code, Some(3));
    assert!(!history[0].ok);
    assert_eq!(history[0].path, partial);
    assert_eq!(last_success(&history, "shop-db"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_container_is_refused_before_anything_is_written() {
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, "ops-backup-stopped");
    t.run("db", SERVICE, no_tuning).await;
    let container = t.name("db");
    container_action(&docker, &container, ContainerAction::Stop)
        .await
        .expect("stop");
    let data = tempfile::tempdir().unwrap();
    let error = backup(
        &docker,
        "local",
        &target("db", &container, &["seq", "1", "3"]),
        data.path(),
        Timestamp::now(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error,
        OpError::Refused(format!(
            "backup db: container {container} on local is not running"
        ))
    );
    assert!(load_history(data.path()).is_empty());
}

/// Through the runner, as the console runs them: planned (the container inspected),
/// executed, read back, and both records in the audit log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_restarts_and_backs_up_a_container_and_audits_both() {
    use pilothouse::ops::runner::{OpRequest, OpUpdate, OpsSettings, spawn};
    use pilothouse::ops::{ContainerRef, Operation};
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, "ops-runner");
    let id = t.run("db", SERVICE, no_tuning).await;
    let name = t.name("db");
    let data = tempfile::tempdir().unwrap();
    let mut config = pilothouse::config::Config::default();
    config.backups = vec![target("shop-db", &name, &["seq", "1", "50"])];
    let endpoint = DockerEndpoint::new("local", EndpointUrl::Unix(SOCKET.into()));
    let cancel = tokio_util::sync::CancellationToken::new();
    let mut control = spawn(
        OpsSettings {
            kubeconfig: None,
            kube_options: Default::default(),
            config,
            data_dir: data.path().to_path_buf(),
            docker: pilothouse::ops::container::DockerHosts(vec![endpoint]),
            alertmanagers: Vec::new(),
        },
        None,
        &cancel,
    );
    let target = ContainerRef {
        host: "local".into(),
        id: id.clone(),
        name: name.clone(),
    };
    let (_, started) = state(&docker, &id).await;
    let ops = [
        Operation::Container {
            target: target.clone(),
            action: ContainerAction::Restart,
        },
        Operation::ContainerBackup {
            target: target.clone(),
            backup: "shop-db".into(),
        },
    ];
    for (n, op) in ops.iter().enumerate() {
        control.send(OpRequest::Plan {
            id: n as u64,
            op: op.clone(),
        });
        let plan = loop {
            match control.recv().await.expect("update") {
                OpUpdate::Planned { result, .. } => break result.expect("planned"),
                _ => continue,
            }
        };
        assert!(plan.lines.iter().any(|l| l.contains("running")), "{plan:?}");
        control.send(OpRequest::Execute {
            id: n as u64,
            op: op.clone(),
            reason: Some("drill".into()),
            dry_run: plan.dry_run.clone(),
        });
        let outcome = loop {
            match tokio::time::timeout(Duration::from_secs(60), control.recv()).await {
                Ok(Some(OpUpdate::Finished { result, .. })) => break result,
                Ok(Some(_)) => continue,
                other => panic!("no outcome: {other:?}"),
            }
        };
        outcome.unwrap_or_else(|e| panic!("{}: {e}", op.summary()));
    }
    let (status, restarted) = state(&docker, &id).await;
    assert_eq!(status, Some(ContainerStateStatusEnum::RUNNING));
    assert!(restarted > started, "the restart happened");
    let history = load_history(data.path());
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].bytes,
        (1..=50)
            .map(|n: u32| format!("{n}\n").len() as u64)
            .sum::<u64>()
    );

    let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).expect("audit log");
    let records: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let phases: Vec<(&str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["operation"].as_str().unwrap(),
                r["phase"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        phases,
        [
            ("restart", "intent"),
            ("restart", "outcome"),
            ("backup", "intent"),
            ("backup", "outcome")
        ]
    );
    assert!(records.iter().all(|r| r["reason"] == "drill"));
    assert!(records[1]["ok"] == true && records[3]["ok"] == true);
    assert!(
        records[0]["identity"].as_str().unwrap().contains(SOCKET),
        "the engine acted on: {}",
        records[0]["identity"]
    );
    cancel.cancel();
}
