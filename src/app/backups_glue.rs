//! The backups view in the app: `b` or Enter on a row starts that target's backup through
//! the usual operation dialog, and the container backup history is read into the fleet —
//! at start and after a backup ran, never per frame.

use super::App;
use crate::model::ContainerBackup;
use crate::ops::docker::backup::{BackupRecord, last_success, load_history};
use crate::ops::{ContainerRef, Operation, ScheduleRef};
use crate::store::SourceEvent;
use crate::store::backups::{self, BackupTarget};
use crate::ui::state::ViewKind;

impl App {
    /// The operation that backs up the selected backups row.
    pub(super) fn backup_op_for_selection(&self) -> Result<Option<Operation>, String> {
        let target = self
            .selected(ViewKind::Backups)
            .and_then(|item| backups::target_at(&self.fleet, item))
            .ok_or("no backup here: select a row first")?;
        let op = match target {
            BackupTarget::CronJob(w) => Operation::RunCronJob {
                target: w.id.clone(),
            },
            BackupTarget::Schedule(s) => Operation::RunSchedule {
                target: ScheduleRef {
                    context: s.context.clone(),
                    namespace: s.namespace.clone(),
                    name: s.name.clone(),
                },
            },
            BackupTarget::Container(c) => {
                let found = backups::container_of(&self.fleet, c).ok_or_else(|| {
                    format!(
                        "backup {}: no connected Docker host has container {}",
                        c.name, c.container
                    )
                })?;
                Operation::ContainerBackup {
                    target: ContainerRef {
                        host: found.id.host.clone(),
                        id: found.id.id.clone(),
                        name: found.name.clone(),
                    },
                    backup: c.name.clone(),
                }
            }
        };
        Ok(Some(op))
    }

    /// Enter on a backups row: start its backup (confirmed in the dialog, as `b` is).
    pub(super) fn start_selected_backup(&mut self) {
        match self.backup_op_for_selection() {
            Ok(Some(op)) => self.ask_operation(op),
            Ok(None) => {}
            Err(why) => self.set_status(why, true),
        }
    }

    /// Read the config's `[[backup]]` targets and the backup history into the fleet. Call
    /// at start and when a container backup finished; the view never reads the file.
    pub fn reload_backup_history(&mut self) {
        let history = match &self.data_dir {
            Some(dir) => load_history(dir),
            None => Vec::new(),
        };
        let targets = container_backups(&self.config.backups, &history);
        self.fleet.apply(SourceEvent::ContainerBackups(targets));
        self.dirty = true;
    }
}

/// Each configured target with its last success and whether its newest attempt failed.
fn container_backups(
    config: &[crate::ops::backup_config::BackupTarget],
    history: &[BackupRecord],
) -> Vec<ContainerBackup> {
    config
        .iter()
        .map(|t| {
            let newest = history
                .iter()
                .filter(|r| r.target == t.name)
                .max_by_key(|r| r.finished);
            ContainerBackup {
                name: t.name.clone(),
                container: t.container.clone(),
                host: t.host.clone(),
                policy: t.policy,
                keep: t.keep,
                last_success: last_success(history, &t.name).map(|r| r.finished),
                last_failed: newest.is_some_and(|r| !r.ok),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use jiff::Timestamp;

    use super::*;
    use crate::ops::backup_config::{BackupPolicy, BackupTarget as Configured};

    fn record(target: &str, finished: &str, ok: bool) -> BackupRecord {
        let at: Timestamp = finished.parse().unwrap();
        BackupRecord {
            target: target.into(),
            container: "db".into(),
            host: "local".into(),
            started: at,
            finished: at,
            exit_code: Some(if ok { 0 } else { 1 }),
            bytes: 1,
            sha256: String::new(),
            path: PathBuf::from("x"),
            ok,
        }
    }

    #[test]
    fn history_gives_last_success_and_a_failed_newest_attempt() {
        let configured = |name: &str| Configured {
            name: name.into(),
            container: "db".into(),
            host: None,
            argv: vec!["pg_dump".into()],
            policy: BackupPolicy::Daily,
            keep: Duration::from_secs(7 * 86_400),
        };
        let history = [
            record("shop-db", "2026-11-21T02:00:00Z", true),
            record("shop-db", "2026-11-22T02:00:00Z", false),
            record("other", "2026-11-22T03:00:00Z", true),
        ];
        let out = container_backups(&[configured("shop-db"), configured("new")], &history);
        assert_eq!(
            out[0].last_success,
            Some("2026-11-21T02:00:00Z".parse().unwrap())
        );
        assert!(out[0].last_failed);
        assert_eq!((out[1].last_success, out[1].last_failed), (None, false));
    }
}
