//! The list views, each a [`TableSpec`](crate::ui::table::TableSpec), and the overview.

pub mod alerts;
pub mod backups;
pub mod containers;
pub mod events;
pub mod nodes;
pub mod overview;
pub mod pods;
pub mod workloads;

use crate::model::Health;
use crate::store::Collection;
use crate::ui::state::ViewKind;
use crate::ui::table::{CellText, ItemChanges, TableSpec};

/// A status cell: the level's symbol and the reason, styled by level, readable without color.
pub fn health_cell(health: &Health) -> CellText {
    let reason = if health.reason.is_empty() {
        health.level.label()
    } else {
        health.reason.as_str()
    };
    CellText::new(
        format!("{} {reason}", health.level.symbol()),
        health.level.style_key(),
    )
}

/// What changed in `collection` since `revision`, for a view whose items are its positions
/// and whose rows depend on nothing else.
fn changes_of<K: std::hash::Hash + Eq, V>(
    collection: &Collection<K, V>,
    revision: u64,
) -> Option<ItemChanges> {
    Some(ItemChanges {
        changed: collection.changed_since(revision)?,
        len: collection.len() as u32,
    })
}

/// The table behind a view, if the view is a table.
pub fn table_spec(view: ViewKind) -> Option<&'static dyn TableSpec> {
    match view {
        ViewKind::Workloads => Some(&workloads::WorkloadsTable),
        ViewKind::Pods => Some(&pods::PodsTable),
        ViewKind::Nodes => Some(&nodes::NodesTable),
        ViewKind::Containers => Some(&containers::ContainersTable),
        ViewKind::Alerts => Some(&alerts::AlertsTable),
        ViewKind::Events => Some(&events::EventsTable),
        ViewKind::Backups => Some(&backups::BackupsTable),
        ViewKind::Overview | ViewKind::Logs | ViewKind::Incident => None,
    }
}

/// The resources a view lists, as the Kubernetes API names them.
fn resources_of(view: ViewKind) -> &'static [&'static str] {
    match view {
        ViewKind::Workloads => &[
            "deployments",
            "statefulsets",
            "daemonsets",
            "jobs",
            "cronjobs",
        ],
        ViewKind::Pods => &["pods"],
        ViewKind::Nodes => &["nodes"],
        ViewKind::Events => &["events"],
        ViewKind::Backups => &["cronjobs", "schedules"],
        _ => &[],
    }
}

/// "⊘ nodes: forbidden in sim-prod-viewer" when a context in scope refused to list what the
/// view shows: the table is missing those rows, not empty of them.
pub fn forbidden_note(
    view: ViewKind,
    fleet: &crate::store::Fleet,
    scope: &crate::ui::state::ScopeFilter,
) -> Option<String> {
    let resources = resources_of(view);
    let refused: Vec<String> = fleet
        .access
        .forbidden_reads()
        .filter(|(context, resource)| resources.contains(resource) && scope.admits_context(context))
        .map(|(context, resource)| format!("{resource} in {context}"))
        .collect();
    (!refused.is_empty()).then(|| {
        format!(
            " ⊘ forbidden: {} (the API refused to list them for you)",
            refused.join(", ")
        )
    })
}

/// What an empty table says, so "nothing here" never reads as "all is well" by accident.
pub fn empty_message(view: ViewKind, filtered: bool) -> String {
    if filtered {
        return "no rows match the filter (esc clears it)".to_string();
    }
    match view {
        ViewKind::Workloads => "no workloads in scope".to_string(),
        ViewKind::Pods => "no pods in scope".to_string(),
        ViewKind::Nodes => "no nodes or hosts reported".to_string(),
        ViewKind::Containers => "no containers reported by any Docker host".to_string(),
        ViewKind::Alerts => "no alerts reported by any source".to_string(),
        ViewKind::Events => "no events in scope".to_string(),
        ViewKind::Backups => "no backup targets: no backup CronJobs or Velero Schedules in scope, \
                              no [[backup]] in the config"
            .to_string(),
        _ => String::new(),
    }
}
