//! CPU and memory samples from `metrics.k8s.io`, with a short history per pod and node for
//! the sparklines. Kept beside the objects rather than in them, so a metrics sample does not
//! replace 50,000 pods and re-sort every table.

use std::collections::{HashMap, VecDeque};

use crate::model::KubeId;

/// CPU samples kept per object: as many as the CPU TREND sparkline draws (ten columns;
/// at the default 15 s sampling, 2.5 minutes). 50,000 pods make every byte here count.
pub const USAGE_HISTORY: usize = 10;

/// One object's latest usage and its recent CPU history (memory has no sparkline, so only
/// its latest value is kept).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageHistory {
    /// Millicores, oldest first; `u32` holds 4 million cores.
    pub cpu_millis: VecDeque<u32>,
    pub memory_bytes: u64,
}

impl UsageHistory {
    fn record(&mut self, cpu_millis: u64, memory_bytes: u64) {
        if self.cpu_millis.len() == USAGE_HISTORY {
            self.cpu_millis.pop_front();
        } else if self.cpu_millis.capacity() == 0 {
            // Exactly the bound, not the allocator's next size up.
            self.cpu_millis.reserve_exact(USAGE_HISTORY);
        }
        self.cpu_millis
            .push_back(u32::try_from(cpu_millis).unwrap_or(u32::MAX));
        self.memory_bytes = memory_bytes;
    }

    pub fn latest(&self) -> Option<(u64, u64)> {
        Some((u64::from(*self.cpu_millis.back()?), self.memory_bytes))
    }
}

/// A pod's or node's usage in one sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageSample {
    /// Empty for a node.
    pub namespace: String,
    pub name: String,
    pub cpu_millis: u64,
    pub memory_bytes: u64,
}

/// Usage of every pod and node of every context that serves the metrics API.
#[derive(Debug, Default, Clone)]
pub struct Usage {
    /// Each pod's history, with the round that last saw it (rounds are counted by
    /// `revision`), so a round sweeps out absent pods without a set of the ones it saw.
    pods: HashMap<KubeId, (u64, UsageHistory)>,
    nodes: HashMap<(String, String), UsageHistory>,
    revision: u64,
}

impl Usage {
    /// Record one sampling round of a context. Objects absent from the round lose their
    /// history (they are gone, or no longer in scope).
    pub fn record(&mut self, context: &str, pods: &[UsageSample], nodes: &[UsageSample]) {
        self.revision += 1;
        let round = self.revision;
        // One key, refilled for each sample: a pod already known (nearly all of them, every
        // round) costs one lookup and no allocation; 50,000 of them every 15 s add up.
        let mut id = KubeId::new(context, "", crate::model::KubeKind::Pod, "");
        for s in pods {
            id.namespace.clone_from(&s.namespace);
            id.name.clone_from(&s.name);
            if let Some((seen, history)) = self.pods.get_mut(&id) {
                *seen = round;
                history.record(s.cpu_millis, s.memory_bytes);
            } else {
                let mut history = UsageHistory::default();
                history.record(s.cpu_millis, s.memory_bytes);
                self.pods.insert(id.clone(), (round, history));
            }
        }
        self.pods
            .retain(|id, (seen, _)| id.context != context || *seen == round);
        let mut seen_nodes = std::collections::HashSet::with_capacity(nodes.len());
        for s in nodes {
            let key = (context.to_string(), s.name.clone());
            self.nodes
                .entry(key.clone())
                .or_default()
                .record(s.cpu_millis, s.memory_bytes);
            seen_nodes.insert(key);
        }
        self.nodes
            .retain(|key, _| key.0 != context || seen_nodes.contains(key));
    }

    pub fn forget(&mut self, context: &str) {
        self.revision += 1;
        self.pods.retain(|id, _| id.context != context);
        self.nodes.retain(|(c, _), _| c != context);
    }

    pub fn pod(&self, id: &KubeId) -> Option<&UsageHistory> {
        self.pods.get(id).map(|(_, history)| history)
    }

    pub fn node(&self, context: &str, name: &str) -> Option<&UsageHistory> {
        self.nodes.get(&(context.to_string(), name.to_string()))
    }

    /// Changes with every sampling round, so a view sorted by usage knows to re-sort.
    pub fn revision(&self) -> u64 {
        self.revision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ns: &str, name: &str, cpu: u64) -> UsageSample {
        UsageSample {
            namespace: ns.into(),
            name: name.into(),
            cpu_millis: cpu,
            memory_bytes: cpu * 1000,
        }
    }

    #[test]
    fn history_is_bounded_and_absent_pods_are_dropped() {
        let mut usage = Usage::default();
        let id = KubeId::new("prod", "shop", crate::model::KubeKind::Pod, "api-1");
        for i in 0..(USAGE_HISTORY as u64 + 5) {
            usage.record("prod", &[sample("shop", "api-1", i)], &[]);
        }
        let h = usage.pod(&id).unwrap();
        assert_eq!(h.cpu_millis.len(), USAGE_HISTORY);
        assert_eq!(
            h.latest(),
            Some((USAGE_HISTORY as u64 + 4, (USAGE_HISTORY as u64 + 4) * 1000))
        );
        usage.record("staging", &[sample("shop", "api-1", 1)], &[]);
        assert!(
            usage.pod(&id).is_some(),
            "another context's round leaves prod alone"
        );
        usage.record("prod", &[], &[sample("", "node-1", 250)]);
        assert!(usage.pod(&id).is_none());
        assert_eq!(
            usage.node("prod", "node-1").unwrap().latest(),
            Some((250, 250_000))
        );
    }
}
