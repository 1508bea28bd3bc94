//! What the alert and host tests share: the real servers (Debian's Alertmanager,
//! Prometheus and node_exporter) started on free loopback ports with the configurations
//! beside this file, and a console stand-in that applies the sources' events to a
//! `Fleet` and waits on conditions with a deadline.
//!
//! A missing binary skips the test with a printed reason, unless
//! `PILOTHOUSE_REQUIRE_SERVICES=1`, when it fails.
#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pilothouse::model::{SourceHealth, SourceKey, SourceKind};
use pilothouse::sources::EventSink;
use pilothouse::store::{Fleet, SourceEvent};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Long enough for a slow CI machine; a passing test takes a few seconds.
pub const DEADLINE: Duration = Duration::from_secs(60);

fn required() -> bool {
    std::env::var("PILOTHOUSE_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// The binary `name` on the PATH, or `None` after saying why the test is skipped.
pub fn binary(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        if required() {
            panic!("{name} not installed (run .ci/services-up), and PILOTHOUSE_REQUIRE_SERVICES=1");
        }
        println!("skip: {name} not installed (run .ci/services-up)");
    }
    found
}

/// A free loopback port: bind port 0, note what the kernel gave, let it go.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local address").port()
}

fn services_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/services")
}

/// A server process of the test; killed when dropped.
pub struct Service {
    name: &'static str,
    binary: PathBuf,
    args: Vec<String>,
    /// Where `/-/ready` (or `/metrics`) answers when it is up.
    ready_path: &'static str,
    pub url: String,
    pub port: u16,
    child: Option<Child>,
    /// Data and logs; removed at the end.
    pub dir: tempfile::TempDir,
}

impl Service {
    /// An Alertmanager with `tests/services/alertmanager.yml`, no cluster port.
    pub async fn alertmanager() -> Option<Service> {
        let binary = binary("prometheus-alertmanager")?;
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let args = vec![
            format!(
                "--config.file={}",
                services_dir().join("alertmanager.yml").display()
            ),
            format!("--storage.path={}", dir.path().join("data").display()),
            "--cluster.listen-address=".to_string(),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ];
        Some(Service::start("alertmanager", binary, args, "/-/ready", port, dir).await)
    }

    /// A node_exporter with its default collectors.
    pub async fn node_exporter() -> Option<Service> {
        let binary = binary("prometheus-node-exporter")?;
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let args = vec![format!("--web.listen-address=127.0.0.1:{port}")];
        Some(Service::start("node_exporter", binary, args, "/metrics", port, dir).await)
    }

    /// A Prometheus scraping `target` (`127.0.0.1:PORT`) every second.
    pub async fn prometheus(target: &str) -> Option<Service> {
        let binary = binary("prometheus")?;
        let dir = tempfile::tempdir().expect("temp dir");
        let template = std::fs::read_to_string(services_dir().join("prometheus.yml"))
            .expect("tests/services/prometheus.yml");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, template.replace("NODE_EXPORTER", target)).expect("write config");
        let port = free_port();
        let args = vec![
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ];
        Some(Service::start("prometheus", binary, args, "/-/ready", port, dir).await)
    }

    async fn start(
        name: &'static str,
        binary: PathBuf,
        args: Vec<String>,
        ready_path: &'static str,
        port: u16,
        dir: tempfile::TempDir,
    ) -> Service {
        let mut service = Service {
            name,
            binary,
            args,
            ready_path,
            url: format!("http://127.0.0.1:{port}"),
            port,
            child: None,
            dir,
        };
        service.restart().await;
        service
    }

    /// Stop the server (SIGKILL: as sudden as a crash).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start it (again) on the same port and data, and wait until it is ready.
    pub async fn restart(&mut self) {
        self.stop();
        let log = std::fs::File::create(self.dir.path().join(format!("{}.log", self.name)))
            .expect("log file");
        let child = Command::new(&self.binary)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        self.child = Some(child);
        let client = http();
        let url = format!("{}{}", self.url, self.ready_path);
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return;
            }
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("{} exited with {status}:\n{}", self.name, self.log());
            }
            assert!(
                Instant::now() < deadline,
                "{} not ready within {DEADLINE:?}:\n{}",
                self.name,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{}.log", self.name)))
            .unwrap_or_default()
    }

    pub fn parsed_url(&self) -> reqwest::Url {
        self.url.parse().expect("a URL")
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The console stand-in: the sources' events applied to a fleet, as `App::update` does.
pub struct Console {
    pub fleet: Fleet,
    rx: mpsc::Receiver<SourceEvent>,
    pub events: u64,
}

impl Console {
    /// A channel as the console's, with the sink the sources send into.
    pub fn new() -> (Console, EventSink) {
        let (tx, rx) = mpsc::channel(4096);
        (Console::reading(rx), EventSink::new(tx))
    }

    /// A console reading `rx` (the rules' output, say).
    pub fn reading(rx: mpsc::Receiver<SourceEvent>) -> Console {
        Console {
            fleet: Fleet::new(),
            rx,
            events: 0,
        }
    }

    /// Apply events until `done` holds, or fail after `DEADLINE` saying `what`.
    pub async fn wait_for(&mut self, what: &str, mut done: impl FnMut(&Fleet) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        while !done(&self.fleet) {
            let event = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "timed out waiting for {what}; sources: {:?}; alerts: {:?}",
                        self.fleet.sources,
                        self.fleet
                            .alerts
                            .values()
                            .map(|a| (a.name(), a.state))
                            .collect::<Vec<_>>()
                    )
                })
                .expect("the sources hold the channel open");
            self.events += 1;
            self.fleet.apply(event);
        }
    }

    /// The health of a source, by kind and name.
    pub fn health(&self, kind: SourceKind, name: &str) -> Option<&SourceHealth> {
        self.fleet.sources.get(&SourceKey::new(kind, name))
    }
}

/// Whether the source's health has this label (`live`, `stale`, `unavailable`).
pub fn health_is(fleet: &Fleet, kind: SourceKind, name: &str, label: &str) -> bool {
    fleet
        .sources
        .get(&SourceKey::new(kind, name))
        .is_some_and(|h| h.label() == label)
}

/// pilothouse's HTTP client (reqwest with its crypto provider installed).
pub fn http() -> reqwest::Client {
    pilothouse::sources::alertmanager::http::client(Duration::from_secs(10)).expect("a client")
}

/// GET a JSON document.
pub async fn get_json(url: &str) -> serde_json::Value {
    http()
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: not JSON: {e}"))
}
