//! One container's lifecycle over simulated time: runs, crashes, OOM kills, the restart
//! policy with Docker's back-off, pauses and health — and what the daemon would report
//! (`Happening`s that become `/events`).
//!
//! It follows moby's rules where a client can see them: a policy restart increments
//! `RestartCount` and passes through `restarting`; a manual `start`/`restart` resets the
//! count to 0 (moby's `ResetRestartManager(true)`); starting clears `OOMKilled` and
//! `ExitCode`; a stopped container's health reads `unhealthy`.

use std::collections::VecDeque;

use super::scenario::RestartPolicy;
use crate::sim::common::seeded::{Rng, combine};
use crate::sim::common::time::Nanos;

const SECOND: i64 = 1_000_000_000;
/// moby's restart manager: 100 ms, doubling, at most a minute, reset after 10 s of uptime.
const BACKOFF_START: i64 = SECOND / 10;
const BACKOFF_MAX: i64 = 60 * SECOND;
const BACKOFF_RESET_UPTIME: i64 = 10 * SECOND;
/// Runs older than this many output segments are forgotten, which bounds log history.
const MAX_SEGMENTS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Created,
    Running,
    Paused,
    Restarting,
    Exited,
}

impl Phase {
    /// `State.Status` and the `status` filter's vocabulary.
    pub fn status(self) -> &'static str {
        match self {
            Phase::Created => "created",
            Phase::Running => "running",
            Phase::Paused => "paused",
            Phase::Restarting => "restarting",
            Phase::Exited => "exited",
        }
    }

    /// moby counts paused and restarting containers as running.
    pub fn is_running(self) -> bool {
        matches!(self, Phase::Running | Phase::Paused | Phase::Restarting)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthStatus {
    Starting,
    Healthy,
    Unhealthy,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }
}

/// Why a stretch of output ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    Paused,
    /// `docker stop` (SIGTERM, then a clean exit).
    Stopped,
    /// `docker kill` with some other signal.
    Killed,
    /// The process exited on its own with a failure.
    Crashed,
    OomKilled,
}

/// A stretch of time in which the container's process ran and could write output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub start: Nanos,
    /// True when the process started here (not a resume after a pause): it prints its
    /// start-up lines.
    pub opens_run: bool,
    /// How the previous run ended, for start-up lines such as PostgreSQL's crash recovery.
    pub after: Option<StopReason>,
    pub end: Option<(Nanos, StopReason)>,
}

/// Something the daemon reports as an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happening {
    Start,
    Die { exit_code: i32, ran_secs: i64 },
    Oom,
    Kill { signal: &'static str },
    Stop,
    Restart,
    Pause,
    Unpause,
    Health(HealthStatus),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timed {
    pub at: Nanos,
    pub what: Happening,
}

/// The fixed rules a lifecycle follows, from the scenario.
#[derive(Debug, Clone, Default)]
pub struct LifeRules {
    pub policy: RestartPolicy,
    pub restart_delay: i64,
    /// Uptime before a crash, its jitter share, the exit code.
    pub crash: Option<(i64, f64, i32)>,
    pub stop_exit_code: i32,
    pub health: Option<HealthRules>,
    /// Seeds the crash jitter.
    pub key: u64,
}

#[derive(Debug, Clone, Default)]
pub struct HealthRules {
    pub start_period: i64,
    pub interval: i64,
    /// Absolute windows in which the check fails.
    pub unhealthy: Vec<(Nanos, Nanos)>,
}

/// How a container starts out when the sim begins.
#[derive(Debug, Clone, Copy)]
pub enum Initial {
    Created,
    Running {
        started: Nanos,
    },
    Paused {
        started: Nanos,
        paused: Nanos,
    },
    Exited {
        started: Nanos,
        finished: Nanos,
        exit_code: i32,
    },
}

/// What a manual action could not do, in the daemon's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 304: already in the requested state.
    NotModified,
    /// 409 with this message (the container's id is substituted by the caller).
    Conflict(&'static str),
}

#[derive(Debug, Clone)]
pub struct Lifecycle {
    rules: LifeRules,
    pub phase: Phase,
    pub started_at: Option<Nanos>,
    pub finished_at: Option<Nanos>,
    pub exit_code: i32,
    pub oom_killed: bool,
    pub restart_count: u32,
    paused_at: Option<Nanos>,
    restart_at: Option<Nanos>,
    crash_at: Option<Nanos>,
    oom_at: Option<Nanos>,
    backoff: i64,
    runs: u64,
    health_checked_to: Nanos,
    reported_health: Option<HealthStatus>,
    segments: VecDeque<Segment>,
}

impl Lifecycle {
    pub fn new(rules: LifeRules, initial: Initial, oom_at: Option<Nanos>) -> Lifecycle {
        let mut life = Lifecycle {
            rules,
            phase: Phase::Created,
            started_at: None,
            finished_at: None,
            exit_code: 0,
            oom_killed: false,
            restart_count: 0,
            paused_at: None,
            restart_at: None,
            crash_at: None,
            oom_at,
            backoff: 0,
            runs: 0,
            health_checked_to: i64::MIN,
            reported_health: None,
            segments: VecDeque::new(),
        };
        match initial {
            Initial::Created => {}
            Initial::Running { started } => life.begin_run(started, &mut Vec::new()),
            Initial::Paused { started, paused } => {
                life.begin_run(started, &mut Vec::new());
                life.close_segment(paused, StopReason::Paused);
                life.phase = Phase::Paused;
                life.paused_at = Some(paused);
            }
            Initial::Exited {
                started,
                finished,
                exit_code,
            } => {
                life.begin_run(started, &mut Vec::new());
                let reason = if exit_code == 0 {
                    StopReason::Stopped
                } else {
                    StopReason::Crashed
                };
                life.close_segment(finished, reason);
                life.crash_at = None;
                life.phase = Phase::Exited;
                life.finished_at = Some(finished);
                life.exit_code = exit_code;
            }
        }
        life.health_checked_to = life.started_at.unwrap_or(i64::MIN);
        life.reported_health = life.health_at(life.health_checked_to);
        life
    }

    /// The output segments still remembered, oldest first.
    pub fn segments(&self) -> &VecDeque<Segment> {
        &self.segments
    }

    /// When the pending OOM kill happens, for the memory ramp.
    pub fn oom_at(&self) -> Option<Nanos> {
        self.oom_at
    }

    /// The earliest scheduled transition, if any.
    pub fn next_due(&self) -> Option<Nanos> {
        let mut due: Option<Nanos> = None;
        let mut consider = |t: Option<Nanos>| {
            if let Some(t) = t {
                due = Some(due.map_or(t, |d| d.min(t)));
            }
        };
        if self.phase == Phase::Restarting {
            consider(self.restart_at);
        }
        if self.phase == Phase::Running {
            consider(self.crash_at);
        }
        consider(self.oom_at);
        consider(self.next_health_boundary());
        due
    }

    /// Apply every scheduled transition up to and including `now`.
    pub fn advance(&mut self, now: Nanos, out: &mut Vec<Timed>) {
        while let Some(due) = self.next_due() {
            if due > now {
                break;
            }
            self.step(due, out);
        }
    }

    fn step(&mut self, t: Nanos, out: &mut Vec<Timed>) {
        if self.phase == Phase::Restarting && self.restart_at == Some(t) {
            self.restart_at = None;
            self.begin_run(t, out);
        } else if self.oom_at == Some(t) {
            self.oom_at = None;
            if self.phase == Phase::Running {
                out.push(Timed {
                    at: t,
                    what: Happening::Oom,
                });
                self.exit_on_its_own(t, 137, true, out);
            }
        } else if self.phase == Phase::Running && self.crash_at == Some(t) {
            let code = self.rules.crash.map_or(1, |(_, _, code)| code);
            self.exit_on_its_own(t, code, false, out);
        } else {
            self.health_checked_to = t;
            self.report_health(t, out);
        }
    }

    fn report_health(&mut self, t: Nanos, out: &mut Vec<Timed>) {
        let health = self.health_at(t);
        if health != self.reported_health {
            self.reported_health = health;
            if let Some(h) = health {
                out.push(Timed {
                    at: t,
                    what: Happening::Health(h),
                });
            }
        }
    }

    fn next_health_boundary(&self) -> Option<Nanos> {
        let rules = self.rules.health.as_ref()?;
        if !matches!(self.phase, Phase::Running | Phase::Paused) {
            return None;
        }
        let started = self.started_at?;
        let after = self.health_checked_to;
        std::iter::once(started + rules.start_period)
            .chain(rules.unhealthy.iter().flat_map(|&(a, b)| [a, b]))
            .filter(|&t| t > after)
            .min()
    }

    /// The health status at `t`, or `None` without a healthcheck.
    pub fn health_at(&self, t: Nanos) -> Option<HealthStatus> {
        let rules = self.rules.health.as_ref()?;
        if !matches!(self.phase, Phase::Running | Phase::Paused) {
            return Some(HealthStatus::Unhealthy);
        }
        let started = self.started_at?;
        if t < started + rules.start_period {
            return Some(HealthStatus::Starting);
        }
        if rules.unhealthy.iter().any(|&(a, b)| a <= t && t < b) {
            return Some(HealthStatus::Unhealthy);
        }
        Some(HealthStatus::Healthy)
    }

    /// Consecutive failed probes at `t` (for `State.Health.FailingStreak`).
    pub fn failing_streak(&self, t: Nanos) -> u64 {
        let Some(rules) = self.rules.health.as_ref() else {
            return 0;
        };
        rules
            .unhealthy
            .iter()
            .find(|&&(a, b)| a <= t && t < b)
            .map_or(0, |&(a, _)| {
                let from = a.max(self.started_at.unwrap_or(a));
                ((t - from) / rules.interval.max(1)) as u64 + 1
            })
    }

    fn begin_run(&mut self, t: Nanos, out: &mut Vec<Timed>) {
        let after = self.segments.back().and_then(|s| s.end.map(|(_, r)| r));
        self.phase = Phase::Running;
        self.started_at = Some(t);
        self.exit_code = 0;
        self.oom_killed = false;
        self.paused_at = None;
        self.runs += 1;
        self.push_segment(Segment {
            start: t,
            opens_run: true,
            after,
            end: None,
        });
        self.crash_at = self.rules.crash.map(|(after, jitter, _)| {
            let mut rng = Rng::keyed(combine(self.rules.key, self.runs));
            let factor = 1.0 + jitter * (2.0 * rng.unit() - 1.0);
            // At least a second, so a crash loop always makes progress.
            t + ((after as f64 * factor) as i64).max(SECOND)
        });
        self.health_checked_to = t;
        self.reported_health = self.health_at(t);
        out.push(Timed {
            at: t,
            what: Happening::Start,
        });
        if let Some(h) = self.reported_health {
            out.push(Timed {
                at: t,
                what: Happening::Health(h),
            });
        }
    }

    fn push_segment(&mut self, segment: Segment) {
        if self.segments.len() == MAX_SEGMENTS {
            self.segments.pop_front();
        }
        self.segments.push_back(segment);
    }

    fn close_segment(&mut self, t: Nanos, reason: StopReason) {
        if let Some(last) = self.segments.back_mut()
            && last.end.is_none()
        {
            last.end = Some((t, reason));
        }
    }

    /// The process ended without being asked: the restart policy decides what follows.
    fn exit_on_its_own(&mut self, t: Nanos, exit_code: i32, oom: bool, out: &mut Vec<Timed>) {
        let ran = t - self.started_at.unwrap_or(t);
        self.close_segment(
            t,
            if oom {
                StopReason::OomKilled
            } else {
                StopReason::Crashed
            },
        );
        self.crash_at = None;
        self.finished_at = Some(t);
        self.exit_code = exit_code;
        self.oom_killed = oom;
        let restart = match self.rules.policy {
            RestartPolicy::No => false,
            RestartPolicy::Always | RestartPolicy::UnlessStopped => true,
            RestartPolicy::OnFailure(max) => {
                exit_code != 0 && (max == 0 || self.restart_count < max)
            }
        };
        if restart {
            self.restart_count += 1;
            self.backoff = if ran >= BACKOFF_RESET_UPTIME || self.backoff == 0 {
                BACKOFF_START
            } else {
                (self.backoff * 2).min(BACKOFF_MAX)
            };
            self.phase = Phase::Restarting;
            self.restart_at = Some(t + self.backoff.max(self.rules.restart_delay));
        } else {
            self.phase = Phase::Exited;
        }
        out.push(Timed {
            at: t,
            what: Happening::Die {
                exit_code,
                ran_secs: ran / SECOND,
            },
        });
        self.report_health(t, out);
    }

    /// `docker start`.
    pub fn start(&mut self, now: Nanos, out: &mut Vec<Timed>) -> Result<(), Refusal> {
        if self.phase.is_running() {
            return Err(Refusal::NotModified);
        }
        self.manual_start(now, out);
        Ok(())
    }

    fn manual_start(&mut self, now: Nanos, out: &mut Vec<Timed>) {
        self.restart_count = 0;
        self.backoff = 0;
        self.restart_at = None;
        self.begin_run(now, out);
    }

    /// `docker stop`: SIGTERM, a clean exit, no restart.
    pub fn stop(&mut self, now: Nanos, out: &mut Vec<Timed>) -> Result<(), Refusal> {
        match self.phase {
            Phase::Created | Phase::Exited => Err(Refusal::NotModified),
            Phase::Restarting => {
                self.restart_at = None;
                self.phase = Phase::Exited;
                out.push(Timed {
                    at: now,
                    what: Happening::Stop,
                });
                Ok(())
            }
            Phase::Running | Phase::Paused => {
                let code = self.rules.stop_exit_code;
                self.end_by_signal(now, "15", code, StopReason::Stopped, out);
                out.push(Timed {
                    at: now,
                    what: Happening::Stop,
                });
                Ok(())
            }
        }
    }

    /// `docker kill -s SIGNAL`.
    pub fn kill(
        &mut self,
        now: Nanos,
        signal: &'static str,
        out: &mut Vec<Timed>,
    ) -> Result<(), Refusal> {
        if !matches!(self.phase, Phase::Running | Phase::Paused) {
            return Err(Refusal::Conflict("Container {} is not running"));
        }
        // A process killed by signal N exits 128 + N; SIGTERM is a graceful stop.
        let (code, reason) = match signal {
            "15" => (self.rules.stop_exit_code, StopReason::Stopped),
            other => (128 + other.parse::<i32>().unwrap_or(9), StopReason::Killed),
        };
        self.end_by_signal(now, signal, code, reason, out);
        Ok(())
    }

    fn end_by_signal(
        &mut self,
        now: Nanos,
        signal: &'static str,
        exit_code: i32,
        reason: StopReason,
        out: &mut Vec<Timed>,
    ) {
        out.push(Timed {
            at: now,
            what: Happening::Kill { signal },
        });
        if self.phase == Phase::Paused {
            // The process wakes only to die: a zero-length stretch carries its last words.
            self.push_segment(Segment {
                start: now,
                opens_run: false,
                after: None,
                end: None,
            });
        }
        let ran = now - self.started_at.unwrap_or(now);
        self.close_segment(now, reason);
        self.phase = Phase::Exited;
        self.crash_at = None;
        self.paused_at = None;
        self.finished_at = Some(now);
        self.exit_code = exit_code;
        out.push(Timed {
            at: now,
            what: Happening::Die {
                exit_code,
                ran_secs: ran / SECOND,
            },
        });
        self.report_health(now, out);
    }

    /// `docker restart`: stop if running, start, report `restart`.
    pub fn restart(&mut self, now: Nanos, out: &mut Vec<Timed>) {
        if matches!(
            self.phase,
            Phase::Running | Phase::Paused | Phase::Restarting
        ) {
            // Stopping a running container cannot be refused.
            let _ = self.stop(now, out);
        }
        self.manual_start(now, out);
        out.push(Timed {
            at: now,
            what: Happening::Restart,
        });
    }

    pub fn pause(&mut self, now: Nanos, out: &mut Vec<Timed>) -> Result<(), Refusal> {
        match self.phase {
            Phase::Running => {
                self.close_segment(now, StopReason::Paused);
                self.phase = Phase::Paused;
                self.paused_at = Some(now);
                out.push(Timed {
                    at: now,
                    what: Happening::Pause,
                });
                Ok(())
            }
            Phase::Paused => Err(Refusal::Conflict("Container {} is already paused")),
            Phase::Restarting => Err(Refusal::Conflict(
                "Container {} is restarting, wait until the container is running",
            )),
            Phase::Created | Phase::Exited => Err(Refusal::Conflict("Container {} is not running")),
        }
    }

    pub fn unpause(&mut self, now: Nanos, out: &mut Vec<Timed>) -> Result<(), Refusal> {
        if self.phase != Phase::Paused {
            return Err(Refusal::Conflict("Container {} is not paused"));
        }
        let paused_for = now - self.paused_at.unwrap_or(now);
        // A frozen process does not age towards its crash.
        self.crash_at = self.crash_at.map(|t| t + paused_for);
        self.phase = Phase::Running;
        self.paused_at = None;
        self.push_segment(Segment {
            start: now,
            opens_run: false,
            after: None,
            end: None,
        });
        out.push(Timed {
            at: now,
            what: Happening::Unpause,
        });
        Ok(())
    }
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
