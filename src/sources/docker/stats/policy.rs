//! Which containers' stats stream, and which get a one-shot sample next.
//!
//! Every stats sample costs the engine the same work, streamed or one-shot: dockerd asks
//! containerd, which asks the container's shim to read its cgroups. Measured on Debian's
//! dockerd 20.10 (`cargo bench --bench docker`), a sample a second costs the engine about
//! half a percentage point of CPU, which is how consoles that stream stats for every
//! container (or every container on screen) cost it 10 to 20 points (moby issues 21837 and
//! 39664). So the policy is a budget of a few samples a second per host, spent where the
//! user looks:
//!
//! 1. the selected container streams (a sample a second, for its sparkline), and more
//!    on-screen ones if `max_streams` (config `[docker] stats_streams`) allows;
//! 2. containers on screen get one-shot samples in turn, one per tick, each at most every
//!    `visible_refresh`;
//! 3. a running container that has never been sampled gets one soon (a few per tick), so
//!    a fresh console fills its columns within seconds;
//! 4. everything else shares one sample every `sparse_every` (config `[docker]
//!    sample_every`), stalest first, each at most every `resample_after`.
//!
//! The engine answers concurrent one-shot requests together (its collector reads every
//! waiting container in one pass, about once a second), so several may be in flight.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

/// The knobs of the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsPolicy {
    /// Containers of a host whose stats stream at once: the selected one, and up to
    /// `max_streams - 1` on-screen ones. 1 by default, the selected one: on-screen
    /// containers are sampled in turn instead (see the module documentation for why). 0
    /// streams none; the selected container is then sampled like an on-screen one.
    pub max_streams: usize,
    /// How often the schedule may start samples.
    pub tick: Duration,
    /// An on-screen container is sampled again no sooner than this.
    pub visible_refresh: Duration,
    /// Never-sampled containers sampled per tick.
    pub first_fill_per_tick: usize,
    /// The gap between two samples of off-screen containers.
    pub sparse_every: Duration,
    /// An off-screen container is sampled again no sooner than this.
    pub resample_after: Duration,
    /// One-shot requests in flight at once.
    pub max_in_flight: usize,
}

impl Default for StatsPolicy {
    fn default() -> StatsPolicy {
        StatsPolicy {
            max_streams: 1,
            tick: Duration::from_millis(500),
            visible_refresh: Duration::from_secs(5),
            first_fill_per_tick: 4,
            sparse_every: Duration::from_secs(4),
            resample_after: Duration::from_secs(60),
            max_in_flight: 8,
        }
    }
}

impl StatsPolicy {
    /// The containers that should stream, at most `max_streams`: the selected ones, then
    /// on-screen ones in the slots left after one for the selection (those already
    /// streaming first, so the set does not churn); only running containers.
    pub fn streams(
        &self,
        selected: &BTreeSet<String>,
        visible: &BTreeSet<String>,
        running: impl Fn(&str) -> bool,
        streaming: &BTreeSet<String>,
    ) -> BTreeSet<String> {
        let chosen = |id: &&String| running(id);
        let (selected_kept, selected_new): (Vec<&String>, Vec<&String>) = selected
            .iter()
            .filter(chosen)
            .partition(|id| streaming.contains(*id));
        let (visible_kept, visible_new): (Vec<&String>, Vec<&String>) = visible
            .iter()
            .filter(|id| running(id) && !selected.contains(*id))
            .partition(|id| streaming.contains(*id));
        let mut target: BTreeSet<String> = selected_kept
            .into_iter()
            .chain(selected_new)
            .take(self.max_streams)
            .cloned()
            .collect();
        // One slot is the selection's even when nothing selected runs, so that `1` never
        // streams an on-screen container.
        let visible_slots = self.max_streams.saturating_sub(target.len().max(1));
        target.extend(
            visible_kept
                .into_iter()
                .chain(visible_new)
                .take(visible_slots)
                .cloned(),
        );
        target
    }
}

/// When each container was last sampled, and which samples are in flight.
#[derive(Debug, Clone, Default)]
pub struct SampleSchedule {
    sampled_at: HashMap<String, Instant>,
    in_flight: HashSet<String>,
    last_sparse: Option<Instant>,
}

impl SampleSchedule {
    /// The containers to sample now, each marked as sampled and in flight. `running` are
    /// the running containers, `visible` those on screen; streaming ones are skipped.
    pub fn due(
        &mut self,
        policy: &StatsPolicy,
        running: &[&str],
        visible: &BTreeSet<String>,
        streaming: &BTreeSet<String>,
        now: Instant,
    ) -> Vec<String> {
        let mut picks: Vec<String> = Vec::new();
        let candidates: Vec<&str> = running
            .iter()
            .copied()
            .filter(|id| !streaming.contains(*id) && !self.in_flight.contains(*id))
            .collect();
        let age = |id: &str| {
            self.sampled_at
                .get(id)
                .map(|at| now.saturating_duration_since(*at))
        };
        // 1. On screen: the one waiting longest, if it is due.
        let stalest_visible = candidates
            .iter()
            .filter(|id| visible.contains(**id))
            .map(|id| (*id, age(id)))
            .filter(|(_, age)| age.is_none_or(|a| a >= policy.visible_refresh))
            .min_by_key(|(_, age)| Reverse(age.unwrap_or(Duration::MAX)));
        if let Some((id, _)) = stalest_visible {
            picks.push(id.to_string());
        }
        // 2. Never sampled.
        let unsampled: Vec<String> = candidates
            .iter()
            .filter(|id| age(id).is_none() && !picks.iter().any(|p| p == **id))
            .take(policy.first_fill_per_tick)
            .map(|id| id.to_string())
            .collect();
        picks.extend(unsampled);
        // 3. Off screen, at the sparse pace.
        let sparse_due = self
            .last_sparse
            .is_none_or(|at| now.saturating_duration_since(at) >= policy.sparse_every);
        if sparse_due
            && let Some((id, _)) = candidates
                .iter()
                .filter(|id| !visible.contains(**id))
                .filter_map(|id| Some((*id, age(id)?)))
                .filter(|(_, age)| *age >= policy.resample_after)
                .min_by_key(|(_, age)| Reverse(*age))
        {
            picks.push(id.to_string());
            self.last_sparse = Some(now);
        }
        let room = policy.max_in_flight.saturating_sub(self.in_flight.len());
        picks.truncate(room);
        for id in &picks {
            self.sampled_at.insert(id.clone(), now);
            self.in_flight.insert(id.clone());
        }
        picks
    }

    /// A sample finished (with or without a reading).
    pub fn done(&mut self, id: &str) {
        self.in_flight.remove(id);
    }

    /// Forget a removed container.
    pub fn forget(&mut self, id: &str) {
        self.sampled_at.remove(id);
        self.in_flight.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_selected_container_streams_and_on_screen_ones_only_if_asked() {
        let running = |id: &str| id != "stopped";
        let policy = StatsPolicy::default();
        let visible = set(&["a", "b", "c"]);
        assert_eq!(
            policy.streams(&set(&["sel"]), &visible, running, &set(&[])),
            set(&["sel"])
        );
        assert_eq!(
            policy.streams(&set(&["stopped"]), &visible, running, &set(&[])),
            set(&[])
        );
        let none = StatsPolicy {
            max_streams: 0,
            ..policy
        };
        assert_eq!(
            none.streams(&set(&["sel"]), &visible, running, &set(&[])),
            set(&[])
        );
        let policy = StatsPolicy {
            max_streams: 3,
            ..policy
        };
        // "c" already streams: it keeps its place rather than being swapped out.
        assert_eq!(
            policy.streams(&set(&["sel"]), &visible, running, &set(&["c"])),
            set(&["sel", "a", "c"])
        );
    }

    #[test]
    fn on_screen_first_then_unsampled_then_the_stalest_off_screen_at_the_sparse_pace() {
        let policy = StatsPolicy {
            first_fill_per_tick: 2,
            ..StatsPolicy::default()
        };
        let mut schedule = SampleSchedule::default();
        let start = Instant::now();
        let running = ["v1", "v2", "o1", "o2", "o3", "streamed"];
        let visible = set(&["v1", "v2"]);
        let streaming = set(&["streamed"]);
        // First tick: one on-screen container, then two never-sampled ones.
        let picks = schedule.due(&policy, &running, &visible, &streaming, start);
        assert_eq!(picks, ["v1", "v2", "o1"]);
        // In flight until done: not picked again.
        let t1 = start + policy.tick;
        assert_eq!(
            schedule.due(&policy, &running, &visible, &streaming, t1),
            ["o2", "o3"]
        );
        for id in running {
            schedule.done(id);
        }
        // Everything has a sample now; nothing on screen is due within visible_refresh.
        let t2 = t1 + policy.tick;
        assert!(
            schedule
                .due(&policy, &running, &visible, &streaming, t2)
                .is_empty()
        );
        // On screen comes round again after visible_refresh, one per tick, stalest first.
        let t3 = start + policy.visible_refresh;
        assert_eq!(
            schedule.due(&policy, &running, &visible, &streaming, t3),
            ["v1"]
        );
        schedule.done("v1");
        // Off screen waits for resample_after, then one per sparse_every.
        let t4 = start + policy.resample_after + Duration::from_secs(1);
        let picks = schedule.due(&policy, &running, &visible, &streaming, t4);
        assert_eq!(picks, ["v2", "o1"]);
        schedule.done("v2");
        schedule.done("o1");
        let t5 = t4 + policy.tick;
        assert!(
            !schedule
                .due(&policy, &running, &visible, &streaming, t5)
                .iter()
                .any(|id| id.starts_with('o')),
            "one off-screen sample per sparse_every"
        );
        let t6 = t4 + policy.sparse_every;
        assert_eq!(
            schedule.due(&policy, &running, &visible, &streaming, t6),
            ["o2"]
        );
    }

    #[test]
    fn in_flight_samples_are_capped() {
        let policy = StatsPolicy {
            first_fill_per_tick: 10,
            max_in_flight: 3,
            ..StatsPolicy::default()
        };
        let mut schedule = SampleSchedule::default();
        let running: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
        let running: Vec<&str> = running.iter().map(String::as_str).collect();
        let now = Instant::now();
        assert_eq!(
            schedule
                .due(&policy, &running, &set(&[]), &set(&[]), now)
                .len(),
            3
        );
        assert!(
            schedule
                .due(&policy, &running, &set(&[]), &set(&[]), now)
                .is_empty()
        );
        schedule.done("c0");
        assert_eq!(
            schedule.due(&policy, &running, &set(&[]), &set(&[]), now),
            ["c3"]
        );
    }
}
