//! The real `docker` CLI against the simulated Docker Engine API (DESIGN.md §7): `ps`,
//! `inspect`, `logs -f`, `stats --no-stream`, `restart`, `exec` and `events` must work
//! unchanged.
//!
//! The sim runs in-process (only its Docker part, started directly) on the `default`
//! scenario, at 20× speed so that log lines keep coming. Without the docker CLI the tests
//! print `skip: docker not installed` and pass, unless `PILOTHOUSE_REQUIRE_SERVICES=1`,
//! when they fail.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pilothouse::sim::clock::SimClock;
use pilothouse::sim::launch::DockerListen;
use pilothouse::sim::scenario::Scenario;
use serde_json::Value;

const SPEED: f64 = 20.0;
/// Generous: the CI machine has two cores and other tests run alongside.
const DEADLINE: Duration = Duration::from_secs(30);

/// The docker CLI, or `None` (after saying so) when it is missing.
fn docker_cli() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("docker"))
            .find(|candidate| candidate.is_file())
    });
    let found = on_path.or_else(|| {
        let local = PathBuf::from("/usr/local/bin/docker");
        local.is_file().then_some(local)
    });
    if found.is_none() {
        if std::env::var("PILOTHOUSE_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("docker not installed, and PILOTHOUSE_REQUIRE_SERVICES=1");
        }
        println!("skip: docker not installed");
    }
    found
}

/// A running Docker sim and a docker CLI pointed at it.
struct Sim {
    _runtime: tokio::runtime::Runtime,
    docker_host: String,
    cli: PathBuf,
    /// Holds the unix socket and the CLI's config directory.
    dir: tempfile::TempDir,
}

impl Sim {
    /// Start the `default` scenario's Docker API on a unix socket (or TCP).
    fn start(cli: PathBuf, tcp: bool) -> Sim {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let listen = if tcp {
            DockerListen::Tcp("127.0.0.1:0".parse().unwrap())
        } else {
            DockerListen::Unix(dir.path().join("docker.sock"))
        };
        let scenario = Scenario::load("default").unwrap();
        let docker_host = runtime
            .block_on(pilothouse::sim::docker::start(
                &listen,
                &scenario.docker,
                SimClock::new(SPEED),
                7,
            ))
            .unwrap();
        Sim {
            _runtime: runtime,
            docker_host,
            cli,
            dir,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.cli);
        cmd.args(args)
            .env("DOCKER_HOST", &self.docker_host)
            // Keep the user's contexts and credentials out of it.
            .env("DOCKER_CONFIG", self.dir.path().join("docker-config"))
            .env_remove("DOCKER_CONTEXT")
            .env_remove("DOCKER_API_VERSION")
            .stdin(Stdio::null());
        cmd
    }

    /// Run the CLI to completion (killed and failed past the deadline).
    fn run(&self, args: &[&str]) -> Output {
        let child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_with_deadline(child, args)
    }

    /// Run the CLI and return its stdout, failing on a non-zero exit.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "docker {args:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn inspect(&self, name: &str) -> Value {
        let doc: Value = serde_json::from_str(&self.ok(&["inspect", name])).unwrap();
        doc[0].clone()
    }
}

fn wait_with_deadline(mut child: Child, args: &[&str]) -> Output {
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf).map(|_| buf)
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stderr.read_to_end(&mut buf).map(|_| buf)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("docker {args:?} did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap().unwrap(),
        stderr: err.join().unwrap().unwrap(),
    }
}

/// A long-running CLI (`logs -f`, `events`) whose output lines arrive on a channel; it
/// is killed when dropped.
struct Streaming {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Streaming {
    fn spawn(sim: &Sim, args: &[&str]) -> Streaming {
        let mut child = sim
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for reader in [Box::new(stdout) as Box<dyn Read + Send>, Box::new(stderr)] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(reader).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Streaming { child, lines }
    }

    /// Collect lines until `done` says enough, or fail at the deadline.
    fn until(&self, what: &str, mut done: impl FnMut(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + DEADLINE;
        let mut seen = Vec::new();
        while !done(&seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => seen.push(line),
                Err(_) => panic!("waiting for {what}; got {seen:#?}"),
            }
        }
        seen
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ps_lists_compose_and_standalone_containers() {
    let Some(cli) = docker_cli() else { return };
    let sim = Sim::start(cli, true);
    assert!(
        sim.docker_host.starts_with("tcp://127.0.0.1:"),
        "{}",
        sim.docker_host
    );

    let all = sim.ok(&["ps", "-a", "--format", "{{.Names}}\t{{.Status}}"]);
    let status = |name: &str| {
        all.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}\t")))
            .unwrap_or_else(|| panic!("{name} missing from ps -a:\n{all}"))
            .to_string()
    };
    assert!(status("shop-nginx-1").starts_with("Up "), "{all}");
    assert!(status("shop-db-1").ends_with("(healthy)"), "{all}");
    assert!(status("backup-runner").starts_with("Exited (0) "), "{all}");
    assert!(all.contains("grafana\t"), "{all}");

    let running = sim.ok(&["ps", "--format", "{{.Names}}"]);
    assert!(
        !running.contains("backup-runner"),
        "ps without -a hides exited:\n{running}"
    );

    let shop = sim.ok(&[
        "ps",
        "--filter",
        "label=com.docker.compose.project=shop",
        "--format",
        "{{.Names}}",
    ]);
    let mut names: Vec<&str> = shop.lines().collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "shop-app-1",
            "shop-db-1",
            "shop-nginx-1",
            "shop-redis-1",
            "shop-worker-1"
        ]
    );

    let exited = sim.ok(&["ps", "--filter", "status=exited", "--format", "{{.Names}}"]);
    let mut exited: Vec<&str> = exited.lines().collect();
    exited.sort_unstable();
    assert_eq!(exited, ["backup-runner", "report-generator"]);
    assert!(
        status("report-generator").starts_with("Exited (137) "),
        "{all}"
    );
}

#[test]
fn inspect_shows_state_labels_health_and_restarts() {
    let Some(cli) = docker_cli() else { return };
    let sim = Sim::start(cli, false);
    assert!(
        sim.docker_host.starts_with("unix:///"),
        "{}",
        sim.docker_host
    );

    let db = sim.inspect("shop-db-1");
    assert_eq!(db["Name"], "/shop-db-1");
    assert_eq!(db["State"]["Status"], "running");
    assert_eq!(db["State"]["Running"], true);
    assert_eq!(db["State"]["Health"]["Status"], "healthy");
    assert_eq!(db["Config"]["Image"], "postgres:15");
    assert_eq!(db["Config"]["Labels"]["com.docker.compose.service"], "db");
    assert_eq!(db["HostConfig"]["RestartPolicy"]["Name"], "unless-stopped");
    assert!(
        db["NetworkSettings"]["Networks"]["shop_default"]["IPAddress"]
            .as_str()
            .unwrap()
            .starts_with("172.")
    );

    // The worker has been crash-looping since before the sim started.
    let worker = sim.ok(&[
        "inspect",
        "-f",
        "{{.RestartCount}} {{.State.Status}}",
        "shop-worker-1",
    ]);
    let restarts: u32 = worker.split_whitespace().next().unwrap().parse().unwrap();
    assert!(restarts > 0, "{worker}");

    // Killed by the kernel two hours before the sim started.
    let oom = sim.ok(&[
        "inspect",
        "-f",
        "{{.State.OOMKilled}} {{.State.ExitCode}} {{.State.Status}}",
        "report-generator",
    ]);
    assert_eq!(oom.trim(), "true 137 exited");

    let missing = sim.run(&["inspect", "--type", "container", "no-such-thing"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("No such container: no-such-thing"),
        "{missing:?}"
    );
}

#[test]
fn logs_tail_and_follow() {
    let Some(cli) = docker_cli() else { return };
    let sim = Sim::start(cli, false);

    let tail = sim.run(&["logs", "--tail", "5", "shop-nginx-1"]);
    assert!(tail.status.success());
    let lines = String::from_utf8_lossy(&tail.stdout).lines().count()
        + String::from_utf8_lossy(&tail.stderr).lines().count();
    assert_eq!(lines, 5, "{tail:?}");

    let stamped = sim.ok(&["logs", "--tail", "2", "--timestamps", "shop-redis-1"]);
    for line in stamped.lines() {
        let (stamp, _) = line.split_once(' ').unwrap();
        assert!(stamp.ends_with('Z') && stamp.len() == 30, "{line}");
    }

    // `--tail 3` gives three lines at once; more arrive as simulated time passes.
    let follow = Streaming::spawn(&sim, &["logs", "-f", "--tail", "3", "shop-app-1"]);
    let seen = follow.until("eight lines from logs -f", |lines| lines.len() >= 8);
    for line in &seen {
        assert!(line.starts_with("{\"ts\":\""), "JSON app logs: {line}");
    }
}

#[test]
fn stats_no_stream_reports_cpu_and_memory() {
    let Some(cli) = docker_cli() else { return };
    let sim = Sim::start(cli, false);
    let out = sim.ok(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}",
        "shop-db-1",
        "shop-app-1",
        "backup-runner",
    ]);
    let row = |name: &str| -> Vec<String> {
        out.lines()
            .find(|l| l.starts_with(&format!("{name}|")))
            .unwrap_or_else(|| panic!("{name} missing:\n{out}"))
            .split('|')
            .map(str::to_string)
            .collect()
    };
    let app = row("shop-app-1");
    let cpu: f64 = app[1].trim_end_matches('%').parse().unwrap();
    assert!((10.0..40.0).contains(&cpu), "app CPU near its 22 %: {out}");
    assert!(app[2].contains("MiB / 1GiB"), "{out}");
    let db = row("shop-db-1");
    assert!(db[2].ends_with("/ 2GiB"), "{out}");
    assert_eq!(db[3], "9");
    let stopped = row("backup-runner");
    assert_eq!(stopped[1], "0.00%", "{out}");

    // Without names the CLI subscribes to /events, lists the running containers and
    // samples each.
    let everything = sim.ok(&["stats", "--no-stream", "--format", "{{.Name}} {{.MemPerc}}"]);
    let mut names: Vec<&str> = everything
        .lines()
        .filter_map(|l| l.split(' ').next())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "grafana",
            "shop-app-1",
            "shop-db-1",
            "shop-nginx-1",
            "shop-redis-1",
            "shop-worker-1"
        ],
        "{everything}"
    );
}

#[test]
fn restart_is_visible_in_inspect_and_events() {
    let Some(cli) = docker_cli() else { return };
    let sim = Sim::start(cli, false);
    let before = sim.inspect("shop-nginx-1");
    // The daemon's clock (simulated time runs ahead of the CLI's).
    let since = sim.ok(&["info", "--format", "{{.SystemTime}}"]);
    let since = since.trim();

    let out = sim.ok(&["restart", "shop-nginx-1"]);
    assert_eq!(out.trim(), "shop-nginx-1");
    let after = sim.inspect("shop-nginx-1");
    assert_ne!(after["State"]["StartedAt"], before["State"]["StartedAt"]);
    assert_eq!(after["State"]["Status"], "running");
    // A manual restart resets the count, as moby does.
    assert_eq!(after["RestartCount"], 0);

    let events = Streaming::spawn(
        &sim,
        &[
            "events",
            "--since",
            since,
            "--filter",
            "container=shop-nginx-1",
        ],
    );
    let seen = events.until("the restart event", |lines| {
        lines.iter().any(|l| l.contains(" container restart "))
    });
    let actions: Vec<&str> = seen
        .iter()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert_eq!(
        actions,
        ["kill", "die", "stop", "start", "restart"],
        "{seen:#?}"
    );
    assert!(seen[1].contains("exitCode=0"), "{}", seen[1]);
}

#[test]
fn exec_runs_scenario_commands_with_their_exit_codes() {
    let Some(cli) = docker_cli() else { return };
    let sim = Sim::start(cli, false);

    let dump = sim.run(&["exec", "shop-db-1", "pg_dump", "-U", "shop", "shop"]);
    assert!(dump.status.success(), "{dump:?}");
    let stdout = String::from_utf8_lossy(&dump.stdout);
    let stderr = String::from_utf8_lossy(&dump.stderr);
    assert!(
        stdout.contains("-- PostgreSQL database dump complete"),
        "{stdout}"
    );
    assert!(
        stderr.contains("pg_dump: dumping contents of table \"public.orders\""),
        "{stderr}"
    );

    let bgsave = sim.ok(&["exec", "shop-redis-1", "redis-cli", "BGSAVE"]);
    assert_eq!(bgsave, "Background saving started\n");

    let missing_db = sim.run(&["exec", "shop-db-1", "pg_dump", "-U", "shop", "shop_archive"]);
    assert_eq!(missing_db.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing_db.stderr)
            .contains("database \"shop_archive\" does not exist")
    );

    let unknown = sim.run(&["exec", "shop-redis-1", "no-such-tool"]);
    assert_eq!(unknown.status.code(), Some(127), "{unknown:?}");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&unknown.stdout),
        String::from_utf8_lossy(&unknown.stderr)
    );
    assert!(
        said.contains("exec: \"no-such-tool\": executable file not found in $PATH"),
        "{said}"
    );

    let stopped = sim.run(&["exec", "backup-runner", "true"]);
    assert!(!stopped.status.success());
    assert!(
        String::from_utf8_lossy(&stopped.stderr).contains("is not running"),
        "{stopped:?}"
    );
}

/// One raw HTTP/1.0 exchange over TCP: the status line, the headers (lower-cased
/// names), the body.
fn http(host: &str, request: &str) -> (String, Vec<(String, String)>, Vec<u8>) {
    let addr = host.trim_start_matches("tcp://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    std::io::Write::write_all(&mut stream, request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let mut lines = head.lines();
    let status = lines.next().unwrap().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    (status, headers, response[split + 4..].to_vec())
}

#[test]
fn the_api_answers_plain_http_clients_too() {
    // No CLI needed: the wire format itself, as other clients (bollard) see it.
    let sim = Sim::start(PathBuf::from("docker"), true);
    let host = sim.docker_host.clone();

    let (status, headers, body) = http(&host, "HEAD /_ping HTTP/1.0\r\n\r\n");
    assert!(status.contains(" 200 "), "{status}");
    assert!(
        headers.contains(&("api-version".to_string(), "1.41".to_string())),
        "{headers:?}"
    );
    assert!(body.is_empty(), "HEAD has no body");

    let (status, _, body) = http(&host, "GET /v1.41/containers/nope/json HTTP/1.0\r\n\r\n");
    assert!(status.contains(" 404 "), "{status}");
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["message"], "No such container: nope");

    // Exec without the upgrade: the multiplexed stream comes as the response body.
    let create = r#"{"Cmd":["redis-cli","PING"],"AttachStdout":true,"AttachStderr":true}"#;
    let (status, _, body) = http(
        &host,
        &format!(
            "POST /v1.43/containers/shop-redis-1/exec HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{create}",
            create.len()
        ),
    );
    assert!(status.contains(" 201 "), "{status}");
    let id = serde_json::from_slice::<Value>(&body).unwrap()["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, headers, body) = http(
        &host,
        &format!("POST /v1.43/exec/{id}/start HTTP/1.0\r\nContent-Length: 2\r\n\r\n{{}}"),
    );
    assert!(status.contains(" 200 "), "{status}");
    assert!(
        headers.contains(&(
            "content-type".to_string(),
            "application/vnd.docker.multiplexed-stream".to_string()
        )),
        "API 1.43 names the stream's framing: {headers:?}"
    );
    let mut buf = body;
    let frames = pilothouse::sim::docker::frames::take_frames(&mut buf);
    assert_eq!(frames, [(1, b"PONG\n".to_vec())]);
    let (_, _, body) = http(&host, &format!("GET /exec/{id}/json HTTP/1.0\r\n\r\n"));
    let inspect: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(inspect["ExitCode"], 0);
    assert_eq!(inspect["Running"], false);

    // Events up to now come back and the stream ends.
    let (status, _, body) = http(
        &host,
        "GET /events?since=0&until=1&filters=%7B%22type%22%3A%5B%22container%22%5D%7D HTTP/1.0\r\n\r\n",
    );
    assert!(status.contains(" 200 "), "{status}");
    assert!(body.is_empty(), "nothing happened in 1970");
}
