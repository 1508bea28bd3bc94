//! Scenarios: YAML files in `assets/scenarios/`, chosen by name (embedded) or by path.
//!
//! A scenario has one section per API the sim serves; each section's shape belongs to the
//! module that serves it.

use std::path::Path;

use serde::Deserialize;

use super::alertmanager::AlertScenario;
use super::docker::DockerScenario;
use super::kube::KubeScenario;

/// The scenarios shipped with pilothouse, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "default",
        include_str!("../../assets/scenarios/default.yaml"),
    ),
    (
        "incident-db",
        include_str!("../../assets/scenarios/incident-db.yaml"),
    ),
    ("big", include_str!("../../assets/scenarios/big.yaml")),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub kubernetes: KubeScenario,
    #[serde(default)]
    pub docker: DockerScenario,
    #[serde(default)]
    pub alertmanager: AlertScenario,
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("no scenario named `{0}` (built in: default, incident-db, big) and no such file")]
    Unknown(String),
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

impl Scenario {
    /// A built-in scenario by name, or a scenario file by path.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(text, &format!("builtin:scenarios/{name}.yaml"));
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            return Err(ScenarioError::Unknown(name_or_path.to_string()));
        }
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: name_or_path.to_string(),
            source,
        })?;
        Scenario::parse(&text, name_or_path)
    }

    pub fn parse(text: &str, path: &str) -> Result<Scenario, ScenarioError> {
        serde_norway::from_str(text).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            ScenarioError::Parse {
                path: path.to_string(),
                line,
                column,
                message: e.to_string(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_scenario_parses() {
        for (name, _) in BUILTIN {
            let scenario = Scenario::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(scenario.name, *name);
        }
    }

    #[test]
    fn an_unknown_name_says_what_exists() {
        let err = Scenario::load("nope").expect_err("unknown");
        assert!(err.to_string().contains("default, incident-db, big"));
    }
}
