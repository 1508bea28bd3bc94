//! Moving from a row to what it relates to: a workload's pods, a pod's logs, events, owner.

use super::App;
use crate::logs::StreamKey;
use crate::model::KubeKind;
use crate::ui::state::ViewKind;
use crate::ui::table::RowRef;

impl App {
    /// Enter on a row: workload → its pods, pod/container → logs, alert → what it names.
    pub(super) fn open_selected(&mut self) {
        match self.ui.view {
            ViewKind::Workloads => self.open_pods_of_selected_workload(),
            ViewKind::Pods | ViewKind::Containers => self.open_logs_for_selection(),
            ViewKind::Alerts => self.open_alert_context(),
            ViewKind::Events => self.open_event_object(),
            ViewKind::Nodes => self.open_pods_on_selected_node(),
            ViewKind::Backups => self.start_selected_backup(),
            ViewKind::Overview | ViewKind::Logs | ViewKind::Incident => {}
        }
    }

    pub(super) fn selected(&self, view: ViewKind) -> Option<u32> {
        self.ui.table(view).selected_item()
    }

    /// Jump to a view with its table filtered to `filter`.
    fn go_filtered(&mut self, view: ViewKind, filter: String) {
        self.go(view);
        let state = self.ui.table_mut(view);
        // The cached order is keyed by the filter text: no invalidate() needed.
        state.filter = filter;
        state.selected = 0;
    }

    fn open_pods_of_selected_workload(&mut self) {
        let Some(w) = self
            .selected(ViewKind::Workloads)
            .and_then(|i| self.fleet.workloads.get_index(i as usize))
        else {
            return;
        };
        let filter = format!("{} {}", w.id.namespace, w.id.name);
        self.go_filtered(ViewKind::Pods, filter);
    }

    fn open_pods_on_selected_node(&mut self) {
        let Some(item) = self.selected(ViewKind::Nodes) else {
            return;
        };
        if let Some(node) = self.fleet.nodes.get_index(item as usize) {
            let filter = node.name.clone();
            self.go_filtered(ViewKind::Pods, filter);
        }
    }

    fn open_event_object(&mut self) {
        let Some(e) = self
            .selected(ViewKind::Events)
            .and_then(|i| self.fleet.events.get_index(i as usize))
        else {
            return;
        };
        let name = e.object.name.clone();
        match KubeKind::parse(&e.object.kind) {
            Some(KubeKind::Pod) => self.go_filtered(ViewKind::Pods, name),
            Some(KubeKind::Node) => self.go_filtered(ViewKind::Nodes, name),
            Some(_) => self.go_filtered(ViewKind::Workloads, name),
            None => {}
        }
    }

    pub(super) fn open_events_for_selection(&mut self) {
        let name = match self.ui.view {
            ViewKind::Pods => self
                .selected(ViewKind::Pods)
                .and_then(|i| self.fleet.pods.get_index(i as usize))
                .map(|p| p.id.name.clone()),
            ViewKind::Workloads => self
                .selected(ViewKind::Workloads)
                .and_then(|i| self.fleet.workloads.get_index(i as usize))
                .map(|w| w.id.name.clone()),
            ViewKind::Nodes => self
                .selected(ViewKind::Nodes)
                .and_then(|i| self.fleet.nodes.get_index(i as usize))
                .map(|n| n.name.clone()),
            _ => None,
        };
        if let Some(name) = name {
            self.go_filtered(ViewKind::Events, name);
        }
    }

    /// `o`: a pod's Deployment/StatefulSet/DaemonSet/Job, a Job's CronJob.
    pub(super) fn open_owner_of_selection(&mut self) {
        let owner = match self.ui.view {
            ViewKind::Pods => self
                .selected(ViewKind::Pods)
                .and_then(|i| self.fleet.pods.get_index(i as usize))
                .and_then(|p| Some((p.id.namespace.clone(), p.owner.clone()?))),
            ViewKind::Workloads => self
                .selected(ViewKind::Workloads)
                .and_then(|i| self.fleet.workloads.get_index(i as usize))
                .and_then(|w| Some((w.id.namespace.clone(), w.owner.clone()?))),
            _ => None,
        };
        match owner {
            Some((namespace, owner)) => {
                self.go_filtered(ViewKind::Workloads, format!("{namespace} {}", owner.name));
            }
            None => self.set_status("no owner to go to", false),
        }
    }

    /// The log streams behind the selected row, with a title for the pane.
    pub(super) fn streams_for_selection(&self) -> Option<(String, Vec<StreamKey>)> {
        match self.ui.view {
            ViewKind::Pods => {
                let p = self
                    .selected(ViewKind::Pods)
                    .and_then(|i| self.fleet.pods.get_index(i as usize))?;
                Some((
                    format!("pod {}/{}", p.id.namespace, p.id.name),
                    pod_streams(p),
                ))
            }
            ViewKind::Workloads => {
                let w = self
                    .selected(ViewKind::Workloads)
                    .and_then(|i| self.fleet.workloads.get_index(i as usize))?;
                let streams = self.fleet.pods_of(w).flat_map(pod_streams).collect();
                Some((
                    format!("{} {}/{}", w.id.kind.short(), w.id.namespace, w.id.name),
                    streams,
                ))
            }
            ViewKind::Containers => {
                let state = self.ui.table(ViewKind::Containers);
                match state.selected_row()? {
                    RowRef::Item(i) => {
                        let c = self.fleet.containers.get_index(i as usize)?;
                        Some((
                            format!("container {}", c.name),
                            vec![StreamKey::Docker {
                                host: c.id.host.clone(),
                                id: c.id.id.clone(),
                            }],
                        ))
                    }
                    RowRef::Group(i) => {
                        // A compose project: every container in it, merged.
                        let first = self.fleet.containers.get_index(i as usize)?;
                        let project = first.compose_project()?.to_string();
                        let streams = self
                            .fleet
                            .containers
                            .values()
                            .filter(|c| {
                                c.id.host == first.id.host
                                    && c.compose_project() == Some(project.as_str())
                            })
                            .map(|c| StreamKey::Docker {
                                host: c.id.host.clone(),
                                id: c.id.id.clone(),
                            })
                            .collect();
                        Some((format!("compose project {project}"), streams))
                    }
                }
            }
            _ => None,
        }
    }
}

pub(super) fn pod_streams(p: &crate::model::Pod) -> Vec<StreamKey> {
    p.containers
        .iter()
        .map(|c| StreamKey::Kube {
            context: p.id.context.clone(),
            namespace: p.id.namespace.clone(),
            pod: p.id.name.clone(),
            container: c.name.clone(),
            previous: false,
        })
        .collect()
}
