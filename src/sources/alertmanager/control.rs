//! What the console holds of the alert sources: the Alertmanagers' silences, and the
//! way to create and expire silences without ever blocking the loop.
//!
//! A silence operation runs as a task; its outcome comes back through
//! [`AlertControl::take_outcome`], and an empty batch on the event channel wakes the
//! loop so the outcome is shown at once. The Alertmanagers are then polled straight
//! away, so the silenced alerts turn silenced on screen without waiting an interval.

use jiff::Timestamp;
use tokio::sync::{mpsc, watch};

use super::client::AmClient;
use super::silence::{SilenceRequest, create_silence, expire_silence};
use crate::model::alert::Silence;
use crate::sources::EventSink;
use crate::store::SourceEvent;

/// A change to an Alertmanager's silences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SilenceOp {
    Create(SilenceRequest),
    Expire { source: String, id: String },
}

impl SilenceOp {
    pub fn describe(&self) -> String {
        match self {
            SilenceOp::Create(request) => request.describe(),
            SilenceOp::Expire { source, id } => format!("expire silence {id} on {source}"),
        }
    }
}

/// How a silence operation ended: the silence's id, or why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceOutcome {
    pub op: SilenceOp,
    pub result: Result<String, String>,
}

impl SilenceOutcome {
    /// One line for the status bar.
    pub fn message(&self) -> String {
        match (&self.op, &self.result) {
            (SilenceOp::Create(r), Ok(id)) => format!("silenced on {} (silence {id})", r.source),
            (SilenceOp::Expire { source, .. }, Ok(id)) => {
                format!("expired silence {id} on {source}")
            }
            (op, Err(why)) => format!("failed to {}: {why}", op.describe()),
        }
    }
}

/// The console's handle on the alert sources.
#[derive(Debug)]
pub struct AlertControl {
    ams: Vec<AmClient>,
    silences: watch::Receiver<Vec<Silence>>,
    refresh: watch::Sender<u64>,
    outcomes_tx: mpsc::UnboundedSender<SilenceOutcome>,
    outcomes: mpsc::UnboundedReceiver<SilenceOutcome>,
    /// Wakes the loop when an outcome is ready; `None` without a console (tests).
    wake: Option<EventSink>,
    runtime: Option<tokio::runtime::Handle>,
}

impl AlertControl {
    /// A control for these Alertmanagers; `silences` comes from their merger.
    pub fn new(
        ams: Vec<AmClient>,
        silences: watch::Receiver<Vec<Silence>>,
        refresh: watch::Sender<u64>,
        wake: Option<EventSink>,
    ) -> AlertControl {
        let (outcomes_tx, outcomes) = mpsc::unbounded_channel();
        AlertControl {
            ams,
            silences,
            refresh,
            outcomes_tx,
            outcomes,
            wake,
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    /// A control with no Alertmanager (a fixture estate, tests): silences are refused.
    pub fn none() -> AlertControl {
        AlertControl::new(
            Vec::new(),
            watch::channel(Vec::new()).1,
            watch::channel(0).0,
            None,
        )
    }

    /// Every silence the Alertmanagers hold, active first.
    pub fn silences(&self) -> Vec<Silence> {
        self.silences.borrow().clone()
    }

    /// Whether the silences changed since this was last asked.
    pub fn silences_changed(&mut self) -> bool {
        self.silences.has_changed().unwrap_or(false) && {
            self.silences.mark_unchanged();
            true
        }
    }

    /// The Alertmanager named `source`, if pilothouse polls it.
    pub fn alertmanager(&self, source: &str) -> Option<&AmClient> {
        self.ams.iter().find(|am| am.name() == source)
    }

    /// Every Alertmanager, for the operations runner that creates and expires silences.
    pub fn clients(&self) -> Vec<AmClient> {
        self.ams.clone()
    }

    /// Poll every Alertmanager now.
    pub fn refresh(&self) {
        self.refresh.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Run `op` in the background; its outcome arrives through [`AlertControl::take_outcome`].
    /// Refused at once when there is no such Alertmanager or no runtime to run it on.
    pub fn start(&self, op: SilenceOp) -> Result<(), String> {
        let source = match &op {
            SilenceOp::Create(request) => &request.source,
            SilenceOp::Expire { source, .. } => source,
        };
        let Some(client) = self.alertmanager(source).cloned() else {
            return Err(format!(
                "{source} is not an Alertmanager pilothouse polls: its alerts cannot be silenced"
            ));
        };
        let Some(runtime) = &self.runtime else {
            return Err("no runtime to run the request on".into());
        };
        let outcomes = self.outcomes_tx.clone();
        let mut wake = self.wake.clone();
        let refresh = self.refresh.clone();
        runtime.spawn(async move {
            let outcome = execute(&client, op).await;
            tracing::info!(result = ?outcome.result, "{}", outcome.op.describe());
            let _ = outcomes.send(outcome);
            refresh.send_modify(|n| *n = n.wrapping_add(1));
            if let Some(wake) = &mut wake {
                // An empty batch changes nothing but makes the loop look at the outcome.
                let _ = wake.send(SourceEvent::Batch(Vec::new())).await;
            }
        });
        Ok(())
    }

    /// An outcome of an operation started earlier, if one is ready.
    pub fn take_outcome(&mut self) -> Option<SilenceOutcome> {
        self.outcomes.try_recv().ok()
    }
}

/// Run `op` against `client` now.
pub async fn execute(client: &AmClient, op: SilenceOp) -> SilenceOutcome {
    let result = match &op {
        SilenceOp::Create(request) => create_silence(client, request, Timestamp::now()).await,
        SilenceOp::Expire { id, .. } => expire_silence(client, id).await.map(|()| id.clone()),
    };
    SilenceOutcome {
        op,
        result: result.map_err(|e| e.to_string()),
    }
}
