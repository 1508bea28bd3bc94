//! Which lines a container has written in a span of simulated time.
//!
//! Nothing is stored: steady lines sit in fixed time slots (`1 / rate` seconds wide, one
//! line at a seeded instant in each) and exist where the process was running; start-up
//! and last words sit at the edges of each run. So `docker logs` of a day-old container
//! costs no memory until asked, and `--follow` just asks again for the next span.

use super::container::Container;
use super::frames::{StdStream, StreamSet};
use super::lifecycle::{Phase, StopReason};
use super::log_styles;
use super::scenario::LogStyle;
use crate::sim::common::seeded::{Rng, combine};
use crate::sim::common::time::Nanos;

/// Start-up lines begin this long after the process starts, so they follow the last
/// words of a previous run ended at the same instant (`docker restart`).
const STARTUP_OFFSET: Nanos = 1_000_000;
/// Lines printed together are this far apart, keeping their order by time.
const LINE_SPACING: Nanos = 1_000;
/// Bursts of lines are shorter than this.
const BURST_SPAN: Nanos = 500 * LINE_SPACING;
/// Like a rotated log file, only this many steady lines per container are kept.
pub const MAX_HISTORY_LINES: i64 = 10_000;

/// One line a container wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub at: Nanos,
    pub stream: StdStream,
    pub text: String,
}

/// Nanoseconds between steady lines, or `None` for a container that writes none.
pub fn period(c: &Container) -> Option<Nanos> {
    let rate = c.spec.logs.rate;
    if c.spec.logs.style == LogStyle::Quiet || rate <= 0.0 || !rate.is_finite() {
        return None;
    }
    Some(((1e9 / rate) as Nanos).max(1_000))
}

/// The oldest instant whose lines are still kept.
pub fn history_start(c: &Container, now: Nanos) -> Nanos {
    let first_run = c
        .life
        .segments()
        .front()
        .map_or(now, |s| s.start)
        .saturating_sub(1);
    match period(c) {
        Some(p) => first_run.max(now.saturating_sub(MAX_HISTORY_LINES.saturating_mul(p))),
        None => first_run,
    }
}

/// The lines with `from < at <= to` of the wanted streams, in order.
pub fn lines_between(c: &Container, from: Nanos, to: Nanos, want: StreamSet) -> Vec<LogLine> {
    let mut out = Vec::new();
    if to <= from {
        return out;
    }
    let style = c.spec.logs.style;
    let ctx = &c.line_context;
    let push = |out: &mut Vec<LogLine>, at: Nanos, (stream, text): log_styles::Line| {
        if from < at && at <= to && want.wants(stream) {
            out.push(LogLine { at, stream, text });
        }
    };
    let overlaps = |start: Nanos| start + BURST_SPAN > from && start <= to;

    for segment in c.life.segments() {
        if segment.start > to {
            break;
        }
        let end = segment.end.map(|(t, _)| t);
        if end.is_some_and(|e| e + BURST_SPAN <= from) {
            continue;
        }
        let base = segment.start + STARTUP_OFFSET;
        if segment.opens_run && overlaps(base) {
            let lines = log_styles::startup(style, ctx, base, segment.after);
            for (j, line) in lines.into_iter().enumerate() {
                push(&mut out, base + j as Nanos * LINE_SPACING, line);
            }
        }
        if let Some(period) = period(c) {
            let lo = from.max(base + BURST_SPAN);
            let hi = to.min(end.map_or(Nanos::MAX, |e| e - 1));
            if hi > lo {
                let lo = lo.max(hi.saturating_sub(MAX_HISTORY_LINES.saturating_mul(period)));
                for k in lo.div_euclid(period)..=hi.div_euclid(period) {
                    let mut rng = Rng::keyed(combine(c.key, k as u64));
                    let at = k * period + (rng.unit() * period as f64) as Nanos;
                    if at <= lo || at > hi {
                        continue;
                    }
                    let error = rng.chance(c.error_ratio(at));
                    let line = log_styles::steady(style, ctx, &mut rng, at, error);
                    push(&mut out, at, line);
                }
            }
        }
        if let Some((end, reason)) = segment.end
            && overlaps(end)
        {
            let lines = log_styles::shutdown(style, ctx, end, reason);
            for (j, line) in lines.into_iter().enumerate() {
                push(&mut out, end + j as Nanos * LINE_SPACING, line);
            }
        }
    }
    out.sort_by_key(|line| line.at);
    out
}

/// The last `tail` lines (all when `None`) with `from < at <= to`.
pub fn tail(
    c: &Container,
    from: Nanos,
    to: Nanos,
    want: StreamSet,
    tail: Option<usize>,
) -> Vec<LogLine> {
    let mut lines = lines_between(c, from, to, want);
    if let Some(n) = tail
        && lines.len() > n
    {
        lines.drain(..lines.len() - n);
    }
    lines
}

/// For `logs --follow`, which ends when the container stops: once the run that started
/// at `run_start` has ended, the instant by which its last words are all written.
pub fn run_end(c: &Container, run_start: Nanos) -> Option<Nanos> {
    let still_going = matches!(c.life.phase, Phase::Running | Phase::Paused);
    if still_going && c.life.started_at == Some(run_start) {
        return None;
    }
    let end = c
        .life
        .segments()
        .iter()
        .skip_while(|s| !(s.opens_run && s.start == run_start))
        .filter_map(|s| s.end)
        .find(|(_, reason)| *reason != StopReason::Paused)
        .map(|(t, _)| t);
    Some(end.or(c.life.finished_at).unwrap_or(run_start) + BURST_SPAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::docker::container::build;
    use crate::sim::docker::scenario::DockerScenario;

    const ORIGIN: Nanos = 1_795_371_578_000_000_000;
    const SECOND: Nanos = 1_000_000_000;

    fn container(yaml: &str) -> Container {
        let scenario: DockerScenario = serde_norway::from_str(yaml).unwrap();
        build(&scenario, ORIGIN, 7).unwrap().remove(0)
    }

    fn web() -> Container {
        container(
            "containers:\n  - name: web\n    image: nginx:1.27\n    started: -1h\n    logs: {style: nginx, rate: 2}\n",
        )
    }

    #[test]
    fn spans_compose_without_gaps_or_duplicates() {
        let c = web();
        let whole = lines_between(&c, ORIGIN - 60 * SECOND, ORIGIN, StreamSet::BOTH);
        let mut pieces = Vec::new();
        let mut t = ORIGIN - 60 * SECOND;
        while t < ORIGIN {
            let next = (t + 7_300_000_000).min(ORIGIN);
            pieces.extend(lines_between(&c, t, next, StreamSet::BOTH));
            t = next;
        }
        assert_eq!(whole, pieces);
        assert!(
            (100..=140).contains(&whole.len()),
            "about 2 lines/s: {}",
            whole.len()
        );
        assert!(whole.windows(2).all(|w| w[0].at <= w[1].at));
    }

    #[test]
    fn lines_are_the_same_every_time_they_are_asked_for() {
        let c = web();
        let a = tail(&c, ORIGIN - 3600 * SECOND, ORIGIN, StreamSet::BOTH, Some(5));
        let b = tail(&c, ORIGIN - 600 * SECOND, ORIGIN, StreamSet::BOTH, Some(5));
        assert_eq!(a.len(), 5);
        assert_eq!(a, b);
    }

    #[test]
    fn a_run_starts_with_its_banner_and_stops_writing_when_it_ends() {
        let mut c = web();
        let stop = ORIGIN + 10 * SECOND;
        c.life.stop(stop, &mut Vec::new()).unwrap();
        let start = c.life.started_at.unwrap();
        let first = lines_between(&c, start - 1, start + SECOND, StreamSet::BOTH);
        assert!(
            first[0].text.starts_with("/docker-entrypoint.sh"),
            "{:?}",
            first[0]
        );
        let after = lines_between(&c, stop - 1, stop + 600 * SECOND, StreamSet::BOTH);
        assert!(!after.is_empty());
        assert!(
            after.iter().all(|l| l.at < stop + BURST_SPAN),
            "nothing after the exit"
        );
        assert!(after.last().unwrap().text.ends_with("[notice] 1#1: exit"));
        assert_eq!(run_end(&c, start), Some(stop + BURST_SPAN));
    }

    #[test]
    fn streams_can_be_chosen() {
        let c = web();
        let only_err = StreamSet {
            stdout: false,
            stderr: true,
        };
        let lines = lines_between(&c, c.life.started_at.unwrap() - 1, ORIGIN, only_err);
        assert!(!lines.is_empty(), "nginx's notices go to stderr");
        assert!(lines.iter().all(|l| l.stream == StdStream::Stderr));
    }

    #[test]
    fn history_is_bounded() {
        let c = container(
            "containers:\n  - name: chatty\n    image: x\n    started: -30d\n    logs: {style: app, rate: 50}\n",
        );
        let from = history_start(&c, ORIGIN);
        assert!(ORIGIN - from <= MAX_HISTORY_LINES * period(&c).unwrap());
        let all = lines_between(&c, from, ORIGIN, StreamSet::BOTH);
        assert!(all.len() as i64 <= MAX_HISTORY_LINES + 1);
    }
}
