//! Container logs, generated rather than stored: line `i` of a container instance is a pure
//! function of the seed, the container's identity, `i` and the faults in force at its
//! time, so any window (`tailLines`, `sinceSeconds`, `previous`) can be produced on demand
//! and memory stays flat however long the estate runs.

mod generate;
mod lines;
mod request;

use std::collections::HashMap;

pub use generate::{ContainerLog, LineWindow};
pub use request::serve_logs;

use super::scenario::LogStyle;

/// How one app's containers log.
#[derive(Debug, Clone)]
pub struct LogProfile {
    pub style: LogStyle,
    /// Lines per simulated second per container.
    pub rate: f64,
    /// Apps (by `app` label, same namespace) whose outages raise this app's error rate.
    pub depends_on: Vec<String>,
    /// For Job pods: how long a run takes, in simulated seconds.
    pub run_time: f64,
}

/// Log profiles by `(namespace, app)`, from the scenario.
#[derive(Debug, Default)]
pub struct Profiles {
    by_app: HashMap<(String, String), LogProfile>,
}

impl Profiles {
    pub fn insert(&mut self, namespace: &str, app: &str, profile: LogProfile) {
        self.by_app
            .insert((namespace.to_string(), app.to_string()), profile);
    }

    /// The profile of a container: its app's, or one guessed from the image.
    pub fn for_container(&self, namespace: &str, app: Option<&str>, image: &str) -> LogProfile {
        app.and_then(|a| self.by_app.get(&(namespace.to_string(), a.to_string())))
            .cloned()
            .unwrap_or_else(|| LogProfile {
                style: style_for_image(image),
                rate: 1.0,
                depends_on: Vec::new(),
                run_time: 30.0,
            })
    }
}

/// A log style that fits an image, for containers the scenario did not describe
/// (`kubectl create deployment web --image=nginx`).
pub fn style_for_image(image: &str) -> LogStyle {
    let name = image.rsplit('/').next().unwrap_or(image);
    let name = name.split([':', '@']).next().unwrap_or(name);
    match name {
        n if n.contains("postgres") => LogStyle::Postgres,
        n if n.contains("redis") => LogStyle::Redis,
        n if n.contains("nginx") || n.contains("frontend") || n.contains("httpd") => {
            LogStyle::HttpAccess
        }
        n if n.contains("backup") => LogStyle::Backup,
        n if n.contains("worker") => LogStyle::Worker,
        n if n.contains("prometheus") || n.contains("exporter") || n.contains("fluent") => {
            LogStyle::Logfmt
        }
        _ => LogStyle::JsonApp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_pick_a_style() {
        assert_eq!(style_for_image("postgres:16"), LogStyle::Postgres);
        assert_eq!(
            style_for_image("docker.io/library/nginx:1.27"),
            LogStyle::HttpAccess
        );
        assert_eq!(
            style_for_image("registry.example.com/shop/api:1.2"),
            LogStyle::JsonApp
        );
    }
}
