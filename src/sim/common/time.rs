//! Simulated time as the sims write and read it: instants as Unix nanoseconds, spans as
//! scenario files write them (`90s`, `-3h`, `1h30m`), and instants formatted the way each
//! program prints them — Go's and Kubernetes' RFC 3339 forms for the APIs, the house styles
//! of nginx, PostgreSQL, Redis and Python logging for log lines. Shared by the
//! Kubernetes, Docker and Alertmanager sims.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
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

/// Parse `90`, `90s`, `5m`, `2h`, `1h30m`, `-3h` (a bare number is seconds) into seconds.
pub fn parse_secs(text: &str) -> Option<f64> {
    SimSpan::parse(text).ok().map(SimSpan::secs_f64)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// An instant to format: Unix nanoseconds (the Docker and Alertmanager sims keep time
/// so) or a `jiff::Timestamp` (the Kubernetes sim's objects).
pub trait At: Copy {
    /// Broken-down UTC time.
    fn civil(self) -> DateTime;
}

impl At for Nanos {
    fn civil(self) -> DateTime {
        Timestamp::from_nanosecond(i128::from(self))
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .civil()
    }
}

impl At for Timestamp {
    fn civil(self) -> DateTime {
        self.to_zoned(TimeZone::UTC).datetime()
    }
}

/// Broken-down UTC time of an instant.
pub fn civil(at: impl At) -> DateTime {
    at.civil()
}

fn month_name(dt: &DateTime) -> &'static str {
    MONTHS[(dt.month() as usize).saturating_sub(1) % 12]
}

/// `2026-11-22T18:19:38`: the date with `sep` between its parts, `mid`, then the time.
fn date_time(dt: &DateTime, sep: char, mid: char) -> String {
    format!(
        "{:04}{sep}{:02}{sep}{:02}{mid}{:02}:{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

fn millis(dt: &DateTime) -> i32 {
    dt.subsec_nanosecond() / 1_000_000
}

/// Go's `time.RFC3339Nano` (trailing zeros of the fraction dropped), as Docker's JSON
/// timestamps are written. `None` is Go's zero time.
pub fn rfc3339_nano(at: Option<Nanos>) -> String {
    let Some(at) = at else {
        return "0001-01-01T00:00:00Z".to_string();
    };
    let dt = civil(at);
    let base = date_time(&dt, '-', 'T');
    let nanos = dt.subsec_nanosecond();
    if nanos == 0 {
        return format!("{base}Z");
    }
    let fraction = format!("{nanos:09}");
    format!("{base}.{}Z", fraction.trim_end_matches('0'))
}

/// RFC 3339 with exactly nine fractional digits, as `docker logs --timestamps` and
/// `kubectl logs --timestamps` print.
pub fn rfc3339_fixed(at: impl At) -> String {
    let dt = civil(at);
    format!(
        "{}.{:09}Z",
        date_time(&dt, '-', 'T'),
        dt.subsec_nanosecond()
    )
}

/// RFC 3339 with milliseconds, as structured application logs and Alertmanager write.
pub fn rfc3339_millis(at: impl At) -> String {
    let dt = civil(at);
    format!("{}.{:03}Z", date_time(&dt, '-', 'T'), millis(&dt))
}

/// RFC 3339 in whole seconds, as Kubernetes writes `metav1.Time`.
pub fn rfc3339_secs(at: impl At) -> String {
    format!("{}Z", date_time(&civil(at), '-', 'T'))
}

/// The day: `2026-11-22`.
pub fn date(at: impl At) -> String {
    let dt = civil(at);
    format!("{:04}-{:02}-{:02}", dt.year(), dt.month(), dt.day())
}

/// nginx's access log: `22/Nov/2026:18:19:38 +0000`.
pub fn nginx_access(at: impl At) -> String {
    let dt = civil(at);
    format!(
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        dt.day(),
        month_name(&dt),
        dt.year(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// nginx's error log: `2026/11/22 18:19:38`.
pub fn nginx_error(at: impl At) -> String {
    date_time(&civil(at), '/', ' ')
}

/// PostgreSQL's `log_line_prefix` default: `2026-11-22 18:19:38.123 UTC`.
pub fn postgres(at: impl At) -> String {
    let dt = civil(at);
    format!("{}.{:03} UTC", date_time(&dt, '-', ' '), millis(&dt))
}

/// Redis: `22 Nov 2026 18:19:38.123`.
pub fn redis(at: impl At) -> String {
    let dt = civil(at);
    format!(
        "{:02} {} {:04} {:02}:{:02}:{:02}.{:03}",
        dt.day(),
        month_name(&dt),
        dt.year(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000
    )
}

/// Python's logging default: `2026-11-22 18:19:38,123`.
pub fn python(at: impl At) -> String {
    let dt = civil(at);
    format!("{},{:03}", date_time(&dt, '-', ' '), millis(&dt))
}

/// A compact stamp for file names: `20261122_030000`.
pub fn compact(at: impl At) -> String {
    let dt = civil(at);
    format!(
        "{:04}{:02}{:02}_{:02}{:02}{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// Parse a Docker API time parameter: Unix seconds with an optional fraction
/// (`1700000000.123456789`, as the CLI sends) or an RFC 3339 timestamp.
pub fn parse_api_time(text: &str) -> Option<Nanos> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Some((secs, frac)) = text.split_once('.') {
        if let (Ok(secs), true) = (
            secs.parse::<i64>(),
            frac.chars().all(|c| c.is_ascii_digit()),
        ) {
            let mut digits = frac.to_string();
            digits.truncate(9);
            while digits.len() < 9 {
                digits.push('0');
            }
            let nanos: i64 = digits.parse().ok()?;
            return Some(secs * 1_000_000_000 + if secs < 0 { -nanos } else { nanos });
        }
    } else if let Ok(secs) = text.parse::<i64>() {
        return Some(secs.saturating_mul(1_000_000_000));
    }
    text.parse::<Timestamp>()
        .ok()
        .and_then(|ts| i64::try_from(ts.as_nanosecond()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Nanos = 1_795_371_578_123_456_789; // 2026-11-22T18:19:38.123456789Z

    #[test]
    fn go_style_timestamps() {
        assert_eq!(rfc3339_nano(Some(AT)), "2026-11-22T18:19:38.123456789Z");
        assert_eq!(rfc3339_nano(Some(AT - 456_789)), "2026-11-22T18:19:38.123Z");
        assert_eq!(rfc3339_nano(None), "0001-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_fixed(AT - 456_789),
            "2026-11-22T18:19:38.123000000Z"
        );
        assert_eq!(rfc3339_millis(AT), "2026-11-22T18:19:38.123Z");
    }

    #[test]
    fn log_house_styles() {
        assert_eq!(nginx_access(AT), "22/Nov/2026:18:19:38 +0000");
        assert_eq!(nginx_error(AT), "2026/11/22 18:19:38");
        assert_eq!(postgres(AT), "2026-11-22 18:19:38.123 UTC");
        assert_eq!(redis(AT), "22 Nov 2026 18:19:38.123");
        assert_eq!(python(AT), "2026-11-22 18:19:38,123");
    }

    #[test]
    fn api_times_parse_as_the_cli_sends_them() {
        assert_eq!(
            parse_api_time("1795371578"),
            Some(1_795_371_578_000_000_000)
        );
        assert_eq!(parse_api_time("1795371578.123456789"), Some(AT));
        assert_eq!(
            parse_api_time("1795371578.5"),
            Some(1_795_371_578_500_000_000)
        );
        assert_eq!(parse_api_time("2026-11-22T18:19:38.123456789Z"), Some(AT));
        assert_eq!(parse_api_time("yesterday"), None);
    }

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
    #[test]
    fn seconds_parse_from_scenario_durations() {
        assert_eq!(parse_secs("90s"), Some(90.0));
        assert_eq!(parse_secs("5m"), Some(300.0));
        assert_eq!(parse_secs("1h30m"), Some(5400.0));
        assert_eq!(parse_secs("12"), Some(12.0));
        assert_eq!(parse_secs("5 parsecs"), None);
    }

    #[test]
    fn timestamps_and_nanos_format_alike() {
        let ts = Timestamp::from_nanosecond(i128::from(AT)).expect("time");
        assert_eq!(rfc3339_fixed(ts), rfc3339_fixed(AT));
        assert_eq!(postgres(ts), "2026-11-22 18:19:38.123 UTC");
        assert_eq!(rfc3339_secs(ts), "2026-11-22T18:19:38Z");
        assert_eq!(date(AT), "2026-11-22");
    }
}
