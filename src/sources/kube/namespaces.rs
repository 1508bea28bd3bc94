//! The namespaces of a context, metadata only, sent whole on every change (there are few),
//! for `:ns` completion.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::core::PartialObjectMeta;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, ResourceExt};
use tokio_util::sync::CancellationToken;

use crate::sources::{Backoff, EventSink};
use crate::store::SourceEvent;

pub async fn watch(
    client: Client,
    context: String,
    mut sink: EventSink,
    cancel: CancellationToken,
) {
    let api: Api<PartialObjectMeta<Namespace>> = Api::all(client);
    let stream = watcher::watcher(api, watcher::Config::default());
    let mut stream = std::pin::pin!(stream);
    let mut names = BTreeSet::new();
    let mut listing: Option<BTreeSet<String>> = None;
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(120));
    loop {
        let item = tokio::select! {
            _ = cancel.cancelled() => return,
            item = stream.next() => item,
        };
        let Some(item) = item else { return };
        let changed = match item {
            Ok(Event::Init) => {
                listing = Some(BTreeSet::new());
                false
            }
            Ok(Event::InitApply(ns)) => {
                if let Some(l) = listing.as_mut() {
                    l.insert(ns.name_any());
                }
                false
            }
            Ok(Event::InitDone) => {
                backoff.reset();
                names = listing.take().unwrap_or_default();
                true
            }
            Ok(Event::Apply(ns)) => names.insert(ns.name_any()),
            Ok(Event::Delete(ns)) => names.remove(&ns.name_any()),
            Err(_) => {
                // A viewer may not list namespaces; completion then offers none. Ask rarely.
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(backoff.next_delay()) => {}
                }
                false
            }
        };
        if changed {
            let event = SourceEvent::Namespaces {
                context: context.clone(),
                names: names.iter().cloned().collect(),
            };
            if sink.send(event).await.is_err() {
                return;
            }
        }
    }
}
