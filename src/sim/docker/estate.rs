//! The simulated Docker host: its containers, events and exec instances, and the
//! operations the API performs on them.

use super::container::{self, Container};
use super::events::EventLog;
use super::exec::{self, ExecPlan, ExecRecord, ExecTable};
use super::lifecycle::{Happening, Phase, Refusal, Timed};
use super::scenario::{DockerScenario, EngineSpec};
use super::stats::HostFacts;
use crate::sim::common::seeded::{combine, hex64};
use crate::sim::common::time::Nanos;

/// Why an operation failed, in terms the HTTP layer maps onto the daemon's answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("No such container: {0}")]
    NoSuchContainer(String),
    #[error("No such exec instance: {0}")]
    NoSuchExec(String),
    /// 304: nothing to do.
    #[error("not modified")]
    NotModified,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
}

pub struct Estate {
    pub origin: Nanos,
    pub engine: EngineSpec,
    pub host: HostFacts,
    pub daemon_id: String,
    pub containers: Vec<Container>,
    pub events: EventLog,
    pub execs: ExecTable,
}

/// What `POST /containers/{id}/exec` asks for.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    pub argv: Vec<String>,
    pub tty: bool,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    pub user: String,
    pub privileged: bool,
    pub working_dir: String,
}

impl Estate {
    pub fn new(scenario: &DockerScenario, origin: Nanos, seed: u64) -> Result<Estate, String> {
        let containers = container::build(scenario, origin, seed)?;
        let mut estate = Estate {
            origin,
            engine: scenario.engine.clone(),
            host: HostFacts {
                ncpu: scenario.engine.ncpu.max(1),
                memory: scenario.engine.memory.0.max(1 << 30),
                boot: origin - 30 * 86_400 * 1_000_000_000,
            },
            daemon_id: hex64(combine(seed, 0xd0c4e5)),
            containers,
            events: EventLog::default(),
            execs: ExecTable::new(combine(seed, 0xe8ec)),
        };
        // Replay what happened before the sim started (crash loops since `started`).
        estate.advance(origin);
        Ok(estate)
    }

    /// Apply every scheduled transition up to `now`, recording events in time order.
    pub fn advance(&mut self, now: Nanos) {
        let mut happened: Vec<(usize, Timed)> = Vec::new();
        let mut out = Vec::new();
        for (index, c) in self.containers.iter_mut().enumerate() {
            c.life.advance(now, &mut out);
            happened.extend(out.drain(..).map(|t| (index, t)));
        }
        happened.sort_by_key(|(_, t)| t.at);
        for (index, timed) in happened {
            self.record(index, timed);
        }
    }

    /// The earliest scheduled transition of any container.
    pub fn next_due(&self) -> Option<Nanos> {
        self.containers
            .iter()
            .filter_map(|c| c.life.next_due())
            .min()
    }

    fn record(&mut self, index: usize, timed: Timed) {
        let (action, extra): (String, Vec<(&str, String)>) = match timed.what {
            Happening::Start => ("start".into(), vec![]),
            Happening::Die {
                exit_code,
                ran_secs,
            } => (
                "die".into(),
                vec![
                    ("exitCode", exit_code.to_string()),
                    ("execDuration", ran_secs.to_string()),
                ],
            ),
            Happening::Oom => ("oom".into(), vec![]),
            Happening::Kill { signal } => ("kill".into(), vec![("signal", signal.to_string())]),
            Happening::Stop => ("stop".into(), vec![]),
            Happening::Restart => ("restart".into(), vec![]),
            Happening::Pause => ("pause".into(), vec![]),
            Happening::Unpause => ("unpause".into(), vec![]),
            Happening::Health(h) => (format!("health_status: {}", h.as_str()), vec![]),
        };
        self.events
            .record(timed.at, action, &self.containers[index], &extra);
    }

    /// A container by name (with or without `/`), full id, or unique id prefix.
    pub fn find(&self, reference: &str) -> Result<usize, ActionError> {
        let name = reference.strip_prefix('/').unwrap_or(reference);
        if let Some(i) = self
            .containers
            .iter()
            .position(|c| c.id == reference || c.name == name)
        {
            return Ok(i);
        }
        let mut matches = self
            .containers
            .iter()
            .enumerate()
            .filter(|(_, c)| !reference.is_empty() && c.id.starts_with(reference));
        match (matches.next(), matches.next()) {
            (Some((i, _)), None) => Ok(i),
            (Some(_), Some(_)) => Err(ActionError::BadRequest(format!(
                "multiple IDs found with provided prefix: {reference}"
            ))),
            _ => Err(ActionError::NoSuchContainer(reference.to_string())),
        }
    }

    /// Run a lifecycle operation on container `index` and record what it reports.
    fn operate(
        &mut self,
        index: usize,
        now: Nanos,
        op: impl FnOnce(&mut super::lifecycle::Lifecycle, &mut Vec<Timed>) -> Result<(), Refusal>,
    ) -> Result<(), ActionError> {
        let mut out = Vec::new();
        let result = op(&mut self.containers[index].life, &mut out);
        for timed in out {
            self.record(index, timed);
        }
        result.map_err(|refusal| match refusal {
            Refusal::NotModified => ActionError::NotModified,
            Refusal::Conflict(message) => {
                ActionError::Conflict(message.replace("{}", &self.containers[index].id))
            }
        })?;
        // A start or stop moves the schedule; nothing due earlier can have been missed.
        debug_assert!(
            self.containers[index]
                .life
                .next_due()
                .is_none_or(|t| t >= now)
        );
        Ok(())
    }

    pub fn start(&mut self, index: usize, now: Nanos) -> Result<(), ActionError> {
        self.operate(index, now, |life, out| life.start(now, out))
    }

    pub fn stop(&mut self, index: usize, now: Nanos) -> Result<(), ActionError> {
        self.operate(index, now, |life, out| life.stop(now, out))
    }

    pub fn restart(&mut self, index: usize, now: Nanos) -> Result<(), ActionError> {
        self.operate(index, now, |life, out| {
            life.restart(now, out);
            Ok(())
        })
    }

    pub fn kill(
        &mut self,
        index: usize,
        now: Nanos,
        signal: &'static str,
    ) -> Result<(), ActionError> {
        let id = self.containers[index].id.clone();
        self.operate(index, now, |life, out| life.kill(now, signal, out))
            .map_err(|e| match e {
                ActionError::Conflict(m) => {
                    ActionError::Conflict(format!("Cannot kill container: {id}: {m}"))
                }
                other => other,
            })
    }

    pub fn pause(&mut self, index: usize, now: Nanos) -> Result<(), ActionError> {
        self.operate(index, now, |life, out| life.pause(now, out))
    }

    pub fn unpause(&mut self, index: usize, now: Nanos) -> Result<(), ActionError> {
        self.operate(index, now, |life, out| life.unpause(now, out))
    }

    /// Refuse an exec in a container that is not running, with moby's words.
    fn check_can_exec(&self, index: usize) -> Result<(), ActionError> {
        let c = &self.containers[index];
        match c.life.phase {
            Phase::Running => Ok(()),
            Phase::Paused => Err(ActionError::Conflict(format!(
                "container {} is paused, unpause the container before exec",
                c.id
            ))),
            Phase::Restarting => Err(ActionError::Conflict(format!(
                "container {} is restarting, wait until the container is running",
                c.id
            ))),
            Phase::Created | Phase::Exited => Err(ActionError::Conflict(format!(
                "container {} is not running",
                c.id
            ))),
        }
    }

    /// `POST /containers/{id}/exec`.
    pub fn exec_create(
        &mut self,
        index: usize,
        req: ExecRequest,
        now: Nanos,
    ) -> Result<String, ActionError> {
        self.check_can_exec(index)?;
        if req.argv.is_empty() {
            return Err(ActionError::BadRequest(
                "No exec command specified".to_string(),
            ));
        }
        let command = req.argv.join(" ");
        let id = self.execs.create(ExecRecord {
            id: String::new(),
            container: index,
            argv: req.argv,
            tty: req.tty,
            attach_stdin: req.attach_stdin,
            attach_stdout: req.attach_stdout,
            attach_stderr: req.attach_stderr,
            user: req.user,
            privileged: req.privileged,
            working_dir: req.working_dir,
            started: false,
            running: false,
            exit_code: None,
            pid: 0,
        });
        let extra = [("execID", id.clone())];
        self.events.record(
            now,
            format!("exec_create: {command}"),
            &self.containers[index],
            &extra,
        );
        Ok(id)
    }

    /// `POST /exec/{id}/start`: mark it running and say what it will do.
    pub fn exec_begin(
        &mut self,
        exec_id: &str,
        now: Nanos,
    ) -> Result<(ExecRecord, ExecPlan), ActionError> {
        let record = self
            .execs
            .get(exec_id)
            .ok_or_else(|| ActionError::NoSuchExec(exec_id.to_string()))?
            .clone();
        if record.running {
            return Err(ActionError::Conflict(format!(
                "Error: Exec command {exec_id} is already running"
            )));
        }
        if record.started {
            return Err(ActionError::Conflict(format!(
                "Error: Exec command {exec_id} has already run"
            )));
        }
        self.check_can_exec(record.container)?;
        let plan = exec::plan(&self.containers[record.container], &record.argv, now);
        if let Some(r) = self.execs.get_mut(exec_id) {
            r.started = true;
            r.running = plan.start_error.is_none();
            if plan.start_error.is_some() {
                r.exit_code = Some(plan.exit_code);
            }
        }
        if plan.start_error.is_none() {
            let extra = [("execID", exec_id.to_string())];
            let c = &self.containers[record.container];
            self.events.record(
                now,
                format!("exec_start: {}", record.argv.join(" ")),
                c,
                &extra,
            );
        }
        Ok((record, plan))
    }

    /// The command finished: record its exit code and `exec_die`.
    pub fn exec_finish(&mut self, exec_id: &str, exit_code: i32, now: Nanos) {
        let Some(record) = self.execs.get_mut(exec_id) else {
            return;
        };
        record.running = false;
        record.exit_code = Some(exit_code);
        let index = record.container;
        let extra = [
            ("execID", exec_id.to_string()),
            ("exitCode", exit_code.to_string()),
        ];
        self.events
            .record(now, "exec_die".to_string(), &self.containers[index], &extra);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: Nanos = 1_795_371_578_000_000_000;
    const SECOND: Nanos = 1_000_000_000;

    fn estate() -> Estate {
        let scenario: DockerScenario = serde_norway::from_str(
            "containers:\n  - {name: shop-web-1, image: nginx}\n  - {name: shop-worker-1, image: worker, restart: always, started: -10m, crash: {after: 2m, jitter: 0}}\n  - {name: done, image: x, state: exited}\n",
        )
        .unwrap();
        Estate::new(&scenario, ORIGIN, 1).unwrap()
    }

    #[test]
    fn containers_are_found_by_name_id_or_prefix() {
        let e = estate();
        let id = e.containers[1].id.clone();
        assert_eq!(e.find("shop-worker-1"), Ok(1));
        assert_eq!(e.find("/shop-worker-1"), Ok(1));
        assert_eq!(e.find(&id), Ok(1));
        assert_eq!(e.find(&id[..12]), Ok(1));
        assert_eq!(
            e.find("nope"),
            Err(ActionError::NoSuchContainer("nope".to_string()))
        );
    }

    #[test]
    fn the_past_is_replayed_into_restart_counts_and_events() {
        let e = estate();
        let worker = &e.containers[1];
        assert_eq!(
            worker.life.restart_count, 4,
            "crashes at -8, -6, -4, -2 minutes"
        );
        let dies = e.events.iter().filter(|ev| ev.action == "die").count();
        assert_eq!(dies, 4);
        assert!(e.events.iter().all(|ev| ev.at <= ORIGIN));
    }

    #[test]
    fn operations_record_events_and_refuse_with_the_container_id() {
        let mut e = estate();
        e.restart(0, ORIGIN + SECOND).unwrap();
        let actions: Vec<&str> = e.events.iter().map(|ev| ev.action.as_str()).collect();
        assert_eq!(
            actions[actions.len() - 5..],
            ["kill", "die", "stop", "start", "restart"]
        );
        assert_eq!(e.stop(2, ORIGIN), Err(ActionError::NotModified));
        let Err(ActionError::Conflict(message)) = e.pause(2, ORIGIN) else {
            panic!("pausing an exited container is a conflict");
        };
        assert_eq!(
            message,
            format!("Container {} is not running", e.containers[2].id)
        );
    }

    #[test]
    fn an_exec_runs_through_create_start_and_die() {
        let mut e = estate();
        let id = e
            .exec_create(
                0,
                ExecRequest {
                    argv: vec!["echo".into(), "hi".into()],
                    ..ExecRequest::default()
                },
                ORIGIN,
            )
            .unwrap();
        let (_, plan) = e.exec_begin(&id, ORIGIN).unwrap();
        assert_eq!(plan.output[0].2, "hi\n");
        assert!(e.execs.get(&id).unwrap().running);
        assert!(matches!(
            e.exec_begin(&id, ORIGIN),
            Err(ActionError::Conflict(_))
        ));
        e.exec_finish(&id, 0, ORIGIN);
        assert_eq!(e.execs.get(&id).unwrap().exit_code, Some(0));
        let actions: Vec<&str> = e.events.iter().map(|ev| ev.action.as_str()).collect();
        assert_eq!(
            actions[actions.len() - 3..],
            ["exec_create: echo hi", "exec_start: echo hi", "exec_die"]
        );
        assert!(matches!(
            e.exec_create(
                2,
                ExecRequest {
                    argv: vec!["true".into()],
                    ..ExecRequest::default()
                },
                ORIGIN
            ),
            Err(ActionError::Conflict(_))
        ));
    }
}
