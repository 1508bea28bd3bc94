//! Silences as operations: created or expired in the Alertmanager the alert came from,
//! planned (Alertmanager has no dry-run, so the plan names exactly what will be sent),
//! confirmed and audited like every other change.

use super::kube::KubePlan;
use super::{OpError, Operation};
use crate::sources::alertmanager::{AmClient, SilenceOp, control};

fn client<'a>(clients: &'a [AmClient], op: &SilenceOp) -> Result<&'a AmClient, OpError> {
    let source = match op {
        SilenceOp::Create(request) => &request.source,
        SilenceOp::Expire { source, .. } => source,
    };
    clients.iter().find(|c| c.name() == source).ok_or_else(|| {
        OpError::Refused(format!(
            "{source} is not an Alertmanager pilothouse polls: its alerts cannot be silenced"
        ))
    })
}

/// Say what will be sent, refusing an Alertmanager that is not ours.
pub fn plan(op: &Operation, clients: &[AmClient]) -> Result<KubePlan, OpError> {
    let Operation::Silence { ops } = op else {
        return Err(OpError::Refused("not a silence operation".into()));
    };
    let mut lines = Vec::new();
    for op in ops {
        client(clients, op)?;
        lines.push(op.describe());
    }
    Ok(KubePlan {
        lines,
        dry_run: "not available for Alertmanager".into(),
        ..KubePlan::default()
    })
}

/// Send every request; the outcome lists each silence's id, or fails with the first error.
pub async fn execute(op: &Operation, clients: &[AmClient]) -> Result<String, OpError> {
    let Operation::Silence { ops } = op else {
        return Err(OpError::Refused("not a silence operation".into()));
    };
    let mut done = Vec::new();
    for op in ops {
        let client = client(clients, op)?;
        let outcome = control::execute(client, op.clone()).await;
        match outcome.result {
            Ok(_) => done.push(outcome.message()),
            Err(why) => {
                let mut message = format!("failed to {}: {why}", op.describe());
                if !done.is_empty() {
                    message.push_str(&format!(" (already done: {})", done.join("; ")));
                }
                return Err(OpError::Failed(message));
            }
        }
    }
    Ok(done.join("; "))
}
