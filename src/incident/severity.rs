//! How bad an incident is, in the ops manual's four levels (故障级别 P0–P3), each with what it
//! means and how soon someone must respond.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The manual's severity levels, worst first, so that `P0 < P1` sorts the worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    #[serde(alias = "p0")]
    P0,
    #[serde(alias = "p1")]
    P1,
    #[serde(alias = "p2")]
    P2,
    #[serde(alias = "p3")]
    P3,
}

impl Severity {
    /// Every level, worst first, for pickers.
    pub const ALL: [Severity; 4] = [Severity::P0, Severity::P1, Severity::P2, Severity::P3];

    /// `P0` … `P3`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::P0 => "P0",
            Severity::P1 => "P1",
            Severity::P2 => "P2",
            Severity::P3 => "P3",
        }
    }

    /// What the level means, in the manual's words (translated).
    pub fn meaning(self) -> &'static str {
        match self {
            Severity::P0 => "whole system down, all users affected",
            Severity::P1 => "core function down, most users affected",
            Severity::P2 => "part of the system down, some users affected",
            Severity::P3 => "minor, non-core problem, few users affected",
        }
    }

    /// How soon the manual wants a response: P0 at once (zero), P1 within an hour, P2
    /// within four hours, P3 within a day.
    pub fn respond_within(self) -> Duration {
        const HOUR: u64 = 3600;
        Duration::from_secs(match self {
            Severity::P0 => 0,
            Severity::P1 => HOUR,
            Severity::P2 => 4 * HOUR,
            Severity::P3 => 24 * HOUR,
        })
    }

    /// The response time in words: `immediately`, `within 1 h`, `within 4 h`, `within 24 h`.
    pub fn respond_within_text(self) -> String {
        match self.respond_within().as_secs() / 3600 {
            0 => "immediately".to_string(),
            hours => format!("within {hours} h"),
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Severity, String> {
        Severity::ALL
            .into_iter()
            .find(|s| s.label().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| format!("`{text}`: a severity is P0, P1, P2 or P3"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_carry_the_manuals_response_times() {
        assert_eq!(Severity::P0.respond_within(), Duration::ZERO);
        assert_eq!(Severity::P1.respond_within(), Duration::from_secs(3600));
        assert_eq!(Severity::P2.respond_within_text(), "within 4 h");
        assert_eq!(Severity::P3.respond_within_text(), "within 24 h");
        assert_eq!(Severity::P0.respond_within_text(), "immediately");
        assert!(Severity::P1.meaning().contains("core function"));
        assert_eq!("p2".parse::<Severity>(), Ok(Severity::P2));
        assert!("P5".parse::<Severity>().is_err());
        assert!(Severity::P0 < Severity::P3, "worst sorts first");
    }
}
