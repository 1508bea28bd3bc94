//! Built-in rules: alerts for estates without Alertmanager (DESIGN.md §5, issue 6).
//!
//! The ops manual's rules, with thresholds from `[rules]` in the config file: HighCPUUsage
//! (> 80% for 5m, warning), HighMemoryUsage (> 85% for 5m, warning) and HighDiskUsage (a
//! writable disk > 90% for 1m, critical), over every host (this machine, Prometheus
//! instances) and, when `[rules] containers` is on, every Docker container (memory against
//! its limit). Their alerts have the source `pilothouse`.
//!
//! - [`engine`]: the thresholds and their `for:` durations, driven by a clock passed in.
//! - [`tap`]: the task that reads the console's event stream on its way to the app,
//!   feeds host and container samples to the engine, and adds the alerts it raises.

pub mod engine;
pub mod tap;

pub use engine::{Reading, RuleEngine, RuleKind, Subject, fingerprint};
pub use tap::{Clock, ManualClock, SystemClock, spawn_rules, spawn_rules_with_clock};

#[cfg(test)]
mod tests;
