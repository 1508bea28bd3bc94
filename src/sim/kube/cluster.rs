//! One simulated cluster: its store, clock, faults and log profiles. The default scenario
//! serves two (prod and staging) on one listener under `/clusters/<name>`.

use std::sync::{Arc, Mutex, MutexGuard};

use super::faults::Faults;
use super::logs::Profiles;
use super::store::Store;
use crate::sim::clock::SimClock;

/// A cluster the API serves.
pub struct Cluster {
    pub name: String,
    store: Mutex<Store>,
    pub clock: SimClock,
    pub seed: u64,
    pub faults: Faults,
    pub profiles: Profiles,
    /// Bumped to make every open watch end (the "dropped watch connections" fault).
    pub watch_drops: tokio::sync::watch::Sender<u64>,
}

impl Cluster {
    pub fn new(name: &str, clock: SimClock, seed: u64, profiles: Profiles) -> Arc<Cluster> {
        Arc::new(Cluster {
            name: name.to_string(),
            store: Mutex::new(Store::new(clock.clone(), seed)),
            clock,
            seed,
            faults: Faults::default(),
            profiles,
            watch_drops: tokio::sync::watch::channel(0).0,
        })
    }

    /// The store. A panic while it was held cannot leave it half-written (every write is
    /// one insert after all fallible work), so a poisoned lock is still safe to use.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// End every open watch now; clients re-watch from their last resourceVersion.
    pub fn drop_watches(&self) {
        self.watch_drops.send_modify(|n| *n += 1);
    }

    /// What the faults that act once do when they start: drop every watch, or compact
    /// history (and drop watches, so their clients meet the 410 when they resume).
    pub fn act_on_fault(&self, kind: super::scenario::FaultKind) {
        use super::scenario::FaultKind;
        match kind {
            FaultKind::DropWatches => self.drop_watches(),
            FaultKind::ExpireResourceVersions => {
                self.store().compact();
                self.drop_watches();
            }
            _ => {}
        }
    }

    /// Simulated seconds since the estate started.
    pub fn sim_secs(&self) -> f64 {
        self.clock.elapsed_secs()
    }
}
