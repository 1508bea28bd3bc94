//! Watches of an add-on's kind (a CRD such as Velero's Schedule), which only some
//! clusters serve. Discovery is asked first. A cluster that does not serve the group has
//! none of the kind, which is not an error: the watch reports [`WatchState::Absent`] (no
//! "unavailable", no "forbidden" note) and discovery is asked again every few minutes, in
//! case the add-on is installed while the console runs — never in a loop.

use std::time::Duration;

use kube::{Api, Client};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::watch::{self as kwatch, StateReport, WatchOptions, WatchState, Watched};
use crate::sources::{Backoff, EventSink};

/// How often a cluster without the add-on is asked again whether it has it now.
const RECHECK: Duration = Duration::from_secs(300);

/// Watch `api` while the cluster serves `group_version` with `K`'s resource in it; until
/// cancelled.
pub async fn watch_when_served<K: Watched>(
    api: Api<K>,
    group_version: &'static str,
    context: String,
    options: WatchOptions,
    sink: EventSink,
    states: mpsc::UnboundedSender<StateReport>,
    cancel: CancellationToken,
) {
    let client: Client = api.clone().into();
    let mut backoff = Backoff::network();
    let report = |state: WatchState| {
        let _ = states.send(StateReport {
            resource: K::RESOURCE,
            state,
        });
    };
    loop {
        let served = tokio::select! {
            _ = cancel.cancelled() => return,
            answer = client.list_api_group_resources(group_version) => answer,
        };
        let wait = match served {
            Ok(list) if list.resources.iter().any(|r| r.name == K::RESOURCE) => {
                backoff.reset();
                report(WatchState::Connecting);
                // Returns when cancelled, or when the kind stops being served (a 404).
                kwatch::run(
                    api.clone(),
                    context.clone(),
                    options.clone(),
                    sink.clone(),
                    states.clone(),
                    cancel.child_token(),
                )
                .await;
                RECHECK
            }
            Ok(_) => {
                report(WatchState::Absent);
                RECHECK
            }
            Err(kube::Error::Api(status)) if status.code == 404 => {
                report(WatchState::Absent);
                RECHECK
            }
            Err(error) => {
                // The cluster is unreachable: the built-in watches say so in the header.
                tracing::debug!(context, group_version, %error, "discovery failed");
                backoff.next_delay()
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
