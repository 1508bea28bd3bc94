//! One live connection to a host: `/events` after the list, stats for what the console
//! looks at, until the connection breaks or the source stops.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use bollard::Docker;
use bollard::models::EventMessage;
use bollard::query_parameters::EventsOptions;
use futures::{FutureExt, Stream, StreamExt};
use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::connect::since_param;
use super::events::{EventEffect, effect_of};
use super::host::{HostSource, Tracked};
use super::listing::inspect_one;
use super::stats::tasks::{spawn_one_shot, spawn_stream};
use super::stats::{SampleSchedule, StatsMessage};
use crate::model::{ContainerId, ContainerRunState};
use crate::store::SourceEvent;

/// How often a quiet connection is checked: a TCP peer that vanished without closing the
/// connection would otherwise leave the event stream waiting forever.
const PING_EVERY: Duration = Duration::from_secs(30);
const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// How a session ended.
#[derive(Debug)]
pub enum SessionEnd {
    /// Cancelled, or the console has gone.
    Stop,
    /// The connection broke; reconnect and list again.
    Broken(String),
}

pub struct Session<'a> {
    host: &'a mut HostSource,
    docker: Docker,
    since: Timestamp,
    /// Stats streams running, by container id: each stream's serial and its token.
    streaming: HashMap<String, (u64, CancellationToken)>,
    /// The serial of the next stream started.
    next_serial: u64,
    schedule: SampleSchedule,
    stats_tx: mpsc::Sender<StatsMessage>,
    stats_rx: mpsc::Receiver<StatsMessage>,
    /// Cancels this session's stats tasks when it ends.
    cancel: CancellationToken,
}

impl<'a> Session<'a> {
    pub fn new(host: &'a mut HostSource, docker: Docker, since: Timestamp) -> Session<'a> {
        let (stats_tx, stats_rx) = mpsc::channel(256);
        let cancel = host.cancel.child_token();
        Session {
            host,
            docker,
            since,
            streaming: HashMap::new(),
            next_serial: 0,
            schedule: SampleSchedule::default(),
            stats_tx,
            stats_rx,
            cancel,
        }
    }

    pub async fn run(mut self) -> SessionEnd {
        let end = self.serve().await;
        self.cancel.cancel();
        end
    }

    async fn serve(&mut self) -> SessionEnd {
        let options = EventsOptions {
            since: Some(since_param(self.since)),
            until: None,
            filters: Some(HashMap::from([(
                "type".to_string(),
                vec!["container".to_string()],
            )])),
        };
        let mut events = Box::pin(self.docker.events(Some(options)));
        let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut sample_tick = tokio::time::interval(self.host.policy.tick);
        sample_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        self.reconcile_streams();
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return SessionEnd::Stop,
                event = events.next() => {
                    let (effects, broken) = drain_ready(event, &mut events);
                    if let Err(end) = self.apply(effects).await {
                        return end;
                    }
                    if let Some(error) = broken {
                        return SessionEnd::Broken(error);
                    }
                }
                Some(message) = self.stats_rx.recv() => {
                    if let Err(end) = self.on_stats(message).await {
                        return end;
                    }
                }
                _ = self.host.interest_changed() => {
                    self.host.refresh_interest();
                    self.reconcile_streams();
                }
                _ = sample_tick.tick() => self.sample_due(),
                _ = ping.tick() => {
                    match tokio::time::timeout(PING_TIMEOUT, self.docker.ping()).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return SessionEnd::Broken(format!("ping failed: {e}")),
                        Err(_) => return SessionEnd::Broken(format!("no answer to ping within {PING_TIMEOUT:?}")),
                    }
                }
            }
        }
    }

    /// Act on a burst of events: removals, then one inspect per changed container, all
    /// sent as one batch.
    async fn apply(&mut self, effects: Vec<EventEffect>) -> Result<(), SessionEnd> {
        let mut refresh: Vec<(String, bool)> = Vec::new();
        let mut removed: BTreeSet<String> = BTreeSet::new();
        for effect in effects {
            match effect {
                EventEffect::Ignore => {}
                EventEffect::Remove(id) => {
                    refresh.retain(|(r, _)| *r != id);
                    removed.insert(id);
                }
                EventEffect::Refresh(id) | EventEffect::Started(id) if removed.contains(&id) => {}
                EventEffect::Refresh(id) => {
                    if !refresh.iter().any(|(r, _)| *r == id) {
                        refresh.push((id, false));
                    }
                }
                EventEffect::Started(id) => match refresh.iter_mut().find(|(r, _)| *r == id) {
                    Some(entry) => entry.1 = true,
                    None => refresh.push((id, true)),
                },
            }
        }
        let mut out = Vec::new();
        for id in removed {
            self.remove(&id, &mut out);
        }
        for (id, started) in refresh {
            let host = self.host.endpoint.name.clone();
            match inspect_one(&self.docker, &host, &id).await {
                Ok(Some(container)) => {
                    let tracked = self
                        .host
                        .containers
                        .entry(id.clone())
                        .or_insert_with(|| Tracked::new(container.clone()));
                    tracked.container = container;
                    if started {
                        // Its counters started again from zero.
                        tracked.usage.restart();
                        if let Some(follower) = self.host.followers.get(&id) {
                            follower.wake();
                        }
                    }
                    out.extend(tracked.upsert_if_changed());
                }
                Ok(None) => self.remove(&id, &mut out),
                Err(error) => return Err(SessionEnd::Broken(format!("inspect {id}: {error}"))),
            }
        }
        self.send(out).await?;
        self.reconcile_streams();
        Ok(())
    }

    fn remove(&mut self, id: &str, out: &mut Vec<SourceEvent>) {
        if self.host.containers.contains_key(id) {
            out.push(SourceEvent::DeleteContainer(ContainerId::new(
                self.host.endpoint.name.clone(),
                id,
            )));
        }
        self.host.forget(id);
        self.schedule.forget(id);
        if let Some((_, stream)) = self.streaming.remove(id) {
            stream.cancel();
        }
    }

    async fn on_stats(&mut self, message: StatsMessage) -> Result<(), SessionEnd> {
        match message {
            StatsMessage::Reading { id, reading } => {
                if let Some(tracked) = self.host.containers.get_mut(&id) {
                    tracked.usage.record(reading);
                    let event = tracked.upsert_if_changed();
                    self.send(event.into_iter().collect()).await?;
                }
            }
            StatsMessage::StreamEnded { id, serial } => {
                // Only if it is still the stream that ended: the container may have
                // restarted, and a new stream started, before the old end arrived.
                if self.streaming.get(&id).is_some_and(|(s, _)| *s == serial) {
                    self.streaming.remove(&id);
                }
            }
            StatsMessage::SampleDone { id } => self.schedule.done(&id),
        }
        Ok(())
    }

    /// Start and stop stats streams to match what the console looks at.
    fn reconcile_streams(&mut self) {
        let containers = &self.host.containers;
        let running = |id: &str| {
            containers
                .get(id)
                .is_some_and(|t| t.container.state == ContainerRunState::Running)
        };
        let current: BTreeSet<String> = self.streaming.keys().cloned().collect();
        let wanted = &self.host.wanted;
        let target = self
            .host
            .policy
            .streams(&wanted.selected, &wanted.visible, running, &current);
        self.streaming.retain(|id, (_, token)| {
            let keep = target.contains(id);
            if !keep {
                token.cancel();
            }
            keep
        });
        for id in target {
            if self.streaming.contains_key(&id) {
                continue;
            }
            let token = self.cancel.child_token();
            let serial = self.next_serial;
            self.next_serial += 1;
            spawn_stream(
                self.docker.clone(),
                id.clone(),
                serial,
                self.stats_tx.clone(),
                token.clone(),
            );
            self.streaming.insert(id, (serial, token));
        }
    }

    /// Start the one-shot samples that are due.
    fn sample_due(&mut self) {
        let streaming: BTreeSet<String> = self.streaming.keys().cloned().collect();
        let running: Vec<&str> = self
            .host
            .containers
            .iter()
            .filter(|(_, t)| t.container.state == ContainerRunState::Running)
            .map(|(id, _)| id.as_str())
            .collect();
        let now = Instant::now().into_std();
        let due = self.schedule.due(
            &self.host.policy,
            &running,
            &self.host.wanted.visible,
            &streaming,
            now,
        );
        for id in due {
            spawn_one_shot(self.docker.clone(), id, self.stats_tx.clone());
        }
    }

    async fn send(&mut self, mut events: Vec<SourceEvent>) -> Result<(), SessionEnd> {
        let event = match events.len() {
            0 => return Ok(()),
            1 => events.remove(0),
            _ => SourceEvent::Batch(events),
        };
        self.host
            .sink
            .send(event)
            .await
            .map_err(|_| SessionEnd::Stop)
    }
}

/// The effect of `first` and of every event already waiting behind it, and the error if
/// the stream ended or failed.
fn drain_ready<S>(
    first: Option<Result<EventMessage, bollard::errors::Error>>,
    events: &mut S,
) -> (Vec<EventEffect>, Option<String>)
where
    S: Stream<Item = Result<EventMessage, bollard::errors::Error>> + Unpin,
{
    let mut effects = Vec::new();
    let mut next = Some(first);
    while let Some(item) = next {
        match item {
            Some(Ok(event)) => effects.push(effect_of(&event)),
            Some(Err(error)) => return (effects, Some(format!("event stream failed: {error}"))),
            None => return (effects, Some("event stream ended".to_string())),
        }
        next = events.next().now_or_never();
    }
    (effects, None)
}
