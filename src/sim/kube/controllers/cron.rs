//! Five-field cron schedules (`0 2 * * *`, `*/15 * * * *`, `@hourly`), in UTC, as the
//! CronJob controller reads them.

use jiff::civil::{Date, DateTime};
use jiff::{Timestamp, tz::TimeZone};

/// A parsed schedule: the allowed values of each field.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    /// Day-of-month and day-of-week both restricted: either may match (Vixie cron).
    either_day: bool,
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let expanded = match text.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields.as_slice() else {
            return Err(format!(
                "expected exactly 5 fields, found {}: {text}",
                fields.len()
            ));
        };
        let mut weekdays = field(weekday, 0, 7)?;
        // 7 is another name for Sunday.
        if weekdays[7] {
            weekdays[0] = true;
        }
        weekdays.truncate(7);
        Ok(Schedule {
            minutes: field(minute, 0, 59)?,
            hours: field(hour, 0, 23)?,
            days: field(day, 1, 31)?,
            months: field(month, 1, 12)?,
            weekdays,
            either_day: !day.starts_with('*') && !weekday.starts_with('*'),
        })
    }

    fn day_matches(&self, date: Date) -> bool {
        if !self.months[date.month() as usize] {
            return false;
        }
        let dom = self.days[date.day() as usize];
        let dow = self.weekdays[date.weekday().to_sunday_zero_offset() as usize];
        if self.either_day {
            dom || dow
        } else {
            dom && dow
        }
    }

    /// The first time strictly after `after` that the schedule fires.
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let start = after.to_zoned(TimeZone::UTC).datetime();
        let mut date = start.date();
        // Five years covers every valid schedule (29 February included).
        for _ in 0..(5 * 366) {
            if self.day_matches(date) {
                for hour in 0..24i8 {
                    if !self.hours[hour as usize] {
                        continue;
                    }
                    for minute in 0..60i8 {
                        if !self.minutes[minute as usize] {
                            continue;
                        }
                        let candidate =
                            DateTime::from_parts(date, jiff::civil::time(hour, minute, 0, 0));
                        if candidate > start {
                            return candidate
                                .to_zoned(TimeZone::UTC)
                                .ok()
                                .map(|z| z.timestamp());
                        }
                    }
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    /// The latest time at or before `at` that the schedule fired, looking back up to
    /// `horizon` seconds.
    pub fn last_at_or_before(&self, at: Timestamp, horizon: i64) -> Option<Timestamp> {
        let from = at
            .checked_sub(jiff::SignedDuration::from_secs(horizon))
            .ok()?;
        let mut last = None;
        let mut t = from;
        while let Some(next) = self.next_after(t) {
            if next > at {
                break;
            }
            last = Some(next);
            t = next;
        }
        last
    }
}

/// One field: `*`, `*/n`, `a`, `a-b`, `a-b/n`, comma-separated.
fn field(text: &str, low: usize, high: usize) -> Result<Vec<bool>, String> {
    let mut allowed = vec![false; high + 1];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<usize>()
                    .map_err(|_| format!("bad step in `{part}`"))?,
            ),
            None => (part, 1),
        };
        if step == 0 {
            return Err(format!("zero step in `{part}`"));
        }
        let (from, to) = if range == "*" {
            (low, high)
        } else if let Some((a, b)) = range.split_once('-') {
            (number(a, low, high)?, number(b, low, high)?)
        } else {
            let n = number(range, low, high)?;
            // `5/15` means from 5 to the end, every 15.
            (n, if part.contains('/') { high } else { n })
        };
        if from > to {
            return Err(format!("backwards range `{range}`"));
        }
        for v in (from..=to).step_by(step) {
            allowed[v] = true;
        }
    }
    Ok(allowed)
}

fn number(text: &str, low: usize, high: usize) -> Result<usize, String> {
    let n: usize = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if n < low || n > high {
        return Err(format!("{n} is outside {low}-{high}"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn daily_at_two() {
        let s = Schedule::parse("0 2 * * *").expect("parse");
        assert_eq!(
            s.next_after(ts("2026-11-22T18:00:00Z")),
            Some(ts("2026-11-23T02:00:00Z"))
        );
        assert_eq!(
            s.next_after(ts("2026-11-22T01:59:00Z")),
            Some(ts("2026-11-22T02:00:00Z"))
        );
    }

    #[test]
    fn hourly_steps_and_ranges() {
        let s = Schedule::parse("@hourly").expect("parse");
        assert_eq!(
            s.next_after(ts("2026-11-22T18:00:00Z")),
            Some(ts("2026-11-22T19:00:00Z"))
        );
        let q = Schedule::parse("*/15 9-17 * * 1-5").expect("parse");
        // 2026-11-22 is a Sunday; the next weekday slot is Monday 09:00.
        assert_eq!(
            q.next_after(ts("2026-11-22T18:00:00Z")),
            Some(ts("2026-11-23T09:00:00Z"))
        );
        assert!(Schedule::parse("61 * * * *").is_err());
        assert!(Schedule::parse("* * *").is_err());
    }

    #[test]
    fn the_last_run_before_a_time() {
        let s = Schedule::parse("30 * * * *").expect("parse");
        assert_eq!(
            s.last_at_or_before(ts("2026-11-22T18:10:00Z"), 7200),
            Some(ts("2026-11-22T17:30:00Z"))
        );
    }
}
