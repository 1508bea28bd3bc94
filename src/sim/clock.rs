//! Simulated time: real time since start, scaled by `--speed`.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

/// The estate's clock. `--speed 10` makes a simulated minute pass in six real seconds.
#[derive(Debug, Clone)]
pub struct SimClock {
    started_real: Instant,
    started_at: Timestamp,
    speed: f64,
}

impl SimClock {
    pub fn new(speed: f64) -> SimClock {
        SimClock {
            started_real: Instant::now(),
            started_at: Timestamp::now(),
            speed: if speed > 0.0 { speed } else { 1.0 },
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Simulated seconds since the estate started.
    pub fn elapsed_secs(&self) -> f64 {
        self.started_real.elapsed().as_secs_f64() * self.speed
    }

    /// The simulated wall-clock time: the real start time plus scaled elapsed time.
    pub fn now(&self) -> Timestamp {
        let nanos = (self.elapsed_secs() * 1e9) as i64;
        self.started_at
            .checked_add(SignedDuration::from_nanos(nanos))
            .unwrap_or(self.started_at)
    }

    /// How long to sleep in real time for `sim_secs` simulated seconds to pass.
    pub fn real_duration(&self, sim_secs: f64) -> std::time::Duration {
        std::time::Duration::from_secs_f64((sim_secs / self.speed).max(0.0))
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
}
