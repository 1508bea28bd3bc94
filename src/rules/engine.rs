//! The rule engine: thresholds held for a `for:` duration, as Prometheus evaluates them,
//! over the latest reading of each host and container.
//!
//! A reading holds until the next one replaces it or its subject goes away: the Docker
//! source sends a container only when its numbers change, so a container pinned at 95%
//! must still fire five minutes later. Time is always passed in (`now`), so tests drive
//! the engine with a fake clock and the task with the real one.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::model::alert::PILOTHOUSE_SOURCE;
use crate::model::{
    Alert, AlertId, AlertState, ContainerId, DockerContainer, HostId, HostSample, Node,
};
use crate::sources::alertmanager::settings::{RulesConfig, Threshold};
use crate::store::SourceEvent;
use crate::store::usage::UsageSample;

/// What a rule measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleKind {
    Cpu,
    Memory,
    Disk,
}

impl RuleKind {
    /// The alert's name: the ops manual's for CPU and memory.
    pub fn alertname(self) -> &'static str {
        match self {
            RuleKind::Cpu => "HighCPUUsage",
            RuleKind::Memory => "HighMemoryUsage",
            RuleKind::Disk => "HighDiskUsage",
        }
    }

    /// The ops manual's summary (its rules are written in Chinese, and so are the
    /// simulated estate's alerts).
    fn summary(self) -> &'static str {
        match self {
            RuleKind::Cpu => "CPU使用率过高",
            RuleKind::Memory => "内存使用率过高",
            RuleKind::Disk => "磁盘使用率过高",
        }
    }

    fn what(self) -> &'static str {
        match self {
            RuleKind::Cpu => "CPU usage",
            RuleKind::Memory => "Memory usage",
            RuleKind::Disk => "Disk usage",
        }
    }
}

/// Whose numbers a reading is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Host(HostId),
    Container(ContainerId),
    /// A Kubernetes node: (context, name).
    Node(String, String),
}

/// One number a rule looks at: a subject's CPU, memory, or one of its disks.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub kind: RuleKind,
    /// Labels that tell this reading from the subject's others (`mountpoint`).
    pub extra: Vec<(String, String)>,
    /// Percent.
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    subject: Subject,
    kind: RuleKind,
    extra: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
enum State {
    /// Above the threshold since then, not yet for long enough.
    Pending {
        since: Timestamp,
    },
    Firing {
        alert: AlertId,
    },
}

/// The built-in rules, with what each subject last read and which rules are pending or
/// firing.
#[derive(Debug)]
pub struct RuleEngine {
    config: RulesConfig,
    latest: HashMap<Subject, (String, Vec<Reading>)>,
    states: HashMap<Key, State>,
    /// What each Kubernetes node can allocate (millicores, bytes), from its upserts:
    /// usage arrives separately, from metrics.k8s.io sampling rounds.
    node_capacity: HashMap<(String, String), (u64, u64)>,
}

impl RuleEngine {
    pub fn new(config: RulesConfig) -> RuleEngine {
        RuleEngine {
            config,
            latest: HashMap::new(),
            states: HashMap::new(),
            node_capacity: HashMap::new(),
        }
    }

    fn threshold(&self, kind: RuleKind) -> &Threshold {
        match kind {
            RuleKind::Cpu => &self.config.cpu,
            RuleKind::Memory => &self.config.memory,
            RuleKind::Disk => &self.config.disk,
        }
    }

    /// A host's sample: CPU, memory, and every writable disk.
    pub fn observe_host(
        &mut self,
        id: &HostId,
        sample: &HostSample,
        now: Timestamp,
    ) -> Vec<SourceEvent> {
        let mut readings = vec![Reading {
            kind: RuleKind::Cpu,
            extra: vec![],
            value: sample.cpu_percent,
        }];
        if sample.memory_total_bytes > 0 {
            readings.push(Reading {
                kind: RuleKind::Memory,
                extra: vec![],
                value: sample.memory_percent(),
            });
        }
        readings.extend(
            sample
                .disks
                .iter()
                .filter(|d| !d.read_only && d.total_bytes > 0)
                .map(|d| Reading {
                    kind: RuleKind::Disk,
                    extra: vec![("mountpoint".to_string(), d.mount.clone())],
                    value: 100.0 * d.used_fraction(),
                }),
        );
        self.observe(Subject::Host(id.clone()), id.name.clone(), readings, now)
    }

    /// A container's numbers: CPU, and memory against its limit when it has one.
    pub fn observe_container(
        &mut self,
        container: &DockerContainer,
        now: Timestamp,
    ) -> Vec<SourceEvent> {
        if !self.config.containers {
            return Vec::new();
        }
        let mut readings = Vec::new();
        if let Some(cpu) = container.cpu_percent {
            readings.push(Reading {
                kind: RuleKind::Cpu,
                extra: vec![],
                value: cpu,
            });
        }
        if let (Some(used), Some(limit)) =
            (container.memory_usage_bytes, container.memory_limit_bytes)
            && limit > 0
        {
            readings.push(Reading {
                kind: RuleKind::Memory,
                extra: vec![],
                value: 100.0 * used as f64 / limit as f64,
            });
        }
        self.observe(
            Subject::Container(container.id.clone()),
            container.name.clone(),
            readings,
            now,
        )
    }

    /// A Kubernetes node as the source reports it: remember what it can allocate, and
    /// judge its usage when the upsert carries some.
    pub fn observe_node(&mut self, node: &Node, now: Timestamp) -> Vec<SourceEvent> {
        let key = (node.context.clone(), node.name.clone());
        let capacity = (node.cpu_allocatable_millis, node.memory_allocatable_bytes);
        self.node_capacity.insert(key, capacity);
        match (node.cpu_used_millis, node.memory_used_bytes) {
            (None, None) => Vec::new(),
            (cpu, memory) => self.judge_node(&node.context, &node.name, cpu, memory, now),
        }
    }

    /// A metrics.k8s.io sampling round of `context`'s nodes.
    pub fn observe_node_usage(
        &mut self,
        context: &str,
        samples: &[UsageSample],
        now: Timestamp,
    ) -> Vec<SourceEvent> {
        samples
            .iter()
            .flat_map(|s| {
                self.judge_node(
                    context,
                    &s.name,
                    Some(s.cpu_millis),
                    Some(s.memory_bytes),
                    now,
                )
            })
            .collect()
    }

    /// CPU and memory of a node against what it can allocate. A node whose capacity is
    /// not known yet, or without a sample, says nothing: no reading is not zero.
    fn judge_node(
        &mut self,
        context: &str,
        name: &str,
        cpu_millis: Option<u64>,
        memory_bytes: Option<u64>,
        now: Timestamp,
    ) -> Vec<SourceEvent> {
        if !self.config.nodes {
            return Vec::new();
        }
        let key = (context.to_string(), name.to_string());
        let Some(&(cpu_of, memory_of)) = self.node_capacity.get(&key) else {
            return Vec::new();
        };
        let percent = |used: Option<u64>, of: u64| {
            used.filter(|_| of > 0)
                .map(|used| 100.0 * used as f64 / of as f64)
        };
        let mut readings = Vec::new();
        if let Some(value) = percent(cpu_millis, cpu_of) {
            readings.push(Reading {
                kind: RuleKind::Cpu,
                extra: vec![],
                value,
            });
        }
        if let Some(value) = percent(memory_bytes, memory_of) {
            readings.push(Reading {
                kind: RuleKind::Memory,
                extra: vec![],
                value,
            });
        }
        if readings.is_empty() {
            return Vec::new();
        }
        self.observe(Subject::Node(key.0, key.1), name.to_string(), readings, now)
    }

    /// New readings of `subject` (named `name` in alerts): rules above their threshold
    /// start pending or fire, those below resolve.
    pub fn observe(
        &mut self,
        subject: Subject,
        name: String,
        readings: Vec<Reading>,
        now: Timestamp,
    ) -> Vec<SourceEvent> {
        if !self.config.enabled {
            return Vec::new();
        }
        let mut events = Vec::new();
        // Readings the subject no longer has (an unmounted disk) resolve.
        let keys: Vec<Key> = self
            .states
            .keys()
            .filter(|k| {
                k.subject == subject
                    && !readings
                        .iter()
                        .any(|r| r.kind == k.kind && r.extra == k.extra)
            })
            .cloned()
            .collect();
        for key in keys {
            events.extend(self.resolve(&key));
        }
        self.latest.insert(subject.clone(), (name, readings));
        events.extend(self.evaluate_subject(&subject, now));
        events
    }

    /// The subject went away: its alerts resolve.
    pub fn forget(&mut self, subject: &Subject) -> Vec<SourceEvent> {
        self.latest.remove(subject);
        if let Subject::Node(context, name) = subject {
            self.node_capacity.remove(&(context.clone(), name.clone()));
        }
        let keys: Vec<Key> = self
            .states
            .keys()
            .filter(|k| &k.subject == subject)
            .cloned()
            .collect();
        keys.iter().filter_map(|k| self.resolve(k)).collect()
    }

    /// Forget every subject `gone` says is gone (a host source's or Docker host's scope).
    pub fn forget_where(&mut self, gone: impl Fn(&Subject) -> bool) -> Vec<SourceEvent> {
        let subjects: Vec<Subject> = self.latest.keys().filter(|s| gone(s)).cloned().collect();
        subjects.iter().flat_map(|s| self.forget(s)).collect()
    }

    /// Fire the pending rules whose `for:` has passed by `now`.
    pub fn tick(&mut self, now: Timestamp) -> Vec<SourceEvent> {
        let due: Vec<Subject> = self
            .states
            .iter()
            .filter(|(key, state)| {
                matches!(state, State::Pending { since } if due_at(*since, self.threshold(key.kind).hold) <= now)
            })
            .map(|(key, _)| key.subject.clone())
            .collect();
        let mut events = Vec::new();
        for subject in due {
            events.extend(self.evaluate_subject(&subject, now));
        }
        events
    }

    /// When the next pending rule is due, for the task's timer.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.states
            .iter()
            .filter_map(|(key, state)| match state {
                State::Pending { since } => Some(due_at(*since, self.threshold(key.kind).hold)),
                State::Firing { .. } => None,
            })
            .min()
    }

    /// How many rules are pending (above threshold, not yet for long enough).
    pub fn pending(&self) -> usize {
        self.states
            .values()
            .filter(|s| matches!(s, State::Pending { .. }))
            .count()
    }

    fn evaluate_subject(&mut self, subject: &Subject, now: Timestamp) -> Vec<SourceEvent> {
        let Some((name, readings)) = self.latest.get(subject).cloned() else {
            return Vec::new();
        };
        let mut events = Vec::new();
        for reading in readings {
            let threshold = self.threshold(reading.kind).clone();
            let key = Key {
                subject: subject.clone(),
                kind: reading.kind,
                extra: reading.extra.clone(),
            };
            let above = threshold.enabled && reading.value > threshold.percent.0;
            if !above {
                events.extend(self.resolve(&key));
                continue;
            }
            let since = match self.states.get(&key) {
                Some(State::Firing { .. }) => continue,
                Some(State::Pending { since }) => *since,
                None => {
                    self.states
                        .insert(key.clone(), State::Pending { since: now });
                    now
                }
            };
            if due_at(since, threshold.hold) <= now {
                let alert = self.alert(&key, &name, &reading, &threshold, since);
                self.states.insert(
                    key,
                    State::Firing {
                        alert: alert.id.clone(),
                    },
                );
                events.push(SourceEvent::UpsertAlert(alert));
            }
        }
        events
    }

    fn resolve(&mut self, key: &Key) -> Option<SourceEvent> {
        match self.states.remove(key)? {
            State::Firing { alert } => Some(SourceEvent::DeleteAlert(alert)),
            State::Pending { .. } => None,
        }
    }

    fn alert(
        &self,
        key: &Key,
        name: &str,
        reading: &Reading,
        threshold: &Threshold,
        since: Timestamp,
    ) -> Alert {
        let mut labels = BTreeMap::from([
            ("alertname".to_string(), key.kind.alertname().to_string()),
            (
                "severity".to_string(),
                threshold.severity.label().to_string(),
            ),
        ]);
        let place = match &key.subject {
            Subject::Host(id) => {
                labels.insert("instance".into(), id.name.clone());
                labels.insert("host_source".into(), id.source.clone());
                format!("host {name}")
            }
            Subject::Container(id) => {
                labels.insert("container".into(), name.to_string());
                labels.insert("docker_host".into(), id.host.clone());
                format!("container {name} on {}", id.host)
            }
            Subject::Node(context, node) => {
                labels.insert("node".into(), node.clone());
                labels.insert("context".into(), context.clone());
                format!("node {node} of {context}")
            }
        };
        let mut on = place;
        for (k, v) in &key.extra {
            labels.insert(k.clone(), v.clone());
            on.push_str(&format!(" ({k} {v})"));
        }
        let hold = SignedDuration::try_from(threshold.hold).unwrap_or(SignedDuration::MAX);
        let description = format!(
            "{} on {on} has been above {}% for {hold:#} (currently {:.0}%).",
            key.kind.what(),
            threshold.percent.0,
            reading.value,
        );
        Alert {
            id: AlertId {
                source: PILOTHOUSE_SOURCE.to_string(),
                fingerprint: fingerprint(&labels),
            },
            labels,
            annotations: BTreeMap::from([
                ("summary".to_string(), key.kind.summary().to_string()),
                ("description".to_string(), description),
            ]),
            state: AlertState::Firing,
            starts_at: Some(since),
            silenced_by: Vec::new(),
        }
    }
}

fn due_at(since: Timestamp, hold: Duration) -> Timestamp {
    let hold = SignedDuration::try_from(hold).unwrap_or(SignedDuration::MAX);
    since.checked_add(hold).unwrap_or(Timestamp::MAX)
}

/// A stable fingerprint of a label set (FNV-1a over `name=value` pairs in order), so the
/// same alert keeps its identity across restarts, as Alertmanager's fingerprints do.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in labels {
        for byte in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xfe]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}
