//! Durations and byte sizes as scenario files write them: `90s`, `-3h`, `1h30m`, `256MiB`.
//!
//! The Alertmanager scenario uses [`SimSpan`] too.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// Nanoseconds since the Unix epoch, in simulated time.
pub type Nanos = i64;

/// A signed span of simulated time, so a scenario can place things before the start
/// (`started: -3h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct SimSpan {
    nanos: i64,
}

impl SimSpan {
    pub const ZERO: SimSpan = SimSpan { nanos: 0 };

    pub const fn from_secs(secs: i64) -> SimSpan {
        SimSpan {
            nanos: secs * 1_000_000_000,
        }
    }

    pub const fn from_millis(millis: i64) -> SimSpan {
        SimSpan {
            nanos: millis * 1_000_000,
        }
    }

    pub fn nanos(self) -> i64 {
        self.nanos
    }

    pub fn secs_f64(self) -> f64 {
        self.nanos as f64 / 1e9
    }

    /// Parse `90s`, `-3h`, `1h30m`, `250ms`, `2d`, or a bare number of seconds.
    pub fn parse(text: &str) -> Result<SimSpan, String> {
        let trimmed = text.trim();
        let (negative, body) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if body.is_empty() {
            return Err(format!("`{text}`: empty duration"));
        }
        if let Ok(secs) = body.parse::<f64>() {
            let nanos = (secs * 1e9) as i64;
            return Ok(SimSpan {
                nanos: if negative { -nanos } else { nanos },
            });
        }
        let mut total: f64 = 0.0;
        let mut rest = body;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(|| format!("`{text}`: a number needs a unit (ms, s, m, h, d)"))?;
            if digits == 0 {
                return Err(format!("`{text}`: expected a number at `{rest}`"));
            }
            let number: f64 = rest[..digits]
                .parse()
                .map_err(|_| format!("`{text}`: bad number `{}`", &rest[..digits]))?;
            let after = &rest[digits..];
            let unit_len = after
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(after.len());
            let scale = match &after[..unit_len] {
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                "d" => 86_400e9,
                other => return Err(format!("`{text}`: unknown unit `{other}` (ms, s, m, h, d)")),
            };
            total += number * scale;
            rest = &after[unit_len..];
        }
        let nanos = total as i64;
        Ok(SimSpan {
            nanos: if negative { -nanos } else { nanos },
        })
    }
}

impl<'de> Deserialize<'de> for SimSpan {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SimSpan, D::Error> {
        struct SpanVisitor;
        impl Visitor<'_> for SpanVisitor {
            type Value = SimSpan;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as 90s, -3h or 1h30m, or a number of seconds")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SimSpan, E> {
                SimSpan::parse(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SimSpan, E> {
                Ok(SimSpan::from_secs(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SimSpan, E> {
                Ok(SimSpan::from_secs(i64::try_from(v).map_err(E::custom)?))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<SimSpan, E> {
                Ok(SimSpan {
                    nanos: (v * 1e9) as i64,
                })
            }
        }
        deserializer.deserialize_any(SpanVisitor)
    }
}

/// A number of bytes: `256MiB`, `1.5GiB`, `512MB`, `4096`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub fn parse(text: &str) -> Result<ByteSize, String> {
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(trimmed.len());
        let number: f64 = trimmed[..split]
            .parse()
            .map_err(|_| format!("`{text}`: expected a size such as 256MiB"))?;
        let scale: f64 = match trimmed[split..].trim() {
            "" | "B" => 1.0,
            "KB" | "kB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "KiB" => 1024.0,
            "MiB" => 1024.0 * 1024.0,
            "GiB" => 1024.0 * 1024.0 * 1024.0,
            other => {
                return Err(format!(
                    "`{text}`: unknown unit `{other}` (B, KB, MB, GB, KiB, MiB, GiB)"
                ));
            }
        };
        Ok(ByteSize((number * scale) as u64))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ByteSize, D::Error> {
        struct SizeVisitor;
        impl Visitor<'_> for SizeVisitor {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size such as 256MiB or a number of bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
                ByteSize::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v).map(ByteSize).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(SizeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_parse_compound_and_negative_forms() {
        assert_eq!(SimSpan::parse("90s").unwrap(), SimSpan::from_secs(90));
        assert_eq!(SimSpan::parse("1h30m").unwrap(), SimSpan::from_secs(5400));
        assert_eq!(
            SimSpan::parse("-3h").unwrap(),
            SimSpan::from_secs(-3 * 3600)
        );
        assert_eq!(SimSpan::parse("250ms").unwrap(), SimSpan::from_millis(250));
        assert_eq!(SimSpan::parse("12").unwrap(), SimSpan::from_secs(12));
        assert_eq!(SimSpan::parse("1.5m").unwrap(), SimSpan::from_secs(90));
        assert!(SimSpan::parse("5 parsecs").is_err());
        assert!(SimSpan::parse("").is_err());
    }

    #[test]
    fn sizes_parse_binary_and_decimal_units() {
        assert_eq!(ByteSize::parse("256MiB").unwrap(), ByteSize(256 << 20));
        assert_eq!(ByteSize::parse("1GB").unwrap(), ByteSize(1_000_000_000));
        assert_eq!(ByteSize::parse("1.5GiB").unwrap(), ByteSize(3 << 29));
        assert_eq!(ByteSize::parse("4096").unwrap(), ByteSize(4096));
        assert!(ByteSize::parse("lots").is_err());
    }

    #[test]
    fn spans_deserialize_from_yaml_strings_and_numbers() {
        let spans: Vec<SimSpan> = serde_norway::from_str("[90s, 30, -2m]").unwrap();
        assert_eq!(
            spans,
            vec![
                SimSpan::from_secs(90),
                SimSpan::from_secs(30),
                SimSpan::from_secs(-120)
            ]
        );
    }
}
