//! Alerts, grouped by name and severity, critical groups first.
//!
//! Each group gets a heading with what its alerts share
//! (`CRITICAL HighErrorRate · 3 alerts · job=api namespace=shop`); each row then shows
//! only the labels that tell it apart.
//! Alerts that arrived since the user last left this view are marked `●`, and silenced
//! ones say by whom and why.
//!
//! Which alerts were seen and what the silences say are not in the fleet: the app sets
//! them with [`set_context`] before a frame is drawn, the way `format::age` reports the
//! youngest age drawn, so the table spec stays a plain `&'static` like every other view.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use ratatui::layout::Constraint;

use super::changes_of;
use crate::model::{Alert, AlertId, AlertState, Severity};
use crate::store::Fleet;
use crate::ui::format;
use crate::ui::state::ScopeFilter;
use crate::ui::table::{CellText, Column, ItemChanges, TableSpec};

pub struct AlertsTable;

const COLUMNS: &[Column] = &[
    Column::new("SEVERITY", Constraint::Length(10)),
    Column::new("ALERT", Constraint::Length(20)),
    Column::new("STATE", Constraint::Length(9)),
    Column::wide("LABELS", Constraint::Fill(2), 100),
    Column::new("SUMMARY", Constraint::Fill(4)),
    Column::wide("SILENCED BY", Constraint::Fill(2), 140),
    Column::wide("SOURCE", Constraint::Length(16), 120),
    Column::new("AGE", Constraint::Length(4)),
];

/// Labels a row never repeats: the group heading and the first columns say them.
const NAMING_LABELS: [&str; 2] = ["alertname", "severity"];

/// What the app tells the view before a frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertsContext {
    /// Alerts present when the user last left the alerts view; `None` before the first
    /// look, when nothing is marked new.
    pub seen: Option<HashSet<AlertId>>,
    /// `who: why` of each silence, by silence id.
    pub silences: HashMap<String, String>,
}

impl AlertsContext {
    pub fn is_new(&self, id: &AlertId) -> bool {
        self.seen.as_ref().is_some_and(|seen| !seen.contains(id))
    }
}

thread_local! {
    static CONTEXT: RefCell<AlertsContext> = RefCell::new(AlertsContext::default());
    /// Group facts for one fleet at one revision: (fleet address, revision, groups).
    static GROUPS: RefCell<Option<(usize, u64, Groups)>> = const { RefCell::new(None) };
}

/// Set what the next frames show as new and as silenced by whom.
pub fn set_context(context: AlertsContext) {
    CONTEXT.with(|c| *c.borrow_mut() = context);
}

fn with_context<R>(f: impl FnOnce(&AlertsContext) -> R) -> R {
    CONTEXT.with(|c| f(&c.borrow()))
}

/// What the alerts of one name and severity have in common.
#[derive(Debug, Clone, Default)]
struct GroupInfo {
    count: usize,
    /// Labels all of them have with the same value, `alertname` and `severity` aside.
    shared: BTreeMap<String, String>,
    /// The heading, made once per change of the alerts: the table asks for it at every
    /// comparison while it sorts.
    label: String,
}

/// By severity, then alert name.
type Groups = HashMap<Severity, HashMap<String, GroupInfo>>;

fn group_of<'g>(groups: &'g Groups, a: &Alert) -> Option<&'g GroupInfo> {
    groups.get(&a.severity())?.get(a.name())
}

fn build_groups(fleet: &Fleet) -> Groups {
    let mut groups: Groups = HashMap::new();
    for a in fleet.alerts.values() {
        let info = groups
            .entry(a.severity())
            .or_default()
            .entry(a.name().to_string())
            .or_default();
        if info.count == 0 {
            info.shared = a
                .labels
                .iter()
                .filter(|(k, _)| !NAMING_LABELS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
        } else {
            info.shared.retain(|k, v| a.labels.get(k) == Some(v));
        }
        info.count += 1;
    }
    for (severity, by_name) in &mut groups {
        for (name, info) in by_name {
            info.label = heading(*severity, name, info);
        }
    }
    groups
}

/// `CRITICAL HighErrorRate · 3 alerts · job=api namespace=shop`. The table orders groups
/// by this text, so it starts with the severity written to sort critical first:
/// CRITICAL < WARNING < info < none.
fn heading(severity: Severity, name: &str, info: &GroupInfo) -> String {
    let severity = match severity {
        s @ (Severity::Critical | Severity::Warning) => s.label().to_ascii_uppercase(),
        s => s.label().to_string(),
    };
    let count = info.count;
    let alerts = if count == 1 { "alert" } else { "alerts" };
    let mut label = format!("{severity} {name} · {count} {alerts}");
    if !info.shared.is_empty() {
        label.push_str(" ·");
        for (k, v) in &info.shared {
            label.push_str(&format!(" {k}={v}"));
        }
    }
    label
}

/// Run `f` on the group facts of `fleet`, rebuilt only when its alerts changed.
fn with_groups<R>(fleet: &Fleet, f: impl FnOnce(&Groups) -> R) -> R {
    let address = fleet as *const Fleet as usize;
    let revision = fleet.alerts.revision();
    GROUPS.with(|cell| {
        let mut cached = cell.borrow_mut();
        let fresh = matches!(&*cached, Some((a, r, _)) if *a == address && *r == revision);
        if !fresh {
            *cached = Some((address, revision, build_groups(fleet)));
        }
        match &*cached {
            Some((_, _, groups)) => f(groups),
            None => f(&Groups::new()),
        }
    })
}

fn get(fleet: &Fleet, i: u32) -> Option<&Alert> {
    fleet.alerts.get_index(i as usize)
}

/// Alerts follow the namespace scope by their `namespace` label; the context scope does not
/// apply to them.
fn in_namespace_scope(a: &Alert, scope: &ScopeFilter) -> bool {
    scope.namespace.is_none() || a.labels.get("namespace") == scope.namespace.as_ref()
}

/// The object an alert's labels point at, as `kind/name`.
pub fn alert_target(a: &Alert) -> String {
    let l = &a.labels;
    let ns = l
        .get("namespace")
        .map(|n| format!("{n}/"))
        .unwrap_or_default();
    for key in [
        "pod",
        "deployment",
        "statefulset",
        "container",
        "node",
        "instance",
        "job",
    ] {
        if let Some(v) = l.get(key) {
            let scoped = matches!(key, "pod" | "deployment" | "statefulset");
            return if scoped {
                format!("{key} {ns}{v}")
            } else {
                format!("{key} {v}")
            };
        }
    }
    ns.trim_end_matches('/').to_string()
}

/// The labels of `a` worth showing on its row: those its group does not share.
fn row_labels(a: &Alert, group: Option<&GroupInfo>) -> String {
    let shared = group.map(|g| &g.shared);
    let mut out = String::new();
    for (k, v) in &a.labels {
        if NAMING_LABELS.contains(&k.as_str()) || shared.is_some_and(|s| s.contains_key(k)) {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

fn severity_style(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "alert.critical",
        Severity::Warning => "alert.warning",
        _ => "alert.info",
    }
}

/// Who silenced it, or the silences' ids when their details are not known.
fn silenced_by(a: &Alert, context: &AlertsContext) -> String {
    a.silenced_by
        .iter()
        .map(|id| match context.silences.get(id) {
            Some(who) => who.clone(),
            None => id.chars().take(8).collect(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl TableSpec for AlertsTable {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn revision(&self, fleet: &Fleet) -> u64 {
        fleet.alerts.revision()
    }

    fn items(&self, fleet: &Fleet, scope: &ScopeFilter) -> Vec<u32> {
        fleet
            .alerts
            .values()
            .enumerate()
            .filter(|(_, a)| in_namespace_scope(a, scope))
            .map(|(i, _)| i as u32)
            .collect()
    }

    fn changes_since(&self, fleet: &Fleet, revision: u64) -> Option<ItemChanges> {
        // The order and the filter text depend on each alert alone; the group headings and
        // the labels a row leaves to them are worked out again whenever alerts change.
        changes_of(&fleet.alerts, revision)
    }

    fn in_scope(&self, fleet: &Fleet, item: u32, scope: &ScopeFilter) -> bool {
        get(fleet, item).is_some_and(|a| in_namespace_scope(a, scope))
    }

    fn grouped(&self) -> bool {
        true
    }

    fn group(&self, fleet: &Fleet, item: u32) -> Option<String> {
        let a = get(fleet, item)?;
        with_groups(fleet, |groups| group_of(groups, a).map(|g| g.label.clone()))
    }

    fn compare(&self, fleet: &Fleet, a: u32, b: u32, column: usize) -> Ordering {
        let (Some(x), Some(y)) = (get(fleet, a), get(fleet, b)) else {
            return Ordering::Equal;
        };
        // Groups stay together whatever the column: critical groups first, then by name.
        let group = x
            .severity()
            .cmp(&y.severity())
            .then_with(|| x.name().cmp(y.name()));
        // Firing first, newest first, then by what tells them apart (`instance=web-1`).
        let default = || {
            x.state
                .cmp(&y.state)
                .then(y.starts_at.cmp(&x.starts_at))
                .then_with(|| row_labels(x, None).cmp(&row_labels(y, None)))
                .then(x.id.cmp(&y.id))
        };
        group.then_with(|| match column {
            3 => row_labels(x, None)
                .cmp(&row_labels(y, None))
                .then_with(default),
            4 => x.summary().cmp(y.summary()).then_with(default),
            5 => y.silenced_by.cmp(&x.silenced_by).then_with(default),
            6 => x.id.source.cmp(&y.id.source).then_with(default),
            7 => y.starts_at.cmp(&x.starts_at).then_with(default),
            _ => default(),
        })
    }

    fn haystack(&self, fleet: &Fleet, item: u32, out: &mut String) {
        if let Some(a) = get(fleet, item) {
            for (k, v) in &a.labels {
                out.push_str(k);
                out.push('=');
                out.push_str(v);
                out.push(' ');
            }
            out.push_str(a.summary());
            out.push(' ');
            out.push_str(a.state.label());
        }
    }

    fn cells(&self, fleet: &Fleet, item: u32, now: jiff::Timestamp) -> Vec<CellText> {
        let Some(a) = get(fleet, item) else {
            return Vec::new();
        };
        let sev = a.severity();
        let style = severity_style(sev);
        let labels = with_groups(fleet, |groups| row_labels(a, group_of(groups, a)));
        let (new, silenced) = with_context(|c| (c.is_new(&a.id), silenced_by(a, c)));
        let name = if new {
            CellText::new(format!("● {}", a.name()), "alert.new")
        } else {
            CellText::plain(a.name().to_string())
        };
        vec![
            CellText::new(format!("{} {}", sev.health().symbol(), sev.label()), style),
            name,
            CellText::new(
                a.state.label(),
                if a.state == AlertState::Firing {
                    style
                } else {
                    "table.dim"
                },
            ),
            CellText::new(labels, "table.dim"),
            CellText::plain(a.summary().to_string()),
            CellText::new(silenced, "table.dim"),
            CellText::new(a.id.source.clone(), "table.dim"),
            CellText::plain(format::age(a.starts_at, now)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SourceEvent;
    use crate::ui::state::TableState;
    use crate::ui::table::{RowRef, refresh};

    fn alert(fp: &str, name: &str, severity: &str, labels: &[(&str, &str)]) -> Alert {
        let mut all: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        all.insert("alertname".into(), name.into());
        all.insert("severity".into(), severity.into());
        Alert {
            id: AlertId {
                source: "am".into(),
                fingerprint: fp.into(),
            },
            labels: all,
            annotations: BTreeMap::new(),
            state: AlertState::Firing,
            starts_at: None,
            silenced_by: vec![],
        }
    }

    fn rows(fleet: &Fleet) -> Vec<String> {
        let mut state = TableState::default();
        refresh(&AlertsTable, fleet, &ScopeFilter::default(), &mut state);
        state
            .rows
            .iter()
            .map(|row| match *row {
                RowRef::Group(i) => AlertsTable.group(fleet, i).unwrap_or_default(),
                RowRef::Item(i) => {
                    let cells = AlertsTable.cells(fleet, i, jiff::Timestamp::UNIX_EPOCH);
                    format!("  {} [{}]", cells[1].text, cells[3].text)
                }
            })
            .collect()
    }

    #[test]
    fn groups_share_their_common_labels_once_and_critical_comes_first() {
        let mut fleet = Fleet::new();
        for a in [
            alert(
                "1",
                "HighCPUUsage",
                "warning",
                &[("instance", "web-1"), ("job", "node")],
            ),
            alert(
                "2",
                "HighCPUUsage",
                "warning",
                &[("instance", "web-2"), ("job", "node")],
            ),
            alert("3", "DiskFull", "critical", &[("instance", "db-1")]),
            alert(
                "4",
                "HighErrorRate",
                "critical",
                &[("job", "api"), ("namespace", "shop")],
            ),
            alert(
                "5",
                "HighErrorRate",
                "critical",
                &[("job", "api"), ("namespace", "shop")],
            ),
        ] {
            fleet.apply(SourceEvent::UpsertAlert(a));
        }
        set_context(AlertsContext::default());
        assert_eq!(
            rows(&fleet),
            [
                "CRITICAL DiskFull · 1 alert · instance=db-1",
                "  DiskFull []",
                "CRITICAL HighErrorRate · 2 alerts · job=api namespace=shop",
                "  HighErrorRate []",
                "  HighErrorRate []",
                "WARNING HighCPUUsage · 2 alerts · job=node",
                "  HighCPUUsage [instance=web-1]",
                "  HighCPUUsage [instance=web-2]",
            ]
        );
    }

    #[test]
    fn new_alerts_and_silencers_are_shown() {
        let mut fleet = Fleet::new();
        let mut silenced = alert("1", "HighCPUUsage", "warning", &[]);
        silenced.state = AlertState::Silenced;
        silenced.silenced_by = vec!["5f1c2e9a-0000".into(), "77aa55bb-1111".into()];
        fleet.apply(SourceEvent::UpsertAlert(silenced.clone()));
        fleet.apply(SourceEvent::UpsertAlert(alert(
            "2",
            "Down",
            "critical",
            &[],
        )));
        set_context(AlertsContext {
            seen: Some([silenced.id.clone()].into()),
            silences: [("5f1c2e9a-0000".to_string(), "alice: deploy".to_string())].into(),
        });
        let cells = |i| AlertsTable.cells(&fleet, i, jiff::Timestamp::UNIX_EPOCH);
        assert_eq!(cells(0)[1].text, "HighCPUUsage");
        assert_eq!(cells(0)[5].text, "alice: deploy; 77aa55bb");
        assert_eq!(cells(1)[1].text, "● Down");
        assert_eq!(cells(1)[1].style, "alert.new");
        set_context(AlertsContext::default());
        assert_eq!(
            cells(1)[1].text,
            "Down",
            "nothing is new before the first look"
        );
    }
}
