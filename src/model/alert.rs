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

    /// The runbook its annotations point at, if any.
    pub fn runbook_url(&self) -> Option<&str> {
        self.annotations
            .get("runbook_url")
            .or_else(|| self.annotations.get("runbook"))
            .map(String::as_str)
    }

    /// What the alerts view groups by: severity, then name, so critical groups come first.
    pub fn group_key(&self) -> (Severity, &str) {
        (self.severity(), self.name())
    }
}

/// The source name of alerts that pilothouse raises itself (built-in rules, probes).
pub const PILOTHOUSE_SOURCE: &str = "pilothouse";

/// One label matcher of a silence, as Alertmanager's API v2 writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub is_regex: bool,
    /// `false` for `!=` and `!~`; absent in old Alertmanagers, where it means equal.
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl Matcher {
    /// `name="value"`, exactly.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Matcher {
        Matcher {
            name: name.into(),
            value: value.into(),
            is_regex: false,
            is_equal: true,
        }
    }

    /// As amtool writes it: `name="value"`, `name=~"re"`, `name!="value"`.
    pub fn render(&self) -> String {
        let op = match (self.is_equal, self.is_regex) {
            (true, false) => "=",
            (false, false) => "!=",
            (true, true) => "=~",
            (false, true) => "!~",
        };
        format!("{}{op}{:?}", self.name, self.value)
    }
}

/// Where a silence is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SilenceState {
    Active,
    Pending,
    Expired,
}

impl SilenceState {
    pub fn label(self) -> &'static str {
        match self {
            SilenceState::Active => "active",
            SilenceState::Pending => "pending",
            SilenceState::Expired => "expired",
        }
    }
}

/// A silence in an Alertmanager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    /// The Alertmanager that holds it (the same name as [`AlertId::source`]).
    pub source: String,
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub created_by: String,
    pub comment: String,
    pub state: SilenceState,
}

impl Silence {
    /// `alice: deploy window`, for the alerts view's SILENCED BY column.
    pub fn who_and_why(&self) -> String {
        if self.comment.is_empty() {
            self.created_by.clone()
        } else {
            format!("{}: {}", self.created_by, self.comment)
        }
    }
}
