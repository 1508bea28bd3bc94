//! Capped exponential backoff with jitter, so a fleet of sources that lost the same peer
//! does not reconnect in lockstep.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
    /// xorshift state for jitter: no need for a crate, and tests can seed it.
    seed: u64,
}

impl Backoff {
    /// Starts at `base`, doubles per failure, never waits longer than `max`.
    pub fn new(base: Duration, max: Duration) -> Backoff {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9_7f4a_7c15, |d| d.as_nanos() as u64)
            | 1;
        Backoff {
            base,
            max,
            attempt: 0,
            seed,
        }
    }

    /// The default for network peers: 500 ms doubling to 30 s.
    pub fn network() -> Backoff {
        Backoff::new(Duration::from_millis(500), Duration::from_secs(30))
    }

    pub fn with_seed(mut self, seed: u64) -> Backoff {
        self.seed = seed | 1;
        self
    }

    /// The wait before the next attempt: a random point in the upper half of the current
    /// step ("equal jitter"), so waits still grow but sources spread out.
    pub fn next_delay(&mut self) -> Duration {
        let step = self
            .base
            .saturating_mul(1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let half = step / 2;
        let jitter_range = (step - half).as_nanos().max(1) as u64;
        half + Duration::from_nanos(self.random() % jitter_range)
    }

    /// Forget past failures after a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    fn random(&mut self) -> u64 {
        let mut x = self.seed;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_capped_and_jitter() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2)).with_seed(7);
        let delays: Vec<Duration> = (0..10).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(50) && delays[0] <= Duration::from_millis(100));
        assert!(delays[3] >= Duration::from_millis(400), "{delays:?}");
        assert!(
            delays.iter().all(|d| *d <= Duration::from_secs(2)),
            "{delays:?}"
        );
        assert!(
            delays[9] >= Duration::from_secs(1),
            "capped but still long: {delays:?}"
        );
        let mut other =
            Backoff::new(Duration::from_millis(100), Duration::from_secs(2)).with_seed(8);
        let other_delays: Vec<Duration> = (0..10).map(|_| other.next_delay()).collect();
        assert_ne!(
            delays, other_delays,
            "two sources must not retry in lockstep"
        );
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }
}
