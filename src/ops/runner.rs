//! The task that runs operations, so the console stays live while they do: the app sends
//! [`OpRequest`]s and reads [`OpUpdate`]s; an empty batch on the event channel wakes its
//! loop when one is ready.
//!
//! Every request passes the read-only check here, in the ops layer, before any request
//! leaves the process. An execution writes its intent to the audit log before it sends
//! anything and its outcome after verification.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use kube::Client;
use kube::config::Kubeconfig;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::audit::{self, AuditLog, AuditPhase, AuditRecord};
use super::kube::{self as kube_ops, Executed, KubePlan, Progress};
use super::{OpError, Operation, policy};
use crate::config::Config;
use crate::sources::EventSink;
use crate::sources::kube::KubeOptions;
use crate::store::SourceEvent;

/// Which operation an update is about; the app numbers its requests.
pub type OpId = u64;

/// What the app asks of the runner.
#[derive(Debug, Clone)]
pub enum OpRequest {
    /// Read the target, say what will change, dry-run it.
    Plan { id: OpId, op: Operation },
    /// Run it for real (after the user confirmed), then verify.
    Execute {
        id: OpId,
        op: Operation,
        reason: Option<String>,
        /// The plan's dry-run verdict, for the audit.
        dry_run: String,
    },
}

/// Where an execution is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Executing,
    Verifying,
}

/// What the runner tells the app.
#[derive(Debug, Clone)]
pub enum OpUpdate {
    Planned {
        id: OpId,
        result: Result<KubePlan, OpError>,
    },
    Progress {
        id: OpId,
        stage: Stage,
        progress: Option<Progress>,
    },
    Finished {
        id: OpId,
        result: Result<String, OpError>,
        elapsed: Duration,
    },
}

/// The audit id of this console's operation `id`: the process id keeps two consoles'
/// operations apart in one audit log.
pub fn audit_id(id: OpId) -> String {
    format!("{}-{id}", std::process::id())
}

/// What the runner needs to reach the world.
#[derive(Clone, Default)]
pub struct OpsSettings {
    pub kubeconfig: Option<Kubeconfig>,
    pub kube_options: KubeOptions,
    /// Read-only switches, protection, `[[backup]]` targets.
    pub config: Config,
    /// Where the audit log and backup outputs go.
    pub data_dir: PathBuf,
    /// The Docker hosts of the fleet by name.
    pub docker: super::container::DockerHosts,
    /// The Alertmanagers silences go to.
    pub alertmanagers: Vec<crate::sources::alertmanager::AmClient>,
}

/// The app's handle on the runner.
pub struct OpsControl {
    requests: mpsc::UnboundedSender<OpRequest>,
    updates: mpsc::UnboundedReceiver<OpUpdate>,
}

impl OpsControl {
    /// Ask; returns at once.
    pub fn send(&self, request: OpRequest) {
        let _ = self.requests.send(request);
    }

    /// The next update, if one is waiting.
    pub fn try_recv(&mut self) -> Option<OpUpdate> {
        self.updates.try_recv().ok()
    }

    /// Wait for the next update (tests without a console).
    pub async fn recv(&mut self) -> Option<OpUpdate> {
        self.updates.recv().await
    }
}

/// Start the runner. `wake` gets an empty batch whenever an update is waiting.
pub fn spawn(
    settings: OpsSettings,
    wake: Option<EventSink>,
    cancel: &CancellationToken,
) -> OpsControl {
    let (requests, mut incoming) = mpsc::unbounded_channel();
    let (updates_tx, updates) = mpsc::unbounded_channel();
    let runner = Arc::new(Runner {
        clients: tokio::sync::Mutex::new(HashMap::new()),
        audit: Mutex::new(None),
        settings,
        out: Outbox {
            tx: updates_tx,
            wake,
        },
    });
    let cancel = cancel.child_token();
    tokio::spawn(async move {
        loop {
            let request = tokio::select! {
                _ = cancel.cancelled() => break,
                request = incoming.recv() => match request {
                    Some(r) => r,
                    None => break,
                },
            };
            let runner = runner.clone();
            tokio::spawn(async move { runner.handle(request).await });
        }
    });
    OpsControl { requests, updates }
}

#[derive(Clone)]
struct Outbox {
    tx: mpsc::UnboundedSender<OpUpdate>,
    wake: Option<EventSink>,
}

impl Outbox {
    fn send(&self, update: OpUpdate) {
        if self.tx.send(update).is_ok()
            && let Some(wake) = &self.wake
        {
            let mut wake = wake.clone();
            tokio::spawn(async move {
                let _ = wake.send(SourceEvent::Batch(Vec::new())).await;
            });
        }
    }
}

struct Runner {
    clients: tokio::sync::Mutex<HashMap<String, Client>>,
    /// Opened on first use, so a console that never acts never creates the file.
    audit: Mutex<Option<AuditLog>>,
    settings: OpsSettings,
    out: Outbox,
}

impl Runner {
    async fn handle(&self, request: OpRequest) {
        match request {
            OpRequest::Plan { id, op } => {
                let result = self.plan(&op).await;
                self.out.send(OpUpdate::Planned { id, result });
            }
            OpRequest::Execute {
                id,
                op,
                reason,
                dry_run,
            } => {
                let started = Instant::now();
                let result = self.execute(id, &op, reason, dry_run, started).await;
                self.out.send(OpUpdate::Finished {
                    id,
                    result,
                    elapsed: started.elapsed(),
                });
            }
        }
    }

    async fn plan(&self, op: &Operation) -> Result<KubePlan, OpError> {
        policy::refuse_if_read_only(op, &self.settings.config)?;
        if let Operation::Silence { .. } = op {
            return super::silence::plan(op, &self.settings.alertmanagers);
        }
        match op.context() {
            Some(context) => {
                let client = self.client(context).await?;
                kube_ops::plan(&client, op).await
            }
            None => super::container::plan(op, &self.settings.docker, &self.settings.config).await,
        }
    }

    async fn execute(
        &self,
        id: OpId,
        op: &Operation,
        reason: Option<String>,
        dry_run: String,
        started: Instant,
    ) -> Result<String, OpError> {
        policy::refuse_if_read_only(op, &self.settings.config)?;
        let mut record = self.record(id, op, reason, dry_run);
        // No intent on disk, no change: a crash must never leave a change unaccounted.
        self.audit(&record)
            .map_err(|e| OpError::Refused(format!("cannot write the audit log: {e}")))?;
        let result = self.run(id, op).await;
        record.phase = AuditPhase::Outcome;
        record.time = Timestamp::now();
        record.ok = Some(result.is_ok());
        record.outcome = Some(match &result {
            Ok(words) => words.clone(),
            Err(error) => error.to_string(),
        });
        record.duration_ms = Some(started.elapsed().as_millis() as u64);
        if let Err(e) = self.audit(&record) {
            tracing::error!("audit outcome of {id}: {e}");
        }
        if let Some(context) = op.context()
            && let Ok(client) = self.client(context).await
        {
            let message = format!(
                "{}@{}: {}{}",
                record.local_user,
                record.local_host,
                record.outcome.as_deref().unwrap_or_default(),
                record
                    .reason
                    .as_deref()
                    .map(|r| format!(" (reason: {r})"))
                    .unwrap_or_default()
            );
            if let Err(e) = kube_ops::record_event(&client, op, &message, result.is_err()).await {
                tracing::warn!("recording the event of {id}: {e}");
            }
        }
        result
    }

    async fn run(&self, id: OpId, op: &Operation) -> Result<String, OpError> {
        self.out.send(OpUpdate::Progress {
            id,
            stage: Stage::Executing,
            progress: None,
        });
        if let Operation::Silence { .. } = op {
            return super::silence::execute(op, &self.settings.alertmanagers).await;
        }
        let Some(context) = op.context() else {
            return super::container::execute(
                op,
                &self.settings.docker,
                &self.settings.config,
                &self.settings.data_dir,
            )
            .await;
        };
        let client = self.client(context).await?;
        let (executed, said) = kube_ops::execute(&client, op).await?;
        if executed == Executed::Done && !matches!(op, Operation::Cordon { .. }) {
            return Ok(said);
        }
        let out = self.out.clone();
        let mut last = String::new();
        let verified = tokio::time::timeout(
            verify_timeout(op),
            kube_ops::verify(&client, op, &executed, |progress| {
                last.clone_from(&progress.text);
                out.send(OpUpdate::Progress {
                    id,
                    stage: Stage::Verifying,
                    progress: Some(progress),
                });
            }),
        )
        .await;
        match verified {
            Ok(Ok(words)) => Ok(format!("{said}; {words}")),
            Ok(Err(e)) => Err(OpError::Failed(format!("{said}, but {e}"))),
            Err(_) => Err(OpError::Failed(format!(
                "{said}, but not verified within {}s: {last}",
                verify_timeout(op).as_secs()
            ))),
        }
    }

    fn record(
        &self,
        id: OpId,
        op: &Operation,
        reason: Option<String>,
        dry_run: String,
    ) -> AuditRecord {
        let identity = match (op.context(), op.docker_host(), op.alertmanager()) {
            (Some(context), _, _) => self.kube_user(context),
            (_, Some(host), _) => self.settings.docker.url_of(host),
            (_, _, Some(am)) => Some(am.to_string()),
            _ => None,
        };
        AuditRecord {
            time: Timestamp::now(),
            phase: AuditPhase::Intent,
            id: audit_id(id),
            local_user: audit::local_user(),
            local_host: audit::local_host(),
            identity,
            context: op.context().map(str::to_string),
            target: op.target_path(),
            operation: op.verb().to_string(),
            parameters: op.parameters(),
            reason,
            dry_run: Some(dry_run),
            outcome: None,
            ok: None,
            duration_ms: None,
        }
    }

    fn audit(&self, record: &AuditRecord) -> std::io::Result<()> {
        let mut log = self.audit.lock().unwrap_or_else(|e| e.into_inner());
        if log.is_none() {
            *log = Some(AuditLog::open(&self.settings.data_dir)?);
        }
        log.as_mut().map_or(Ok(()), |log| log.append(record))
    }

    /// The kubeconfig user of `context`, which is who the API server sees.
    fn kube_user(&self, context: &str) -> Option<String> {
        self.settings
            .kubeconfig
            .as_ref()?
            .contexts
            .iter()
            .find(|c| c.name == context)?
            .context
            .as_ref()
            .and_then(|c| c.user.clone())
    }

    async fn client(&self, context: &str) -> Result<Client, OpError> {
        let mut clients = self.clients.lock().await;
        if let Some(client) = clients.get(context) {
            return Ok(client.clone());
        }
        let kubeconfig = self
            .settings
            .kubeconfig
            .as_ref()
            .ok_or_else(|| OpError::Refused("no kubeconfig was loaded".into()))?;
        let client = crate::sources::kube::context::client_for(
            kubeconfig,
            context,
            &self.settings.kube_options,
        )
        .await
        .map_err(|e| OpError::Failed(format!("cannot reach {context}: {e}")))?;
        clients.insert(context.to_string(), client.clone());
        Ok(client)
    }
}

/// How long verification may take before the operation is reported unverified: a
/// rollout gets kubectl's default progress deadline; Jobs and backups take longer.
fn verify_timeout(op: &Operation) -> Duration {
    match op {
        Operation::RunCronJob { .. } | Operation::RunSchedule { .. } => Duration::from_secs(3600),
        Operation::DeletePod { .. } | Operation::Cordon { .. } => Duration::from_secs(120),
        _ => Duration::from_secs(600),
    }
}
