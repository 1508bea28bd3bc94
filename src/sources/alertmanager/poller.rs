//! The tasks behind the Alertmanager sources: one poller per Alertmanager (its health,
//! its backoff), and one merger that turns their answers into the console's alerts.

use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::client::AmClient;
use super::http::HttpError;
use super::merge::{AlertMerge, Report};
use crate::model::alert::Silence;
use crate::model::{SourceHealth, SourceKey, SourceKind};
use crate::sources::{Backoff, EventSink};

/// One Alertmanager, polled until cancelled.
pub struct AmPoller {
    pub index: usize,
    pub client: AmClient,
    pub interval: Duration,
    pub backoff: Backoff,
    pub sink: EventSink,
    pub reports: mpsc::Sender<(usize, Report)>,
    /// Bumped to poll at once (after a silence was created or expired).
    pub refresh: watch::Receiver<u64>,
    pub cancel: CancellationToken,
}

impl AmPoller {
    /// Alerts and silences, read together.
    pub async fn read(client: &AmClient) -> Result<Report, HttpError> {
        let (alerts, silences) = tokio::join!(client.alerts(), client.silences());
        let name = client.name();
        Ok(Report {
            alerts: alerts?.into_iter().map(|a| a.into_alert(name)).collect(),
            silences: silences?
                .into_iter()
                .filter_map(|s| s.into_silence(name))
                .collect(),
        })
    }

    pub async fn run(mut self) {
        let key = SourceKey::new(SourceKind::Alertmanager, self.client.name());
        let mut health = SourceHealth::Connecting;
        if self.sink.health(&key, health.clone()).await.is_err() {
            return;
        }
        // Whether its alerts were ever read: after that a failure makes them stale (they
        // stay listed, the header says since when) rather than unknown.
        let mut answered = false;
        let mut stale_since: Option<Timestamp> = None;
        let mut refresh_open = true;
        loop {
            let attempt = tokio::select! {
                _ = self.cancel.cancelled() => return,
                attempt = Self::read(&self.client) => attempt,
            };
            let (next, wait) = match attempt {
                Ok(report) => {
                    self.backoff.reset();
                    answered = true;
                    stale_since = None;
                    if self.reports.send((self.index, report)).await.is_err() {
                        return;
                    }
                    (SourceHealth::Live, self.interval)
                }
                Err(error) => {
                    tracing::info!(alertmanager = %self.client.name(), %error, "Alertmanager unavailable");
                    let error = error.to_string();
                    let health = if answered {
                        SourceHealth::Stale {
                            since: *stale_since.get_or_insert_with(Timestamp::now),
                            error,
                        }
                    } else {
                        SourceHealth::Unavailable { error }
                    };
                    (health, self.backoff.next_delay())
                }
            };
            if next != health {
                health = next;
                if self.sink.health(&key, health.clone()).await.is_err() {
                    return;
                }
            }
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
                changed = self.refresh.changed(), if refresh_open => {
                    // When the control has gone, poll on the interval alone.
                    refresh_open = changed.is_ok();
                }
            }
        }
    }
}

/// Merge the pollers' answers and send the console what changed.
pub async fn merge_reports(
    mut reports: mpsc::Receiver<(usize, Report)>,
    count: usize,
    mut sink: EventSink,
    silences: watch::Sender<Vec<Silence>>,
    cancel: CancellationToken,
) {
    let mut merge = AlertMerge::new(count);
    loop {
        let received = tokio::select! {
            _ = cancel.cancelled() => return,
            received = reports.recv() => received,
        };
        let Some((index, report)) = received else {
            return;
        };
        // Silences first: when the console sees an alert turn silenced, it can already
        // say by whom.
        let batch = merge.update(index, report);
        let all = merge.silences();
        silences.send_if_modified(|held| {
            let changed = *held != all;
            if changed {
                *held = all;
            }
            changed
        });
        if let Some(batch) = batch
            && sink.send(batch).await.is_err()
        {
            return;
        }
    }
}
