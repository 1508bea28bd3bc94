//! Formatting simulated instants the way each program prints them: Go's RFC 3339 forms
//! for the API, and the house styles of nginx, PostgreSQL, Redis and Celery for log lines.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::units::Nanos;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Broken-down UTC time of an instant.
pub fn civil(at: Nanos) -> DateTime {
    let ts = Timestamp::from_nanosecond(i128::from(at)).unwrap_or(Timestamp::UNIX_EPOCH);
    ts.to_zoned(TimeZone::UTC).datetime()
}

fn month_name(dt: &DateTime) -> &'static str {
    MONTHS[(dt.month() as usize).saturating_sub(1) % 12]
}

/// Go's `time.RFC3339Nano` (trailing zeros of the fraction dropped), as Docker's JSON
/// timestamps are written. `None` is Go's zero time.
pub fn rfc3339_nano(at: Option<Nanos>) -> String {
    let Some(at) = at else {
        return "0001-01-01T00:00:00Z".to_string();
    };
    let dt = civil(at);
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    let nanos = dt.subsec_nanosecond();
    if nanos == 0 {
        return format!("{base}Z");
    }
    let fraction = format!("{nanos:09}");
    format!("{base}.{}Z", fraction.trim_end_matches('0'))
}

/// RFC 3339 with exactly nine fractional digits, as `docker logs --timestamps` prints.
pub fn rfc3339_fixed(at: Nanos) -> String {
    let dt = civil(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond()
    )
}

/// RFC 3339 with milliseconds, as structured application logs and Alertmanager write.
pub fn rfc3339_millis(at: Nanos) -> String {
    let dt = civil(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000
    )
}

/// nginx's access log: `22/Nov/2026:18:19:38 +0000`.
pub fn nginx_access(at: Nanos) -> String {
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
pub fn nginx_error(at: Nanos) -> String {
    let dt = civil(at);
    format!(
        "{:04}/{:02}/{:02} {:02}:{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// PostgreSQL's `log_line_prefix` default: `2026-11-22 18:19:38.123 UTC`.
pub fn postgres(at: Nanos) -> String {
    let dt = civil(at);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} UTC",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000
    )
}

/// Redis: `22 Nov 2026 18:19:38.123`.
pub fn redis(at: Nanos) -> String {
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
pub fn python(at: Nanos) -> String {
    let dt = civil(at);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000
    )
}

/// A compact stamp for file names: `20261122_030000`.
pub fn compact(at: Nanos) -> String {
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
}
