//! One Docker host as a source: connect, list, follow events, report health, and after any
//! failure back off and do it all again. Hosts run independently: one that is down shows
//! as such while the others keep working.

use std::collections::HashMap;

use bollard::Docker;
use jiff::Timestamp;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::connect::{ConnectError, connect, engine_now};
use super::endpoint::DockerEndpoint;
use super::interest::{DockerInterest, HostInterest};
use super::listing::list_containers;
use super::logs::{FollowSpec, FollowerHandle, LogCursor, spawn_follower};
use super::session::{Session, SessionEnd};
use super::stats::{ContainerUsage, StatsPolicy, UsageTracker};
use crate::model::{ContainerRunState, DockerContainer, SourceHealth, SourceKey, SourceKind};
use crate::sources::sink::Closed;
use crate::sources::{Backoff, EventSink};
use crate::store::{Scope, SourceEvent};

/// A container as this source knows it.
#[derive(Debug, Clone)]
pub(super) struct Tracked {
    /// As the engine last described it, without usage.
    pub container: DockerContainer,
    pub usage: UsageTracker,
    /// What was last sent to the console, to send nothing when nothing changed.
    pub sent: Option<DockerContainer>,
}

impl Tracked {
    pub fn new(container: DockerContainer) -> Tracked {
        Tracked {
            container,
            usage: UsageTracker::default(),
            sent: None,
        }
    }

    /// The container with its usage, as the console should show it.
    pub fn shown(&self) -> DockerContainer {
        let mut shown = self.container.clone();
        // A stopped container uses nothing: its last numbers would be a lie.
        if shown.state == ContainerRunState::Running || shown.state == ContainerRunState::Paused {
            apply_usage(&mut shown, self.usage.latest());
        }
        shown
    }

    /// The upsert to send, if the shown container differs from what was sent.
    pub fn upsert_if_changed(&mut self) -> Option<SourceEvent> {
        let shown = self.shown();
        if self
            .sent
            .as_ref()
            .is_some_and(|sent| !worth_sending(&shown, sent))
        {
            return None;
        }
        self.sent = Some(shown.clone());
        Some(SourceEvent::UpsertContainer(shown))
    }
}

/// Whether `shown` tells the console something `sent` did not. A sample that only repeats
/// the newest one (an idle container: same CPU to the tenth, same memory) lengthens the
/// history but is not sent, so idle containers cause no updates and no redraws; it goes
/// with the next update that says something new.
fn worth_sending(shown: &DockerContainer, sent: &DockerContainer) -> bool {
    if shown.history == sent.history {
        return shown != sent;
    }
    let newest = |c: &DockerContainer| {
        (
            c.history
                .cpu_percent
                .back()
                .map(|p| (p * 10.0).round() as i64),
            c.history.memory_bytes.back().copied(),
        )
    };
    if newest(shown) != newest(sent) {
        return true;
    }
    let without_history = |c: &DockerContainer| DockerContainer {
        history: Default::default(),
        ..c.clone()
    };
    without_history(shown) != without_history(sent)
}

/// Copy usage into the model's fields.
fn apply_usage(container: &mut DockerContainer, usage: &ContainerUsage) {
    // Rounded as the CPU column shows it, so that noise in the last digits does not send an
    // update (and a redraw) every second for an idle container.
    container.cpu_percent = usage.cpu_percent.map(|p| (p * 10.0).round() / 10.0);
    container.memory_usage_bytes = usage.memory_used;
    container.memory_limit_bytes = usage.memory_limit;
    container.io = usage.rates;
    container.history.clone_from(&usage.history);
}

/// The source of one host.
pub struct HostSource {
    pub(super) endpoint: DockerEndpoint,
    pub(super) key: SourceKey,
    pub(super) sink: EventSink,
    interest: watch::Receiver<DockerInterest>,
    /// Whether the console still holds its control; when it has gone, interest is final.
    interest_open: bool,
    /// This host's part of the interest.
    pub(super) wanted: HostInterest,
    pub(super) cancel: CancellationToken,
    pub(super) policy: StatsPolicy,
    /// Whether log followers may read log files (the engine being on this machine).
    read_log_files: bool,
    /// The current connection, for log followers; `None` while there is none.
    clients: watch::Sender<Option<Docker>>,
    pub(super) followers: HashMap<String, FollowerHandle>,
    /// Where stopped followers stopped, so following again does not repeat lines.
    pub(super) cursors: HashMap<String, LogCursor>,
    pub(super) containers: HashMap<String, Tracked>,
}

/// What a successful connection brings.
struct Opened {
    docker: Docker,
    /// The engine's clock just before the list: events since then are replayed.
    since: Timestamp,
    containers: Vec<DockerContainer>,
}

impl HostSource {
    pub fn new(
        endpoint: DockerEndpoint,
        sink: EventSink,
        interest: watch::Receiver<DockerInterest>,
        options: super::DockerOptions,
        cancel: CancellationToken,
    ) -> HostSource {
        let read_log_files =
            options.read_log_files && matches!(endpoint.url, super::endpoint::EndpointUrl::Unix(_));
        let key = SourceKey::new(SourceKind::Docker, endpoint.name.clone());
        let (clients, _) = watch::channel(None);
        HostSource {
            endpoint,
            key,
            sink,
            interest,
            interest_open: true,
            wanted: HostInterest::default(),
            cancel,
            policy: options.stats,
            read_log_files,
            clients,
            followers: HashMap::new(),
            cursors: HashMap::new(),
            containers: HashMap::new(),
        }
    }

    /// Run until cancelled or the console has gone.
    pub async fn run(mut self) {
        if self.health(SourceHealth::Connecting).await.is_err() {
            return;
        }
        self.refresh_interest();
        let mut backoff = Backoff::network();
        // Set when a connection that had listed the host's containers broke: until the next
        // list, failures make those containers stale rather than the host empty.
        let mut stale_since: Option<Timestamp> = None;
        loop {
            let attempt = tokio::select! {
                _ = self.cancel.cancelled() => return,
                attempt = self.open() => attempt,
            };
            match attempt {
                Ok(opened) => {
                    backoff.reset();
                    if self.publish_listing(opened.containers).await.is_err() {
                        return;
                    }
                    self.clients.send_replace(Some(opened.docker.clone()));
                    let end = Session::new(&mut self, opened.docker, opened.since)
                        .run()
                        .await;
                    self.clients.send_replace(None);
                    match end {
                        SessionEnd::Stop => return,
                        SessionEnd::Broken(error) => {
                            tracing::info!(host = %self.endpoint.name, %error, "Docker connection lost");
                            let since = Timestamp::now();
                            stale_since = Some(since);
                            if self
                                .health(SourceHealth::Stale { since, error })
                                .await
                                .is_err()
                            {
                                return;
                            }
                        }
                    }
                }
                Err(error) => {
                    let health = match stale_since {
                        Some(since) => SourceHealth::Stale {
                            since,
                            error: error.to_string(),
                        },
                        _ => error.health(),
                    };
                    if self.health(health).await.is_err() {
                        return;
                    }
                }
            }
            if !self.wait(backoff.next_delay()).await {
                return;
            }
        }
    }

    /// Connect, agree on a version, note the engine's time, list.
    async fn open(&self) -> Result<Opened, ConnectError> {
        let docker = connect(&self.endpoint.url).await?;
        let since = engine_now(&docker, &self.endpoint.url).await?;
        let containers =
            list_containers(&docker, &self.endpoint.name, &self.endpoint.url.to_url()).await?;
        Ok(Opened {
            docker,
            since,
            containers,
        })
    }

    /// Replace what the console holds of this host with `containers`, in one batch so no
    /// frame shows half a list, then say the host is live.
    async fn publish_listing(&mut self, containers: Vec<DockerContainer>) -> Result<(), Closed> {
        let mut previous = std::mem::take(&mut self.containers);
        let mut events = vec![SourceEvent::Clear(Scope::DockerHost {
            host: self.endpoint.name.clone(),
        })];
        for container in containers {
            let id = container.id.id.clone();
            // Keep usage history across a reconnect; the container is sent whole anyway.
            let mut tracked = match previous.remove(&id) {
                Some(mut old) => {
                    old.container = container;
                    old.sent = None;
                    old
                }
                None => Tracked::new(container),
            };
            events.extend(tracked.upsert_if_changed());
            self.containers.insert(id, tracked);
        }
        self.sink.send(SourceEvent::Batch(events)).await?;
        self.health(SourceHealth::Live).await?;
        // A container may have restarted while the host was unreachable.
        for follower in self.followers.values() {
            follower.wake();
        }
        Ok(())
    }

    pub(super) async fn health(&mut self, health: SourceHealth) -> Result<(), Closed> {
        let key = self.key.clone();
        self.sink.health(&key, health).await
    }

    /// Sleep `delay` between attempts, still starting and stopping log followers as the
    /// console asks; false when cancelled.
    async fn wait(&mut self, delay: std::time::Duration) -> bool {
        let deadline = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return false,
                _ = tokio::time::sleep_until(deadline) => return true,
                changed = self.interest.changed(), if self.interest_open => {
                    if changed.is_err() {
                        self.interest_open = false;
                    }
                    self.refresh_interest();
                }
            }
        }
    }

    /// Wait for the console to change its interest; pending forever once it cannot.
    pub(super) async fn interest_changed(&mut self) {
        if !self.interest_open {
            return std::future::pending().await;
        }
        if self.interest.changed().await.is_err() {
            self.interest_open = false;
        }
    }

    /// Take the latest interest and start or stop log followers to match it.
    pub(super) fn refresh_interest(&mut self) {
        self.wanted = self
            .interest
            .borrow_and_update()
            .for_host(&self.endpoint.name);
        let unwanted: Vec<String> = self
            .followers
            .keys()
            .filter(|id| !self.wanted.logs.contains_key(*id))
            .cloned()
            .collect();
        for id in unwanted {
            if let Some(follower) = self.followers.remove(&id) {
                self.cursors.insert(id, follower.stop());
            }
        }
        let wanted: Vec<(String, super::interest::LogStart)> = self
            .wanted
            .logs
            .iter()
            .map(|(id, start)| (id.clone(), *start))
            .collect();
        for (id, start) in wanted {
            if self.followers.contains_key(&id) {
                continue;
            }
            let spec = FollowSpec {
                host: self.endpoint.name.clone(),
                id: id.clone(),
                start,
                resume: self.cursors.remove(&id),
                local_files: self.read_log_files,
            };
            let follower = spawn_follower(
                spec,
                self.clients.subscribe(),
                self.sink.clone(),
                &self.cancel,
            );
            self.followers.insert(id, follower);
        }
    }

    /// The container was removed: forget it, its follower's cursor included.
    pub(super) fn forget(&mut self, id: &str) {
        self.containers.remove(id);
        self.cursors.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::docker::settings::{DockerConfig, LogFileUse};
    use crate::sources::docker::{DockerControl, EndpointUrl};

    fn source(url: EndpointUrl, config: &DockerConfig) -> HostSource {
        let (tx, _) = tokio::sync::mpsc::channel(1);
        let (_, interest) = DockerControl::channel();
        HostSource::new(
            DockerEndpoint::from_url(url),
            EventSink::new(tx),
            interest,
            config.options(),
            CancellationToken::new(),
        )
    }

    #[test]
    fn a_sample_that_repeats_the_last_one_is_not_sent() {
        let running = crate::model::DockerContainer {
            id: crate::model::ContainerId::new("local", "abc"),
            name: "idle".into(),
            image: "busybox".into(),
            state: ContainerRunState::Running,
            health_check: None,
            ports: vec![],
            labels: Default::default(),
            created: None,
            started: None,
            restart_count: 0,
            exit_code: None,
            oom_killed: false,
            cpu_percent: None,
            memory_usage_bytes: None,
            memory_limit_bytes: None,
            io: Default::default(),
            history: Default::default(),
        };
        let reading =
            |cpu_total_ns: u64, memory: u64, secs: u32| super::super::stats::StatsReading {
                at: Some(format!("2026-11-22T10:00:{secs:02}Z").parse().unwrap()),
                cpu_total_ns: Some(cpu_total_ns),
                system_ns: Some(u64::from(secs) * 1_000_000_000),
                online_cpus: 1,
                memory_used: Some(memory),
                memory_limit: None,
                net: None,
                block: None,
                previous_cpu: None,
            };
        let mut tracked = Tracked::new(running);
        assert!(tracked.upsert_if_changed().is_some(), "the first is sent");
        tracked.usage.record(reading(1_000, 4096, 1));
        tracked.usage.record(reading(1_000, 4096, 2));
        assert!(tracked.upsert_if_changed().is_some(), "the first figures");
        // Idle: 0.0 % and the same memory again and again.
        for secs in 3..10 {
            tracked.usage.record(reading(1_000, 4096, secs));
            assert!(
                tracked.upsert_if_changed().is_none(),
                "sample {secs} repeats"
            );
        }
        // Something new goes, with the whole history.
        tracked.usage.record(reading(500_000_000, 4096, 10));
        let Some(SourceEvent::UpsertContainer(sent)) = tracked.upsert_if_changed() else {
            panic!("a change is sent");
        };
        assert_eq!(sent.history.cpu_percent.len(), 9);
        let newest = sent.history.cpu_percent.back().copied().unwrap_or_default();
        assert!((newest - 50.0).abs() < 0.1, "{newest}");
    }

    #[test]
    fn config_keys_reach_each_host_source() {
        let local = EndpointUrl::Unix("/var/run/docker.sock".into());
        let config = DockerConfig {
            stats_streams: 3,
            sample_every: std::time::Duration::from_secs(9),
            ..DockerConfig::default()
        };
        let host = source(local.clone(), &config);
        assert_eq!(host.policy.max_streams, 3);
        assert_eq!(host.policy.sparse_every, std::time::Duration::from_secs(9));
        assert!(host.read_log_files, "auto reads a local engine's files");
        let never = DockerConfig {
            log_file: LogFileUse::Never,
            ..config
        };
        assert!(!source(local, &never).read_log_files);
        // A remote engine's log files are never on this machine.
        let remote = EndpointUrl::parse("tcp://build:2375").unwrap();
        assert!(!source(remote, &DockerConfig::default()).read_log_files);
    }
}
