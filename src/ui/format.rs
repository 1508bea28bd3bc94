//! Small, allocation-light formatting shared by the views.

use std::cell::Cell;

use jiff::Timestamp;

thread_local! {
    /// The youngest age drawn since the last [`take_youngest_age`]. The loop reads it after a
    /// frame to know when the ages on screen next change, so an idle screen is redrawn once a
    /// second only while a seconds-old age is visible, and once a minute otherwise. A
    /// thread-local keeps every view's `age()` call free of plumbing; only the UI thread draws.
    static YOUNGEST_AGE: Cell<Option<i64>> = const { Cell::new(None) };
}

/// The youngest age (seconds) drawn since the previous call, and reset.
pub fn take_youngest_age() -> Option<i64> {
    YOUNGEST_AGE.with(|c| c.take())
}

/// Age as kubectl prints it: `45s`, `5m`, `3h`, `41d`; `-` when unknown.
pub fn age(since: Option<Timestamp>, now: Timestamp) -> String {
    match since {
        Some(t) => {
            let secs = now.as_second() - t.as_second();
            YOUNGEST_AGE.with(|c| c.set(Some(c.get().map_or(secs, |y| y.min(secs)))));
            duration(secs)
        }
        None => "-".to_string(),
    }
}

/// A whole number of seconds in the largest unit that fits.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86_400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86_400)
    }
}

/// Binary units, one decimal below 10: `512Mi`, `1.5Gi`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "Ki", "Mi", "Gi", "Ti", "Pi"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n}B")
    } else if value < 10.0 {
        format!("{value:.1}{}", UNITS[unit])
    } else {
        format!("{value:.0}{}", UNITS[unit])
    }
}

pub fn millicores(m: u64) -> String {
    if m >= 1000 && m.is_multiple_of(100) {
        format!("{:.1}", m as f64 / 1000.0)
    } else {
        format!("{m}m")
    }
}

pub fn percent(p: f64) -> String {
    format!("{p:.0}%")
}

/// A value only when it is known: never a zero that means "no data".
pub fn opt<T>(value: Option<T>, f: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| "-".to_string(), f)
}

/// Eight-level sparkline of the last `width` values scaled to `max`.
pub fn sparkline(values: impl DoubleEndedIterator<Item = f64>, width: usize, max: f64) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let mut recent: Vec<f64> = values.rev().take(width).collect();
    recent.reverse();
    recent
        .into_iter()
        .map(|v| {
            let level = if max <= 0.0 {
                0
            } else {
                ((v / max).clamp(0.0, 1.0) * 7.0).round() as usize
            };
            BARS[level]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_use_the_largest_unit() {
        assert_eq!(duration(59), "59s");
        assert_eq!(duration(61), "1m");
        assert_eq!(duration(7200), "2h");
        assert_eq!(duration(86_400 * 3 + 5), "3d");
        assert_eq!(duration(-5), "0s");
    }

    #[test]
    fn bytes_are_binary() {
        assert_eq!(bytes(512), "512B");
        assert_eq!(bytes(1536), "1.5Ki");
        assert_eq!(bytes(24 * 1024 * 1024), "24Mi");
    }

    #[test]
    fn sparkline_scales_and_keeps_the_newest() {
        assert_eq!(sparkline([0.0, 50.0, 100.0].into_iter(), 2, 100.0), "▅█");
    }
}
