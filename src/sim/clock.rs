//! Simulated time: real time since start, scaled by `--speed`.
//!
//! Two things are kept apart, because at `--speed` above 1 they cannot agree:
//!
//! - **Simulated seconds** ([`SimClock::elapsed_secs`]) pace everything that happens: the
//!   controllers' timers, crash-loop back-off, rollouts, log line rates, the faults'
//!   timeline. `--speed 10` makes a simulated minute pass in six real seconds.
//! - **Timestamps** written into objects ([`SimClock::now`], [`TimeMap::stamp`]) never run
//!   ahead of the wall clock. Clients judge timestamps against their own clock — kubectl
//!   and the console compute ages as `now - creationTimestamp`, kubectl prints `<invalid>`
//!   for one in the future — so a simulated second after the start is stamped at the real
//!   moment it was reached: `start + secs / speed`. A pod that crash-loops ten times a
//!   real minute at `--speed 10` shows restarts six seconds apart, and its age is the
//!   real time since it was created. History from before the start (pods that have run
//!   for days, past CronJob runs) is not compressed: `start + secs` for `secs <= 0`.
//!
//! Starting the clock far enough in the past instead would keep one linear time line,
//! but only for a bounded run (it must lead by `(speed - 1) × run time`), and every
//! fresh object would look that much older to clients than to the server's own tables.
//!
//! Code that needs simulated seconds from a timestamp uses [`TimeMap::secs_at`], never a
//! difference of timestamps. Schedules written in calendar terms (a CronJob's
//! `0 * * * *`) run on the **simulated calendar** ([`TimeMap::calendar`],
//! `start + secs`), so that an hourly job still runs every simulated hour; what it
//! writes into objects is stamped. The Docker and Alertmanager sims keep their state in
//! nanoseconds of the simulated calendar ([`SimClock::calendar_now`]).

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

/// How simulated seconds map onto timestamps, for code that holds no clock (a log
/// generator, a test). Cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeMap {
    /// The wall-clock time of simulated second 0.
    origin: Timestamp,
    speed: f64,
}

impl TimeMap {
    pub fn new(origin: Timestamp, speed: f64) -> TimeMap {
        TimeMap {
            origin,
            speed: if speed > 0.0 { speed } else { 1.0 },
        }
    }

    /// The wall-clock time of simulated second 0.
    pub fn origin(&self) -> Timestamp {
        self.origin
    }

    fn plus(&self, secs: f64) -> Timestamp {
        let nanos = (secs * 1e9).round() as i64;
        self.origin
            .checked_add(SignedDuration::from_nanos(nanos))
            .unwrap_or(self.origin)
    }

    /// The timestamp an object gets for simulated second `secs`: the real moment the
    /// sim reached it (history before the start as it was).
    pub fn stamp(&self, secs: f64) -> Timestamp {
        if secs <= 0.0 {
            self.plus(secs)
        } else {
            self.plus(secs / self.speed)
        }
    }

    /// The simulated second a timestamp from [`TimeMap::stamp`] stands for.
    pub fn secs_at(&self, t: Timestamp) -> f64 {
        let real = t.duration_since(self.origin).as_secs_f64();
        if real <= 0.0 { real } else { real * self.speed }
    }

    /// The simulated calendar at simulated second `secs` (for schedules).
    pub fn calendar(&self, secs: f64) -> Timestamp {
        self.plus(secs)
    }

    /// The simulated second of a simulated calendar time.
    pub fn calendar_secs(&self, t: Timestamp) -> f64 {
        t.duration_since(self.origin).as_secs_f64()
    }

    /// A stamp turned into simulated calendar time (equal before the start).
    pub fn stamp_to_calendar(&self, t: Timestamp) -> Timestamp {
        self.calendar(self.secs_at(t))
    }

    /// A simulated calendar time turned into the stamp objects get for it.
    pub fn calendar_to_stamp(&self, t: Timestamp) -> Timestamp {
        self.stamp(self.calendar_secs(t))
    }
}

/// The estate's clock. `--speed 10` makes a simulated minute pass in six real seconds.
#[derive(Debug, Clone)]
pub struct SimClock {
    started_real: Instant,
    map: TimeMap,
}

impl SimClock {
    pub fn new(speed: f64) -> SimClock {
        // The wall clock is read first, so that stamps (origin plus the monotonic clock's
        // elapsed time) cannot come out ahead of it by the gap between the two reads.
        let map = TimeMap::new(Timestamp::now(), speed);
        SimClock {
            started_real: Instant::now(),
            map,
        }
    }

    pub fn speed(&self) -> f64 {
        self.map.speed
    }

    /// The mapping between simulated seconds and timestamps.
    pub fn map(&self) -> TimeMap {
        self.map
    }

    /// Simulated seconds since the estate started.
    pub fn elapsed_secs(&self) -> f64 {
        self.started_real.elapsed().as_secs_f64() * self.map.speed
    }

    /// The timestamp of now, for objects: never ahead of the wall clock, whatever the
    /// speed (see the module's comment).
    pub fn now(&self) -> Timestamp {
        self.map.stamp(self.elapsed_secs())
    }

    /// Now on the simulated calendar: the start plus scaled elapsed time. Ahead of the
    /// wall clock at `--speed` above 1.
    pub fn calendar_now(&self) -> Timestamp {
        self.map.calendar(self.elapsed_secs())
    }

    /// How long to sleep in real time for `sim_secs` simulated seconds to pass.
    pub fn real_duration(&self, sim_secs: f64) -> std::time::Duration {
        std::time::Duration::from_secs_f64((sim_secs / self.map.speed).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_scales_real_durations() {
        let clock = SimClock::new(10.0);
        assert_eq!(clock.real_duration(60.0), std::time::Duration::from_secs(6));
        assert_eq!(
            SimClock::new(0.0).speed(),
            1.0,
            "a zero speed would stop time"
        );
    }

    #[test]
    fn timestamps_never_run_ahead_of_the_wall_clock() {
        let clock = SimClock::new(1000.0);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let now = clock.now();
        let wall = Timestamp::now();
        assert!(clock.elapsed_secs() >= 50.0, "simulated time runs at speed");
        assert!(now <= wall, "{now} is ahead of the wall clock {wall}");
        assert!(
            wall.duration_since(now) < SignedDuration::from_secs(1),
            "and not far behind it: {now} vs {wall}"
        );
        // The simulated calendar does run ahead (schedules use it).
        assert!(
            clock.calendar_now()
                > wall
                    .checked_add(SignedDuration::from_secs(40))
                    .expect("time")
        );
    }

    #[test]
    fn stamps_map_back_to_simulated_seconds() {
        let origin: Timestamp = "2026-11-22T10:00:00Z".parse().expect("time");
        let map = TimeMap::new(origin, 10.0);
        // After the start, ten simulated seconds take one real second.
        assert_eq!(map.stamp(600.0).to_string(), "2026-11-22T10:01:00Z");
        // History is as it was.
        assert_eq!(map.stamp(-3600.0).to_string(), "2026-11-22T09:00:00Z");
        for secs in [-86_400.0, -1.5, 0.0, 0.25, 600.0, 123_456.5] {
            assert!((map.secs_at(map.stamp(secs)) - secs).abs() < 1e-6, "{secs}");
            assert!((map.calendar_secs(map.calendar(secs)) - secs).abs() < 1e-6);
        }
        // Stamps keep the order of the simulated seconds they stand for.
        assert!(map.stamp(-0.5) < map.stamp(0.0) && map.stamp(0.0) < map.stamp(0.5));
        assert_eq!(map.calendar(600.0).to_string(), "2026-11-22T10:10:00Z");
        let hour: Timestamp = "2026-11-22T11:00:00Z".parse().expect("time");
        assert_eq!(
            map.calendar_to_stamp(hour).to_string(),
            "2026-11-22T10:06:00Z"
        );
        assert_eq!(map.stamp_to_calendar(map.calendar_to_stamp(hour)), hour);
    }
}
