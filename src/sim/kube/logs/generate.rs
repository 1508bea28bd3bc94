//! One container instance's log as a function: line `i` is at time
//! `start + (i + u_i) / rate` (u_i a seeded fraction, so lines are irregular but ordered)
//! and its text comes from the seed, `i` and the faults of its time.

use jiff::Timestamp;

use super::lines::{self, LineContext};
use crate::sim::clock::TimeMap;
use crate::sim::common::seeded::{Rng, hash};
use crate::sim::common::time::rfc3339_fixed;
use crate::sim::kube::scenario::LogStyle;

/// Lines a container prints as it dies (a PANIC, a fatal error).
const DYING_LINES: u64 = 2;

/// How many startup lines each style prints before its regular ones.
fn startup_lines(style: LogStyle) -> u64 {
    match style {
        LogStyle::Postgres | LogStyle::Redis => 4,
        LogStyle::HttpAccess | LogStyle::JsonApp | LogStyle::Worker => 3,
        LogStyle::Logfmt => 2,
        LogStyle::Backup => 0,
    }
}

/// A container instance (one run between restarts).
#[derive(Debug, Clone)]
pub struct ContainerLog {
    pub seed: u64,
    pub style: LogStyle,
    /// Lines per simulated second.
    pub rate: f64,
    /// Simulated seconds since the estate started (negative: before it).
    pub start: f64,
    /// When the instance ended, if it has.
    pub end: Option<f64>,
    /// Why it ended (`Error`, `OOMKilled`, `Completed`), for its last lines.
    pub end_reason: Option<String>,
    /// How long a run usually takes (Job pods), for progress lines while it runs.
    pub run_time: Option<f64>,
    /// Windows in which a dependency was down (errors climb).
    pub outages: Vec<(f64, Option<f64>)>,
    pub pod: String,
    /// How simulated seconds become line timestamps.
    pub times: TimeMap,
}

/// Which lines to produce: indices `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineWindow {
    pub from: u64,
    pub to: u64,
}

impl ContainerLog {
    fn fraction(&self, i: u64) -> f64 {
        (hash(&[self.seed, i, 0x7a11]) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// When line `i` is written (simulated seconds).
    pub fn time_of(&self, i: u64) -> f64 {
        if let Some(end) = self.end
            && self.dies()
            && i >= self.regular_count(end)
        {
            return end;
        }
        self.regular_time(i)
    }

    fn regular_time(&self, i: u64) -> f64 {
        self.start + (i as f64 + self.fraction(i)) / self.rate.max(1e-6)
    }

    /// Whether the instance ended in a failure, with last words.
    fn dies(&self) -> bool {
        self.end.is_some() && self.end_reason.as_deref().is_some_and(|r| r != "Completed")
    }

    /// How many lines exist at `t`, the last words of a failed instance included.
    pub fn count_at(&self, t: f64) -> u64 {
        let regular = self.regular_count(t);
        match self.end {
            Some(end) if self.dies() && t >= end => regular + DYING_LINES,
            _ => regular,
        }
    }

    /// How many lines exist at simulated time `t`.
    fn regular_count(&self, t: f64) -> u64 {
        let t = match self.end {
            Some(end) => t.min(end),
            None => t,
        };
        if t < self.start {
            return 0;
        }
        // Start from the estimate and settle the boundary exactly, whatever the rounding.
        let mut count = ((t - self.start) * self.rate.max(1e-6)).floor().max(0.0) as u64;
        while self.regular_time(count) <= t {
            count += 1;
        }
        while count > 0 && self.regular_time(count - 1) > t {
            count -= 1;
        }
        count
    }

    /// How many lines were written before simulated time `t` (strictly): the index of the
    /// first line at or after `t`.
    pub fn count_before(&self, t: f64) -> u64 {
        let mut count = self.count_at(t);
        // Only lines written exactly at `t` (a dying instance's last words) step back.
        while count > 0 && self.time_of(count - 1) >= t {
            count -= 1;
        }
        count
    }

    /// The window for `tailLines` and a since-time (`sinceSeconds` or `sinceTime`, as
    /// simulated seconds: lines at or after it, as the kubelet does) at time `now`, at most
    /// `cap` lines. A since-time after `now` gives `from > to`: nothing yet, and a
    /// follower starts at `from`.
    pub fn window(
        &self,
        now: f64,
        tail: Option<u64>,
        since_at: Option<f64>,
        cap: u64,
    ) -> LineWindow {
        let to = self.count_at(now);
        let mut from = to.saturating_sub(cap);
        if let Some(tail) = tail {
            from = from.max(to.saturating_sub(tail));
        }
        if let Some(since) = since_at {
            from = from.max(self.count_before(since));
        }
        LineWindow { from, to }
    }

    fn wall(&self, t: f64) -> Timestamp {
        self.times.stamp(t)
    }

    /// Errors rise with how long a dependency has been down: 5% at once, +10 points a
    /// minute, to 60%. Otherwise a background 0.5%.
    fn error_rate(&self, t: f64) -> f64 {
        self.outages
            .iter()
            .filter(|(s, e)| t >= *s && e.is_none_or(|e| t < e))
            .map(|(s, _)| (0.05 + (t - s) / 600.0).min(0.6))
            .fold(0.005, f64::max)
    }

    /// Line `i`, with its timestamp, as `(timestamp, text)`; the text may span lines.
    pub fn line(&self, i: u64) -> (Timestamp, String) {
        let t = self.time_of(i);
        let ts = self.wall(t);
        let regular_total = self.end.map(|end| self.regular_count(end));
        if let Some(text) = lines::startup(self.style, i, ts)
            && i < startup_lines(self.style)
            && regular_total.is_none_or(|n| i < n)
        {
            return (ts, text);
        }
        let total = self.end.map(|end| self.count_at(end));
        // A failed instance's last words come after its regular lines.
        let dying = match (self.end, &self.end_reason) {
            (Some(end), Some(reason)) if self.dies() && i >= self.regular_count(end) => {
                Some(reason.as_str())
            }
            _ => None,
        };
        // A Job's progress: through its actual run if it has ended, else its usual one.
        let length = match (self.end, self.run_time) {
            (Some(end), _) => end - self.start,
            (None, Some(run)) => run,
            (None, None) => 0.0,
        };
        let progress = if length > 0.0 {
            ((t - self.start) / length).clamp(0.0, 0.999)
        } else {
            0.0
        };
        let last =
            self.end_reason.as_deref() == Some("Completed") && total.is_some_and(|n| i + 1 == n);
        let ctx = LineContext {
            style: self.style,
            pod: &self.pod,
            error_rate: self.error_rate(t),
            progress,
            first: i == 0,
            last,
            dying,
        };
        let mut r = Rng::new(hash(&[self.seed, i]));
        (ts, lines::line(&ctx, &mut r, ts))
    }

    /// The text of lines `window`, each with an RFC 3339 timestamp first when asked.
    pub fn render(&self, window: LineWindow, timestamps: bool) -> String {
        let mut out = String::new();
        for i in window.from..window.to {
            let (ts, text) = self.line(i);
            for part in text.split('\n') {
                if timestamps {
                    out.push_str(&rfc3339_fixed(ts));
                    out.push(' ');
                }
                out.push_str(part);
                out.push('\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(rate: f64) -> ContainerLog {
        ContainerLog {
            seed: 9,
            style: LogStyle::JsonApp,
            rate,
            start: 0.0,
            end: None,
            end_reason: None,
            run_time: None,
            outages: Vec::new(),
            pod: "api-1".into(),
            times: TimeMap::new(Timestamp::UNIX_EPOCH, 1.0),
        }
    }

    #[test]
    fn lines_are_ordered_and_counted_by_time() {
        let l = log(2.0);
        for i in 0..100 {
            assert!(l.time_of(i) < l.time_of(i + 1));
            assert_eq!(
                l.count_at(l.time_of(i)),
                i + 1,
                "line {i} exists at its own time"
            );
        }
        assert!((l.count_at(50.0) as i64 - 100).abs() <= 1);
    }

    #[test]
    fn windows_follow_tail_and_since() {
        let l = log(1.0);
        let w = l.window(100.0, Some(10), None, 1000);
        assert_eq!(w.to - w.from, 10);
        let s = l.window(100.0, None, Some(95.0), 1000);
        assert!((4..=6).contains(&(s.to - s.from)));
        // Lines at or after the since-time, exactly.
        let at = l.time_of(40);
        let w = l.window(100.0, None, Some(at), 1000);
        assert_eq!(w.from, 40);
        let w = l.window(100.0, None, Some(at + 1e-6), 1000);
        assert_eq!(w.from, 41);
        // A since-time still to come: nothing yet, and following starts there.
        let w = l.window(100.0, None, Some(l.time_of(120)), 1000);
        assert_eq!((w.from, w.to), (120, l.count_at(100.0)));
    }

    #[test]
    fn a_dying_instance_last_words_count_at_its_end() {
        let mut l = log(1.0);
        l.end = Some(50.5);
        l.end_reason = Some("Error".into());
        let total = l.count_at(60.0);
        assert_eq!(l.count_before(50.5), total - DYING_LINES);
        assert_eq!(l.count_before(51.0), total);
    }

    #[test]
    fn the_same_seed_writes_the_same_line() {
        assert_eq!(log(1.0).line(42), log(1.0).line(42));
        assert!(
            log(1.0)
                .render(LineWindow { from: 0, to: 3 }, false)
                .contains("starting service")
        );
    }

    #[test]
    fn errors_climb_during_an_outage() {
        let mut l = log(1.0);
        l.outages = vec![(0.0, None)];
        assert!(l.error_rate(300.0) > l.error_rate(10.0));
        assert!(l.error_rate(10.0) > 0.01);
    }
}
