//! How often a cron expression fires, as the longest gap between two of its runs: that is
//! how old the last success of a backup on that schedule may get while all is well, so it
//! is what a CronJob's or a Velero Schedule's backup policy is inferred from.
//!
//! The five standard fields (`*`, `N`, `A-B`, `*/S`, `A-B/S`, lists, month and weekday
//! names), the macros (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`) and velero's
//! `@every 6h` are understood. Day-of-month and day-of-week both restricted match either,
//! as cron does. A `CRON_TZ=`/`TZ=` prefix is ignored: the gap does not depend on the zone
//! (daylight saving aside).

use std::time::Duration;

use jiff::civil::Date;

const MINUTE: u64 = 60;
const MINUTES_A_DAY: i64 = 24 * 60;

/// The longest time between two runs of `expr`; `None` when it is not an expression this
/// understands, or it fires too rarely to tell (less than twice in two years).
pub fn longest_gap(expr: &str) -> Option<Duration> {
    let mut words: Vec<&str> = expr.split_whitespace().collect();
    if words
        .first()
        .is_some_and(|w| w.starts_with("CRON_TZ=") || w.starts_with("TZ="))
    {
        words.remove(0);
    }
    match words.as_slice() {
        ["@hourly"] => Some(Duration::from_secs(3600)),
        ["@daily" | "@midnight"] => Some(Duration::from_secs(86_400)),
        ["@weekly"] => Some(Duration::from_secs(7 * 86_400)),
        // The longest month, and a leap year: the gaps these can reach.
        ["@monthly"] => Some(Duration::from_secs(31 * 86_400)),
        ["@yearly" | "@annually"] => Some(Duration::from_secs(366 * 86_400)),
        ["@every", every] => go_duration(every).filter(|d| !d.is_zero()),
        [minute, hour, dom, month, dow] => Fields::parse(minute, hour, dom, month, dow)?.gap(),
        _ => None,
    }
}

/// A Go duration as Kubernetes and velero write them: `168h0m0s`, `6h`, `90m`, `1.5h`.
pub fn go_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        total += value * seconds;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}

/// The five fields as sets of the values they admit (bit N: value N).
struct Fields {
    minutes: u64,
    hours: u64,
    days_of_month: u64,
    months: u64,
    days_of_week: u64,
    dom_restricted: bool,
    dow_restricted: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Fields {
    fn parse(minute: &str, hour: &str, dom: &str, month: &str, dow: &str) -> Option<Fields> {
        let mut days_of_week = field(dow, 0, 7, &WEEKDAYS, 0)?;
        // 7 is Sunday too.
        if days_of_week & (1 << 7) != 0 {
            days_of_week = (days_of_week | 1) & 0x7f;
        }
        Some(Fields {
            minutes: field(minute, 0, 59, &[], 0)?,
            hours: field(hour, 0, 23, &[], 0)?,
            days_of_month: field(dom, 1, 31, &[], 0)?,
            months: field(month, 1, 12, &MONTHS, 1)?,
            days_of_week,
            dom_restricted: !is_any(dom),
            dow_restricted: !is_any(dow),
        })
    }

    fn runs_on(&self, date: Date) -> bool {
        if self.months & (1 << date.month()) == 0 {
            return false;
        }
        let dom = self.days_of_month & (1 << date.day()) != 0;
        let dow = self.days_of_week & (1 << date.weekday().to_sunday_zero_offset()) != 0;
        match (self.dom_restricted, self.dow_restricted) {
            (true, true) => dom || dow,
            (true, false) => dom,
            (false, true) => dow,
            (false, false) => true,
        }
    }

    /// The longest gap between consecutive runs over enough days to see the pattern
    /// repeat: two weeks when only weekdays restrict the days, two years otherwise.
    fn gap(&self) -> Option<Duration> {
        let times: Vec<i64> = (0..24)
            .filter(|h| self.hours & (1 << h) != 0)
            .flat_map(|h| {
                (0..60)
                    .filter(|m| self.minutes & (1 << m) != 0)
                    .map(move |m| h * 60 + m)
            })
            .collect();
        if times.is_empty() {
            return None;
        }
        let weekly = !self.dom_restricted && self.months.count_ones() == 12;
        let days = if weekly { 15 } else { 2 * 366 };
        // A Sunday, so the two weeks start on a week's boundary (it does not matter which).
        let start = Date::new(2025, 1, 5).ok()?;
        let mut previous: Option<i64> = None;
        let mut longest: Option<i64> = None;
        for day in 0..days {
            let date = start.checked_add(jiff::Span::new().days(day)).ok()?;
            if !self.runs_on(date) {
                continue;
            }
            for &t in &times {
                let at = day * MINUTES_A_DAY + t;
                if let Some(p) = previous {
                    longest = Some(longest.map_or(at - p, |l| l.max(at - p)));
                }
                previous = Some(at);
            }
        }
        longest.map(|minutes| Duration::from_secs(minutes as u64 * MINUTE))
    }
}

fn is_any(text: &str) -> bool {
    text == "*" || text == "?"
}

/// One field as a bit set over `min..=max`; `names` name the values from `first_named` on.
fn field(text: &str, min: u32, max: u32, names: &[&str], first_named: u32) -> Option<u64> {
    let value = |word: &str| -> Option<u32> {
        let lower = word.to_ascii_lowercase();
        if let Some(at) = names.iter().position(|n| *n == lower) {
            return Some(at as u32 + first_named);
        }
        word.parse()
            .ok()
            .filter(|v| (min..=max).contains(v) || (max == 7 && *v == 7))
    };
    let mut set = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, step.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (item, 1),
        };
        let (from, to) = if is_any(range) {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let a = value(range)?;
            // `5/15` means from 5 to the end, every 15.
            (a, if item.contains('/') { max } else { a })
        };
        if from > to {
            return None;
        }
        let mut v = from;
        while v <= to {
            set |= 1 << v;
            v += step;
        }
    }
    (set != 0).then_some(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(h: u64) -> Option<Duration> {
        Some(Duration::from_secs(h * 3600))
    }

    #[test]
    fn the_usual_backup_schedules() {
        assert_eq!(longest_gap("0 2 * * *"), hours(24), "nightly");
        assert_eq!(longest_gap("0 * * * *"), hours(1), "hourly");
        assert_eq!(longest_gap("30 */6 * * *"), hours(6));
        assert_eq!(longest_gap("*/15 * * * *"), Some(Duration::from_secs(900)));
        assert_eq!(longest_gap("0 1,13 * * *"), hours(12));
        assert_eq!(
            longest_gap("0 1,7 * * *"),
            hours(18),
            "uneven: the longer gap"
        );
        assert_eq!(longest_gap("@daily"), hours(24));
        assert_eq!(longest_gap("@every 6h"), hours(6));
        assert_eq!(longest_gap("CRON_TZ=Europe/Berlin 0 2 * * *"), hours(24));
    }

    #[test]
    fn weekdays_months_and_names() {
        assert_eq!(longest_gap("0 2 * * 1-5"), hours(72), "Friday to Monday");
        assert_eq!(longest_gap("0 3 * * sun"), hours(7 * 24));
        assert_eq!(longest_gap("0 3 * * 7"), hours(7 * 24), "7 is Sunday");
        assert_eq!(
            longest_gap("0 0 1 * *"),
            hours(31 * 24),
            "monthly: the longest month"
        );
        assert_eq!(longest_gap("0 0 1 jan,jul *"), hours(184 * 24));
    }

    #[test]
    fn what_is_not_a_schedule() {
        assert_eq!(longest_gap("every night"), None);
        assert_eq!(longest_gap("61 * * * *"), None);
        assert_eq!(longest_gap("0 2 * *"), None);
        assert_eq!(longest_gap("0 2 30 2 *"), None, "February 30th never comes");
        assert_eq!(longest_gap("*/0 * * * *"), None);
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("168h0m0s"), hours(168));
        assert_eq!(go_duration("90m"), Some(Duration::from_secs(5400)));
        assert_eq!(go_duration("1.5h"), Some(Duration::from_secs(5400)));
        assert_eq!(go_duration("7d"), None, "Go has no days");
        assert_eq!(go_duration(""), None);
    }
}
