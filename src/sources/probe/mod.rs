//! HTTP health probes: a configured endpoint (`/health`, `/ready`) fetched on an interval
//! with a timeout. Its health in the header says the status and latency; a failure (no
//! answer, a timeout, an unexpected status) raises an alert with source `pilothouse`,
//! which resolves with the next good answer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

use crate::model::alert::PILOTHOUSE_SOURCE;
use crate::model::{Alert, AlertId, AlertState, SourceHealth, SourceKey, SourceKind};
use crate::rules::fingerprint;
use crate::sources::EventSink;
use crate::sources::alertmanager::http::{self, excerpt};
use crate::sources::alertmanager::settings::ProbeConfig;
use crate::store::SourceEvent;

/// The alert a failing probe raises.
pub const PROBE_ALERT: &str = "ProbeFailed";

/// What one probe found.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResult {
    /// The status code, when there was an answer.
    pub status: Option<u16>,
    pub latency: Duration,
    /// Why it failed; `None` when it succeeded.
    pub failure: Option<String>,
    /// The start of the body, for a failure.
    pub body: String,
}

impl ProbeResult {
    pub fn ok(&self) -> bool {
        self.failure.is_none()
    }

    /// `200 in 12 ms`, `503 in 40 ms: {"status":"down"}`, `timed out after 5s`.
    pub fn describe(&self) -> String {
        let ms = self.latency.as_millis();
        match (&self.failure, self.status) {
            (None, Some(code)) => format!("{code} in {ms} ms"),
            (Some(_), Some(code)) if self.body.is_empty() => format!("{code} in {ms} ms"),
            (Some(_), Some(code)) => format!("{code} in {ms} ms: {}", self.body),
            (Some(why), None) => why.clone(),
            (None, None) => format!("answered in {ms} ms"),
        }
    }
}

/// Fetch the probe's URL once.
pub async fn probe_once(client: &reqwest::Client, probe: &ProbeConfig) -> ProbeResult {
    let started = Instant::now();
    let answer = client
        .get(probe.url.clone())
        .timeout(probe.timeout)
        .send()
        .await;
    let response = match answer {
        Ok(response) => response,
        Err(e) => {
            let why = if e.is_timeout() {
                format!("timed out after {:?}", probe.timeout)
            } else {
                http::HttpError::from_reqwest(&e).to_string()
            };
            return ProbeResult {
                status: None,
                latency: started.elapsed(),
                failure: Some(why),
                body: String::new(),
            };
        }
    };
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap_or_default();
    let latency = started.elapsed();
    let accepted = probe.expect.accepts(status);
    ProbeResult {
        status: Some(status),
        latency,
        failure: (!accepted)
            .then(|| format!("status {status}, expected {}", probe.expect.describe())),
        body: if accepted {
            String::new()
        } else {
            excerpt(&body, 120)
        },
    }
}

/// The alert for a failing probe.
pub fn probe_alert(probe: &ProbeConfig, result: &ProbeResult, since: Timestamp) -> Alert {
    let labels = BTreeMap::from([
        ("alertname".to_string(), PROBE_ALERT.to_string()),
        ("severity".to_string(), probe.severity.label().to_string()),
        ("probe".to_string(), probe.name.clone()),
        ("instance".to_string(), instance_of(probe)),
    ]);
    let mut annotations = BTreeMap::from([
        (
            "summary".to_string(),
            format!("{} failed: {}", probe.name, result.describe()),
        ),
        ("url".to_string(), probe.url.to_string()),
    ]);
    if let Some(why) = &result.failure {
        annotations.insert("description".to_string(), why.clone());
    }
    Alert {
        id: AlertId {
            source: PILOTHOUSE_SOURCE.to_string(),
            fingerprint: fingerprint(&labels),
        },
        labels,
        annotations,
        state: AlertState::Firing,
        starts_at: Some(since),
        silenced_by: Vec::new(),
    }
}

/// `host:port`, as node_exporter names instances, so the alert's `instance` finds a host.
fn instance_of(probe: &ProbeConfig) -> String {
    let host = probe.url.host_str().unwrap_or("?");
    match probe.url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// Probe until cancelled.
pub async fn run(probe: ProbeConfig, mut sink: EventSink, cancel: CancellationToken) {
    let key = SourceKey::new(SourceKind::Probe, probe.name.clone());
    let client = match http::client(probe.timeout) {
        Ok(client) => client,
        Err(e) => {
            let error = http::HttpError::from_reqwest(&e).to_string();
            let _ = sink.health(&key, SourceHealth::Unavailable { error }).await;
            return;
        }
    };
    if sink.health(&key, SourceHealth::Connecting).await.is_err() {
        return;
    }
    // The alert raised, with the time the failures began; the summary is updated only
    // when the way it fails changes, not with every latency.
    let mut failing: Option<(Alert, Timestamp, Option<u16>)> = None;
    let mut health = SourceHealth::Connecting;
    loop {
        let result = tokio::select! {
            _ = cancel.cancelled() => return,
            result = probe_once(&client, &probe) => result,
        };
        let mut events = Vec::new();
        let next = if result.ok() {
            if let Some((alert, _, _)) = failing.take() {
                events.push(SourceEvent::DeleteAlert(alert.id));
            }
            SourceHealth::Live
        } else {
            let since = failing.as_ref().map_or_else(Timestamp::now, |f| f.1);
            let changed = failing.as_ref().is_none_or(|(alert, _, status)| {
                *status != result.status
                    || alert.annotations.get("description") != result.failure.as_ref()
            });
            if changed {
                let alert = probe_alert(&probe, &result, since);
                events.push(SourceEvent::UpsertAlert(alert.clone()));
                failing = Some((alert, since, result.status));
            }
            // Without the latency, which would change the header at every probe.
            let failure = result.failure.clone().unwrap_or_default();
            SourceHealth::Unavailable {
                error: if result.body.is_empty() {
                    failure
                } else {
                    format!("{failure}: {}", result.body)
                },
            }
        };
        // Live carries no words, so a healthy probe's latency is in the log, not redraws.
        tracing::debug!(probe = %probe.name, "{}", result.describe());
        if next != health {
            health = next.clone();
            events.push(SourceEvent::Health {
                source: key.clone(),
                health: next,
            });
        }
        if !events.is_empty() && sink.send(SourceEvent::Batch(events)).await.is_err() {
            return;
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(probe.interval) => {}
        }
    }
}

/// Start one task per probe.
pub fn spawn(probes: &[ProbeConfig], sink: &EventSink, cancel: &CancellationToken) {
    for probe in probes {
        tokio::spawn(run(probe.clone(), sink.clone(), cancel.child_token()));
    }
}
