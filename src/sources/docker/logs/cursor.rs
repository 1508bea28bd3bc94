//! Where a follower is in a container's log, so that reattaching (after a restart, a
//! broken connection, or a pane closed and opened again) continues without repeating a line.
//!
//! The engine's `since` takes whole seconds and keeps lines at or after it, so a reattach
//! gets again every line of the last second it had. The cursor remembers the newest
//! timestamp delivered and how many lines carried exactly that timestamp; on a reattach,
//! older lines and that many lines of the newest timestamp are skipped.
//!
//! One gap remains, and no client can close it through this API: the engine stamps stdout
//! and stderr separately, so a line of one can be written to the log file after a newer
//! line of the other. If the stream breaks between the two, the older one is behind the
//! cursor and skipped on reattach. The window is a fraction of a millisecond.

use jiff::Timestamp;

/// The newest line delivered so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogCursor {
    newest: Option<Timestamp>,
    /// Lines delivered whose timestamp is exactly `newest`.
    at_newest: u32,
}

impl LogCursor {
    /// A cursor that admits only lines written at or after `since`.
    pub fn starting_at(since: Timestamp) -> LogCursor {
        LogCursor {
            newest: Some(since),
            at_newest: 0,
        }
    }

    /// The newest timestamp delivered, if any.
    pub fn newest(&self) -> Option<Timestamp> {
        self.newest
    }

    /// The `since` (whole seconds) to reattach with.
    pub fn since_seconds(&self) -> Option<i64> {
        self.newest.map(|t| t.as_second())
    }

    /// Note a line delivered.
    fn delivered(&mut self, timestamp: Option<Timestamp>) {
        let Some(t) = timestamp else {
            return;
        };
        match self.newest {
            Some(newest) if t < newest => {}
            Some(newest) if t == newest => self.at_newest = self.at_newest.saturating_add(1),
            _ => {
                self.newest = Some(t);
                self.at_newest = 1;
            }
        }
    }
}

/// Decides line by line, for one attach, what is new.
#[derive(Debug, Clone)]
pub struct Resume {
    cursor: LogCursor,
    /// The cursor as it was when this attach began: what the engine may send again.
    floor: Option<Timestamp>,
    /// Lines at `floor` still to skip.
    skip_at_floor: u32,
}

impl Resume {
    /// Resume from `cursor`. For a first attach (an empty cursor) everything is new.
    pub fn from(cursor: LogCursor) -> Resume {
        Resume {
            cursor,
            floor: cursor.newest,
            skip_at_floor: cursor.at_newest,
        }
    }

    /// Whether a line stamped `timestamp` is new; if it is, the cursor moves past it.
    pub fn admit(&mut self, timestamp: Option<Timestamp>) -> bool {
        if let (Some(floor), Some(t)) = (self.floor, timestamp) {
            if t < floor {
                return false;
            }
            if t == floor && self.skip_at_floor > 0 {
                self.skip_at_floor -= 1;
                return false;
            }
        }
        self.cursor.delivered(timestamp);
        true
    }

    /// The cursor after what was admitted.
    pub fn cursor(&self) -> LogCursor {
        self.cursor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(nanos: i32) -> Option<Timestamp> {
        Some(Timestamp::new(1_800_000_000, nanos).unwrap())
    }

    /// Feed one attach's lines; return the admitted ones and the cursor after.
    fn attach(cursor: LogCursor, lines: &[Option<Timestamp>]) -> (Vec<usize>, LogCursor) {
        let mut resume = Resume::from(cursor);
        let admitted = lines
            .iter()
            .enumerate()
            .filter(|(_, ts)| resume.admit(**ts))
            .map(|(i, _)| i)
            .collect();
        (admitted, resume.cursor())
    }

    #[test]
    fn a_first_attach_admits_everything_even_out_of_order() {
        let (admitted, cursor) = attach(LogCursor::default(), &[t(5), t(3), t(5), None]);
        assert_eq!(admitted, [0, 1, 2, 3]);
        assert_eq!(cursor.newest(), t(5));
        assert_eq!(cursor.since_seconds(), Some(1_800_000_000));
    }

    #[test]
    fn a_reattach_skips_what_was_delivered_including_equal_timestamps() {
        let (_, cursor) = attach(LogCursor::default(), &[t(1), t(2), t(2)]);
        // The engine sends the whole second again, plus a third line stamped t(2) that
        // the first attach had not seen, plus newer lines.
        let (admitted, cursor) = attach(cursor, &[t(0), t(1), t(2), t(2), t(2), t(3)]);
        assert_eq!(admitted, [4, 5]);
        let (admitted, _) = attach(cursor, &[t(2), t(3), t(4)]);
        assert_eq!(admitted, [2]);
    }

    #[test]
    fn a_start_time_filters_what_the_whole_second_since_lets_through() {
        let (admitted, _) = attach(
            LogCursor::starting_at(t(500).unwrap()),
            &[t(100), t(500), t(900)],
        );
        assert_eq!(admitted, [1, 2]);
    }
}
