//! Tests of the container lifecycle: crashes, back-off, OOM kills, manual operations,
//! pauses and health.

use super::*;

const T0: Nanos = 1_000_000 * SECOND;

fn crashing(policy: RestartPolicy) -> Lifecycle {
    let rules = LifeRules {
        policy,
        crash: Some((60 * SECOND, 0.0, 1)),
        key: 1,
        ..LifeRules::default()
    };
    Lifecycle::new(rules, Initial::Running { started: T0 }, None)
}

fn actions(out: &[Timed]) -> Vec<&Happening> {
    out.iter().map(|t| &t.what).collect()
}

#[test]
fn a_crash_under_a_restart_policy_passes_through_restarting() {
    let mut life = crashing(RestartPolicy::UnlessStopped);
    let mut out = Vec::new();
    life.advance(T0 + 60 * SECOND, &mut out);
    assert_eq!(life.phase, Phase::Restarting);
    assert_eq!(life.exit_code, 1);
    assert_eq!(life.restart_count, 1);
    assert_eq!(
        actions(&out),
        [&Happening::Die {
            exit_code: 1,
            ran_secs: 60
        }]
    );
    out.clear();
    life.advance(T0 + 61 * SECOND, &mut out);
    assert_eq!(life.phase, Phase::Running);
    assert_eq!(life.exit_code, 0, "starting clears the exit code");
    assert_eq!(life.started_at, Some(T0 + 60 * SECOND + BACKOFF_START));
    assert_eq!(actions(&out), [&Happening::Start]);
}

#[test]
fn without_a_policy_a_crash_leaves_the_container_exited() {
    let mut life = crashing(RestartPolicy::No);
    let mut out = Vec::new();
    life.advance(T0 + 3600 * SECOND, &mut out);
    assert_eq!(life.phase, Phase::Exited);
    assert_eq!(life.restart_count, 0);
    assert_eq!(life.finished_at, Some(T0 + 60 * SECOND));
}

#[test]
fn quick_crashes_back_off_exponentially() {
    let rules = LifeRules {
        policy: RestartPolicy::Always,
        crash: Some((SECOND, 0.0, 2)),
        ..LifeRules::default()
    };
    let mut life = Lifecycle::new(rules, Initial::Running { started: T0 }, None);
    let mut starts = Vec::new();
    let mut out = Vec::new();
    life.advance(T0 + 20 * SECOND, &mut out);
    for t in &out {
        if t.what == Happening::Start {
            starts.push(t.at);
        }
    }
    let gaps: Vec<i64> = starts.windows(2).map(|w| w[1] - w[0] - SECOND).collect();
    assert_eq!(
        gaps[..3],
        [2 * BACKOFF_START, 4 * BACKOFF_START, 8 * BACKOFF_START]
    );
    assert_eq!(starts[0], T0 + SECOND + BACKOFF_START);
}

#[test]
fn an_oom_kill_reports_oom_then_die_137_and_restarts() {
    let rules = LifeRules {
        policy: RestartPolicy::Always,
        restart_delay: 20 * SECOND,
        ..LifeRules::default()
    };
    let oom = T0 + 90 * SECOND;
    let mut life = Lifecycle::new(rules, Initial::Running { started: T0 }, Some(oom));
    let mut out = Vec::new();
    life.advance(oom + SECOND, &mut out);
    assert_eq!(
        actions(&out),
        [
            &Happening::Oom,
            &Happening::Die {
                exit_code: 137,
                ran_secs: 90
            }
        ]
    );
    assert!(life.oom_killed);
    assert_eq!(life.phase, Phase::Restarting);
    life.advance(oom + 21 * SECOND, &mut out);
    assert_eq!(life.phase, Phase::Running);
    assert!(!life.oom_killed, "a new run clears OOMKilled");
    assert_eq!(life.restart_count, 1);
    assert_eq!(life.oom_at(), None, "the OOM kill happens once");
}

#[test]
fn a_manual_restart_resets_the_restart_count_and_reports_the_sequence() {
    let mut life = crashing(RestartPolicy::Always);
    let mut out = Vec::new();
    life.advance(T0 + 61 * SECOND, &mut out);
    assert_eq!(life.restart_count, 1);
    out.clear();
    let now = T0 + 70 * SECOND;
    life.restart(now, &mut out);
    assert_eq!(
        actions(&out),
        [
            &Happening::Kill { signal: "15" },
            &Happening::Die {
                exit_code: 0,
                ran_secs: 9
            },
            &Happening::Stop,
            &Happening::Start,
            &Happening::Restart
        ]
    );
    assert_eq!(life.restart_count, 0);
    assert_eq!(life.started_at, Some(now));
}

#[test]
fn stop_and_start_refuse_what_is_already_done() {
    let mut life = crashing(RestartPolicy::No);
    let mut out = Vec::new();
    assert_eq!(life.start(T0, &mut out), Err(Refusal::NotModified));
    life.stop(T0 + SECOND, &mut out).unwrap();
    assert_eq!(
        life.stop(T0 + 2 * SECOND, &mut out),
        Err(Refusal::NotModified)
    );
    assert!(matches!(
        life.pause(T0, &mut out),
        Err(Refusal::Conflict(_))
    ));
    life.start(T0 + 3 * SECOND, &mut out).unwrap();
    assert_eq!(life.phase, Phase::Running);
}

#[test]
fn a_pause_delays_the_crash_and_splits_output() {
    let mut life = crashing(RestartPolicy::No);
    let mut out = Vec::new();
    life.pause(T0 + 30 * SECOND, &mut out).unwrap();
    life.advance(T0 + 100 * SECOND, &mut out);
    assert_eq!(life.phase, Phase::Paused, "no crash while frozen");
    life.unpause(T0 + 100 * SECOND, &mut out).unwrap();
    life.advance(T0 + 129 * SECOND, &mut out);
    assert_eq!(life.phase, Phase::Running);
    life.advance(T0 + 130 * SECOND, &mut out);
    assert_eq!(life.phase, Phase::Exited);
    let segments: Vec<_> = life.segments().iter().map(|s| s.opens_run).collect();
    assert_eq!(segments, [true, false]);
}

#[test]
fn health_goes_starting_healthy_unhealthy_with_events() {
    let rules = LifeRules {
        health: Some(HealthRules {
            start_period: 10 * SECOND,
            interval: 5 * SECOND,
            unhealthy: vec![(T0 + 60 * SECOND, T0 + 90 * SECOND)],
        }),
        ..LifeRules::default()
    };
    let mut life = Lifecycle::new(rules, Initial::Running { started: T0 }, None);
    assert_eq!(life.health_at(T0 + SECOND), Some(HealthStatus::Starting));
    let mut out = Vec::new();
    life.advance(T0 + 100 * SECOND, &mut out);
    let changes: Vec<_> = out
        .iter()
        .map(|t| (t.at - T0) / SECOND)
        .zip(actions(&out))
        .collect();
    assert_eq!(
        changes,
        [
            (10, &Happening::Health(HealthStatus::Healthy)),
            (60, &Happening::Health(HealthStatus::Unhealthy)),
            (90, &Happening::Health(HealthStatus::Healthy))
        ]
    );
    assert_eq!(life.failing_streak(T0 + 71 * SECOND), 3);
}
