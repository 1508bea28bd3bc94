//! Faults: those a scenario schedules and those added at run time through
//! `/sim/v1/faults`. API faults act on each request here; container and node faults are
//! read by the controllers (kubelet, node) and by the log generators.

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use super::scenario::{FaultKind, FaultSpec};
use super::selectors::LabelFilter;
use super::status::ApiError;
use crate::sim::common::seeded::Rng;

/// A fault with its place in simulated time.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveFault {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Simulated seconds since start.
    pub start: f64,
    pub end: Option<f64>,
    #[serde(skip)]
    selector: LabelFilter,
    /// Its start was already acted on when it was added (faults added at run time without
    /// `at` take effect before the request that added them is answered).
    #[serde(skip)]
    started: bool,
}

impl ActiveFault {
    pub fn active_at(&self, t: f64) -> bool {
        t >= self.start && self.end.is_none_or(|end| t < end)
    }

    /// Whether this fault targets a pod with these labels in `namespace`.
    pub fn matches_pod(&self, namespace: &str, label: &dyn Fn(&str) -> Option<String>) -> bool {
        self.spec
            .namespace
            .as_deref()
            .is_none_or(|ns| ns == namespace)
            && self.selector.matches(label)
    }
}

#[derive(Default)]
struct FaultState {
    faults: Vec<ActiveFault>,
    next_id: u64,
}

/// The faults of one cluster.
pub struct Faults {
    state: Mutex<FaultState>,
    rng: Mutex<Rng>,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            state: Mutex::new(FaultState::default()),
            rng: Mutex::new(Rng::new(0xfa17)),
        }
    }
}

impl Faults {
    fn state(&self) -> std::sync::MutexGuard<'_, FaultState> {
        // Holding this lock never panics midway; a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Add a fault; `now` is the current simulated time, the default start.
    pub fn add(&self, spec: FaultSpec, now: f64) -> Result<ActiveFault, String> {
        self.add_with(spec, now, false)
    }

    /// Add a fault whose start the caller has already acted on.
    pub fn add_started(&self, spec: FaultSpec, now: f64) -> Result<ActiveFault, String> {
        self.add_with(spec, now, true)
    }

    fn add_with(&self, spec: FaultSpec, now: f64, started: bool) -> Result<ActiveFault, String> {
        let selector = LabelFilter::parse(spec.selector.as_deref().unwrap_or_default())?;
        if spec.kind == FaultKind::NodeNotReady && spec.node.is_none() {
            return Err("node_not_ready needs `node`".into());
        }
        // Only a process that dies can be cured by starting it again; a missing image or
        // a dead node is still there after a restart.
        if spec.heals_on_restart && !matches!(spec.kind, FaultKind::CrashLoop | FaultKind::OomKill)
        {
            return Err("heals_on_restart is for crash_loop and oom_kill only".into());
        }
        let start = spec.at.unwrap_or(now);
        let end = spec.duration.map(|d| start + d);
        let mut state = self.state();
        state.next_id += 1;
        let fault = ActiveFault {
            id: state.next_id,
            spec,
            start,
            end,
            selector,
            started,
        };
        state.faults.push(fault.clone());
        Ok(fault)
    }

    pub fn list(&self) -> Vec<ActiveFault> {
        self.state().faults.clone()
    }

    /// End a fault now (it stays listed, with its end time, so logs keep their history).
    pub fn end(&self, id: u64, now: f64) -> bool {
        let mut state = self.state();
        match state.faults.iter_mut().find(|f| f.id == id) {
            Some(f) => {
                f.end = Some(f.end.map_or(now, |e| e.min(now)));
                true
            }
            None => false,
        }
    }

    /// End every fault now.
    pub fn end_all(&self, now: f64) {
        for f in &mut self.state().faults {
            if f.end.is_none_or(|e| e > now) {
                f.end = Some(now.max(f.start));
            }
        }
    }

    /// The delay every request waits now (the largest active `api_latency`).
    pub fn latency(&self, now: f64) -> Option<Duration> {
        self.state()
            .faults
            .iter()
            .filter(|f| f.spec.kind == FaultKind::ApiLatency && f.active_at(now))
            .filter_map(|f| f.spec.latency_ms)
            .max()
            .map(Duration::from_millis)
    }

    /// An injected error for this request, if an `api_errors`/`api_throttle` fault says so.
    pub fn injected_error(&self, now: f64) -> Option<ApiError> {
        let candidates: Vec<(FaultKind, f64)> = self
            .state()
            .faults
            .iter()
            .filter(|f| matches!(f.spec.kind, FaultKind::ApiErrors | FaultKind::ApiThrottle))
            .filter(|f| f.active_at(now))
            .map(|f| (f.spec.kind, f.spec.rate.unwrap_or(1.0)))
            .collect();
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        for (kind, rate) in candidates {
            if rng.unit() < rate {
                return Some(match kind {
                    FaultKind::ApiThrottle => ApiError::too_many_requests(1),
                    _ => ApiError::internal("simulated failure: etcdserver: request timed out"),
                });
            }
        }
        None
    }

    /// The container fault that applies to a pod now, if any.
    pub fn container_fault(
        &self,
        now: f64,
        namespace: &str,
        label: &dyn Fn(&str) -> Option<String>,
    ) -> Option<FaultKind> {
        self.state()
            .faults
            .iter()
            .filter(|f| {
                matches!(
                    f.spec.kind,
                    FaultKind::CrashLoop | FaultKind::OomKill | FaultKind::ImagePull
                )
            })
            .find(|f| f.active_at(now) && f.matches_pod(namespace, label))
            .map(|f| f.spec.kind)
    }

    /// A pod was deleted (to be replaced, or for good): the active faults that match it
    /// and that a restart heals end now, for every pod they matched. Returns their ids.
    pub fn pod_replaced(
        &self,
        now: f64,
        namespace: &str,
        label: &dyn Fn(&str) -> Option<String>,
    ) -> Vec<u64> {
        let healed: Vec<u64> = self
            .state()
            .faults
            .iter()
            .filter(|f| f.spec.heals_on_restart && f.active_at(now))
            .filter(|f| f.matches_pod(namespace, label))
            .map(|f| f.id)
            .collect();
        for id in &healed {
            self.end(*id, now);
        }
        healed
    }

    /// Whether `node` is down (a `node_not_ready` fault is active for it).
    pub fn node_down(&self, now: f64, node: &str) -> bool {
        self.state().faults.iter().any(|f| {
            f.spec.kind == FaultKind::NodeNotReady
                && f.spec.node.as_deref() == Some(node)
                && f.active_at(now)
        })
    }

    /// The time windows in which pods of `app` in `namespace` were failing (crash loops
    /// and OOM kills of a selector naming `app=<app>`), for the logs of the apps that
    /// depend on it.
    pub fn outages(&self, namespace: &str, app: &str) -> Vec<(f64, Option<f64>)> {
        self.state()
            .faults
            .iter()
            .filter(|f| matches!(f.spec.kind, FaultKind::CrashLoop | FaultKind::OomKill))
            .filter(|f| f.spec.namespace.as_deref().is_none_or(|ns| ns == namespace))
            .filter(|f| f.selector.requires("app", app))
            .map(|f| (f.start, f.end))
            .collect()
    }

    /// Faults whose start, end or repetition falls in `(from, to]`, for the controllers.
    pub fn edges(&self, from: f64, to: f64) -> Vec<FaultEdge> {
        let mut edges = Vec::new();
        for f in &self.state().faults {
            if f.start > from && f.start <= to && !f.started {
                edges.push(FaultEdge::Start(f.clone()));
            } else if let Some(every) = f.spec.every.filter(|e| *e > 0.0)
                && f.active_at(to)
                && ((to - f.start) / every).floor() > ((from - f.start) / every).floor()
                && from >= f.start
            {
                edges.push(FaultEdge::Repeat(f.clone()));
            }
            if let Some(end) = f.end
                && end > from
                && end <= to
            {
                edges.push(FaultEdge::End(f.clone()));
            }
        }
        edges
    }
}

/// A moment a controller acts on.
#[derive(Debug, Clone)]
pub enum FaultEdge {
    Start(ActiveFault),
    Repeat(ActiveFault),
    End(ActiveFault),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: FaultKind) -> FaultSpec {
        FaultSpec {
            kind,
            at: None,
            duration: None,
            namespace: None,
            selector: None,
            node: None,
            latency_ms: None,
            rate: None,
            every: None,
            heals_on_restart: false,
        }
    }

    fn app(name: &'static str) -> impl Fn(&str) -> Option<String> {
        move |k: &str| (k == "app").then(|| name.to_string())
    }

    fn crash_loop(selector: &str, heals_on_restart: bool) -> FaultSpec {
        let mut s = spec(FaultKind::CrashLoop);
        s.selector = Some(selector.into());
        s.heals_on_restart = heals_on_restart;
        s
    }

    #[test]
    fn a_restart_ends_only_faults_that_heal_on_restart() {
        let faults = Faults::default();
        let healing = faults
            .add(crash_loop("app=postgres", true), 0.0)
            .expect("add");
        faults.add(crash_loop("app=api", false), 0.0).expect("add");

        // The api's pod is replaced: its fault is not one a restart heals.
        assert!(faults.pod_replaced(5.0, "shop", &app("api")).is_empty());
        assert_eq!(
            faults.container_fault(6.0, "shop", &app("api")),
            Some(FaultKind::CrashLoop)
        );

        // The database's pod is replaced: its fault ends then, and stays listed.
        assert_eq!(
            faults.pod_replaced(5.0, "shop", &app("postgres")),
            [healing.id]
        );
        assert_eq!(faults.container_fault(6.0, "shop", &app("postgres")), None);
        assert_eq!(faults.outages("shop", "postgres"), [(0.0, Some(5.0))]);
        // A later replacement changes nothing.
        assert!(
            faults
                .pod_replaced(9.0, "shop", &app("postgres"))
                .is_empty()
        );
    }

    #[test]
    fn a_restart_before_the_fault_starts_does_not_cancel_it() {
        let faults = Faults::default();
        let mut s = crash_loop("app=postgres", true);
        s.at = Some(60.0);
        s.namespace = Some("shop".into());
        faults.add(s, 0.0).expect("add");
        let postgres = app("postgres");
        assert!(faults.pod_replaced(30.0, "shop", &postgres).is_empty());
        // Nor does a pod of the same name in another namespace.
        assert!(faults.pod_replaced(90.0, "staging", &postgres).is_empty());
        assert_eq!(
            faults.container_fault(90.0, "shop", &postgres),
            Some(FaultKind::CrashLoop)
        );
    }

    #[test]
    fn only_container_crashes_heal_on_restart() {
        let faults = Faults::default();
        let mut s = spec(FaultKind::ImagePull);
        s.heals_on_restart = true;
        assert!(faults.add(s, 0.0).is_err());
        let mut s = spec(FaultKind::OomKill);
        s.heals_on_restart = true;
        assert!(faults.add(s, 0.0).is_ok());
    }

    #[test]
    fn latency_applies_while_active() {
        let faults = Faults::default();
        let mut s = spec(FaultKind::ApiLatency);
        s.latency_ms = Some(250);
        s.duration = Some(10.0);
        faults.add(s, 5.0).expect("add");
        assert_eq!(faults.latency(6.0), Some(Duration::from_millis(250)));
        assert_eq!(faults.latency(16.0), None);
    }

    #[test]
    fn container_faults_match_by_selector() {
        let faults = Faults::default();
        let mut s = spec(FaultKind::CrashLoop);
        s.selector = Some("app=postgres".into());
        faults.add(s, 0.0).expect("add");
        let postgres = |k: &str| (k == "app").then(|| "postgres".to_string());
        let api = |k: &str| (k == "app").then(|| "api".to_string());
        assert_eq!(
            faults.container_fault(1.0, "shop", &postgres),
            Some(FaultKind::CrashLoop)
        );
        assert_eq!(faults.container_fault(1.0, "shop", &api), None);
        assert_eq!(faults.outages("shop", "postgres").len(), 1);
    }

    #[test]
    fn repeating_faults_fire_each_period() {
        let faults = Faults::default();
        let mut s = spec(FaultKind::DropWatches);
        s.every = Some(10.0);
        faults.add(s, 0.0).expect("add");
        assert!(matches!(faults.edges(-1.0, 0.0)[..], [FaultEdge::Start(_)]));
        assert!(faults.edges(1.0, 9.0).is_empty());
        assert!(matches!(
            faults.edges(9.0, 11.0)[..],
            [FaultEdge::Repeat(_)]
        ));
    }
}
