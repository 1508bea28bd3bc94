//! `/containers/json`: the list entries, their human `Status` text, and the list filters.

use serde_json::{Value, json};

use super::container::Container;
use super::filters::{FilterError, Filters};
use super::lifecycle::{HealthStatus, Phase};
use crate::sim::common::time::Nanos;

/// go-units' `HumanDuration`, which `Status` strings are made of.
pub fn human_duration(nanos: Nanos) -> String {
    let seconds = nanos / 1_000_000_000;
    if seconds < 1 {
        return "Less than a second".to_string();
    }
    if seconds == 1 {
        return "1 second".to_string();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = seconds / 60;
    if minutes == 1 {
        return "About a minute".to_string();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    let hours = (nanos as f64 / 3.6e12).round() as i64;
    if hours == 1 {
        return "About an hour".to_string();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", seconds / 3600 / 24 / 365)
}

/// moby's `State.String()`: `Up 5 minutes (healthy)`, `Exited (1) 2 hours ago`, ….
pub fn status_text(c: &Container, now: Nanos) -> String {
    let life = &c.life;
    let since = |t: Option<Nanos>| human_duration(now - t.unwrap_or(now));
    match life.phase {
        Phase::Paused => format!("Up {} (Paused)", since(life.started_at)),
        Phase::Restarting => format!(
            "Restarting ({}) {} ago",
            life.exit_code,
            since(life.finished_at)
        ),
        Phase::Running => match life.health_at(now) {
            Some(HealthStatus::Starting) => {
                format!("Up {} (health: starting)", since(life.started_at))
            }
            Some(h) => format!("Up {} ({})", since(life.started_at), h.as_str()),
            None => format!("Up {}", since(life.started_at)),
        },
        Phase::Created => "Created".to_string(),
        Phase::Exited => format!(
            "Exited ({}) {} ago",
            life.exit_code,
            since(life.finished_at)
        ),
    }
}

/// The `Command` column: the process's path and arguments joined.
pub fn command_text(c: &Container) -> String {
    let (path, args) = c.path_and_args();
    std::iter::once(path)
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One entry of the list.
pub fn summary(c: &Container, now: Nanos) -> Value {
    let ports: Vec<Value> = c
        .ports
        .iter()
        .map(|p| match p.host_port {
            Some(host) => json!({
                "IP": p.host_ip,
                "PrivatePort": p.container_port,
                "PublicPort": host,
                "Type": p.proto,
            }),
            None => json!({"PrivatePort": p.container_port, "Type": p.proto}),
        })
        .collect();
    let running = matches!(c.life.phase, Phase::Running | Phase::Paused);
    let a = &c.attachment;
    json!({
        "Id": c.id,
        "Names": [format!("/{}", c.name)],
        "Image": c.spec.image,
        "ImageID": c.image_id,
        "Command": command_text(c),
        "Created": c.created_at / 1_000_000_000,
        "Ports": ports,
        "Labels": c.labels,
        "State": c.life.phase.status(),
        "Status": status_text(c, now),
        "HostConfig": {"NetworkMode": if a.network == "bridge" { "bridge".to_string() } else { a.network.clone() }},
        "NetworkSettings": {"Networks": {
            a.network.clone(): {
                "IPAMConfig": null,
                "Links": null,
                "Aliases": null,
                "MacAddress": if running { a.mac.as_str() } else { "" },
                "NetworkID": a.network_id,
                "EndpointID": if running { a.endpoint_id.as_str() } else { "" },
                "Gateway": if running { a.gateway.as_str() } else { "" },
                "IPAddress": if running { a.ip.as_str() } else { "" },
                "IPPrefixLen": if running { 16 } else { 0 },
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "DriverOpts": null,
            }
        }},
        "Mounts": [],
    })
}

/// The keys `/containers/json` accepts in `filters`.
const LIST_FILTERS: &[&str] = &[
    "ancestor", "exited", "health", "id", "label", "name", "network", "status",
];
const STATUSES: &[&str] = &[
    "created",
    "restarting",
    "running",
    "removing",
    "paused",
    "exited",
    "dead",
];

/// Check the filters before listing, as the daemon does (400 on a bad one).
pub fn validate_list_filters(filters: &Filters) -> Result<(), FilterError> {
    filters.validate(LIST_FILTERS)?;
    for status in filters.values("status") {
        if !STATUSES.contains(&status) {
            return Err(FilterError(format!("invalid filter 'status={status}'")));
        }
    }
    for health in filters.values("health") {
        if !["starting", "healthy", "unhealthy", "none"].contains(&health) {
            return Err(FilterError(format!(
                "Unrecognised filter value for health: {health}"
            )));
        }
    }
    Ok(())
}

/// Does the container pass the list's `all` flag and `filters`?
pub fn list_matches(c: &Container, all: bool, filters: &Filters, now: Nanos) -> bool {
    if !all && !c.life.phase.is_running() && filters.values("status").next().is_none() {
        return false;
    }
    // moby matches the name with and without its leading slash.
    let names = [format!("/{}", c.name), c.name.clone()];
    filters.any_or_empty("status", |s| s == c.life.phase.status())
        && filters.any_or_empty("id", |p| c.id.starts_with(p))
        && filters.any_or_empty("name", |pattern| {
            regex::Regex::new(pattern).map_or_else(
                |_| c.name.contains(pattern),
                |re| names.iter().any(|n| re.is_match(n)),
            )
        })
        && filters.all_labels_match(&c.labels)
        && filters.any_or_empty("ancestor", |image| {
            image_matches(&c.spec.image, &c.image_id, image)
        })
        && filters.any_or_empty("exited", |code| {
            c.life.phase == Phase::Exited && code.parse() == Ok(c.life.exit_code)
        })
        && filters.any_or_empty("health", |h| {
            let status = c.life.health_at(now).map_or("none", HealthStatus::as_str);
            h == status
        })
        && filters.any_or_empty("network", |n| {
            n == c.attachment.network || c.attachment.network_id.starts_with(n)
        })
}

/// `ancestor=nginx`, `nginx:1.27`, or an image id prefix.
pub fn image_matches(image: &str, image_id: &str, wanted: &str) -> bool {
    let repo = image.rsplit_once(':').map_or(image, |(r, _)| r);
    image == wanted
        || repo == wanted
        || image_id == wanted
        || image_id.strip_prefix("sha256:").is_some_and(|hex| {
            wanted.len() >= 4 && hex.starts_with(wanted.trim_start_matches("sha256:"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_read_like_docker_ps() {
        let s = 1_000_000_000;
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(s), "1 second");
        assert_eq!(human_duration(42 * s), "42 seconds");
        assert_eq!(human_duration(90 * s), "About a minute");
        assert_eq!(human_duration(25 * 60 * s), "25 minutes");
        assert_eq!(human_duration(65 * 60 * s), "About an hour");
        assert_eq!(human_duration(5 * 3600 * s), "5 hours");
        assert_eq!(human_duration(3 * 86_400 * s), "3 days");
        assert_eq!(human_duration(20 * 86_400 * s), "2 weeks");
        assert_eq!(human_duration(100 * 86_400 * s), "3 months");
        assert_eq!(human_duration(800 * 86_400 * s), "2 years");
    }

    #[test]
    fn ancestors_match_by_repo_tag_or_id() {
        let id = "sha256:abcdef0123";
        assert!(image_matches("nginx:1.27", id, "nginx"));
        assert!(image_matches("nginx:1.27", id, "nginx:1.27"));
        assert!(image_matches("nginx:1.27", id, "abcdef"));
        assert!(!image_matches("nginx:1.27", id, "redis"));
    }
}
