//! The simulated Alertmanager API v2 (DESIGN.md §7): enough of it that the real
//! `amtool` works unchanged — status, alerts (with silenced/inhibited state), alert
//! groups, and silences with Alertmanager's state rules.
//!
//! - [`scenario`]: the `alertmanager:` section (a timeline of alerts, initial silences).
//! - [`matchers`]: label matchers and fingerprints.
//! - [`alerts`]: the timeline, pushed alerts, and their status.
//! - [`silences`]: silences and their transitions.
//! - [`routing`]: receivers, grouping and inhibition.
//! - [`api`]: the HTTP routes.

pub mod alerts;
pub mod api;
pub mod matchers;
pub mod routing;
pub mod scenario;
pub mod silences;

use std::sync::{Arc, Mutex, PoisonError};

pub use scenario::AlertScenario;

use crate::sim::clock::SimClock;
use crate::sim::common::time::Nanos;
use alerts::AlertStore;
use matchers::Matcher;
use silences::{PostedSilence, SilenceStore};

/// The mutable part of the simulated Alertmanager.
pub struct AmState {
    pub alerts: AlertStore,
    pub silences: SilenceStore,
}

/// What the handlers share.
pub struct AmSim {
    clock: SimClock,
    /// When the sim started: the timeline's zero and the reported uptime.
    pub origin: Nanos,
    state: Mutex<AmState>,
}

impl AmSim {
    /// Build the state from a scenario.
    pub fn new(scenario: &AlertScenario, clock: SimClock, seed: u64) -> Result<AmSim, String> {
        let origin = i64::try_from(clock.calendar_now().as_nanosecond()).unwrap_or(Nanos::MAX);
        let mut silences = SilenceStore::new(seed);
        for spec in &scenario.silences {
            let matchers = spec
                .matchers
                .iter()
                .map(|m| Matcher::parse(m))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("alertmanager: silence by {}: {e}", spec.created_by))?;
            let posted = PostedSilence {
                id: None,
                matchers,
                starts_at: origin + spec.starts_at.nanos(),
                ends_at: origin + spec.ends_at.nanos(),
                created_by: spec.created_by.clone(),
                comment: spec.comment.clone(),
            };
            // Created "when it started", so a silence from the past keeps its start.
            let created = posted.starts_at.min(origin);
            silences
                .set(posted, created)
                .map_err(|e| format!("alertmanager: silence by {}: {e}", spec.created_by))?;
        }
        Ok(AmSim {
            clock,
            origin,
            state: Mutex::new(AmState {
                alerts: AlertStore::new(&scenario.alerts, origin),
                silences,
            }),
        })
    }

    /// Simulated now, in Unix nanoseconds.
    pub fn now(&self) -> Nanos {
        i64::try_from(self.clock.calendar_now().as_nanosecond()).unwrap_or(Nanos::MAX)
    }

    /// Run `f` on the state at now. Never held across an `.await`.
    pub fn with<R>(&self, f: impl FnOnce(&mut AmState, Nanos) -> R) -> R {
        // Every operation finishes its bookkeeping before anything that could panic, so
        // the data behind a poisoned lock is consistent.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.now();
        f(&mut state, now)
    }
}

/// Bind the Alertmanager API v2 and start the scenario's alert timeline. Returns its URL.
pub async fn start(
    listen: std::net::SocketAddr,
    scenario: &AlertScenario,
    clock: SimClock,
    seed: u64,
) -> std::io::Result<String> {
    let sim = AmSim::new(scenario, clock, seed)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    let app = api::router(Arc::new(sim));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("alertmanager sim: server stopped: {e}");
        }
    });
    Ok(format!("http://{local}"))
}
