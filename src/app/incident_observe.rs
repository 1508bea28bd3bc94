//! What an `observe` step opens: the log pane beside the runbook (a pod's, a workload's
//! pods' or a container's logs, with the step's filter), or a view in full filtered to its
//! target.

use super::App;
use crate::runbook::{ObserveView, Runbook};
use crate::ui::incident::observe::ObserveTarget;
use crate::ui::state::ViewKind;

impl App {
    /// Open in full what an observe step shows (the log pane with its filter, the table
    /// filtered to its target).
    pub(super) fn open_observed(
        &mut self,
        runbook: &Runbook,
        index: usize,
        full: bool,
    ) -> Result<(), String> {
        match runbook.steps[index].observed(&self.params()) {
            Some((view, target, filter)) => self.observe(view, &target, filter, full),
            None => Ok(()),
        }
    }

    /// Show what an observe step names: logs open in the log pane (drawn beside the
    /// runbook); `full` goes to the view itself, filtered to the target.
    pub(super) fn observe(
        &mut self,
        view: ObserveView,
        target: &str,
        filter: Option<String>,
        full: bool,
    ) -> Result<(), String> {
        let parsed = ObserveTarget::parse(target);
        if view == ObserveView::Logs {
            let Some((title, streams, subject)) = self.streams_of(&parsed) else {
                return Err(format!("nothing to show logs of: {target}"));
            };
            self.log_pane = Some(crate::logs::LogPane::new(title, streams));
            self.log_subject = subject;
            if let Some(filter) = filter {
                self.set_log_filter(filter);
            }
            if full {
                self.go(ViewKind::Logs);
            }
            return Ok(());
        }
        if !full {
            return Ok(());
        }
        let kind = match view {
            ObserveView::Pods => ViewKind::Pods,
            ObserveView::Workloads => ViewKind::Workloads,
            ObserveView::Events => ViewKind::Events,
            ObserveView::Alerts => ViewKind::Alerts,
            ObserveView::Host | ObserveView::Logs => ViewKind::Nodes,
        };
        self.go(kind);
        let text = parsed.name.or(filter).unwrap_or_default();
        let state = self.ui.table_mut(kind);
        state.filter = text;
        state.selected = 0;
        Ok(())
    }

    /// The log streams an observe target names: a pod's containers, a workload's pods
    /// (followed as they come and go), a container.
    pub(super) fn streams_of(
        &self,
        target: &ObserveTarget,
    ) -> Option<(
        String,
        Vec<crate::logs::StreamKey>,
        Option<super::kube_glue::LogSubject>,
    )> {
        let name = target.name.as_deref()?;
        let admits = |context: &str, namespace: &str| {
            target.context.as_deref().is_none_or(|c| c == context)
                && target.namespace.as_deref().is_none_or(|n| n == namespace)
        };
        match target.kind.as_deref() {
            Some("ctr") | Some("container") => {
                let c = self.fleet.containers.values().find(|c| c.name == name)?;
                let stream = crate::logs::StreamKey::Docker {
                    host: c.id.host.clone(),
                    id: c.id.id.clone(),
                };
                Some((format!("container {name}"), vec![stream], None))
            }
            Some("pod") | Some("po") | None => {
                let p = self
                    .fleet
                    .pods
                    .values()
                    .find(|p| p.id.name == name && admits(&p.id.context, &p.id.namespace))?;
                let title = format!("pod {}/{}", p.id.namespace, p.id.name);
                Some((title, super::navigate::pod_streams(p), None))
            }
            Some(_) => {
                let w = self.fleet.workloads.values().find(|w| {
                    w.id.name == name
                        && target.kind.as_deref() == Some(w.id.kind.short())
                        && admits(&w.id.context, &w.id.namespace)
                })?;
                let streams = self
                    .fleet
                    .pods_of(w)
                    .flat_map(super::navigate::pod_streams)
                    .collect();
                let title = format!("{} {}/{}", w.id.kind.short(), w.id.namespace, w.id.name);
                let subject = super::kube_glue::LogSubject::Workload(w.id.clone());
                Some((title, streams, Some(subject)))
            }
        }
    }

    /// `o`: open in full the view the last observe step on the way shows.
    pub(super) fn open_shown_observe(&mut self) {
        let Some(desk) = self.ui.incident.as_ref() else {
            return;
        };
        let Some((runbook, progress)) = desk.shown() else {
            return;
        };
        let runbook = runbook.clone();
        match crate::ui::incident::observed_step(&runbook, progress) {
            Some(index) => {
                if let Err(why) = self.open_observed(&runbook, index, true) {
                    self.set_status(why, true);
                }
            }
            None => self.set_status("no observe step on the way yet", false),
        }
    }
}
