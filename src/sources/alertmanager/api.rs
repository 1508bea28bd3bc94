//! Alertmanager API v2 documents (`api/v2/openapi.yaml` in Alertmanager's repository), as
//! far as pilothouse reads and writes them, and their conversion into the model.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::model::alert::{Matcher, Silence, SilenceState};
use crate::model::{Alert, AlertId, AlertState};

/// One alert of `GET /api/v2/alerts`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GettableAlert {
    pub fingerprint: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: Option<String>,
    pub status: AlertStatus,
    #[serde(default)]
    pub receivers: Vec<Receiver>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertStatus {
    /// `active`, `suppressed` or `unprocessed`.
    pub state: String,
    #[serde(default)]
    pub silenced_by: Vec<String>,
    #[serde(default)]
    pub inhibited_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Receiver {
    pub name: String,
}

/// One silence of `GET /api/v2/silences`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GettableSilence {
    pub id: String,
    pub status: SilenceStatus,
    #[serde(default)]
    pub matchers: Vec<Matcher>,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SilenceStatus {
    /// `active`, `pending` or `expired`.
    pub state: String,
}

/// The body of `POST /api/v2/silences`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableSilence {
    /// Set to update an existing silence; creating leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub matchers: Vec<Matcher>,
    pub starts_at: String,
    pub ends_at: String,
    pub created_by: String,
    pub comment: String,
}

/// The answer to `POST /api/v2/silences`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SilenceCreated {
    #[serde(rename = "silenceID")]
    pub silence_id: String,
}

/// One alert of `POST /api/v2/alerts`, as Prometheus sends them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableAlert {
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
    #[serde(rename = "generatorURL", skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
}

/// Alertmanager writes Go's zero time (`0001-01-01T00:00:00Z`) for "unset".
fn timestamp(text: Option<&str>) -> Option<Timestamp> {
    let t: Timestamp = text?.parse().ok()?;
    (t.as_second() > 0).then_some(t)
}

impl GettableAlert {
    /// The model's alert, from the Alertmanager named `source`.
    pub fn into_alert(self, source: &str) -> Alert {
        let state = match self.status.state.as_str() {
            "suppressed" if !self.status.silenced_by.is_empty() => AlertState::Silenced,
            "suppressed" => AlertState::Inhibited,
            // `unprocessed` is an alert just received and not yet routed: it fires.
            _ => AlertState::Firing,
        };
        Alert {
            id: AlertId {
                source: source.to_string(),
                fingerprint: self.fingerprint,
            },
            labels: self.labels,
            annotations: self.annotations,
            state,
            starts_at: timestamp(self.starts_at.as_deref()),
            silenced_by: self.status.silenced_by,
        }
    }
}

impl GettableSilence {
    /// The model's silence; `None` when its times cannot be read.
    pub fn into_silence(self, source: &str) -> Option<Silence> {
        let state = match self.status.state.as_str() {
            "active" => SilenceState::Active,
            "pending" => SilenceState::Pending,
            _ => SilenceState::Expired,
        };
        Some(Silence {
            source: source.to_string(),
            id: self.id,
            matchers: self.matchers,
            starts_at: self.starts_at.parse().ok()?,
            ends_at: self.ends_at.parse().ok()?,
            created_by: self.created_by,
            comment: self.comment,
            state,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_decode_with_their_state() {
        let body = r#"[
          {"annotations":{"summary":"CPU high"},"endsAt":"2026-11-22T03:20:00.000Z",
           "fingerprint":"a1","receivers":[{"name":"ops"}],"startsAt":"2026-11-22T03:00:00.000Z",
           "status":{"inhibitedBy":[],"silencedBy":["s1"],"state":"suppressed"},
           "updatedAt":"2026-11-22T03:12:00.000Z","generatorURL":"http://prom/graph",
           "labels":{"alertname":"HighCPUUsage","severity":"warning","instance":"web-1"}},
          {"fingerprint":"b2","status":{"inhibitedBy":["c3"],"silencedBy":[],"state":"suppressed"},
           "labels":{"alertname":"Down"},"startsAt":"0001-01-01T00:00:00Z"},
          {"fingerprint":"c3","status":{"state":"unprocessed"},"labels":{"alertname":"X"}}
        ]"#;
        let alerts: Vec<GettableAlert> = serde_json::from_str(body).unwrap();
        let alerts: Vec<Alert> = alerts.into_iter().map(|a| a.into_alert("am")).collect();
        assert_eq!(alerts[0].state, AlertState::Silenced);
        assert_eq!(alerts[0].silenced_by, ["s1"]);
        assert_eq!(alerts[0].summary(), "CPU high");
        assert_eq!(
            alerts[0].starts_at,
            Some("2026-11-22T03:00:00Z".parse().unwrap())
        );
        assert_eq!(alerts[1].state, AlertState::Inhibited);
        assert_eq!(alerts[1].starts_at, None, "Go's zero time is no time");
        assert_eq!(alerts[2].state, AlertState::Firing);
        assert_eq!(alerts[2].id.source, "am");
    }

    #[test]
    fn silences_round_trip_the_wire_names() {
        let posted = PostableSilence {
            id: None,
            matchers: vec![Matcher::equal("alertname", "HighCPUUsage")],
            starts_at: "2026-11-22T03:00:00Z".into(),
            ends_at: "2026-11-22T05:00:00Z".into(),
            created_by: "alice".into(),
            comment: "deploy".into(),
        };
        let json = serde_json::to_value(&posted).unwrap();
        assert_eq!(json["matchers"][0]["isRegex"], false);
        assert_eq!(json["matchers"][0]["isEqual"], true);
        assert_eq!(json["createdBy"], "alice");
        assert!(json.get("id").is_none());
        let got: GettableSilence = serde_json::from_str(
            r#"{"id":"s1","status":{"state":"active"},"updatedAt":"2026-11-22T03:00:00Z",
                "matchers":[{"name":"alertname","value":"HighCPUUsage","isRegex":false}],
                "startsAt":"2026-11-22T03:00:00Z","endsAt":"2026-11-22T05:00:00Z",
                "createdBy":"alice","comment":"deploy"}"#,
        )
        .unwrap();
        let silence = got.into_silence("am").unwrap();
        assert_eq!(silence.state, SilenceState::Active);
        assert!(silence.matchers[0].is_equal, "absent isEqual means equal");
        assert_eq!(silence.who_and_why(), "alice: deploy");
    }
}
