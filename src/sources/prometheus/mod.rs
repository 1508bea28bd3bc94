//! Prometheus as a source of hosts: node_exporter's metrics per `instance`, read with
//! instant queries on an interval (DESIGN.md §5, issue 6).
//!
//! - [`query`]: `/api/v1/query` and its string-valued answers.
//! - [`hosts`]: the answers of one round put together into one sample per instance.
//!
//! Each Prometheus is one task with its own health and backoff. Hosts are named by their
//! `instance` label, so an alert's `instance` finds its host in the hosts view.

pub mod hosts;
pub mod query;

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

use crate::model::{HostId, SourceHealth, SourceKey, SourceKind};
use crate::sources::alertmanager::http::HttpError;
use crate::sources::alertmanager::settings::HostQueries;
use crate::sources::{Backoff, EventSink};
use crate::store::{Scope, SourceEvent};
use hosts::{Answers, Metric, assemble};
pub use query::{PromClient, PromSample};

/// One Prometheus, polled until cancelled.
pub struct PromSource {
    pub client: PromClient,
    pub queries: HostQueries,
    pub interval: Duration,
    pub reserve_percent: Option<f64>,
    pub backoff: Backoff,
    pub sink: EventSink,
    pub cancel: CancellationToken,
}

impl PromSource {
    /// Run one round of queries: every metric, concurrently.
    pub async fn read(client: &PromClient, queries: &HostQueries) -> Result<Answers, HttpError> {
        let rounds = Metric::ALL.iter().map(|&metric| async move {
            let promql = metric.query(queries);
            if promql.trim().is_empty() {
                // An emptied query means "do not ask".
                return Ok((metric, Vec::new()));
            }
            client
                .query(promql)
                .await
                .map(|samples| (metric, samples))
                .map_err(|e| match e {
                    HttpError::Status { status, body } => HttpError::Status {
                        status,
                        body: format!("{body} (query {metric:?})"),
                    },
                    other => other,
                })
        });
        futures::future::try_join_all(rounds)
            .await
            .map(|answers| answers.into_iter().collect())
    }

    pub async fn run(mut self) {
        let key = SourceKey::new(SourceKind::Prometheus, self.client.name());
        let source = self.client.name().to_string();
        let mut known: BTreeSet<String> = BTreeSet::new();
        let mut health = SourceHealth::Connecting;
        if self.sink.health(&key, health.clone()).await.is_err() {
            return;
        }
        let mut stale_since: Option<Timestamp> = None;
        loop {
            let attempt = tokio::select! {
                _ = self.cancel.cancelled() => return,
                attempt = Self::read(&self.client, &self.queries) => attempt,
            };
            let (next, wait) = match attempt {
                Ok(answers) => {
                    self.backoff.reset();
                    stale_since = None;
                    let samples = assemble(&answers, self.reserve_percent);
                    let mut events = Vec::new();
                    if known.is_empty() {
                        events.push(SourceEvent::Clear(Scope::Hosts {
                            source: source.clone(),
                        }));
                    }
                    let now: BTreeSet<String> = samples.keys().cloned().collect();
                    for gone in known.difference(&now) {
                        events.push(SourceEvent::DeleteHost(HostId {
                            source: source.clone(),
                            name: gone.clone(),
                        }));
                    }
                    for (instance, sample) in samples {
                        events.push(SourceEvent::HostSample {
                            id: HostId {
                                source: source.clone(),
                                name: instance,
                            },
                            sample,
                        });
                    }
                    known = now;
                    if self.sink.send(SourceEvent::Batch(events)).await.is_err() {
                        return;
                    }
                    (SourceHealth::Live, self.interval)
                }
                Err(error) => {
                    let error = error.to_string();
                    let health = if known.is_empty() {
                        SourceHealth::Unavailable { error }
                    } else {
                        SourceHealth::Stale {
                            since: *stale_since.get_or_insert_with(Timestamp::now),
                            error,
                        }
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
            }
        }
    }
}
