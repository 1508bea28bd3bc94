//! The health of the connections to the outside world (DESIGN.md §5).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Which kind of source a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Kubernetes,
    Docker,
    Alertmanager,
    Prometheus,
    Host,
    Probe,
    Fixture,
}

impl SourceKind {
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Kubernetes => "k8s",
            SourceKind::Docker => "docker",
            SourceKind::Alertmanager => "alertmanager",
            SourceKind::Prometheus => "prometheus",
            SourceKind::Host => "host",
            SourceKind::Probe => "probe",
            SourceKind::Fixture => "fixture",
        }
    }
}

/// Identity of one connection: a kube context, a docker host, an alertmanager URL...
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceKey {
    pub kind: SourceKind,
    pub name: String,
}

impl SourceKey {
    pub fn new(kind: SourceKind, name: impl Into<String>) -> Self {
        SourceKey {
            kind,
            name: name.into(),
        }
    }
}

/// What a source can honestly say about itself. Never "empty" when it means "unknown".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceHealth {
    Connecting,
    Live,
    Stale { since: Timestamp, error: String },
    Forbidden { what: String },
    Unavailable { error: String },
}

impl SourceHealth {
    /// A short word for the header.
    pub fn label(&self) -> &'static str {
        match self {
            SourceHealth::Connecting => "connecting",
            SourceHealth::Live => "live",
            SourceHealth::Stale { .. } => "stale",
            SourceHealth::Forbidden { .. } => "forbidden",
            SourceHealth::Unavailable { .. } => "unavailable",
        }
    }

    pub fn style_key(&self) -> &'static str {
        match self {
            SourceHealth::Connecting => "source.connecting",
            SourceHealth::Live => "source.live",
            SourceHealth::Stale { .. } => "source.stale",
            SourceHealth::Forbidden { .. } => "source.forbidden",
            SourceHealth::Unavailable { .. } => "source.unavailable",
        }
    }

    pub fn symbol(&self) -> &'static str {
        match self {
            SourceHealth::Connecting => "…",
            SourceHealth::Live => "●",
            SourceHealth::Stale { .. } => "◌",
            SourceHealth::Forbidden { .. } => "⊘",
            SourceHealth::Unavailable { .. } => "✗",
        }
    }
}

/// The environment a Kubernetes context belongs to; prod is drawn loudly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Dev,
    Test,
    Staging,
    Prod,
    Unknown,
}

impl Environment {
    /// Guess the environment from a context name (`prod-eu`, `shop-staging`, `kind-dev`).
    pub fn infer(context: &str) -> Environment {
        let lower = context.to_ascii_lowercase();
        let has = |words: &[&str]| {
            lower
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|part| words.contains(&part))
        };
        if has(&["prod", "production", "prd", "live"]) {
            Environment::Prod
        } else if has(&["staging", "stage", "stg", "preprod", "uat"]) {
            Environment::Staging
        } else if has(&["test", "testing", "qa"]) {
            Environment::Test
        } else if has(&["dev", "development", "local", "kind", "minikube", "demo"]) {
            Environment::Dev
        } else {
            Environment::Unknown
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Test => "test",
            Environment::Staging => "staging",
            Environment::Prod => "prod",
            Environment::Unknown => "env?",
        }
    }

    pub fn style_key(self) -> &'static str {
        match self {
            Environment::Dev => "env.dev",
            Environment::Test => "env.test",
            Environment::Staging => "env.staging",
            Environment::Prod => "env.prod",
            Environment::Unknown => "env.unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_is_inferred_from_context_words() {
        assert_eq!(Environment::infer("prod-eu-1"), Environment::Prod);
        assert_eq!(Environment::infer("shop-staging"), Environment::Staging);
        assert_eq!(Environment::infer("kind-dev"), Environment::Dev);
        assert_eq!(Environment::infer("qa"), Environment::Test);
        // "product" is not "prod": words are matched whole.
        assert_eq!(Environment::infer("product-team"), Environment::Unknown);
    }
}
