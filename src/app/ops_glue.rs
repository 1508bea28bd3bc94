//! Operations in the app (issue 7): the keys on a selected row and the palette commands
//! that build an [`Operation`], the dialog's keys, and the runner's updates.
//!
//! The way through is always the same: an operation is built, refused at once if the
//! console or its context is read-only or RBAC says no, planned by the runner (with a
//! server-side dry-run), confirmed in proportion to its risk, executed, verified and
//! audited by the runner while the console stays live.

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent};

use super::App;
use super::ops_target::{self, OpCommand};
use crate::model::{ContainerRunState, KubeId, KubeKind};
use crate::ops::docker::ContainerAction;
use crate::ops::policy::{self, Tier};
use crate::ops::runner::{OpId, OpRequest, OpUpdate, OpsControl};
use crate::ops::{ContainerRef, Operation};
use crate::ui::confirm::{BackgroundOp, Field, OpDialog, Phase};
use crate::ui::state::{PromptKind, ViewKind};

/// What the app keeps for operations.
#[derive(Default)]
pub struct OpsGlue {
    control: Option<OpsControl>,
    next_id: OpId,
}

impl std::fmt::Debug for OpsGlue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpsGlue")
            .field("attached", &self.control.is_some())
            .field("next_id", &self.next_id)
            .finish()
    }
}

impl OpsGlue {
    pub fn attach(&mut self, control: OpsControl) {
        self.control = Some(control);
    }
}

/// The operation keys, for the key handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKey {
    Scale,
    Restart,
    Rollback,
    Backup,
    Delete,
    Cordon,
    StopStart,
}

impl App {
    /// The operation keys for the selected row, greyed with the reason when the console
    /// or the context is read-only or RBAC says no. Cheap: one row, a few lookups.
    pub(super) fn prepare_op_hints(&mut self) {
        use super::KeyAction as K;
        let view = self.ui.view;
        let index = self.selected(view).map(|i| i as usize);
        let mut offered: Vec<(K, &'static str, Option<Operation>)> = Vec::new();
        match view {
            ViewKind::Workloads => {
                if let Some(w) = index.and_then(|i| self.fleet.workloads.get_index(i)) {
                    let id = w.id.clone();
                    let scale = Operation::Scale {
                        target: id.clone(),
                        from: w.desired,
                        to: w.desired,
                    };
                    if matches!(id.kind, KubeKind::Deployment | KubeKind::StatefulSet) {
                        offered.push((K::Scale, "scale", Some(scale)));
                    }
                    match id.kind {
                        KubeKind::Deployment | KubeKind::StatefulSet | KubeKind::DaemonSet => {
                            offered.push((
                                K::Restart,
                                "restart",
                                Some(Operation::Restart { target: id.clone() }),
                            ));
                            offered.push((
                                K::Rollback,
                                "rollback",
                                Some(Operation::Rollback {
                                    target: id,
                                    to_revision: 0,
                                }),
                            ));
                        }
                        KubeKind::CronJob => {
                            offered.push((
                                K::Backup,
                                "run job",
                                Some(Operation::RunCronJob { target: id }),
                            ));
                        }
                        _ => {}
                    }
                }
            }
            ViewKind::Pods => {
                if let Some(p) = index.and_then(|i| self.fleet.pods.get_index(i)) {
                    offered.push((
                        K::Delete,
                        "delete",
                        Some(Operation::DeletePod {
                            target: p.id.clone(),
                        }),
                    ));
                }
            }
            ViewKind::Nodes => {
                if let Some(n) = index.and_then(|i| self.fleet.nodes.get_index(i)) {
                    let what = if n.unschedulable {
                        "uncordon"
                    } else {
                        "cordon"
                    };
                    let target = KubeId {
                        context: n.context.clone(),
                        namespace: String::new(),
                        kind: KubeKind::Node,
                        name: n.name.clone(),
                    };
                    offered.push((
                        K::Cordon,
                        what,
                        Some(Operation::Cordon {
                            target,
                            cordon: !n.unschedulable,
                        }),
                    ));
                }
            }
            ViewKind::Containers => {
                if let Some(c) = index.and_then(|i| self.fleet.containers.get_index(i)) {
                    let what = if c.state == ContainerRunState::Running {
                        "stop"
                    } else {
                        "start"
                    };
                    offered.push((K::Restart, "restart", None));
                    offered.push((K::StopStart, what, None));
                    if ops_target::backup_for_container(&self.config, c).is_some() {
                        offered.push((K::Backup, "backup", None));
                    }
                }
            }
            _ => {}
        }
        let hints = offered
            .into_iter()
            .filter_map(|(action, what, op)| {
                let keys = self.keymap.keys_for(self.layers(), action)?;
                let denied = match &op {
                    Some(op) => self.refusal(op),
                    None if self.ui.read_only || self.config.read_only => {
                        Some("read-only".to_string())
                    }
                    None => None,
                };
                Some(crate::ui::state::OpHint { keys, what, denied })
            })
            .collect();
        self.ui.op_hints = hints;
    }

    /// Before each frame: take the runner's updates.
    pub(super) fn prepare_ops_frame(&mut self) {
        let mut updates = Vec::new();
        if let Some(control) = &mut self.ops.control {
            while let Some(update) = control.try_recv() {
                updates.push(update);
            }
        }
        for update in updates {
            self.on_op_update(update);
        }
    }

    /// Whether the runner has updates waiting (the loop was woken for them).
    pub(super) fn on_op_update(&mut self, update: OpUpdate) {
        self.dirty = true;
        match update {
            OpUpdate::Planned { id, result } => {
                let Some(dialog) = self.ui.operation.as_mut().filter(|d| d.id == id) else {
                    return;
                };
                dialog.phase = match result {
                    Ok(plan) => {
                        dialog.answerable_since = Instant::now();
                        Phase::Confirming(Box::new(plan))
                    }
                    Err(error) => Phase::Refused(error),
                };
            }
            OpUpdate::Progress {
                id,
                stage,
                progress,
            } => {
                if let Some(dialog) = self.ui.operation.as_mut().filter(|d| d.id == id)
                    && let Phase::Running {
                        stage: s,
                        progress: p,
                        ..
                    } = &mut dialog.phase
                {
                    *s = stage;
                    *p = progress;
                } else if let Some(bg) = self.ui.background.iter_mut().find(|b| b.id == id) {
                    bg.progress = progress;
                }
            }
            OpUpdate::Finished {
                id,
                result,
                elapsed,
            } => {
                self.incident_op_finished(
                    id,
                    result.as_ref().map(|_| ()).map_err(ToString::to_string),
                );
                // A silence (or anything) may have changed what the Alertmanagers say.
                self.alerts.refresh();
                // A container backup adds to the history the backups view reads.
                self.reload_backup_history();
                if let Some(dialog) = self.ui.operation.as_mut().filter(|d| d.id == id) {
                    dialog.phase = Phase::Finished { result, elapsed };
                } else if let Some(at) = self.ui.background.iter().position(|b| b.id == id) {
                    let bg = self.ui.background.remove(at);
                    match result {
                        Ok(words) => self.set_status(format!("✓ {words}"), false),
                        Err(e) => self.set_status(format!("✗ {}: {e}", bg.summary), true),
                    }
                }
            }
        }
    }

    /// A palette line naming an operation (`scale deploy/api 5 -n shop @prod`). Returns
    /// whether the line was one.
    pub(super) fn run_op_command(&mut self, line: &str) -> bool {
        let command = match ops_target::parse(line) {
            None => return false,
            Some(Err(why)) => {
                self.set_status(why, true);
                return true;
            }
            Some(Ok(command)) => command,
        };
        match self.resolve_op_command(&command) {
            Ok(op) => self.ask_operation(op),
            Err(why) => self.set_status(why, true),
        }
        true
    }

    pub(super) fn resolve_op_command(&self, command: &OpCommand) -> Result<Operation, String> {
        ops_target::resolve(
            command,
            &self.fleet,
            self.ui.scope.context.as_deref(),
            self.ui.scope.namespace.as_deref(),
            &self.config,
        )
    }

    /// An operation key on the selected row.
    pub(super) fn op_key(&mut self, key: OpKey) {
        match self.op_for_selection(key) {
            Ok(Some(op)) => self.ask_operation(op),
            Ok(None) => {}
            Err(why) => self.set_status(why, true),
        }
    }

    fn op_for_selection(&mut self, key: OpKey) -> Result<Option<Operation>, String> {
        let view = self.ui.view;
        let index = self.selected(view).map(|i| i as usize);
        let nothing = || format!("no {} here: select a row first", op_key_name(key));
        match view {
            ViewKind::Workloads => {
                let w = index
                    .and_then(|i| self.fleet.workloads.get_index(i))
                    .ok_or_else(nothing)?;
                let id = w.id.clone();
                let desired = w.desired;
                match key {
                    OpKey::Scale => {
                        if !crate::ops::operation::accepts("scale", id.kind) {
                            return Err(format!("a {} cannot be scaled", id.kind.name()));
                        }
                        // Refuse before asking for a count that could never be used.
                        let probe = Operation::Scale {
                            target: id.clone(),
                            from: desired,
                            to: desired,
                        };
                        if let Some(why) = self.refusal(&probe) {
                            return Err(why);
                        }
                        // The new count is typed in the palette, prefilled with the target.
                        let text = format!(
                            "scale {}/{} -n {} @{} ",
                            id.kind.short(),
                            id.name,
                            id.namespace,
                            id.context
                        );
                        self.ui.prompt =
                            Some(super::prompt::new_prompt(PromptKind::Palette, &text));
                        self.set_status("type the new replica count, then Enter", false);
                        Ok(None)
                    }
                    OpKey::Restart => {
                        kube_op("restart", id, |target| Operation::Restart { target })
                    }
                    OpKey::Rollback => kube_op("rollback", id, |target| Operation::Rollback {
                        target,
                        to_revision: 0,
                    }),
                    OpKey::Backup => {
                        kube_op("backup", id, |target| Operation::RunCronJob { target })
                    }
                    _ => Err(format!(
                        "{} does not apply to a {}",
                        op_key_name(key),
                        id.kind.name()
                    )),
                }
            }
            ViewKind::Pods => {
                let p = index
                    .and_then(|i| self.fleet.pods.get_index(i))
                    .ok_or_else(nothing)?;
                match key {
                    OpKey::Delete => Ok(Some(Operation::DeletePod {
                        target: p.id.clone(),
                    })),
                    _ => Err(format!("{} does not apply to a pod", op_key_name(key))),
                }
            }
            ViewKind::Nodes => {
                let n = index
                    .and_then(|i| self.fleet.nodes.get_index(i))
                    .ok_or_else(nothing)?;
                match key {
                    OpKey::Cordon => Ok(Some(Operation::Cordon {
                        target: KubeId {
                            context: n.context.clone(),
                            namespace: String::new(),
                            kind: KubeKind::Node,
                            name: n.name.clone(),
                        },
                        cordon: !n.unschedulable,
                    })),
                    _ => Err(format!("{} does not apply to a node", op_key_name(key))),
                }
            }
            ViewKind::Containers => {
                let c = index
                    .and_then(|i| self.fleet.containers.get_index(i))
                    .ok_or_else(nothing)?;
                let target = ContainerRef {
                    host: c.id.host.clone(),
                    id: c.id.id.clone(),
                    name: c.name.clone(),
                };
                match key {
                    OpKey::Restart => Ok(Some(Operation::Container {
                        target,
                        action: ContainerAction::Restart,
                    })),
                    OpKey::StopStart => {
                        let action = if c.state == ContainerRunState::Running {
                            ContainerAction::Stop
                        } else {
                            ContainerAction::Start
                        };
                        Ok(Some(Operation::Container { target, action }))
                    }
                    OpKey::Backup => {
                        let backup =
                            ops_target::backup_for_container(&self.config, c).ok_or_else(|| {
                                format!("no [[backup]] in the config names container {}", c.name)
                            })?;
                        Ok(Some(Operation::ContainerBackup { target, backup }))
                    }
                    _ => Err(format!(
                        "{} does not apply to a container",
                        op_key_name(key)
                    )),
                }
            }
            // The backups view's rows (src/app/backups_glue.rs).
            ViewKind::Backups => match key {
                OpKey::Backup => self.backup_op_for_selection(),
                _ => Err(format!("{} does not apply to a backup", op_key_name(key))),
            },
            _ => Err(format!(
                "{} works on workloads, pods, nodes or containers",
                op_key_name(key)
            )),
        }
    }

    /// Open the dialog for `op` and ask the runner for its plan — unless it is refused
    /// here already (read-only, RBAC), which the UI says instead of offering it.
    pub(super) fn ask_operation(&mut self, op: Operation) {
        if let Some(why) = self.refusal(&op) {
            self.set_status(why, true);
            return;
        }
        if self.ui.operation.is_some() {
            self.set_status("another operation dialog is open", true);
            return;
        }
        let Some(control) = &self.ops.control else {
            self.set_status("operations are not available in this console", true);
            return;
        };
        self.ops.next_id += 1;
        let id = self.ops.next_id;
        control.send(OpRequest::Plan { id, op: op.clone() });
        let confirmation = policy::confirmation(&op, &self.config);
        let mut dialog = OpDialog::new(id, op, confirmation);
        dialog.context_lines = self.context_lines(&dialog.op);
        self.ui.operation = Some(dialog);
    }

    /// Why `op` is refused before it is planned (read-only, RBAC), if it is.
    fn refusal(&self, op: &Operation) -> Option<String> {
        if let Err(refused) = policy::refuse_if_read_only(op, &self.config) {
            return Some(refused.to_string());
        }
        if self.ui.read_only {
            return Some(format!("read-only: {} refused (--readonly)", op.verb()));
        }
        self.rbac_denies(op)
    }

    /// Why the cached RBAC answers say `op` is not allowed, if they do.
    pub(super) fn rbac_denies(&self, op: &Operation) -> Option<String> {
        let (verb, resource, target) = ops_target::rbac_question(op)?;
        let namespace = (!target.namespace.is_empty()).then_some(target.namespace.as_str());
        match self
            .fleet
            .access
            .allowed(&target.context, namespace, verb, &resource)
        {
            Some(false) => Some(format!(
                "forbidden: RBAC does not allow {verb} {resource} in {}@{} (SelfSubjectAccessReview)",
                if target.namespace.is_empty() {
                    "the cluster"
                } else {
                    &target.namespace
                },
                target.context
            )),
            _ => None,
        }
    }

    /// The target's pods as the fleet has them, shown under the plan.
    fn context_lines(&self, op: &Operation) -> Vec<String> {
        let target = match op {
            Operation::Scale { target, .. }
            | Operation::Restart { target }
            | Operation::Rollback { target, .. } => target,
            _ => return Vec::new(),
        };
        let Some(w) = self.fleet.workloads.get(target) else {
            return Vec::new();
        };
        let pods: Vec<_> = self.fleet.pods_of(w).collect();
        let mut lines = vec![format!(
            "now: {} desired, {} ready, {} pods",
            w.desired,
            w.ready,
            pods.len()
        )];
        for p in pods.iter().take(6) {
            let ready = p.containers.iter().filter(|c| c.ready).count();
            let restarts: u32 = p.containers.iter().map(|c| c.restarts).sum();
            lines.push(format!(
                "  {} {:?} {ready}/{} restarts {restarts}",
                p.id.name,
                p.phase,
                p.containers.len()
            ));
        }
        if pods.len() > 6 {
            lines.push(format!("  … and {} more", pods.len() - 6));
        }
        lines
    }

    /// A key while the operation dialog is open. Returns whether it was taken (always,
    /// while a dialog is open: nothing behind it may react).
    pub(super) fn ops_dialog_key(&mut self, key: KeyEvent) -> bool {
        let Some(dialog) = self.ui.operation.as_mut() else {
            return false;
        };
        let now = Instant::now();
        match &dialog.phase {
            Phase::Planning => {
                if key.code == KeyCode::Esc {
                    self.ui.operation = None;
                    self.set_status("cancelled: nothing was changed", false);
                }
            }
            Phase::Refused(_) | Phase::Finished { .. } => {
                if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                    self.ui.operation = None;
                }
            }
            Phase::Running { started, .. } => {
                if matches!(key.code, KeyCode::Esc | KeyCode::Char('b')) {
                    let started = *started;
                    let dialog = self.ui.operation.take();
                    if let Some(d) = dialog {
                        let progress = match d.phase {
                            Phase::Running { progress, .. } => progress,
                            _ => None,
                        };
                        self.ui.background.push(BackgroundOp {
                            id: d.id,
                            summary: d.op.summary(),
                            progress,
                            started,
                        });
                    }
                }
            }
            Phase::Confirming(_) => {
                if dialog.guarded(now) {
                    // Key repeat from the key that opened it must not answer it.
                    return true;
                }
                self.confirming_key(key);
            }
        }
        true
    }

    fn confirming_key(&mut self, key: KeyEvent) {
        let Some(dialog) = self.ui.operation.as_mut() else {
            return;
        };
        if key.code == KeyCode::Esc {
            self.ui.operation = None;
            self.set_status("cancelled: nothing was changed", false);
            return;
        }
        // A rollback's revision picker: choose another revision and plan again.
        if matches!(key.code, KeyCode::Up | KeyCode::Down)
            && let Operation::Rollback { target, .. } = &dialog.op
            && let Some(plan) = dialog.plan()
            && !plan.revisions.is_empty()
        {
            let numbers: Vec<i64> = plan.revisions.iter().map(|r| r.number).collect();
            let at = numbers
                .iter()
                .position(|n| Some(*n) == plan.chosen_revision)
                .unwrap_or(0);
            let next = if key.code == KeyCode::Up {
                at.saturating_sub(1)
            } else {
                (at + 1).min(numbers.len() - 1)
            };
            if next != at {
                let op = Operation::Rollback {
                    target: target.clone(),
                    to_revision: numbers[next],
                };
                self.replan(op);
            }
            return;
        }
        match dialog.confirmation.tier {
            Tier::Low => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => self.confirm(),
                KeyCode::Left | KeyCode::Right | KeyCode::Tab => {
                    dialog.yes_selected = !dialog.yes_selected
                }
                KeyCode::Enter if dialog.yes_selected => self.confirm(),
                _ => {
                    self.ui.operation = None;
                    self.set_status("cancelled: nothing was changed", false);
                }
            },
            Tier::High => match key.code {
                KeyCode::Tab | KeyCode::BackTab => {
                    // Without a reason field there is nowhere to go; a tab typed into the
                    // name would make it never match.
                    if dialog.confirmation.reason_required {
                        dialog.field = match dialog.field {
                            Field::Name => Field::Reason,
                            Field::Reason => Field::Name,
                        };
                    }
                }
                KeyCode::Enter => {
                    let typed = first_line(&dialog.name);
                    let wanted = dialog.confirmation.name.clone().unwrap_or_default();
                    let reason = first_line(&dialog.reason);
                    if typed != wanted {
                        dialog.hint =
                            Some(format!("the name does not match: type {wanted} exactly"));
                        dialog.field = Field::Name;
                    } else if dialog.confirmation.reason_required && reason.trim().is_empty() {
                        dialog.hint = Some("a reason is required on a protected context".into());
                        dialog.field = Field::Reason;
                    } else {
                        self.confirm();
                    }
                }
                _ => {
                    let field = match dialog.field {
                        Field::Name => &mut dialog.name,
                        Field::Reason => &mut dialog.reason,
                    };
                    field.input(key);
                    dialog.hint = None;
                }
            },
        }
    }

    /// Plan `op` again in the open dialog (another rollback revision).
    fn replan(&mut self, op: Operation) {
        let Some(control) = &self.ops.control else {
            return;
        };
        self.ops.next_id += 1;
        let id = self.ops.next_id;
        control.send(OpRequest::Plan { id, op: op.clone() });
        if let Some(dialog) = self.ui.operation.as_mut() {
            dialog.id = id;
            dialog.op = op;
            dialog.phase = Phase::Planning;
        }
    }

    /// The user confirmed: execute.
    fn confirm(&mut self) {
        let Some(dialog) = self.ui.operation.as_mut() else {
            return;
        };
        let Some(plan) = dialog.plan() else {
            return;
        };
        let reason = first_line(&dialog.reason);
        // A rollback to "the previous revision" runs to the revision the plan showed and
        // the user confirmed, by number: what the audit records is what was looked at,
        // even if another rollout lands in between.
        let chosen = plan.chosen_revision;
        let dry_run = plan.dry_run.clone();
        if let (Operation::Rollback { to_revision, .. }, Some(chosen)) = (&mut dialog.op, chosen)
            && *to_revision == 0
        {
            *to_revision = chosen;
        }
        let request = OpRequest::Execute {
            id: dialog.id,
            op: dialog.op.clone(),
            reason: (!reason.trim().is_empty()).then(|| reason.trim().to_string()),
            dry_run,
        };
        dialog.phase = Phase::Running {
            stage: crate::ops::runner::Stage::Executing,
            progress: None,
            started: Instant::now(),
        };
        let (id, step) = (dialog.id, dialog.step.take());
        if let Some(control) = &self.ops.control {
            control.send(request);
            if let Some(step) = step {
                self.incident_op_started(id, step);
            }
        }
    }
}

fn first_line(area: &ratatui_textarea::TextArea) -> String {
    area.lines().first().cloned().unwrap_or_default()
}

fn kube_op(
    verb: &str,
    id: KubeId,
    make: impl FnOnce(KubeId) -> Operation,
) -> Result<Option<Operation>, String> {
    if crate::ops::operation::accepts(verb, id.kind) {
        Ok(Some(make(id)))
    } else {
        Err(format!("{verb} does not apply to a {}", id.kind.name()))
    }
}

fn op_key_name(key: OpKey) -> &'static str {
    match key {
        OpKey::Scale => "scale",
        OpKey::Restart => "restart",
        OpKey::Rollback => "rollback",
        OpKey::Backup => "backup",
        OpKey::Delete => "delete",
        OpKey::Cordon => "cordon",
        OpKey::StopStart => "stop/start",
    }
}
