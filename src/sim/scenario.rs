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

/// Just the heading of a scenario file, read without the rest.
#[derive(Deserialize)]
struct Heading {
    #[serde(default)]
    description: String,
}

/// The built-in scenarios with their descriptions, in shipping order.
pub fn builtin_descriptions() -> Vec<(&'static str, String)> {
    BUILTIN
        .iter()
        .map(|(name, text)| {
            let description = serde_norway::from_str::<Heading>(text)
                .map(|h| h.description.trim().to_string())
                .unwrap_or_default();
            (*name, description)
        })
        .collect()
}

/// The built-in scenarios as help text (for `pilothouse sim --help`): a heading, then
/// each name with its description wrapped to `width` columns.
pub fn builtin_help(width: usize) -> String {
    let list = builtin_descriptions();
    let indent = list.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + 4;
    let mut out =
        String::from("Built-in scenarios (--scenario NAME; or a YAML file of the same shape):\n");
    for (name, description) in list {
        let mut line = format!("  {name:<0$}", indent - 2);
        let mut fresh = true;
        for word in description.split_whitespace() {
            if !fresh && line.len() + 1 + word.len() > width.max(indent + 20) {
                out.push_str(line.trim_end());
                out.push('\n');
                line = " ".repeat(indent);
                fresh = true;
            }
            if !fresh {
                line.push(' ');
            }
            line.push_str(word);
            fresh = false;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
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
    fn every_builtin_scenario_is_described() {
        let list = builtin_descriptions();
        assert_eq!(list.len(), BUILTIN.len());
        for (name, description) in &list {
            assert!(
                description.len() > 80 && !description.contains("placeholder"),
                "{name}: {description:?}"
            );
            let loaded = Scenario::load(name).expect("loads");
            assert_eq!(loaded.description.trim(), description);
        }
        let help = builtin_help(80);
        assert!(help.lines().all(|l| l.chars().count() <= 80), "{help}");
        for (name, _) in BUILTIN {
            assert!(help.contains(&format!("\n  {name} ")), "{help}");
        }
        assert!(
            help.contains("crash-loops") && help.contains("50,000"),
            "{help}"
        );
    }

    #[test]
    fn an_unknown_name_says_what_exists() {
        let err = Scenario::load("nope").expect_err("unknown");
        assert!(err.to_string().contains("default, incident-db, big"));
    }
}
