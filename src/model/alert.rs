//! Alerts from Alertmanager (or pilothouse's own rules), keyed by (source, fingerprint).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::health::HealthLevel;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlertId {
    /// The Alertmanager it came from, or `pilothouse` for built-in rules.
    pub source: String,
    pub fingerprint: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
    Info,
    None,
}

impl Severity {
    pub fn parse(text: &str) -> Severity {
        match text.to_ascii_lowercase().as_str() {
            "critical" | "page" | "p0" | "p1" => Severity::Critical,
            "warning" | "warn" | "p2" => Severity::Warning,
            "info" | "p3" => Severity::Info,
            _ => Severity::None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::None => "none",
        }
    }

    pub fn health(self) -> HealthLevel {
        match self {
            Severity::Critical => HealthLevel::Critical,
            Severity::Warning => HealthLevel::Warning,
            Severity::Info | Severity::None => HealthLevel::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Firing,
    Silenced,
    Inhibited,
}

impl AlertState {
    pub fn label(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Silenced => "silenced",
            AlertState::Inhibited => "inhibited",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub id: AlertId,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub state: AlertState,
    pub starts_at: Option<Timestamp>,
    pub silenced_by: Vec<String>,
}

impl Alert {
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("", String::as_str)
    }

    pub fn severity(&self) -> Severity {
        self.labels
            .get("severity")
            .map_or(Severity::None, |s| Severity::parse(s))
    }

    pub fn summary(&self) -> &str {
        self.annotations
            .get("summary")
            .or_else(|| self.annotations.get("description"))
            .map_or("", String::as_str)
    }
}
