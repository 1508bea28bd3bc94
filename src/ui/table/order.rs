//! The cached order behind a table's rows, and how [`refresh`](super::refresh) keeps it
//! current without sorting 50k rows every time something changes.
//!
//! Two orders are kept: `sorted`, every item in scope in sort order, and `filtered`, those of
//! them the filter matches. After a data change, the items the spec reports as changed are
//! taken out and put back where they now belong (binary search), which costs a few
//! comparisons per changed item instead of one or more per row: a comparison reads strings
//! scattered over the heap, a few hundred nanoseconds each. A filter keystroke picks the
//! matches out of the cached sorted order (out of the previous matches when the text only
//! grew) and never sorts.

use std::cmp::Ordering;

use super::filter::{FuzzyFilter, Haystacks, narrows};
use super::{ItemChanges, TableSpec};
use crate::store::Fleet;
use crate::ui::state::{ScopeFilter, SortSpec};

/// Re-place changed items one by one only while they are fewer than this share of the rows
/// (plus a few): each costs about log2(rows) comparisons, while rebuilding from the previous
/// order costs about one per row.
const INCREMENTAL_SHARE: usize = 16;

/// A table's cached orders and filter haystacks. Lives in its `TableState`.
#[derive(Debug, Clone, Default)]
pub struct OrderCache {
    /// What `sorted` was built for: the data revision, the sort and the scope.
    sorted_for: Option<(u64, SortSpec, ScopeFilter)>,
    /// Every item in scope, in sort order.
    sorted: Vec<u32>,
    /// The filter `filtered` holds the matches of, picked from `sorted`; `None`: stale.
    /// With the empty filter every row matches, and `filtered` is left empty, not a copy.
    filtered_for: Option<String>,
    filtered: Vec<u32>,
    haystacks: Haystacks,
}

/// What an update did to `sorted`, for bringing `filtered` along.
enum SortedChange {
    Unchanged,
    Rebuilt,
    /// The rows of `gone` items were taken out and `inserted` (in sort order) put back in.
    Moved {
        gone: Gone,
        inserted: Vec<u32>,
    },
}

/// The items whose rows are out of date: changed positions, and positions past the end.
struct Gone {
    changed: Vec<bool>,
    len: u32,
}

impl Gone {
    fn new(changes: &ItemChanges) -> Gone {
        let size = changes.changed.iter().max().map_or(0, |&m| m as usize + 1);
        let mut changed = vec![false; size];
        for &item in &changes.changed {
            changed[item as usize] = true;
        }
        Gone {
            changed,
            len: changes.len,
        }
    }

    fn contains(&self, item: u32) -> bool {
        item >= self.len || self.changed.get(item as usize).copied().unwrap_or(false)
    }
}

/// How rows are ordered: by group (compose project) first, then by the sort column.
struct RowOrder<'a> {
    spec: &'a dyn TableSpec,
    fleet: &'a Fleet,
    grouped: bool,
    column: usize,
    descending: bool,
}

impl RowOrder<'_> {
    fn cmp(&self, a: u32, b: u32) -> Ordering {
        let (spec, fleet) = (self.spec, self.fleet);
        let group = if self.grouped {
            match (spec.group(fleet, a), spec.group(fleet, b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        } else {
            Ordering::Equal
        };
        let by_column = spec.compare(fleet, a, b, self.column);
        group.then(if self.descending {
            by_column.reverse()
        } else {
            by_column
        })
    }
}

impl OrderCache {
    /// The rows to show, in order, as of the last [`OrderCache::update`].
    pub fn rows(&self) -> &[u32] {
        if self.filtered_for.as_deref() == Some("") {
            &self.sorted
        } else {
            &self.filtered
        }
    }

    /// Whether [`OrderCache::warm_haystacks`] has work left: the order is current (drawn
    /// since the data last changed) and some of its rows have no haystack yet.
    pub fn haystacks_cold(&self, spec: &dyn TableSpec, fleet: &Fleet) -> bool {
        let revision = spec.revision(fleet);
        let current = matches!(&self.sorted_for, Some((built, ..)) if *built == revision);
        current
            && (!self.haystacks.synced_at(revision)
                || (self.haystacks.cached() && self.haystacks.warmed < self.sorted.len()))
    }

    /// Build the haystacks of up to `budget` more rows, in row order.
    ///
    /// Run while the filter prompt is open and nothing else is waiting: the first keystroke
    /// would otherwise build the haystacks of every row (50,000 pods: several milliseconds)
    /// before it could answer. After the first full pass only changed items are cold, and
    /// a keystroke builds those few itself.
    pub fn warm_haystacks(&mut self, spec: &dyn TableSpec, fleet: &Fleet, budget: usize) {
        if !self.haystacks_cold(spec, fleet) {
            return;
        }
        self.haystacks.sync(spec, fleet, spec.revision(fleet));
        if !self.haystacks.cached() {
            return;
        }
        // Rows may have moved between slices; a row skipped is built by the keystroke.
        let from = self.haystacks.warmed.min(self.sorted.len());
        let to = (from + budget).min(self.sorted.len());
        for &item in &self.sorted[from..to] {
            self.haystacks.get(spec, fleet, item);
        }
        self.haystacks.warmed = to;
    }

    /// Forget what the orders were built for, so the next update rebuilds them. The
    /// haystacks stay: they follow the data, not the order.
    pub fn forget(&mut self) {
        self.sorted_for = None;
        self.filtered_for = None;
    }

    /// Bring the orders up to date with the data, the scope, the sort and the filter.
    pub fn update(
        &mut self,
        spec: &dyn TableSpec,
        fleet: &Fleet,
        scope: &ScopeFilter,
        sort: SortSpec,
        filter: &str,
    ) {
        let revision = spec.revision(fleet);
        let order = RowOrder {
            spec,
            fleet,
            grouped: spec.grouped(),
            column: sort.column.min(spec.columns().len().saturating_sub(1)),
            descending: sort.descending,
        };
        let change = self.update_sorted(&order, scope, sort, revision);
        if !filter.is_empty() || self.filtered_for.as_deref().is_some_and(|f| !f.is_empty()) {
            self.haystacks.sync(spec, fleet, revision);
        }
        self.update_filtered(&order, change, filter);
    }

    fn update_sorted(
        &mut self,
        order: &RowOrder<'_>,
        scope: &ScopeFilter,
        sort: SortSpec,
        revision: u64,
    ) -> SortedChange {
        let (spec, fleet) = (order.spec, order.fleet);
        if let Some((built, built_sort, built_scope)) = &self.sorted_for
            && *built_sort == sort
            && built_scope == scope
        {
            if *built == revision {
                return SortedChange::Unchanged;
            }
            if let Some(changes) = spec.changes_since(fleet, *built)
                && changes.changed.len() <= self.sorted.len() / INCREMENTAL_SHARE + 16
            {
                let gone = Gone::new(&changes);
                let mut inserted: Vec<u32> = changes
                    .changed
                    .iter()
                    .copied()
                    .filter(|&item| item < changes.len && spec.in_scope(fleet, item, scope))
                    .collect();
                inserted.sort_by(|&a, &b| order.cmp(a, b));
                reposition(&mut self.sorted, &gone, &inserted, order);
                self.sorted_for = Some((revision, sort, scope.clone()));
                return SortedChange::Moved { gone, inserted };
            }
        }
        // Usually little moved since the last order: start from it, and the stable sort
        // finds its long sorted runs and merges them in about n comparisons, not n log n.
        let mut items = in_previous_order(spec.items(fleet, scope), &self.sorted);
        items.sort_by(|&a, &b| order.cmp(a, b));
        self.sorted = items;
        self.sorted_for = Some((revision, sort, scope.clone()));
        SortedChange::Rebuilt
    }

    fn update_filtered(&mut self, order: &RowOrder<'_>, change: SortedChange, filter: &str) {
        let (spec, fleet) = (order.spec, order.fleet);
        // First bring the previous filter's matches in line with `sorted`...
        match change {
            SortedChange::Unchanged => {}
            SortedChange::Rebuilt => self.filtered_for = None,
            SortedChange::Moved { gone, mut inserted } => {
                if let Some(previous) = self.filtered_for.as_deref().filter(|f| !f.is_empty()) {
                    let mut fuzzy = FuzzyFilter::new(previous);
                    let haystacks = &mut self.haystacks;
                    inserted.retain(|&item| fuzzy.matches(haystacks.get(spec, fleet, item)));
                    reposition(&mut self.filtered, &gone, &inserted, order);
                }
            }
        }
        // ...then move to the new filter.
        if self.filtered_for.as_deref() == Some(filter) {
            return;
        }
        if filter.is_empty() {
            self.filtered.clear();
        } else {
            // Narrowing the empty filter is picking from `sorted` as well.
            let narrowing = self
                .filtered_for
                .as_deref()
                .is_some_and(|previous| !previous.is_empty() && narrows(previous, filter));
            let candidates = if narrowing {
                &self.filtered
            } else {
                &self.sorted
            };
            let mut fuzzy = FuzzyFilter::new(filter);
            let haystacks = &mut self.haystacks;
            self.filtered = candidates
                .iter()
                .copied()
                .filter(|&item| fuzzy.matches(haystacks.get(spec, fleet, item)))
                .collect();
        }
        self.filtered_for = Some(filter.to_string());
    }
}

/// Take the rows of `gone` items out of `rows` (sorted by `order`) and put `inserted`
/// (sorted by `order` too) where they belong: one binary search each, then one pass.
fn reposition(rows: &mut Vec<u32>, gone: &Gone, inserted: &[u32], order: &RowOrder<'_>) {
    rows.retain(|&item| !gone.contains(item));
    if inserted.is_empty() {
        return;
    }
    let mut merged = Vec::with_capacity(rows.len() + inserted.len());
    let mut from = 0;
    for &item in inserted {
        // Sorted inserts land at non-decreasing places, so each search starts past the last.
        let at = from + rows[from..].partition_point(|&row| order.cmp(row, item).is_lt());
        merged.extend_from_slice(&rows[from..at]);
        merged.push(item);
        from = at;
    }
    merged.extend_from_slice(&rows[from..]);
    *rows = merged;
}

/// `items`, those in `previous` first and in its order, then the others in theirs.
fn in_previous_order(items: Vec<u32>, previous: &[u32]) -> Vec<u32> {
    let Some(&last) = items.iter().max() else {
        return items;
    };
    // Items are positions, mostly dense; the nodes view tags hosts with a high bit, and a
    // flag per possible item would then be gigabytes. Such views are small: just sort.
    if last as usize > 4 * items.len() + 1024 {
        return items;
    }
    let mut unplaced = vec![false; last as usize + 1];
    for &item in &items {
        unplaced[item as usize] = true;
    }
    let mut ordered = Vec::with_capacity(items.len());
    for &item in previous {
        if unplaced.get(item as usize).is_some_and(|&u| u) {
            unplaced[item as usize] = false;
            ordered.push(item);
        }
    }
    ordered.extend(items.into_iter().filter(|&item| unplaced[item as usize]));
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContainerState, KubeId, KubeKind, Pod, PodContainer, PodPhase};
    use crate::store::SourceEvent;
    use crate::ui::state::TableState;
    use crate::ui::table::{RowRef, refresh};
    use crate::ui::views::pods::PodsTable;

    /// xorshift64: deterministic, so a failure replays.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// A pod from a small name space, so upserts often replace one already there.
    fn random_pod(rng: &mut Rng) -> Pod {
        let waiting = ["CrashLoopBackOff", "ImagePullBackOff", "ContainerCreating"];
        let state = match rng.below(4) {
            0 => ContainerState::Waiting {
                reason: rng.pick(&waiting).into(),
            },
            _ => ContainerState::Running { since: None },
        };
        Pod {
            id: KubeId::new(
                rng.pick(&["prod", "staging", "dev"]),
                rng.pick(&["shop", "payments", "ops"]),
                KubeKind::Pod,
                format!("{}-{}", rng.pick(&["api", "web", "db"]), rng.below(40)),
            ),
            created: None,
            labels: Default::default(),
            phase: if rng.below(10) == 0 {
                PodPhase::Pending
            } else {
                PodPhase::Running
            },
            node: (rng.below(4) > 0).then(|| format!("node-{}", rng.below(5))),
            ip: None,
            owner: None,
            containers: vec![PodContainer {
                name: "main".into(),
                image: "app:1".into(),
                ready: rng.below(3) > 0,
                restarts: rng.below(4) as u32,
                state,
                last_termination: None,
            }],
            deleting: rng.below(30) == 0,
            cpu_millis: (rng.below(5) > 0).then(|| rng.below(8) as u64 * 100),
            memory_bytes: None,
        }
    }

    /// Filters typed, extended, shortened and replaced, the way a user does.
    const FILTERS: &[&str] = &[
        "", "a", "ap", "api", "api-", "api-1", "api 1", "web", "w", "crash", "PROD", "prod s",
        "zzz", "db\\", "db\\ ",
    ];

    fn fresh_rows(fleet: &Fleet, scope: &ScopeFilter, like: &TableState) -> Vec<RowRef> {
        let mut state = TableState {
            sort: like.sort,
            filter: like.filter.clone(),
            ..TableState::default()
        };
        refresh(&PodsTable, fleet, scope, &mut state);
        state.rows
    }

    #[test]
    fn incremental_order_equals_a_full_rebuild_after_random_changes() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut fleet = Fleet::new();
        for _ in 0..150 {
            fleet.apply(SourceEvent::UpsertPod(random_pod(&mut rng)));
        }
        let mut scope = ScopeFilter::default();
        let mut state = TableState::default();
        refresh(&PodsTable, &fleet, &scope, &mut state);
        let mut incremental = 0;
        for step in 0..3000 {
            match rng.below(100) {
                0..=39 => fleet.apply(SourceEvent::UpsertPod(random_pod(&mut rng))),
                40..=59 => {
                    if let Some(p) = fleet.pods.get_index(rng.below(fleet.pods.len().max(1))) {
                        let mut p = p.clone();
                        p.containers[0].restarts += 1;
                        p.cpu_millis = Some(rng.below(8) as u64 * 100);
                        fleet.apply(SourceEvent::UpsertPod(p));
                    }
                }
                60..=79 => {
                    if let Some(p) = fleet.pods.get_index(rng.below(fleet.pods.len().max(1))) {
                        fleet.apply(SourceEvent::DeletePod(p.id.clone()));
                    }
                }
                80..=89 => state.filter = rng.pick(FILTERS).to_string(),
                90..=92 => {
                    // A burst: too many changes to re-place one by one.
                    for _ in 0..60 {
                        fleet.apply(SourceEvent::UpsertPod(random_pod(&mut rng)));
                    }
                }
                93..=94 => {
                    scope = ScopeFilter {
                        namespace: [None, Some("shop".to_string())][rng.below(2)].clone(),
                        context: [None, Some("prod".to_string())][rng.below(2)].clone(),
                    }
                }
                95..=96 => {
                    state.sort = SortSpec {
                        column: rng.below(PodsTable.columns().len()),
                        descending: rng.below(2) == 0,
                    }
                }
                _ => state.selected = rng.below(state.rows.len().max(1)),
            }
            // Refresh after one to a few changes, as frames do.
            if rng.below(3) > 0 {
                continue;
            }
            let selected = state
                .selected_item()
                .and_then(|i| fleet.pods.get_index(i as usize))
                .map(|p| p.id.clone());
            let before = state.cache.sorted_for.clone();
            refresh(&PodsTable, &fleet, &scope, &mut state);
            if let (Some(before), Some(after)) = (before, &state.cache.sorted_for)
                && before.0 != after.0
                && before.1 == after.1
                && before.2 == after.2
                && state.cache.sorted.len() >= 16
            {
                incremental += 1;
            }
            assert_eq!(
                state.rows,
                fresh_rows(&fleet, &scope, &state),
                "step {step}, filter {:?}, sort {:?}, scope {scope:?}",
                state.filter,
                state.sort
            );
            // The selection stays on its pod wherever that pod went, if it is still shown.
            let shown = selected.filter(|id| {
                state.rows.iter().any(|r| {
                    r.item()
                        .and_then(|i| fleet.pods.get_index(i as usize))
                        .is_some_and(|p| p.id == *id)
                })
            });
            if let Some(id) = shown {
                let now = state
                    .selected_item()
                    .and_then(|i| fleet.pods.get_index(i as usize))
                    .map(|p| &p.id);
                assert_eq!(
                    now,
                    Some(&id),
                    "step {step}: the selection moved off its pod"
                );
            }
        }
        assert!(incremental > 100, "only {incremental} data refreshes");
    }

    #[test]
    fn one_changed_pod_is_re_placed_not_re_sorted() {
        let mut rng = Rng(7);
        let mut fleet = Fleet::new();
        for _ in 0..200 {
            fleet.apply(SourceEvent::UpsertPod(random_pod(&mut rng)));
        }
        let scope = ScopeFilter::default();
        let mut cache = OrderCache::default();
        let sort = SortSpec {
            column: 5,
            descending: false,
        };
        cache.update(&PodsTable, &fleet, &scope, sort, "api");
        let mut pod = fleet.pods.get_index(3).expect("a pod").clone();
        pod.containers[0].restarts += 100;
        fleet.apply(SourceEvent::UpsertPod(pod));
        let order = RowOrder {
            spec: &PodsTable,
            fleet: &fleet,
            grouped: false,
            column: 5,
            descending: false,
        };
        let change = cache.update_sorted(&order, &scope, sort, fleet.pods.revision());
        assert!(matches!(
            change,
            SortedChange::Moved { ref inserted, .. } if inserted == &[3]
        ));
    }

    #[test]
    fn warm_up_builds_every_rows_haystack_in_slices_then_only_what_changed() {
        let mut rng = Rng(11);
        let mut fleet = Fleet::new();
        for _ in 0..200 {
            fleet.apply(SourceEvent::UpsertPod(random_pod(&mut rng)));
        }
        let scope = ScopeFilter::default();
        let sort = SortSpec::default();
        let mut cache = OrderCache::default();
        cache.update(&PodsTable, &fleet, &scope, sort, "");
        let rows = cache.rows().to_vec();
        assert!(rows.len() > 20);
        let mut slices = 0;
        while cache.haystacks_cold(&PodsTable, &fleet) {
            cache.warm_haystacks(&PodsTable, &fleet, 10);
            slices += 1;
            assert!(slices <= rows.len(), "the warm-up never finishes");
        }
        assert_eq!(slices, rows.len().div_ceil(10));
        assert!(rows.iter().all(|&item| cache.haystacks.built(item)));

        // A change: nothing to do until the order is current again (the next frame),
        // then one slice syncs; the changed row stays for the next keystroke to build.
        let mut pod = fleet.pods.get_index(3).expect("a pod").clone();
        pod.containers[0].restarts += 1;
        fleet.apply(SourceEvent::UpsertPod(pod));
        assert!(!cache.haystacks_cold(&PodsTable, &fleet));
        cache.update(&PodsTable, &fleet, &scope, sort, "");
        assert!(cache.haystacks_cold(&PodsTable, &fleet));
        cache.warm_haystacks(&PodsTable, &fleet, 10);
        assert!(!cache.haystacks_cold(&PodsTable, &fleet));
        assert!(!cache.haystacks.built(3));
        assert!(
            rows.iter()
                .filter(|&&i| i != 3)
                .all(|&i| cache.haystacks.built(i))
        );

        // Warm or cold, a filter picks the same rows.
        cache.update(&PodsTable, &fleet, &scope, sort, "api 1");
        let mut cold = OrderCache::default();
        cold.update(&PodsTable, &fleet, &scope, sort, "api 1");
        assert_eq!(cache.rows(), cold.rows());
    }

    #[test]
    fn previous_order_comes_first_then_new_items_in_their_order() {
        // 9 is gone, 7 and 1 are new.
        assert_eq!(
            in_previous_order(vec![0, 1, 2, 4, 7], &[4, 2, 9, 0]),
            vec![4, 2, 0, 1, 7]
        );
        assert_eq!(in_previous_order(vec![], &[4, 2]), Vec::<u32>::new());
        assert_eq!(in_previous_order(vec![3, 1], &[]), vec![3, 1]);
        // Sparse items (hosts in the nodes view) are left as they are.
        assert_eq!(
            in_previous_order(vec![1 << 31, 0], &[0, 1 << 31]),
            vec![1 << 31, 0]
        );
    }
}
