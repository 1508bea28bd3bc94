//! One simulated cluster: its store, clock, faults and log profiles. The default scenario
//! serves two (prod and staging) on one listener under `/clusters/<name>`.

use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Velero's CRDs are installed (`velero.io/v1` is served).
    pub velero: bool,
    /// What clients asked of this cluster's API, for tests that must prove a client sent
    /// nothing (read-only mode); see `http::control`.
    pub requests: RequestCounts,
}

/// API requests answered, counted as they arrive (the sim's own `/sim/v1/` excluded).
#[derive(Debug, Default)]
pub struct RequestCounts {
    all: AtomicU64,
    mutations: AtomicU64,
}

impl RequestCounts {
    /// Count one request; anything but GET and HEAD is a mutation, dry runs included.
    pub fn count(&self, method: &axum::http::Method) {
        self.all.fetch_add(1, Ordering::Relaxed);
        if method != axum::http::Method::GET && method != axum::http::Method::HEAD {
            self.mutations.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn all(&self) -> u64 {
        self.all.load(Ordering::Relaxed)
    }

    pub fn mutations(&self) -> u64 {
        self.mutations.load(Ordering::Relaxed)
    }
}

impl Cluster {
    pub fn new(
        name: &str,
        clock: SimClock,
        seed: u64,
        profiles: Profiles,
        velero: bool,
    ) -> Arc<Cluster> {
        Arc::new(Cluster {
            name: name.to_string(),
            store: Mutex::new(Store::new(clock.clone(), seed)),
            clock,
            seed,
            faults: Faults::default(),
            profiles,
            watch_drops: tokio::sync::watch::channel(0).0,
            velero,
            requests: RequestCounts::default(),
        })
    }

    /// Whether this cluster serves an API group: every built-in one, and the add-ons'
    /// groups only where they are installed.
    pub fn serves_group(&self, group: &str) -> bool {
        group != super::resources::VELERO_GROUP || self.velero
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
