//! The `docker:` section of a scenario: the engine and its containers.
//!
//! Times (`created`, `started`, `oom.at`, health windows) are offsets from the moment the
//! sim starts, negative for the past; `crash.after` is uptime.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::units::ByteSize;
use crate::sim::common::time::SimSpan;

/// This API's part of a scenario.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerScenario {
    #[serde(default)]
    pub engine: EngineSpec,
    #[serde(default)]
    pub containers: Vec<ContainerSpec>,
}

/// The simulated Docker host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineSpec {
    pub name: String,
    pub ncpu: u32,
    pub memory: ByteSize,
    pub kernel: String,
    pub operating_system: String,
}

impl Default for EngineSpec {
    fn default() -> EngineSpec {
        EngineSpec {
            name: "sim-docker-01".to_string(),
            ncpu: 8,
            memory: ByteSize(16 << 30),
            kernel: "6.1.0-28-amd64".to_string(),
            operating_system: "Debian GNU/Linux 12 (bookworm)".to_string(),
        }
    }
}

/// One container, or `replicas` of them with `{i}` in the name replaced by 1, 2, ….
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    #[serde(default = "one")]
    pub replicas: u32,
    /// Makes the container part of a Compose project: adds the `com.docker.compose.*`
    /// labels and the `<project>_default` network.
    #[serde(default)]
    pub compose: Option<ComposeSpec>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub entrypoint: Vec<String>,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub env: Vec<String>,
    /// `HOST:CONTAINER[/proto]` published, or `CONTAINER[/proto]` only exposed.
    #[serde(default)]
    pub ports: Vec<String>,
    #[serde(default = "a_day_ago")]
    pub created: SimSpan,
    /// When the current run started; defaults to a few seconds after `created`.
    #[serde(default)]
    pub started: Option<SimSpan>,
    #[serde(default)]
    pub state: InitialState,
    /// For an `exited` container: its exit code and when it finished.
    #[serde(default)]
    pub exit_code: i32,
    #[serde(default)]
    pub finished: Option<SimSpan>,
    #[serde(default)]
    pub restart: RestartPolicy,
    /// The least time a policy restart takes: Docker's own back-off starts at 100 ms,
    /// which a scenario may stretch so the `restarting` state is visible.
    #[serde(default)]
    pub restart_delay: SimSpan,
    /// The exit code of a graceful `docker stop`.
    #[serde(default)]
    pub stop_exit_code: i32,
    #[serde(default)]
    pub logs: LogSpec,
    /// Mean CPU use in percent of one CPU.
    #[serde(default)]
    pub cpu: f64,
    /// Mean memory use.
    #[serde(default)]
    pub memory: ByteSize,
    #[serde(default)]
    pub memory_limit: Option<ByteSize>,
    #[serde(default)]
    pub pids: Option<u64>,
    #[serde(default)]
    pub health: Option<HealthSpec>,
    #[serde(default)]
    pub crash: Option<CrashSpec>,
    #[serde(default)]
    pub oom: Option<OomSpec>,
    #[serde(default)]
    pub exec: Vec<ExecSpec>,
}

fn one() -> u32 {
    1
}

fn a_day_ago() -> SimSpan {
    SimSpan::from_secs(-86_400)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposeSpec {
    pub project: String,
    pub service: String,
    #[serde(default)]
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitialState {
    #[default]
    Running,
    Exited,
    Created,
    Paused,
}

/// Docker's restart policies, written as `docker run --restart` takes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RestartPolicy {
    #[default]
    No,
    Always,
    UnlessStopped,
    OnFailure(u32),
}

impl RestartPolicy {
    /// The policy's name in `HostConfig.RestartPolicy.Name`.
    pub fn name(self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::Always => "always",
            RestartPolicy::UnlessStopped => "unless-stopped",
            RestartPolicy::OnFailure(_) => "on-failure",
        }
    }

    pub fn max_retries(self) -> u32 {
        match self {
            RestartPolicy::OnFailure(n) => n,
            _ => 0,
        }
    }
}

impl<'de> Deserialize<'de> for RestartPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.as_str() {
            "no" | "" => Ok(RestartPolicy::No),
            "always" => Ok(RestartPolicy::Always),
            "unless-stopped" => Ok(RestartPolicy::UnlessStopped),
            "on-failure" => Ok(RestartPolicy::OnFailure(0)),
            other => other
                .strip_prefix("on-failure:")
                .and_then(|n| n.parse().ok())
                .map(RestartPolicy::OnFailure)
                .ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "`{other}`: expected no, always, unless-stopped or on-failure[:N]"
                    ))
                }),
        }
    }
}

/// How a container logs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSpec {
    pub style: LogStyle,
    /// Steady lines per simulated second.
    pub rate: f64,
    /// The share of lines that report errors.
    pub error_ratio: f64,
    /// Windows with a different error ratio (an incident).
    pub incidents: Vec<Incident>,
}

impl Default for LogSpec {
    fn default() -> LogSpec {
        LogSpec {
            style: LogStyle::Generic,
            rate: 0.2,
            error_ratio: 0.01,
            incidents: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    pub from: SimSpan,
    pub to: SimSpan,
    pub error_ratio: f64,
}

/// The program whose log format a container imitates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogStyle {
    Nginx,
    /// An HTTP API writing JSON lines.
    App,
    Postgres,
    Redis,
    /// A Celery task worker.
    Worker,
    Grafana,
    /// A one-shot `pg_dump` backup job.
    Backup,
    #[default]
    Generic,
    Quiet,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthSpec {
    /// The healthcheck command, as in `HEALTHCHECK CMD …`.
    #[serde(default)]
    pub test: Vec<String>,
    #[serde(default = "thirty_seconds")]
    pub interval: SimSpan,
    /// How long after a start the container reports `starting`.
    #[serde(default = "ten_seconds")]
    pub start_period: SimSpan,
    /// Windows (offsets from the sim's start) in which the check fails.
    #[serde(default)]
    pub unhealthy: Vec<Window>,
}

fn thirty_seconds() -> SimSpan {
    SimSpan::from_secs(30)
}

fn ten_seconds() -> SimSpan {
    SimSpan::from_secs(10)
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub from: SimSpan,
    pub to: SimSpan,
}

/// The process exits on its own after running for about `after`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrashSpec {
    pub after: SimSpan,
    /// Each run lasts `after` ± this share of it, chosen from the seed.
    #[serde(default = "a_fifth")]
    pub jitter: f64,
    #[serde(default = "exit_one")]
    pub exit_code: i32,
}

fn a_fifth() -> f64 {
    0.2
}

fn exit_one() -> i32 {
    1
}

/// The kernel's OOM killer ends the container once, at `at`; memory climbs to the limit
/// over `ramp` before.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OomSpec {
    pub at: SimSpan,
    #[serde(default = "two_minutes")]
    pub ramp: SimSpan,
}

fn two_minutes() -> SimSpan {
    SimSpan::from_secs(120)
}

/// A command `docker exec` can run in this container, matched on the exact argv.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecSpec {
    pub argv: Vec<String>,
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
    #[serde(default)]
    pub exit_code: i32,
    /// Simulated time over which the output is spread.
    #[serde(default)]
    pub duration: SimSpan,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_container_parses_with_defaults() {
        let scenario: DockerScenario = serde_norway::from_str(
            "containers:\n  - name: web\n    image: nginx:1.27\n    restart: on-failure:3\n",
        )
        .unwrap();
        let web = &scenario.containers[0];
        assert_eq!(web.restart, RestartPolicy::OnFailure(3));
        assert_eq!(web.replicas, 1);
        assert_eq!(web.state, InitialState::Running);
        assert_eq!(web.logs.style, LogStyle::Generic);
    }

    #[test]
    fn unknown_fields_are_reported() {
        let err = serde_norway::from_str::<DockerScenario>(
            "containers:\n  - name: web\n    image: nginx\n    colour: blue\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }
}
