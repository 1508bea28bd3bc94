//! What the Kubernetes source should do, read off the app: which contexts are connected,
//! the namespace scope, and which log streams to follow (issue 4).

use std::collections::{BTreeMap, BTreeSet};

use crate::logs::StreamKey;
use crate::model::KubeId;
use crate::sources::kube::{KubeInterest, LogRequest};

use super::App;

/// The connected contexts (they form the fleet); the kubeconfig's others are in
/// `Fleet::available_contexts`.
#[derive(Debug, Clone, Default)]
pub struct KubeContexts {
    pub active: BTreeSet<String>,
}

/// What a log pane follows when its streams can change: the pods of a workload come and go
/// (a rolling restart), and the pane attaches new ones like stern does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSubject {
    Workload(KubeId),
}

/// Lines asked for when a stream is first followed: the last 1,000, like a generous
/// `kubectl logs --tail`.
pub const DEFAULT_TAIL_LINES: i64 = 1000;

impl App {
    pub fn kube_interest(&self) -> KubeInterest {
        let mut logs = BTreeMap::new();
        if let Some(pane) = &self.log_pane {
            for stream in pane.streams() {
                let StreamKey::Kube {
                    context,
                    namespace,
                    pod,
                    previous,
                    ..
                } = stream
                else {
                    continue;
                };
                // A pod that is gone has nothing more to say; its lines stay in the pane.
                let id = KubeId::new(context, namespace, crate::model::KubeKind::Pod, pod);
                if !previous && self.fleet.pods.get(&id).is_none() {
                    continue;
                }
                logs.insert(stream.clone(), self.log_request);
            }
        }
        KubeInterest {
            contexts: self.kube.active.clone(),
            namespace: self.ui.scope.namespace.clone(),
            logs,
        }
    }

    /// Attach the pods a followed workload gained since the pane opened (or last looked).
    /// Streams of pods that went away stay in the pane, so their last words remain.
    pub(super) fn refresh_log_subject(&mut self) {
        let Some(LogSubject::Workload(id)) = &self.log_subject else {
            return;
        };
        let Some(pane) = self.log_pane.as_mut() else {
            return;
        };
        let Some(workload) = self.fleet.workloads.get(id) else {
            return;
        };
        let current: BTreeSet<&StreamKey> = pane.streams().iter().collect();
        let new: Vec<StreamKey> = self
            .fleet
            .pods_of(workload)
            .flat_map(super::navigate::pod_streams)
            .filter(|s| !current.contains(s))
            .collect();
        if !new.is_empty() {
            let mut streams = pane.streams().to_vec();
            streams.extend(new);
            pane.set_streams(streams);
            self.dirty = true;
        }
    }

    /// `:ctx NAME`: scope the views to a context, connecting it first if it is not yet.
    /// Returns false when the kubeconfig has no such context.
    pub(super) fn switch_context(&mut self, name: &str) -> bool {
        // A kubeconfig context is (re)connected if it is not: it may have been dropped
        // with `:ctx -NAME` a moment ago while some of its rows were still on their way.
        if self.fleet.available_contexts.iter().any(|c| c == name) {
            self.kube.active.insert(name.to_string());
            self.ui.scope.context = Some(name.to_string());
            return true;
        }
        // A context only a fixture knows.
        if self.fleet.contexts.contains_key(name) {
            self.ui.scope.context = Some(name.to_string());
            return true;
        }
        false
    }

    /// `:ctx +NAME`: connect another context and show every connected one.
    pub(super) fn add_context(&mut self, name: &str) -> bool {
        if !self.fleet.available_contexts.iter().any(|c| c == name) {
            return false;
        }
        self.kube.active.insert(name.to_string());
        self.ui.scope.context = None;
        true
    }

    /// `:ctx -NAME`: disconnect a context; its rows leave the fleet.
    pub(super) fn drop_context(&mut self, name: &str) -> bool {
        let removed = self.kube.active.remove(name);
        if self.ui.scope.context.as_deref() == Some(name) {
            self.ui.scope.context = None;
        }
        removed
    }
}

/// The log request a pane's streams start with.
pub fn default_log_request() -> LogRequest {
    LogRequest {
        since_seconds: None,
        tail_lines: Some(DEFAULT_TAIL_LINES),
    }
}
