//! The `alertmanager:` section of a scenario: alerts that fire and resolve on a timeline
//! of simulated time, and silences that exist from the start.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::sim::common::time::SimSpan;

/// This API's part of a scenario.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertScenario {
    #[serde(default)]
    pub alerts: Vec<AlertSpec>,
    #[serde(default)]
    pub silences: Vec<SilenceSpec>,
}

/// An alerting rule's alert, as Prometheus would send it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSpec {
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// When it starts firing, from the sim's start (negative: already firing).
    #[serde(default)]
    pub fires_at: SimSpan,
    /// When it resolves; never without.
    #[serde(default)]
    pub resolves_at: Option<SimSpan>,
    /// Fire again this long after each start (a flapping or daily alert).
    #[serde(default)]
    pub every: Option<SimSpan>,
    /// The rule's expression, for `generatorURL`.
    #[serde(default)]
    pub expr: Option<String>,
    /// So many alerts, with `{i}` in label and annotation values replaced by 1, 2, ….
    #[serde(default)]
    pub replicas: Option<u32>,
}

/// A silence present when the sim starts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SilenceSpec {
    /// Matchers as amtool takes them: `alertname="X"`, `instance=~"node-.*"`.
    pub matchers: Vec<String>,
    #[serde(default)]
    pub starts_at: SimSpan,
    pub ends_at: SimSpan,
    pub created_by: String,
    pub comment: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_and_silences_parse() {
        let s: AlertScenario = serde_norway::from_str(
            "alerts:\n  - labels: {alertname: HighCPUUsage, severity: warning}\n    fires_at: -12m\nsilences:\n  - matchers: ['alertname=\"X\"']\n    ends_at: 2h\n    created_by: alice\n    comment: maintenance\n",
        )
        .unwrap();
        assert_eq!(s.alerts[0].fires_at, SimSpan::from_secs(-720));
        assert_eq!(s.alerts[0].resolves_at, None);
        assert_eq!(s.silences[0].starts_at, SimSpan::ZERO);
    }
}
