//! Seeded randomness without state: every generated thing (ids, log lines, noise) is a hash
//! of the seed and what it is for, so the same `--seed` gives the same estate and any log
//! line can be produced on its own, without replaying the ones before it.
//!
//! The Alertmanager simulation uses these too.

/// SplitMix64's finaliser: a good 64-bit mixing function.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Combine two values into one well-mixed key.
pub fn combine(a: u64, b: u64) -> u64 {
    mix(a ^ mix(b.wrapping_add(0x9E37_79B9_7F4A_7C15)))
}

/// FNV-1a over a string: a stable key for a name.
pub fn hash_str(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// 64 lowercase hex digits derived from a key, the shape of Docker's ids and digests.
pub fn hex64(key: u64) -> String {
    let mut rng = SplitMix::new(key);
    (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect()
}

/// A small seedable generator (SplitMix64). Not for cryptography.
#[derive(Debug, Clone)]
pub struct SplitMix {
    state: u64,
}

impl SplitMix {
    pub fn new(key: u64) -> SplitMix {
        SplitMix { state: mix(key) }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An integer in `[0, n)`; 0 when `n` is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// An integer in `[low, high]`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        // Callers pass constant, non-empty tables; an empty one is a programming error
        // caught by the tests that render every style.
        &items[self.below(items.len() as u64) as usize]
    }

    /// A version 4 UUID.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

/// Smooth deterministic noise in `[-1, 1]` over time, and its integral, so cumulative
/// counters (CPU time) can be computed in O(1) at any instant.
#[derive(Debug, Clone, Copy)]
pub struct Wave {
    slow: (f64, f64),
    fast: (f64, f64),
}

impl Wave {
    pub fn new(key: u64) -> Wave {
        let mut rng = SplitMix::new(key);
        let tau = std::f64::consts::TAU;
        Wave {
            slow: (tau / (90.0 + 210.0 * rng.unit()), tau * rng.unit()),
            fast: (tau / (12.0 + 30.0 * rng.unit()), tau * rng.unit()),
        }
    }

    /// The noise at `t` seconds.
    pub fn at(&self, t: f64) -> f64 {
        0.6 * (self.slow.0 * t + self.slow.1).sin() + 0.4 * (self.fast.0 * t + self.fast.1).sin()
    }

    /// An antiderivative of [`Wave::at`].
    pub fn integral(&self, t: f64) -> f64 {
        -0.6 * (self.slow.0 * t + self.slow.1).cos() / self.slow.0
            - 0.4 * (self.fast.0 * t + self.fast.1).cos() / self.fast.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_gives_the_same_sequence() {
        let mut a = SplitMix::new(7);
        let mut b = SplitMix::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        assert_ne!(SplitMix::new(7).next_u64(), SplitMix::new(8).next_u64());
        assert_eq!(hex64(1).len(), 64);
        assert_eq!(hex64(1), hex64(1));
    }

    #[test]
    fn uuids_have_the_version_4_shape() {
        let id = SplitMix::new(1).uuid();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn wave_integral_matches_a_numeric_sum() {
        let wave = Wave::new(3);
        let (a, b) = (10.0, 70.0);
        let steps = 60_000;
        let dt = (b - a) / steps as f64;
        let numeric: f64 = (0..steps)
            .map(|i| wave.at(a + (i as f64 + 0.5) * dt) * dt)
            .sum();
        let exact = wave.integral(b) - wave.integral(a);
        assert!((numeric - exact).abs() < 1e-3, "{numeric} vs {exact}");
        assert!((-1.0..=1.0).contains(&wave.at(5.0)));
    }
}
