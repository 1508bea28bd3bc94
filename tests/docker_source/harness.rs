//! What the Docker source tests share: the engine, the test's containers (removed even
//! when a test fails), a console stand-in that applies the source's events to a `Fleet`,
//! and a socket proxy that can be switched off.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, HostConfig, NetworkCreateRequest, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, ListNetworksOptions, RemoveContainerOptions,
};
use pilothouse::logs::{RawLogLine, StreamKey};
use pilothouse::model::{ContainerId, DockerContainer, SourceHealth, SourceKey, SourceKind};
use pilothouse::sources::EventSink;
use pilothouse::sources::docker::{
    self, DockerControl, DockerEndpoint, DockerInterest, DockerOptions, EndpointUrl, LogStart,
};
use pilothouse::store::{Fleet, SourceEvent};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub const SOCKET: &str = "/var/run/docker.sock";
pub const IMAGE: &str = "pilothouse-test/busybox:latest";
/// Long enough for a slow CI machine; a passing test takes a few seconds.
pub const DEADLINE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// The engine and the test's containers
// ---------------------------------------------------------------------------------------

/// A client for the local engine, or `None` (after printing why) when there is none and
/// the services are not required.
pub async fn engine() -> Option<Docker> {
    let required = std::env::var("PILOTHOUSE_REQUIRE_SERVICES").as_deref() == Ok("1");
    let answer = async {
        let docker = Docker::connect_with_unix(SOCKET, 30, bollard::API_DEFAULT_VERSION)
            .map_err(|e| e.to_string())?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| e.to_string())?;
        docker
            .inspect_image(IMAGE)
            .await
            .map_err(|e| format!("test image {IMAGE}: {e} (run .ci/docker-up)"))?;
        Ok::<Docker, String>(docker)
    }
    .await;
    match answer {
        Ok(docker) => Some(docker),
        Err(why) if required => panic!("PILOTHOUSE_REQUIRE_SERVICES=1 but no Docker engine: {why}"),
        Err(why) => {
            eprintln!("skip: no Docker engine ({why})");
            None
        }
    }
}

/// The containers of one test, all named `<prefix>-...`; removed when dropped.
pub struct TestContainers {
    docker: Docker,
    prefix: String,
}

impl TestContainers {
    pub fn new(docker: &Docker, test: &str) -> TestContainers {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        TestContainers {
            docker: docker.clone(),
            prefix: format!("pilothouse-t-{test}-{}-{nanos:x}", std::process::id()),
        }
    }

    pub fn name(&self, short: &str) -> String {
        format!("{}-{short}", self.prefix)
    }

    /// Create and start `<prefix>-<short>` running `argv`; returns its id.
    pub async fn run(
        &self,
        short: &str,
        argv: &[&str],
        tune: impl FnOnce(&mut ContainerCreateBody),
    ) -> String {
        let mut body = ContainerCreateBody {
            image: Some(IMAGE.to_string()),
            cmd: Some(argv.iter().map(|s| s.to_string()).collect()),
            host_config: Some(HostConfig {
                network_mode: Some("none".to_string()),
                ..HostConfig::default()
            }),
            ..ContainerCreateBody::default()
        };
        tune(&mut body);
        let options = CreateContainerOptions {
            name: Some(self.name(short)),
            ..CreateContainerOptions::default()
        };
        let created = self
            .docker
            .create_container(Some(options), body)
            .await
            .expect("create container");
        self.docker
            .start_container(&created.id, None)
            .await
            .expect("start container");
        created.id
    }

    /// Create `<prefix>-<short>`, an internal bridge network: containers on it reach each
    /// other and nothing else (no route out, no iptables rules: the engine runs with
    /// `--iptables=false`). Removed with the test's containers.
    pub async fn network(&self, short: &str) -> String {
        let name = self.name(short);
        self.docker
            .create_network(NetworkCreateRequest {
                name: name.clone(),
                driver: Some("bridge".to_string()),
                internal: Some(true),
                ..NetworkCreateRequest::default()
            })
            .await
            .expect("create network");
        name
    }

    /// The address of container `id` on `network`.
    pub async fn address(&self, id: &str, network: &str) -> String {
        let inspect = self
            .docker
            .inspect_container(id, None)
            .await
            .expect("inspect container");
        inspect
            .network_settings
            .and_then(|n| n.networks)
            .and_then(|mut n| n.remove(network))
            .and_then(|n| n.ip_address)
            .filter(|ip| !ip.is_empty())
            .expect("an address on the network")
    }

    pub async fn remove(&self, id: &str) {
        let options = RemoveContainerOptions {
            force: true,
            ..RemoveContainerOptions::default()
        };
        self.docker
            .remove_container(id, Some(options))
            .await
            .expect("remove container");
    }
}

impl Drop for TestContainers {
    /// Remove every container of the test, on success and on failure alike. Drop cannot
    /// await, so this runs on a runtime of its own in a thread of its own.
    fn drop(&mut self) {
        let docker = self.docker.clone();
        let prefix = self.prefix.clone();
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let options = ListContainersOptions {
                    all: true,
                    filters: Some(HashMap::from([("name".to_string(), vec![prefix.clone()])])),
                    ..ListContainersOptions::default()
                };
                let Ok(list) = docker.list_containers(Some(options)).await else {
                    return;
                };
                for c in list {
                    if let Some(id) = c.id {
                        let options = RemoveContainerOptions {
                            force: true,
                            ..RemoveContainerOptions::default()
                        };
                        let _ = docker.remove_container(&id, Some(options)).await;
                    }
                }
                // Networks last: a network with containers on it cannot be removed.
                let options = ListNetworksOptions {
                    filters: Some(HashMap::from([("name".to_string(), vec![prefix.clone()])])),
                };
                let Ok(networks) = docker.list_networks(Some(options)).await else {
                    return;
                };
                for network in networks {
                    if let Some(name) = network.name.filter(|n| n.starts_with(&prefix)) {
                        let _ = docker.remove_network(&name).await;
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}

pub fn restart_on_failure(retries: i64) -> impl FnOnce(&mut ContainerCreateBody) {
    move |body| {
        let host = body.host_config.get_or_insert_with(HostConfig::default);
        host.restart_policy = Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::ON_FAILURE),
            maximum_retry_count: Some(retries),
        });
    }
}

pub fn no_tuning(_: &mut ContainerCreateBody) {}

/// Run the container on `network` instead of none.
pub fn on_network(network: &str) -> impl FnOnce(&mut ContainerCreateBody) {
    let network = network.to_string();
    move |body| {
        let host = body.host_config.get_or_insert_with(HostConfig::default);
        host.network_mode = Some(network);
    }
}

// ---------------------------------------------------------------------------------------
// The console's side: a Fleet and the log lines, fed by the source's events
// ---------------------------------------------------------------------------------------

/// What the console would know, built from the source's events as `App` applies them.
pub struct Console {
    pub events: mpsc::Receiver<SourceEvent>,
    pub fleet: Fleet,
    pub logs: BTreeMap<StreamKey, Vec<RawLogLine>>,
    /// How many `Batch`es held a `Clear` of a Docker host: one per (re)list.
    pub relists: usize,
    pub control: DockerControl,
    pub cancel: CancellationToken,
}

impl Console {
    /// Start the source for `url`, named `host`.
    pub fn watch(host: &str, url: EndpointUrl) -> Console {
        Console::watch_with(host, url, DockerOptions::default())
    }

    pub fn watch_with(host: &str, url: EndpointUrl, options: DockerOptions) -> Console {
        let (tx, events) = mpsc::channel(4096);
        let cancel = CancellationToken::new();
        let control = docker::spawn_sources(
            vec![DockerEndpoint::new(host, url)],
            EventSink::new(tx),
            options,
            &cancel,
        );
        Console {
            events,
            fleet: Fleet::new(),
            logs: BTreeMap::new(),
            relists: 0,
            control,
            cancel,
        }
    }

    pub fn apply(&mut self, event: SourceEvent) {
        match event {
            SourceEvent::Log(lines) => {
                for line in lines {
                    self.logs.entry(line.stream.clone()).or_default().push(line);
                }
            }
            SourceEvent::LogDropped { stream, lines } => {
                panic!("{lines} lines of {stream:?} dropped: the test channel is never full")
            }
            SourceEvent::Batch(events) => {
                if events.iter().any(|e| matches!(e, SourceEvent::Clear(_))) {
                    self.relists += 1;
                }
                self.fleet.apply(SourceEvent::Batch(events));
            }
            other => self.fleet.apply(other),
        }
    }

    /// Apply events until `done` holds; panics with `what` and the state at the deadline.
    pub async fn wait_until(&mut self, what: &str, mut done: impl FnMut(&Console) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        while !done(self) {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => self.apply(event),
                Ok(None) => panic!("the source closed its channel while waiting for {what}"),
                Err(_) => panic!(
                    "timed out waiting for {what}\nhealth: {:?}\ncontainers: {:#?}",
                    self.fleet.sources,
                    self.fleet.containers.values().collect::<Vec<_>>()
                ),
            }
        }
    }

    pub fn health(&self, host: &str) -> Option<&SourceHealth> {
        self.fleet
            .sources
            .get(&SourceKey::new(SourceKind::Docker, host))
    }

    pub fn container(&self, name: &str) -> Option<&DockerContainer> {
        self.fleet.containers.values().find(|c| c.name == name)
    }

    pub fn lines(&self, host: &str, id: &str) -> Vec<&RawLogLine> {
        let key = StreamKey::Docker {
            host: host.to_string(),
            id: id.to_string(),
        };
        self.logs
            .get(&key)
            .map(|l| l.iter().collect())
            .unwrap_or_default()
    }

    pub fn texts(&self, host: &str, id: &str, stderr: bool) -> Vec<String> {
        self.lines(host, id)
            .into_iter()
            .filter(|l| l.stderr == stderr)
            .map(|l| String::from_utf8_lossy(&l.bytes).into_owned())
            .collect()
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

pub fn local() -> EndpointUrl {
    EndpointUrl::Unix(SOCKET.into())
}

pub fn follow(host: &str, ids: &[&str]) -> DockerInterest {
    let mut interest = DockerInterest::default();
    for id in ids {
        interest.logs.insert(
            ContainerId::new(host, *id),
            LogStart {
                since: None,
                tail: None,
            },
        );
    }
    interest
}

/// A tiny stand-in for the engine's socket: forwards connections to the real one and can
/// be switched off, so the test can break the source's connection and restore it.
pub struct SocketProxy {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl SocketProxy {
    pub fn start(path: &Path) -> SocketProxy {
        let listener = tokio::net::UnixListener::bind(path).expect("bind proxy socket");
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut engine) = tokio::net::UnixStream::connect(SOCKET).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut engine).await;
                    }
                });
            }
        });
        SocketProxy {
            path: path.to_path_buf(),
            task,
        }
    }

    /// Close the socket and every connection through it, as an engine that stops does.
    pub fn stop(self) {
        // Aborting the accept loop drops the listener and the JoinSet, which aborts the
        // forwarding tasks and closes their connections.
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
