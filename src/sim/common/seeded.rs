//! Seeded randomness: a SplitMix64 generator, stateless hashing and the ids made from
//! them, so a run with the same `--seed` makes the same names, uids, container ids and log
//! lines, and any log line can be produced on its own without replaying the ones before
//! it. Shared by the Kubernetes, Docker and Alertmanager sims.

/// SplitMix64's increment (the golden ratio).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// A small, fast, seedable generator (SplitMix64). Not for cryptography.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// The stream of `seed` (the Kubernetes sim's streams start here).
    pub fn new(seed: u64) -> Rng {
        Rng {
            state: seed ^ GOLDEN,
        }
    }

    /// The stream of a key, mixed first (the Docker and Alertmanager sims key a stream
    /// by what it is for, e.g. `combine(container, line)`).
    pub fn keyed(key: u64) -> Rng {
        Rng { state: mix(key) }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An integer in `[low, high)`; `low` when the range is empty.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            low
        } else {
            low + self.next_u64() % (high - low)
        }
    }

    /// An integer in `[0, n)`; 0 when `n` is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// An integer in `[low, high]`.
    pub fn int_between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// A float in `[low, high)`.
    pub fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
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

    /// A version 4 UUID string.
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

    /// `words` × 16 lowercase hex digits: 4 words make the 64 digits of a container id
    /// or a digest.
    pub fn hex(&mut self, words: usize) -> String {
        (0..words)
            .map(|_| format!("{:016x}", self.next_u64()))
            .collect()
    }

    /// `n` characters from Kubernetes' name-suffix alphabet (no vowels, no look-alikes),
    /// as in the `-7d9f8` of a generated pod name.
    pub fn suffix(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| SAFE_ALPHABET[(self.next_u64() % SAFE_ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// The alphabet of `k8s.io/apimachinery/pkg/util/rand.SafeEncodeString`.
pub const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// SplitMix64's finaliser: a good 64-bit mix of one word.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Combine two values into one well-mixed key.
pub fn combine(a: u64, b: u64) -> u64 {
    mix(a ^ mix(b.wrapping_add(GOLDEN)))
}

/// A stateless hash of a few words, for values that must be the same whenever they are
/// recomputed (a log line's content from its index).
pub fn hash(words: &[u64]) -> u64 {
    words.iter().fold(0x243F_6A88_85A3_08D3, |acc, w| {
        mix(acc ^ w.wrapping_mul(GOLDEN))
    })
}

/// FNV-1a of a string: a stable key for a name.
pub fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// 64 lowercase hex digits derived from a key, the shape of Docker's ids and digests.
pub fn hex64(key: u64) -> String {
    Rng::keyed(key).hex(4)
}

/// A hash as Kubernetes writes `pod-template-hash`: `SafeEncodeString` of its decimal
/// digits (each byte mapped into the safe alphabet), e.g. `7d9f8c6b5d`.
pub fn safe_encode(value: u64) -> String {
    value
        .to_string()
        .bytes()
        .map(|b| SAFE_ALPHABET[b as usize % SAFE_ALPHABET.len()] as char)
        .collect()
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
        let mut rng = Rng::keyed(key);
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
    fn the_same_seed_gives_the_same_stream() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.suffix(5), b.suffix(5));
        assert_ne!(Rng::new(8).next_u64(), Rng::new(7).next_u64());
    }

    #[test]
    fn uuids_look_like_uuids() {
        let id = Rng::new(1).uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }

    #[test]
    fn units_stay_in_range() {
        let mut r = Rng::new(3);
        for _ in 0..1000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            assert!((5..9).contains(&r.range(5, 9)));
        }
    }

    #[test]
    fn the_same_key_gives_the_same_sequence() {
        let mut a = Rng::keyed(7);
        let mut b = Rng::keyed(7);
        assert_eq!(a.next_u64(), b.next_u64());
        assert_ne!(Rng::keyed(7).next_u64(), Rng::keyed(8).next_u64());
        assert_eq!(hex64(1).len(), 64);
        assert_eq!(hex64(1), hex64(1));
    }

    #[test]
    fn uuids_have_the_version_4_shape() {
        let id = Rng::keyed(1).uuid();
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

    #[test]
    fn the_two_seedings_are_the_streams_they_were() {
        // Docker's ids and the Kubernetes sim's names must not change with the move.
        assert_eq!(
            hex64(1),
            (0..4)
                .scan(mix(1), |s, _| {
                    *s = s.wrapping_add(GOLDEN);
                    Some(format!("{:016x}", mix(*s)))
                })
                .collect::<String>()
        );
        let mut r = Rng::new(5);
        assert_eq!(r.next_u64(), mix((5 ^ GOLDEN).wrapping_add(GOLDEN)));
        assert_eq!(fnv("a"), 0xaf63_dc4c_8601_ec8c);
        for _ in 0..100 {
            assert!((3..=5).contains(&r.int_between(3, 5)));
        }
    }
}
