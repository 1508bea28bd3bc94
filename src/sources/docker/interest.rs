//! What the console wants watched closely, told to the Docker sources.
//!
//! The console declares its interest as a value (the containers on screen and the log
//! streams an open pane shows) rather than sending commands: the latest value is all that
//! matters, a `watch` channel keeps only that, and the UI never waits on a source. Each
//! host's source picks its own containers out of it and starts or stops stats streams and
//! log followers to match.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use tokio::sync::watch;

use crate::model::ContainerId;

/// Lines a newly opened log pane gets from before it opened, per container.
pub const DEFAULT_TAIL: u64 = 2_000;

/// Where a log follower starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogStart {
    /// Only lines written at or after this time.
    pub since: Option<Timestamp>,
    /// At most this many lines from before the follower started; `None` for all.
    pub tail: Option<u64>,
}

impl Default for LogStart {
    fn default() -> LogStart {
        LogStart {
            since: None,
            tail: Some(DEFAULT_TAIL),
        }
    }
}

/// Everything the console wants watched closely, over every Docker host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerInterest {
    /// Containers whose rows are on screen: sampled often. The rest are sampled sparsely
    /// (see [`crate::sources::docker::stats::policy`]).
    pub visible: BTreeSet<ContainerId>,
    /// The selected container: its stats stream.
    pub selected: Option<ContainerId>,
    /// Containers whose logs are followed, and where each starts.
    pub logs: BTreeMap<ContainerId, LogStart>,
}

impl DockerInterest {
    /// The part of the interest that concerns `host`.
    pub fn for_host(&self, host: &str) -> HostInterest {
        let mine = |id: &&ContainerId| id.host == host;
        HostInterest {
            visible: self
                .visible
                .iter()
                .filter(mine)
                .map(|id| id.id.clone())
                .collect(),
            selected: self
                .selected
                .iter()
                .filter(mine)
                .map(|id| id.id.clone())
                .collect(),
            logs: self
                .logs
                .iter()
                .filter(|(id, _)| id.host == host)
                .map(|(id, start)| (id.id.clone(), *start))
                .collect(),
        }
    }
}

/// [`DockerInterest`] for one host, keyed by container id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostInterest {
    pub visible: BTreeSet<String>,
    /// The selected container, if it is on this host (a set, to compare with others).
    pub selected: BTreeSet<String>,
    pub logs: BTreeMap<String, LogStart>,
}

/// The console's handle on the running Docker sources. Cheap to clone; every call returns
/// at once.
#[derive(Debug, Clone)]
pub struct DockerControl {
    interest: watch::Sender<DockerInterest>,
}

impl DockerControl {
    /// A control and the receiver the sources watch.
    pub fn channel() -> (DockerControl, watch::Receiver<DockerInterest>) {
        let (tx, rx) = watch::channel(DockerInterest::default());
        (DockerControl { interest: tx }, rx)
    }

    /// Declare what is wanted now. Sources wake only if it differs from the last value, so
    /// calling this after every frame costs a comparison.
    pub fn set_interest(&self, interest: DockerInterest) {
        self.interest.send_if_modified(|current| {
            if *current == interest {
                false
            } else {
                *current = interest;
                true
            }
        });
    }

    /// What was last declared.
    pub fn interest(&self) -> DockerInterest {
        self.interest.borrow().clone()
    }

    /// Another receiver, for a source started later.
    pub fn subscribe(&self) -> watch::Receiver<DockerInterest> {
        self.interest.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_host_sees_only_its_containers_and_unchanged_interest_does_not_wake() {
        let (control, mut rx) = DockerControl::channel();
        let mut interest = DockerInterest::default();
        interest.visible.insert(ContainerId::new("a", "1"));
        interest.visible.insert(ContainerId::new("b", "2"));
        interest.selected = Some(ContainerId::new("a", "1"));
        interest
            .logs
            .insert(ContainerId::new("b", "3"), LogStart::default());
        control.set_interest(interest.clone());
        assert!(rx.has_changed().unwrap());
        let b = rx.borrow_and_update().for_host("b");
        assert_eq!(b.visible, BTreeSet::from(["2".to_string()]));
        assert!(b.selected.is_empty());
        assert_eq!(b.logs.keys().collect::<Vec<_>>(), ["3"]);
        control.set_interest(interest);
        assert!(
            !rx.has_changed().unwrap(),
            "the same interest must not wake sources"
        );
    }
}
