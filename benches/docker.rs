//! Docker source figures against a real engine, the scenarios of issue 5:
//!
//! - **idle containers** (50 and 200): the engine's CPU with no client, then with
//!   pilothouse's source watching (a) no view on the containers: sparse samples only, and
//!   (b) the containers view open: 21 containers on screen. Reports pilothouse's own CPU
//!   and RSS. Then, side by side ([`clients`]): the real binary and oxker (and lazydocker
//!   where installed), each in a 200x50 tmux pane, with their own CPU and RSS.
//! - **a chatty logger** (~55,000 lines/s, the busybox loop): the engine's CPU with
//!   no client, then with its logs followed into a log store, reading the json-file log
//!   from disk (the default for a local engine) and through the API; pilothouse's CPU and
//!   RSS, lines received, lag behind the container, and how long a "keystroke" waits in a
//!   loop shaped like the console's.
//!
//! Run with `cargo bench --bench docker` (needs the engine and image of `.ci/docker-up`).
//! Knobs: `PILOTHOUSE_BENCH_SECS` (window, default 20), `PILOTHOUSE_BENCH_CONTAINERS`
//! (default `50,200`), `PILOTHOUSE_BENCH_SCENARIOS` (default `idle,logs`), the clients'
//! paths (see [`clients`]), `PILOTHOUSE_BENCH_LOG_BUDGET_MIB` (default 16: small enough that the
//! window shows the store reaching its budget and staying there). It prints figures beside
//! the targets and asserts nothing (DESIGN.md §9).
//!
//! "pilothouse" here is this process: the source plus a consumer that applies its events to
//! a `Fleet` and a `LogStore` as the console does, without drawing.

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, RemoveContainerOptions,
};
use futures::StreamExt;
use jiff::Timestamp;
use pilothouse::logs::LogStore;
use pilothouse::model::{ContainerId, ContainerRunState};
use pilothouse::sources::EventSink;
use pilothouse::sources::docker::{
    self, DockerControl, DockerEndpoint, DockerInterest, DockerOptions, EndpointUrl, LogStart,
};
use pilothouse::store::{Fleet, SourceEvent};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[path = "docker/clients.rs"]
mod clients;
#[path = "support/terminal_client.rs"]
mod terminal_client;

const SOCKET: &str = "/var/run/docker.sock";
const IMAGE: &str = "pilothouse-test/busybox:latest";
const PREFIX: &str = "pilothouse-bench";
/// Rows of containers an 80x24 terminal shows, plus the selected one.
const ON_SCREEN: usize = 21;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("docker: figures only from `cargo bench --bench docker`");
        return;
    }
    let window = Duration::from_secs(env_number("PILOTHOUSE_BENCH_SECS", 20));
    let counts: Vec<usize> = std::env::var("PILOTHOUSE_BENCH_CONTAINERS")
        .unwrap_or_else(|_| "50,200".to_string())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let budget_mib = env_number("PILOTHOUSE_BENCH_LOG_BUDGET_MIB", 16);
    let scenarios =
        std::env::var("PILOTHOUSE_BENCH_SCENARIOS").unwrap_or_else(|_| "idle,logs".to_string());
    let (idle, logs) = (scenarios.contains("idle"), scenarios.contains("logs"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let Some(docker) = engine().await else {
            println!("skip: no Docker engine at {SOCKET} with {IMAGE} (run .ci/docker-up)");
            return;
        };
        remove_bench_containers(&docker).await;
        println!(
            "pilothouse docker bench: {}s windows, {} CPU(s), engine {}",
            window.as_secs(),
            std::thread::available_parallelism().map_or(1, |n| n.get()),
            docker
                .version()
                .await
                .ok()
                .and_then(|v| v.version)
                .unwrap_or_default()
        );
        for n in counts.into_iter().filter(|_| idle) {
            idle_containers(&docker, n, window).await;
            remove_bench_containers(&docker).await;
        }
        if logs {
            chatty_logger(&docker, window, budget_mib).await;
            remove_bench_containers(&docker).await;
        }
    });
}

// ---------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------

async fn idle_containers(docker: &Docker, n: usize, window: Duration) {
    println!("\n== {n} idle containers");
    let started = Instant::now();
    let names: Vec<String> = (0..n).map(|i| format!("{PREFIX}-idle-{i:03}")).collect();
    futures::stream::iter(names.iter())
        .for_each_concurrent(8, |name| async move {
            run(docker, name, &["sleep", "1000000"]).await;
        })
        .await;
    println!("  started in {:.1}s", started.elapsed().as_secs_f64());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let engine = Engine::find();
    let baseline = engine.measure(window).await;
    println!(
        "  no client:              engine {:5.1}% (dockerd+containerd), shims {:4.1}%",
        baseline.engine, baseline.shims
    );

    let console = Console::start(32 * 1024 * 1024, DockerOptions::default());
    let warm = Instant::now();
    console
        .wait(Duration::from_secs(120), |fleet, _| {
            let running: Vec<_> = fleet
                .containers
                .values()
                .filter(|c| c.name.starts_with(PREFIX) && c.state == ContainerRunState::Running)
                .collect();
            running.len() == n && running.iter().all(|c| c.memory_usage_bytes.is_some())
        })
        .await;
    println!(
        "  listed and every container sampled once in {:.1}s",
        warm.elapsed().as_secs_f64()
    );

    let quiet = console.measure(&engine, window).await;
    quiet.print("  console, no container view", &baseline);

    let mut interest = DockerInterest::default();
    let on_screen: Vec<ContainerId> = console.with_state(|fleet, _| {
        let mut ids: Vec<ContainerId> = fleet
            .containers
            .values()
            .filter(|c| c.name.starts_with(PREFIX))
            .map(|c| c.id.clone())
            .collect();
        ids.sort();
        ids.truncate(ON_SCREEN);
        ids
    });
    interest.selected = on_screen.first().cloned();
    interest.visible.extend(on_screen);
    console.control.set_interest(interest);
    let viewing = console.measure(&engine, window).await;
    viewing.print(
        &format!("  containers view, {ON_SCREEN} rows on screen"),
        &baseline,
    );
    console.stop();
    // Let the source's connections close before other clients are measured.
    tokio::time::sleep(Duration::from_secs(2)).await;
    clients::compare(&engine, &baseline, window).await;
    println!(
        "  target: engine +≤2.0 pp in total, pilothouse ≤0.5% and ≤30 MB \
         (the issue's figures: oxker +17.5 pp, 1.6%, 12 MB; lazydocker +16 pp, 6.6%, 29 MB)"
    );
}

async fn chatty_logger(docker: &Docker, window: Duration, budget_mib: u64) {
    println!("\n== one container logging ~55,000 lines/s");
    let name = format!("{PREFIX}-logger");
    let id = run(
        docker,
        &name,
        &[
            "sh",
            "-c",
            "while true; do seq 100000 101000; sleep 0.02; done",
        ],
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let engine = Engine::find();
    let baseline = engine.measure(window).await;
    println!(
        "  no client:              engine {:5.1}% (dockerd+containerd), shims {:4.1}%",
        baseline.engine, baseline.shims
    );

    for (label, read_log_files) in [("log file read", true), ("through the API", false)] {
        let options = DockerOptions {
            read_log_files,
            ..DockerOptions::default()
        };
        follow_logger(&engine, &baseline, &id, options, label, window, budget_mib).await;
    }
    println!(
        "  target: pilothouse ≤20%, engine ≤+5 pp, memory flat at the budget, lag ≤1 s, \
         keystroke ≤50 ms (oxker 38% itself, engine 70%; lazydocker 76%, engine 33%)"
    );
}

/// Follow the logger's logs for a window and print what it cost.
async fn follow_logger(
    engine: &Engine,
    baseline: &Figures,
    id: &str,
    options: DockerOptions,
    label: &str,
    window: Duration,
    budget_mib: u64,
) {
    let console = Console::start(budget_mib as usize * 1024 * 1024, options);
    let mut interest = DockerInterest::default();
    interest.logs.insert(
        ContainerId::new("local", id),
        // From now on: the figure is the steady flow, not a backlog.
        LogStart {
            since: None,
            tail: Some(0),
        },
    );
    console.control.set_interest(interest);
    console
        .wait(Duration::from_secs(30), |_, logs| {
            logs.stats().retained_lines > 0
        })
        .await;
    let lines_start = console.with_state(|_, logs| total_lines(logs));
    let followed = console.measure(engine, window).await;
    let lines = console.with_state(|_, logs| total_lines(logs)) - lines_start;
    followed.print(&format!("  logs followed, {label}"), baseline);
    let stats = console.with_state(|_, logs| logs.stats());
    println!(
        "    received {:.0} lines/s; store {} lines, {:.1} MiB charged of a {budget_mib} MiB budget, {} evicted, {} dropped",
        lines as f64 / window.as_secs_f64(),
        stats.retained_lines,
        stats.charged_bytes as f64 / 1048576.0,
        stats.evicted_lines,
        stats.dropped_lines,
    );
    let rss: Vec<String> = followed
        .rss_series
        .iter()
        .map(|b| format!("{:.0}", *b as f64 / 1e6))
        .collect();
    println!("    RSS over the window (MB): {}", rss.join(" "));
    let (lag, keys) = console.latencies();
    println!(
        "    lag behind the container: max {:.0} ms; keystroke wait p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lag.as_secs_f64() * 1e3,
        keys.0.as_secs_f64() * 1e3,
        keys.1.as_secs_f64() * 1e3,
        keys.2.as_secs_f64() * 1e3,
    );
    console.stop();
}

fn total_lines(logs: &LogStore) -> u64 {
    let stats = logs.stats();
    stats.retained_lines + stats.evicted_lines
}

// ---------------------------------------------------------------------------------------
// The console stand-in: the source, and a loop shaped like the console's
// ---------------------------------------------------------------------------------------

/// What the consumer loop shares with the bench: the fleet and logs as the console
/// would hold them, plus latency figures. Behind a mutex only here, for reading figures.
struct State {
    fleet: Fleet,
    logs: LogStore,
    max_lag: Duration,
    key_waits: Vec<Duration>,
}

struct Console {
    control: DockerControl,
    cancel: CancellationToken,
    state: std::sync::Arc<std::sync::Mutex<State>>,
    changed: watch::Receiver<u64>,
}

impl Console {
    fn start(budget: usize, options: DockerOptions) -> Console {
        let (tx, mut events) = mpsc::channel::<SourceEvent>(4096);
        let cancel = CancellationToken::new();
        let control = docker::spawn_sources(
            vec![DockerEndpoint::new(
                "local",
                EndpointUrl::Unix(SOCKET.into()),
            )],
            EventSink::new(tx),
            options,
            &cancel,
        );
        let state = std::sync::Arc::new(std::sync::Mutex::new(State {
            fleet: Fleet::new(),
            logs: LogStore::new(budget),
            max_lag: Duration::ZERO,
            key_waits: Vec::new(),
        }));
        let (changed_tx, changed) = watch::channel(0u64);
        // "Keystrokes": one every 50 ms, stamped when sent.
        let (key_tx, mut keys) = mpsc::channel::<Instant>(16);
        let keys_cancel = cancel.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(50));
            loop {
                tokio::select! {
                    _ = keys_cancel.cancelled() => return,
                    _ = every.tick() => { let _ = key_tx.try_send(Instant::now()); }
                }
            }
        });
        let loop_state = state.clone();
        let loop_cancel = cancel.clone();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(1024);
            let mut generation = 0u64;
            loop {
                tokio::select! {
                    _ = loop_cancel.cancelled() => return,
                    Some(sent) = keys.recv() => {
                        let waited = sent.elapsed();
                        loop_state.lock().expect("bench state").key_waits.push(waited);
                    }
                    n = events.recv_many(&mut batch, 1024) => {
                        if n == 0 { return; }
                        let mut s = loop_state.lock().expect("bench state");
                        for event in batch.drain(..) {
                            match event {
                                SourceEvent::Log(lines) => {
                                    // Lag: how old the oldest line of a batch is on arrival.
                                    if let Some(oldest) = lines.first().and_then(|l| l.timestamp) {
                                        let lag = Timestamp::now().duration_since(oldest);
                                        let lag = Duration::try_from(lag).unwrap_or_default();
                                        s.max_lag = s.max_lag.max(lag);
                                    }
                                    for line in lines { s.logs.ingest(line); }
                                }
                                SourceEvent::LogDropped { stream, lines } => s.logs.note_dropped(&stream, lines),
                                other => s.fleet.apply(other),
                            }
                        }
                        drop(s);
                        generation += 1;
                        changed_tx.send_replace(generation);
                    }
                }
            }
        });
        Console {
            control,
            cancel,
            state,
            changed,
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&Fleet, &LogStore) -> T) -> T {
        let s = self.state.lock().expect("bench state");
        f(&s.fleet, &s.logs)
    }

    /// Wait until `done` holds, at most `limit`.
    async fn wait(&self, limit: Duration, mut done: impl FnMut(&Fleet, &LogStore) -> bool) {
        let deadline = Instant::now() + limit;
        let mut changed = self.changed.clone();
        while !self.with_state(&mut done) {
            if tokio::time::timeout_at(deadline, changed.changed())
                .await
                .is_err()
            {
                println!("  (gave up waiting after {limit:?})");
                return;
            }
        }
    }

    /// Measure a window; latency figures restart with it.
    async fn measure(&self, engine: &Engine, window: Duration) -> Figures {
        {
            let mut s = self.state.lock().expect("bench state");
            s.max_lag = Duration::ZERO;
            s.key_waits.clear();
        }
        let own_before = self_ticks();
        // RSS every 2 s through the window, to see whether memory levels off.
        let sampler = tokio::spawn(async move {
            let mut series = Vec::new();
            let mut every = tokio::time::interval(Duration::from_secs(2));
            let end = Instant::now() + window;
            while Instant::now() < end {
                every.tick().await;
                series.push(rss_bytes());
            }
            series
        });
        let figures = engine.measure(window).await;
        let own = ticks_percent(self_ticks() - own_before, window);
        Figures {
            own: Some(own),
            rss: Some(rss_bytes()),
            rss_series: sampler.await.unwrap_or_default(),
            ..figures
        }
    }

    /// Max lag, and keystroke waits (p50, p99, max), of the last window.
    fn latencies(&self) -> (Duration, (Duration, Duration, Duration)) {
        let s = self.state.lock().expect("bench state");
        let mut waits = s.key_waits.clone();
        waits.sort();
        let at = |q: f64| {
            waits
                .get(((waits.len() as f64 - 1.0) * q).round().max(0.0) as usize)
                .copied()
                .unwrap_or_default()
        };
        (s.max_lag, (at(0.5), at(0.99), at(1.0)))
    }

    fn stop(self) {
        self.cancel.cancel();
    }
}

// ---------------------------------------------------------------------------------------
// Measuring: CPU from /proc, in percent of one CPU
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct Figures {
    /// dockerd + containerd.
    engine: f64,
    /// Every containerd-shim.
    shims: f64,
    own: Option<f64>,
    rss: Option<u64>,
    rss_series: Vec<u64>,
}

impl Figures {
    fn print(&self, label: &str, baseline: &Figures) {
        println!(
            "{label:<38} engine {:5.1}% ({:+.1} pp), shims {:4.1}% ({:+.1} pp); itself {:.2}% CPU, {:.1} MB RSS",
            self.engine,
            self.engine - baseline.engine,
            self.shims,
            self.shims - baseline.shims,
            self.own.unwrap_or(0.0),
            self.rss.unwrap_or(0) as f64 / 1e6,
        );
    }
}

/// The engine's processes.
struct Engine {
    engine: Vec<u32>,
    shims: Vec<u32>,
}

impl Engine {
    fn find() -> Engine {
        let mut engine = Vec::new();
        let mut shims = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            match comm.trim() {
                "dockerd" | "containerd" => engine.push(pid),
                c if c.starts_with("containerd-shim") => shims.push(pid),
                _ => {}
            }
        }
        Engine { engine, shims }
    }

    async fn measure(&self, window: Duration) -> Figures {
        let before = (ticks_of(&self.engine), ticks_of(&self.shims));
        tokio::time::sleep(window).await;
        let after = (ticks_of(&self.engine), ticks_of(&self.shims));
        Figures {
            engine: ticks_percent(after.0.saturating_sub(before.0), window),
            shims: ticks_percent(after.1.saturating_sub(before.1), window),
            own: None,
            rss: None,
            rss_series: Vec::new(),
        }
    }
}

fn ticks_of(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .map(|stat| stat_ticks(&stat))
        .sum()
}

fn self_ticks() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .map(|s| stat_ticks(&s))
        .unwrap_or(0)
}

/// utime + stime from a `/proc/PID/stat` line (fields 14 and 15; the command name in
/// parentheses may hold spaces, so count from its closing parenthesis).
fn stat_ticks(stat: &str) -> u64 {
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    field(11) + field(12)
}

fn ticks_percent(ticks: u64, window: Duration) -> f64 {
    ticks as f64 / clock_ticks() as f64 / window.as_secs_f64() * 100.0
}

fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------------------

async fn engine() -> Option<Docker> {
    let docker = Docker::connect_with_unix(SOCKET, 60, bollard::API_DEFAULT_VERSION).ok()?;
    let docker = docker.negotiate_version().await.ok()?;
    docker.inspect_image(IMAGE).await.ok()?;
    Some(docker)
}

async fn run(docker: &Docker, name: &str, argv: &[&str]) -> String {
    let body = ContainerCreateBody {
        image: Some(IMAGE.to_string()),
        cmd: Some(argv.iter().map(|s| s.to_string()).collect()),
        host_config: Some(HostConfig {
            network_mode: Some("none".to_string()),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    };
    let options = CreateContainerOptions {
        name: Some(name.to_string()),
        ..CreateContainerOptions::default()
    };
    let created = docker
        .create_container(Some(options), body)
        .await
        .expect("create a bench container");
    docker
        .start_container(&created.id, None)
        .await
        .expect("start a bench container");
    created.id
}

async fn remove_bench_containers(docker: &Docker) {
    let options = ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([(
            "name".to_string(),
            vec![PREFIX.to_string()],
        )])),
        ..ListContainersOptions::default()
    };
    let list = docker
        .list_containers(Some(options))
        .await
        .unwrap_or_default();
    futures::stream::iter(list.into_iter().filter_map(|c| c.id))
        .for_each_concurrent(8, |id| async move {
            let options = RemoveContainerOptions {
                force: true,
                ..RemoveContainerOptions::default()
            };
            let _ = docker.remove_container(&id, Some(options)).await;
        })
        .await;
}
