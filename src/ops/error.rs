//! Why an operation did not happen, said so that a tired engineer knows what to do next.

/// An operation refused or failed. The message is shown as is in the status bar and the
/// dialog, and written to the audit log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// `--readonly` or `read_only = true` for the context: refused before any request.
    #[error("read-only: {0}")]
    ReadOnly(String),
    /// The API server (or RBAC check) said no.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The change is invalid or not possible now (a paused Deployment, a missing
    /// revision, a failed dry-run): nothing was changed.
    #[error("{0}")]
    Refused(String),
    /// The request was sent and failed, or its outcome is unknown.
    #[error("{0}")]
    Failed(String),
}

impl From<kube::Error> for OpError {
    fn from(error: kube::Error) -> OpError {
        match &error {
            kube::Error::Api(status) if status.code == 403 => {
                OpError::Forbidden(status.message.clone())
            }
            kube::Error::Api(status) if (400..500).contains(&status.code) => {
                OpError::Refused(status.message.clone())
            }
            _ => OpError::Failed(error.to_string()),
        }
    }
}

impl From<bollard::errors::Error> for OpError {
    fn from(error: bollard::errors::Error) -> OpError {
        match &error {
            bollard::errors::Error::DockerResponseServerError {
                status_code,
                message,
            } if (400..500).contains(status_code) => OpError::Refused(message.clone()),
            _ => OpError::Failed(error.to_string()),
        }
    }
}
