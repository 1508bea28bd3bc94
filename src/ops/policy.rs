//! What an operation needs before it may run: refusal when read-only, and the
//! confirmation in proportion to its risk (DESIGN.md §6).

use super::{OpError, Operation};
use crate::config::Config;
use crate::model::Environment;

/// How strongly an operation must be confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// `y/N`, defaulting to No.
    Low,
    /// Type the target's name (and a reason when protected).
    High,
}

/// What the confirmation dialog asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub tier: Tier,
    /// The environment of the place the operation acts on, shown in its color.
    pub environment: Environment,
    /// The context or host matches `protected` or is prod.
    pub protected: bool,
    /// The name the user must type (high tier).
    pub name: Option<String>,
    /// A reason is required and goes into the audit log (protected places).
    pub reason_required: bool,
}

/// The confirmation `op` needs under `config`.
pub fn confirmation(op: &Operation, config: &Config) -> Confirmation {
    let place = op.place();
    let protected = config.is_protected(place);
    let tier = if protected || op.inherently_risky() {
        Tier::High
    } else {
        Tier::Low
    };
    Confirmation {
        tier,
        environment: config.environment_for(place),
        protected,
        name: (tier == Tier::High).then(|| op.name_to_type().to_string()),
        reason_required: protected,
    }
}

/// Refuse `op` if the console or its context is read-only: before any request is built.
pub fn refuse_if_read_only(op: &Operation, config: &Config) -> Result<(), OpError> {
    let place = op.place();
    if config.read_only {
        return Err(OpError::ReadOnly(format!(
            "{} refused: pilothouse runs read-only (--readonly or read_only = true)",
            op.verb()
        )));
    }
    if config.is_read_only(place) {
        return Err(OpError::ReadOnly(format!(
            "{} refused: {place} is read-only in the config",
            op.verb()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KubeId, KubeKind};

    fn scale(context: &str) -> Operation {
        Operation::Scale {
            target: KubeId {
                context: context.into(),
                namespace: "shop".into(),
                kind: KubeKind::Deployment,
                name: "api".into(),
            },
            from: 1,
            to: 2,
        }
    }

    #[test]
    fn a_scale_in_dev_is_low_and_in_prod_needs_name_and_reason() {
        let config = Config::default();
        let dev = confirmation(&scale("kind-dev"), &config);
        assert_eq!(dev.tier, Tier::Low);
        assert_eq!(dev.name, None);
        let prod = confirmation(&scale("sim-prod"), &config);
        assert_eq!(prod.tier, Tier::High);
        assert_eq!(prod.name.as_deref(), Some("api"));
        assert!(prod.reason_required);
        assert_eq!(prod.environment, Environment::Prod);
    }

    #[test]
    fn protected_globs_protect_and_rollbacks_are_high_anywhere() {
        let mut config = Config::default();
        config.protected = vec!["*-live".into()];
        assert!(confirmation(&scale("shop-live"), &config).reason_required);
        let rollback = Operation::Rollback {
            target: KubeId {
                context: "kind-dev".into(),
                namespace: "shop".into(),
                kind: KubeKind::Deployment,
                name: "api".into(),
            },
            to_revision: 0,
        };
        let c = confirmation(&rollback, &config);
        assert_eq!((c.tier, c.reason_required), (Tier::High, false));
    }

    #[test]
    fn read_only_refuses_globally_and_per_context() {
        let mut config = Config::default();
        assert!(refuse_if_read_only(&scale("sim-prod"), &config).is_ok());
        config.contexts.insert(
            "sim-*".into(),
            crate::config::file::ContextConfig {
                environment: None,
                read_only: Some(true),
            },
        );
        let refused = refuse_if_read_only(&scale("sim-prod"), &config).unwrap_err();
        assert!(matches!(refused, OpError::ReadOnly(_)), "{refused:?}");
        assert!(refuse_if_read_only(&scale("kind-dev"), &config).is_ok());
        config.read_only = true;
        assert!(refuse_if_read_only(&scale("kind-dev"), &config).is_err());
    }
}
