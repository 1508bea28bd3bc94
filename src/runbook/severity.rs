//! The ops manual's incident levels, P0–P3, which runbooks say they apply to.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad an incident is, in the ops manual's words (故障级别). Ordered most severe first,
/// so `min()` over a set is the worst.
///
/// The incident model (issue 8) classifies incidents with these same four levels; this is
/// the runbooks' view of them, and one type should serve both once the two halves meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IncidentSeverity {
    #[serde(alias = "p0")]
    P0,
    #[serde(alias = "p1")]
    P1,
    #[serde(alias = "p2")]
    P2,
    #[serde(alias = "p3")]
    P3,
}

impl IncidentSeverity {
    pub const ALL: [IncidentSeverity; 4] = [
        IncidentSeverity::P0,
        IncidentSeverity::P1,
        IncidentSeverity::P2,
        IncidentSeverity::P3,
    ];

    /// What the level means, from the manual.
    pub fn meaning(self) -> &'static str {
        match self {
            IncidentSeverity::P0 => "the whole system is down, every user affected",
            IncidentSeverity::P1 => "a core function is down, most users affected",
            IncidentSeverity::P2 => "part of the system is down, some users affected",
            IncidentSeverity::P3 => "a minor, non-core problem, few users affected",
        }
    }

    /// How soon the manual says it must be handled.
    pub fn response_time(self) -> &'static str {
        match self {
            IncidentSeverity::P0 => "immediately",
            IncidentSeverity::P1 => "within 1 hour",
            IncidentSeverity::P2 => "within 4 hours",
            IncidentSeverity::P3 => "within 24 hours",
        }
    }

    /// `P0`..`P3`, any case.
    pub fn parse(text: &str) -> Option<IncidentSeverity> {
        match text.trim().to_ascii_uppercase().as_str() {
            "P0" => Some(IncidentSeverity::P0),
            "P1" => Some(IncidentSeverity::P1),
            "P2" => Some(IncidentSeverity::P2),
            "P3" => Some(IncidentSeverity::P3),
            _ => None,
        }
    }
}

impl fmt::Display for IncidentSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            IncidentSeverity::P0 => "P0",
            IncidentSeverity::P1 => "P1",
            IncidentSeverity::P2 => "P2",
            IncidentSeverity::P3 => "P3",
        };
        f.write_str(text)
    }
}
