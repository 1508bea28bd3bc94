//! The Docker source against a real Docker Engine (`.ci/docker-up` starts one and builds
//! the busybox test image). Each test starts its own containers under a unique name prefix
//! and removes them at the end, also when it fails; it watches the engine through the real
//! source and asserts on what the source reports, applied to a `Fleet` as the console
//! applies it. Waits are on conditions with deadlines, never sleeps.
//!
//! Without an engine the tests print `skip: no Docker engine` and pass, unless
//! `PILOTHOUSE_REQUIRE_SERVICES=1` (CI), where they fail.

#[path = "docker_source/harness.rs"]
mod harness;
#[path = "docker_source/remote.rs"]
mod remote;

use std::collections::HashMap;

use bollard::models::HostConfig;
use harness::{
    Console, IMAGE, SocketProxy, TestContainers, engine, follow, local, no_tuning, on_network,
    restart_on_failure, sha256_hex,
};
use pilothouse::model::{ContainerId, ContainerRunState, SourceHealth};
use pilothouse::sources::docker::{
    self, Discovery, DockerInterest, DockerOptions, EndpointUrl, ExecRequest,
};
use remote::{Authority, SshServer, TlsEngine, or_skip};

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn states_exit_codes_restarts_oom_and_compose_labels_are_reported() {
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, "states");
    // Two containers exist before the source starts (they come from the list), the rest
    // start after it is live (they come from events).
    let steady = t
        .run(
            "steady",
            &["sh", "-c", "while true; do echo tick; sleep 0.2; done"],
            |body| {
                body.labels = Some(HashMap::from([
                    ("com.docker.compose.project".to_string(), "shop".to_string()),
                    ("com.docker.compose.service".to_string(), "web".to_string()),
                ]));
            },
        )
        .await;
    t.run("exit3", &["sh", "-c", "exit 3"], no_tuning).await;
    let mut console = Console::watch("local", local());
    console
        .wait_until("the host to be live", |c| {
            c.health("local") == Some(&SourceHealth::Live)
        })
        .await;
    assert_eq!(console.relists, 1, "one list when the source starts");
    let steady_name = t.name("steady");
    console
        .wait_until("the steady container from the list", |c| {
            c.container(&steady_name).is_some()
        })
        .await;
    let c = console.container(&steady_name).unwrap();
    assert_eq!(c.state, ContainerRunState::Running);
    assert_eq!(c.compose_project(), Some("shop"));
    assert_eq!(c.compose_service(), Some("web"));
    assert_eq!(c.image, IMAGE);
    assert!(c.started.is_some(), "uptime needs the start time");
    let exit3 = t.name("exit3");
    console
        .wait_until("exit3 to have exited with code 3", |c| {
            c.container(&exit3)
                .is_some_and(|c| c.state == ContainerRunState::Exited && c.exit_code == Some(3))
        })
        .await;

    // From events: a crash loop with a bounded restart policy, and an OOM kill.
    let crash = t
        .run(
            "crash",
            &["sh", "-c", "echo boot; exit 1"],
            restart_on_failure(2),
        )
        .await;
    let oom = t
        .run(
            "oom",
            &["sh", "-c", "a=$(yes | head -c 50000000); echo survived"],
            |body| {
                let host = body.host_config.get_or_insert_with(HostConfig::default);
                host.memory = Some(8 * 1024 * 1024);
                host.memory_swap = Some(8 * 1024 * 1024);
            },
        )
        .await;
    let crash_name = t.name("crash");
    console
        .wait_until("crash to give up after 2 restarts, exit code 1", |c| {
            c.container(&crash_name).is_some_and(|c| {
                c.state == ContainerRunState::Exited
                    && c.restart_count == 2
                    && c.exit_code == Some(1)
            })
        })
        .await;
    let oom_name = t.name("oom");
    console
        .wait_until("oom to be OOM-killed", |c| {
            c.container(&oom_name).is_some_and(|c| {
                c.state == ContainerRunState::Exited && c.oom_killed && c.exit_code == Some(137)
            })
        })
        .await;
    assert_eq!(
        console.container(&oom_name).unwrap().health().reason,
        "OOMKilled"
    );
    assert_eq!(console.container(&crash_name).unwrap().id.id, crash);
    assert_eq!(console.container(&oom_name).unwrap().id.id, oom);

    // Removal comes through as a delete.
    t.remove(&steady).await;
    console
        .wait_until("the removed container to be gone", |c| {
            c.container(&steady_name).is_none()
        })
        .await;
    assert_eq!(
        console.relists, 1,
        "events only: no relist while the stream holds"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_stream_for_watched_containers_and_are_sampled_for_the_rest() {
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, "stats");
    let busy = t
        .run("busy", &["sh", "-c", "while true; do :; done"], no_tuning)
        .await;
    t.run("idle", &["sleep", "600"], no_tuning).await;
    let mut console = Console::watch("local", local());
    console.control.set_interest(DockerInterest {
        selected: Some(ContainerId::new("local", &busy)),
        ..DockerInterest::default()
    });
    let busy_name = t.name("busy");
    console
        .wait_until("CPU and memory of the streamed container", |c| {
            c.container(&busy_name).is_some_and(|c| {
                c.cpu_percent.is_some_and(|p| p > 1.0)
                    && c.memory_usage_bytes.is_some()
                    && c.memory_limit_bytes.is_some()
            })
        })
        .await;
    // The idle one is not watched: its numbers come from sparse one-shot samples (a
    // memory figure at once; CPU needs two samples, a resample period apart).
    let idle_name = t.name("idle");
    console
        .wait_until("a sampled memory figure for the idle container", |c| {
            c.container(&idle_name)
                .is_some_and(|c| c.memory_usage_bytes.is_some())
        })
        .await;
}

/// Network and block I/O rates, and the CPU and memory history, of containers that send,
/// receive and write. The containers talk over an internal bridge network of the test's own
/// (the engine has no default bridge). Block I/O depends on the kernel: where the engine's
/// own counters stay at zero for a container that wrote 50 MB (some VMs account no block
/// I/O for any cgroup), the test says so and asserts that the figures are present.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_and_block_io_rates_and_history_are_reported() {
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, "io");
    let network = t.network("net").await;
    let server = t
        .run(
            "server",
            &[
                "sh",
                "-c",
                "while true; do busybox nc -l -p 9000 > /dev/null; done",
            ],
            on_network(&network),
        )
        .await;
    let address = t.address(&server, &network).await;
    let send = format!(
        "while true; do dd if=/dev/zero bs=1k count=256 2>/dev/null | busybox nc -w 1 {address} 9000; done"
    );
    let client = t
        .run("client", &["sh", "-c", &send], on_network(&network))
        .await;
    let writer = t
        .run(
            "writer",
            &[
                "sh",
                "-c",
                "while true; do dd if=/dev/zero of=/x bs=1M count=50 conv=fsync 2>/dev/null; done",
            ],
            no_tuning,
        )
        .await;
    // All three stream (stats_streams = 4): a sample a second each.
    let mut options = DockerOptions::default();
    options.stats.max_streams = 4;
    let mut console = Console::watch_with("local", local(), options);
    console.control.set_interest(DockerInterest {
        visible: [&server, &client, &writer]
            .iter()
            .map(|id| ContainerId::new("local", *id))
            .collect(),
        selected: Some(ContainerId::new("local", &writer)),
        ..DockerInterest::default()
    });
    let (server_name, client_name) = (t.name("server"), t.name("client"));
    console
        .wait_until("the server to receive and the client to send", |c| {
            c.container(&server_name)
                .is_some_and(|c| c.io.net_rx.is_some_and(|r| r > 0.0))
                && c.container(&client_name)
                    .is_some_and(|c| c.io.net_tx.is_some_and(|r| r > 0.0))
        })
        .await;
    let writer_name = t.name("writer");
    console
        .wait_until(
            "block figures and three samples of history for the writer",
            |c| {
                c.container(&writer_name).is_some_and(|c| {
                    c.io.block_write.is_some()
                        && c.history.cpu_percent.len() >= 3
                        && c.history.memory_bytes.len() >= 3
                })
            },
        )
        .await;
    // A container without a network has no network figures, never a zero.
    let w = console.container(&writer_name).unwrap();
    assert_eq!((w.io.net_rx, w.io.net_tx), (None, None));
    assert!(
        w.history.cpu_percent.iter().any(|&p| p > 0.0),
        "{:?}",
        w.history
    );

    if engine_block_writes(&docker, &writer).await == 0 {
        eprintln!(
            "note: the engine reports 0 bytes of block writes for a container that wrote \
             50 MB with fsync (this kernel accounts no block I/O per cgroup); block figures \
             are checked for presence only"
        );
        return;
    }
    console
        .wait_until("a non-zero block write rate for the writer", |c| {
            c.container(&writer_name)
                .is_some_and(|c| c.io.block_write.is_some_and(|r| r > 0.0))
        })
        .await;
}

/// The writes the engine itself counts for container `id` (one-shot stats).
async fn engine_block_writes(docker: &bollard::Docker, id: &str) -> u64 {
    use futures::StreamExt;
    let options = bollard::query_parameters::StatsOptions {
        stream: false,
        one_shot: true,
    };
    let Some(Ok(stats)) = docker.stats(id, Some(options)).next().await else {
        panic!("no stats for {id}");
    };
    stats
        .blkio_stats
        .and_then(|b| b.io_service_bytes_recursive)
        .unwrap_or_default()
        .iter()
        .filter(|e| {
            e.op.as_deref()
                .is_some_and(|op| op.eq_ignore_ascii_case("write"))
        })
        .map(|e| e.value.unwrap_or(0))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_through_the_api_keep_streams_apart_and_survive_restarts_without_repeats() {
    logs_keep_streams_apart_and_survive_restarts_without_repeats("logs-api", false).await;
}

/// The same, with the engine's json-file logs read from disk (the engine is local; the
/// test runs where the files are readable, as root in CI). Where they are not, the
/// follower falls back to the API and this repeats the test above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_from_log_files_keep_streams_apart_and_survive_restarts_without_repeats() {
    logs_keep_streams_apart_and_survive_restarts_without_repeats("logs-file", true).await;
}

async fn logs_keep_streams_apart_and_survive_restarts_without_repeats(
    test: &str,
    read_log_files: bool,
) {
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, test);
    // Every run numbers itself from a file kept in the container's writable layer, which
    // survives restarts, so every line ever written is unique and its place is known.
    let script = "n=$(cat /run-count 2>/dev/null || echo 0); n=$((n+1)); echo $n > /run-count; \
                  i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo \"run $n out $i\"; \
                  echo \"run $n err $i\" >&2; done; sleep 0.3; exit 1";
    let crash = t
        .run("crashlog", &["sh", "-c", script], restart_on_failure(3))
        .await;
    let steady = t
        .run(
            "steady",
            &[
                "sh",
                "-c",
                "i=0; while true; do i=$((i+1)); echo $i; sleep 0.05; done",
            ],
            no_tuning,
        )
        .await;
    let options = DockerOptions {
        read_log_files,
        ..DockerOptions::default()
    };
    let mut console = Console::watch_with("local", local(), options);
    console
        .control
        .set_interest(follow("local", &[&crash, &steady]));
    let crash_name = t.name("crashlog");
    console
        .wait_until("four runs of the crash logger, all lines in", |c| {
            c.container(&crash_name)
                .is_some_and(|c| c.state == ContainerRunState::Exited && c.restart_count == 3)
                && c.lines("local", &crash).len() >= 4 * 80
        })
        .await;
    let expected = |stream: &str| -> Vec<String> {
        (1..=4)
            .flat_map(|run| (1..=40).map(move |i| format!("run {run} {stream} {i}")))
            .collect()
    };
    assert_eq!(console.texts("local", &crash, false), expected("out"));
    assert_eq!(console.texts("local", &crash, true), expected("err"));
    assert!(
        console
            .lines("local", &crash)
            .iter()
            .all(|l| l.timestamp.is_some()),
        "every line has the engine's timestamp"
    );

    // Stop following the steady logger and follow it again: it continues where it was,
    // without repeating a line or losing one.
    console
        .wait_until("some steady lines", |c| {
            c.lines("local", &steady).len() >= 10
        })
        .await;
    console.control.set_interest(follow("local", &[&crash]));
    let before = console.lines("local", &steady).len();
    console
        .control
        .set_interest(follow("local", &[&crash, &steady]));
    console
        .wait_until("the steady logger to go on after following again", |c| {
            c.lines("local", &steady).len() >= before + 20
        })
        .await;
    let numbers: Vec<u64> = console
        .texts("local", &steady, false)
        .iter()
        .map(|s| s.parse().expect("a number per line"))
        .collect();
    let first = numbers[0];
    let consecutive: Vec<u64> = (first..first + numbers.len() as u64).collect();
    assert_eq!(
        numbers, consecutive,
        "no line repeated or lost across a refollow"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_socket_shows_unavailable_and_the_host_recovers() {
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, "dead");
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("engine.sock");
    let mut console = Console::watch("flaky", EndpointUrl::Unix(socket.clone()));
    console
        .wait_until("the host to be unavailable", |c| {
            matches!(c.health("flaky"), Some(SourceHealth::Unavailable { .. }))
        })
        .await;
    assert!(console.fleet.containers.is_empty());

    // The socket appears: the source finds it on its next attempt.
    let proxy = SocketProxy::start(&socket);
    console
        .wait_until("the host to be live", |c| {
            c.health("flaky") == Some(&SourceHealth::Live)
        })
        .await;
    assert_eq!(console.relists, 1);

    // The engine goes away under a live connection: the containers stay, marked stale.
    proxy.stop();
    console
        .wait_until("the host to be stale", |c| {
            matches!(c.health("flaky"), Some(SourceHealth::Stale { .. }))
        })
        .await;
    // Meanwhile a container starts; only a fresh list can know of it.
    t.run("while-down", &["sleep", "600"], no_tuning).await;
    let _proxy = SocketProxy::start(&socket);
    let name = t.name("while-down");
    console
        .wait_until("the host to be live again with the new container", |c| {
            c.health("flaky") == Some(&SourceHealth::Live) && c.container(&name).is_some()
        })
        .await;
    assert_eq!(console.relists, 2, "one relist after the break");
    assert!(
        console
            .fleet
            .containers
            .values()
            .all(|c| c.id.host == "flaky")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_streams_output_to_a_file_with_exit_code_size_and_digest() {
    let Some(docker) = engine().await else { return };
    let t = TestContainers::new(&docker, "exec");
    let id = t.run("db", &["sleep", "600"], no_tuning).await;
    let dir = tempfile::tempdir().expect("tempdir");

    let target = dir.path().join("dump.out");
    let request = ExecRequest::new(&id, vec!["seq".into(), "1".into(), "200000".into()]);
    let outcome = docker::exec_to_file(&docker, &request, &target)
        .await
        .expect("exec");
    let expected: String = (1..=200_000).map(|n| format!("{n}\n")).collect();
    assert_eq!(outcome.exit_code, Some(0));
    assert!(outcome.succeeded());
    assert_eq!(outcome.path, target);
    assert_eq!(outcome.bytes, expected.len() as u64);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), expected);
    assert_eq!(outcome.sha256, sha256_hex(expected.as_bytes()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "backups are private");
    }

    // A failing command: its exit code, its stderr, and output kept aside as .partial.
    // (The argv runs sh here only because the test needs a command that fails after
    // writing; argv elements are never joined into a shell string.)
    let target = dir.path().join("failed.out");
    let request = ExecRequest::new(
        &id,
        vec![
            "sh".into(),
            "-c".into(),
            "echo partial; echo 'no space left' >&2; exit 7".into(),
        ],
    );
    let outcome = docker::exec_to_file(&docker, &request, &target)
        .await
        .expect("exec");
    assert_eq!(outcome.exit_code, Some(7));
    assert!(!outcome.succeeded());
    assert!(
        !target.exists(),
        "a failed backup never takes the good name"
    );
    assert_eq!(outcome.path, dir.path().join("failed.out.partial"));
    assert_eq!(outcome.bytes, 8);
    assert_eq!(outcome.sha256, sha256_hex(b"partial\n"));
    assert!(outcome.stderr_tail.contains("no space left"), "{outcome:?}");

    let empty = ExecRequest::new(&id, vec![]);
    assert!(
        docker::exec_to_file(&docker, &empty, &target)
            .await
            .is_err()
    );
}

/// A TLS engine as the docker CLI reaches it: `DOCKER_HOST=tcp://…`, `DOCKER_TLS_VERIFY=1`
/// and `DOCKER_CERT_PATH`. The engine is a second real dockerd with `--tlsverify`; the
/// certificates come from `openssl`. A client certificate from another CA is refused, and a
/// missing key file is named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_engine_is_watched_with_the_docker_clis_certificate_files() {
    let Some(engine) = or_skip("a TLS dockerd", TlsEngine::start()) else {
        return;
    };
    let discovery = Discovery {
        docker_host: Some(format!("tcp://127.0.0.1:{}", engine.port)),
        tls_verify: true,
        docker_cert_path: Some(engine.client.clone()),
        local: true,
        ..Discovery::default()
    };
    let endpoints = discovery.endpoints(&|_: &std::path::Path| false);
    assert_eq!(endpoints.len(), 1);
    assert_eq!(
        endpoints[0].url.to_url(),
        format!("https://127.0.0.1:{}", engine.port)
    );
    let host = endpoints[0].name.clone();
    let mut console = Console::watch(&host, endpoints[0].url.clone());
    console
        .wait_until("the TLS engine to be live", |c| {
            c.health(&host) == Some(&SourceHealth::Live)
        })
        .await;
    assert!(
        console.fleet.containers.is_empty(),
        "a fresh engine has no containers"
    );

    // A certificate the engine's CA did not sign: the engine refuses the handshake.
    let rogue = Authority::new(engine.dir.path(), "rogue").expect("rogue CA");
    let rogue_client = rogue
        .client_dir("intruder", &engine.authority.ca())
        .expect("rogue client");
    let url = EndpointUrl::Tls {
        host: "127.0.0.1".into(),
        port: engine.port,
        certs: Some(docker::TlsFiles::in_dir(&rogue_client)),
    };
    let mut console = Console::watch("rogue", url);
    console
        .wait_until("the rogue client to be refused", |c| {
            matches!(c.health("rogue"), Some(SourceHealth::Unavailable { error }) if error.contains("BadCertificate"))
        })
        .await;

    // An engine whose certificate our CA did not sign: we refuse it.
    let mut files = engine.client_files();
    files.ca = rogue.ca();
    let url = EndpointUrl::Tls {
        host: "127.0.0.1".into(),
        port: engine.port,
        certs: Some(files),
    };
    let mut console = Console::watch("unverified", url);
    console
        .wait_until("an engine signed by another CA to be refused", |c| {
            matches!(c.health("unverified"), Some(SourceHealth::Unavailable { error }) if error.contains("UnknownIssuer"))
        })
        .await;

    // A missing key file is named, not reported as a failed handshake.
    let mut files = engine.client_files();
    files.key = engine.dir.path().join("nowhere/key.pem");
    let url = EndpointUrl::Tls {
        host: "127.0.0.1".into(),
        port: engine.port,
        certs: Some(files),
    };
    let mut console = Console::watch("keyless", url);
    console
        .wait_until("the missing key to be named", |c| {
            matches!(c.health("keyless"), Some(SourceHealth::Unavailable { error }) if error.contains("nowhere/key.pem"))
        })
        .await;
}

/// An engine over SSH, as `docker -H ssh://…` reaches it: `ssh … docker system dial-stdio`
/// through a real sshd on a loopback port (to this machine's engine). Containers, stats and
/// a followed log come through; a key the server does not accept shows ssh's own error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_over_ssh_is_watched_and_its_logs_followed() {
    let Some(docker) = engine().await else { return };
    let Some(server) = or_skip("an sshd", SshServer::start()) else {
        return;
    };
    let t = TestContainers::new(&docker, "ssh");
    let id = t
        .run(
            "talker",
            &[
                "sh",
                "-c",
                "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.1; done",
            ],
            no_tuning,
        )
        .await;
    let url = EndpointUrl::Ssh(server.target(&server.config));
    let mut console = Console::watch("over-ssh", url);
    let name = t.name("talker");
    console
        .wait_until("the engine over ssh to be live with the container", |c| {
            c.health("over-ssh") == Some(&SourceHealth::Live) && c.container(&name).is_some()
        })
        .await;
    console.control.set_interest(DockerInterest {
        selected: Some(ContainerId::new("over-ssh", &id)),
        ..follow("over-ssh", &[&id])
    });
    console
        .wait_until("stats and 20 log lines over ssh", |c| {
            c.container(&name)
                .is_some_and(|c| c.memory_usage_bytes.is_some())
                && c.lines("over-ssh", &id).len() >= 20
        })
        .await;
    let texts = console.texts("over-ssh", &id, false);
    let first: u64 = texts[0]
        .strip_prefix("line ")
        .and_then(|n| n.parse().ok())
        .expect("a numbered line");
    let expected: Vec<String> = (first..first + texts.len() as u64)
        .map(|n| format!("line {n}"))
        .collect();
    assert_eq!(texts, expected, "in order, none repeated or lost");

    let url = EndpointUrl::Ssh(server.target(&server.config_wrong_key));
    let mut console = Console::watch("locked-out", url);
    console
        .wait_until("ssh's refusal to be shown", |c| {
            matches!(c.health("locked-out"), Some(SourceHealth::Unavailable { error }) if error.contains("Permission denied"))
        })
        .await;
}
