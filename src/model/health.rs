//! One health vocabulary across every source (DESIGN.md §4).

use serde::{Deserialize, Serialize};

/// How healthy a thing is, in the words every view uses.
///
/// Ordered so that `max()` over a collection gives the worst level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthLevel {
    Ok,
    Progressing,
    Unknown,
    Warning,
    Critical,
}

impl HealthLevel {
    /// All levels, in the order the overview lists them.
    pub const ALL: [HealthLevel; 5] = [
        HealthLevel::Critical,
        HealthLevel::Warning,
        HealthLevel::Progressing,
        HealthLevel::Unknown,
        HealthLevel::Ok,
    ];

    /// A word that carries the state without color (mono theme, screen readers).
    pub fn label(self) -> &'static str {
        match self {
            HealthLevel::Ok => "ok",
            HealthLevel::Progressing => "progressing",
            HealthLevel::Warning => "warning",
            HealthLevel::Critical => "critical",
            HealthLevel::Unknown => "unknown",
        }
    }

    /// A one-cell symbol that carries the state without color.
    pub fn symbol(self) -> &'static str {
        match self {
            HealthLevel::Ok => "✓",
            HealthLevel::Progressing => "↻",
            HealthLevel::Warning => "!",
            HealthLevel::Critical => "✗",
            HealthLevel::Unknown => "?",
        }
    }

    /// The theme key that styles this level.
    pub fn style_key(self) -> &'static str {
        match self {
            HealthLevel::Ok => "status.ok",
            HealthLevel::Progressing => "status.progressing",
            HealthLevel::Warning => "status.warning",
            HealthLevel::Critical => "status.critical",
            HealthLevel::Unknown => "status.unknown",
        }
    }
}

/// A health level with the reason that explains it ("CrashLoopBackOff", "2/3 ready").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub level: HealthLevel,
    pub reason: String,
}

impl Health {
    pub fn new(level: HealthLevel, reason: impl Into<String>) -> Self {
        Health {
            level,
            reason: reason.into(),
        }
    }

    pub fn ok() -> Self {
        Health::new(HealthLevel::Ok, "")
    }
}
