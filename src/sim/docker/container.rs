//! A simulated container: its identity and configuration, built from the scenario, and
//! its lifecycle.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::lifecycle::{HealthRules, Initial, LifeRules, Lifecycle};
use super::log_styles::LineContext;
use super::scenario::{ContainerSpec, DockerScenario, InitialState, LogStyle};
use crate::sim::common::seeded::{combine, fnv, hex64};
use crate::sim::common::time::Nanos;

/// Where a container sits on its network.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub network: String,
    pub network_id: String,
    pub endpoint_id: String,
    pub ip: String,
    pub gateway: String,
    pub mac: String,
}

/// One `ports:` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMapping {
    pub host_ip: String,
    pub host_port: Option<u16>,
    pub container_port: u16,
    pub proto: String,
}

impl PortMapping {
    /// `HOST:CONTAINER[/proto]`, `IP:HOST:CONTAINER[/proto]` or `CONTAINER[/proto]`.
    pub fn parse(text: &str) -> Result<PortMapping, String> {
        let (ports, proto) = text.split_once('/').unwrap_or((text, "tcp"));
        let parts: Vec<&str> = ports.split(':').collect();
        let number = |s: &str| {
            s.parse::<u16>()
                .map_err(|_| format!("port `{text}`: `{s}` is not a port number"))
        };
        let (host_ip, host_port, container_port) = match parts.as_slice() {
            [c] => (String::new(), None, number(c)?),
            [h, c] => ("0.0.0.0".to_string(), Some(number(h)?), number(c)?),
            [ip, h, c] => ((*ip).to_string(), Some(number(h)?), number(c)?),
            _ => {
                return Err(format!(
                    "port `{text}`: expected [IP:]HOST:CONTAINER[/proto]"
                ));
            }
        };
        Ok(PortMapping {
            host_ip,
            host_port,
            container_port,
            proto: proto.to_string(),
        })
    }

    /// The `80/tcp` key Docker uses in `ExposedPorts` and `NetworkSettings.Ports`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.container_port, self.proto)
    }
}

#[derive(Debug, Clone)]
pub struct Container {
    pub id: String,
    /// Without the leading slash.
    pub name: String,
    /// Seeds everything generated for this container.
    pub key: u64,
    pub spec: ContainerSpec,
    pub labels: BTreeMap<String, String>,
    pub image_id: String,
    pub created_at: Nanos,
    pub life: Lifecycle,
    pub attachment: Attachment,
    pub ports: Vec<PortMapping>,
    pub line_context: LineContext,
    /// Absolute windows with their error ratio.
    pub incidents: Vec<(Nanos, Nanos, f64)>,
    pub pids: u64,
}

impl Container {
    /// The process's path and arguments (`Path`, `Args`).
    pub fn path_and_args(&self) -> (String, Vec<String>) {
        let mut argv: Vec<String> = self
            .spec
            .entrypoint
            .iter()
            .chain(self.spec.command.iter())
            .cloned()
            .collect();
        if argv.is_empty() {
            argv.push("/bin/sh".to_string());
        }
        let path = argv.remove(0);
        (path, argv)
    }

    /// The error ratio of steady lines at `at`.
    pub fn error_ratio(&self, at: Nanos) -> f64 {
        self.incidents
            .iter()
            .find(|&&(a, b, _)| a <= at && at < b)
            .map_or(self.spec.logs.error_ratio, |&(_, _, r)| r)
    }

    /// The compose project, if the container belongs to one.
    pub fn project(&self) -> Option<&str> {
        self.spec.compose.as_ref().map(|c| c.project.as_str())
    }
}

/// Build every container of a scenario, with `{i}` replicas expanded.
pub fn build(
    scenario: &DockerScenario,
    origin: Nanos,
    seed: u64,
) -> Result<Vec<Container>, String> {
    let mut containers = Vec::new();
    let mut names = HashSet::new();
    let mut networks = Networks::default();
    for spec in &scenario.containers {
        for i in 1..=spec.replicas.max(1) {
            let mut spec = spec.clone();
            spec.name = if spec.name.contains("{i}") {
                spec.name.replace("{i}", &i.to_string())
            } else if spec.replicas > 1 {
                format!("{}-{i}", spec.name)
            } else {
                spec.name.clone()
            };
            if !names.insert(spec.name.clone()) {
                return Err(format!("docker: two containers are named `{}`", spec.name));
            }
            containers.push(build_one(spec, i, origin, seed, &mut networks)?);
        }
    }
    Ok(containers)
}

/// Network and address allocation: `bridge` is 172.17/16, each Compose project's
/// `<project>_default` gets the next /16.
#[derive(Default)]
struct Networks {
    /// Network name → (second octet, hosts handed out so far).
    subnets: HashMap<String, (u8, u16)>,
    projects: u8,
}

impl Networks {
    fn attach(&mut self, network: &str, seed: u64, container_key: u64) -> Attachment {
        let projects = &mut self.projects;
        let entry = self.subnets.entry(network.to_string()).or_insert_with(|| {
            if network == "bridge" {
                (17, 1)
            } else {
                *projects = projects.wrapping_add(1);
                (17u8.wrapping_add(*projects), 1)
            }
        });
        entry.1 = entry.1.wrapping_add(1);
        let (subnet, host) = *entry;
        let key = combine(seed, fnv(network));
        Attachment {
            network: network.to_string(),
            network_id: hex64(key),
            endpoint_id: hex64(combine(container_key, 7)),
            ip: format!("172.{subnet}.{}.{}", host >> 8, host & 0xff),
            gateway: format!("172.{subnet}.0.1"),
            mac: format!(
                "02:42:ac:{subnet:02x}:{:02x}:{:02x}",
                host >> 8,
                host & 0xff
            ),
        }
    }
}

fn build_one(
    spec: ContainerSpec,
    number: u32,
    origin: Nanos,
    seed: u64,
    networks: &mut Networks,
) -> Result<Container, String> {
    let key = combine(seed, fnv(&spec.name));
    let id = hex64(key);
    let image_id = format!("sha256:{}", hex64(combine(seed, fnv(&spec.image))));
    let at = |span: crate::sim::common::time::SimSpan| origin + span.nanos();
    let created_at = at(spec.created);
    let started = spec.started.map_or(created_at + 2_000_000_000, at);

    let mut labels = BTreeMap::new();
    if let Some(compose) = &spec.compose {
        let p = &compose.project;
        let compose_labels = [
            ("com.docker.compose.config-hash", hex64(combine(key, 1))),
            ("com.docker.compose.container-number", number.to_string()),
            (
                "com.docker.compose.depends_on",
                compose
                    .depends_on
                    .iter()
                    .map(|d| format!("{d}:service_started:false"))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("com.docker.compose.image", image_id.clone()),
            ("com.docker.compose.oneoff", "False".to_string()),
            ("com.docker.compose.project", p.clone()),
            (
                "com.docker.compose.project.config_files",
                format!("/srv/{p}/compose.yaml"),
            ),
            (
                "com.docker.compose.project.working_dir",
                format!("/srv/{p}"),
            ),
            ("com.docker.compose.service", compose.service.clone()),
            ("com.docker.compose.version", "2.29.7".to_string()),
        ];
        labels.extend(compose_labels.map(|(k, v)| (k.to_string(), v)));
    }
    labels.extend(spec.labels.clone());

    let ports = spec
        .ports
        .iter()
        .map(|p| PortMapping::parse(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("docker: {}: {e}", spec.name))?;

    let network = spec.compose.as_ref().map_or_else(
        || "bridge".to_string(),
        |c| format!("{}_default", c.project),
    );
    let attachment = networks.attach(&network, seed, key);

    let rules = LifeRules {
        policy: spec.restart,
        restart_delay: spec.restart_delay.nanos(),
        crash: spec
            .crash
            .as_ref()
            .map(|c| (c.after.nanos(), c.jitter, c.exit_code)),
        stop_exit_code: spec.stop_exit_code,
        health: spec.health.as_ref().map(|h| HealthRules {
            start_period: h.start_period.nanos(),
            interval: h.interval.nanos().max(1),
            unhealthy: h.unhealthy.iter().map(|w| (at(w.from), at(w.to))).collect(),
        }),
        key,
    };
    let initial = match spec.state {
        InitialState::Created => Initial::Created,
        InitialState::Running => Initial::Running { started },
        InitialState::Paused => Initial::Paused {
            started,
            paused: started.max(origin - 300_000_000_000),
        },
        InitialState::Exited => Initial::Exited {
            started,
            finished: spec.finished.map_or(started + 60_000_000_000, at),
            exit_code: spec.exit_code,
        },
    };
    let life = Lifecycle::new(rules, initial, spec.oom.as_ref().map(|o| at(o.at)));

    let tag = spec.image.rsplit_once(':').map_or("latest", |(_, t)| t);
    let version = match tag.split('-').next() {
        Some("latest") | None => "1.0.0",
        Some(v) => v,
    };
    let line_context = LineContext {
        name: spec.name.clone(),
        hostname: id[..12].to_string(),
        version: version.to_string(),
        // What the program works on: the Compose project, else the database a job is
        // pointed at (`PGDATABASE`), else the container itself.
        project: spec.compose.as_ref().map_or_else(
            || {
                spec.env
                    .iter()
                    .find_map(|e| e.strip_prefix("PGDATABASE="))
                    .map_or_else(|| spec.name.clone(), str::to_string)
            },
            |c| c.project.clone(),
        ),
    };
    let incidents = spec
        .logs
        .incidents
        .iter()
        .map(|i| (at(i.from), at(i.to), i.error_ratio))
        .collect();
    let pids = spec.pids.unwrap_or(match spec.logs.style {
        LogStyle::Nginx => 5,
        LogStyle::Postgres => 9,
        LogStyle::App => 13,
        LogStyle::Worker => 6,
        LogStyle::Redis => 6,
        LogStyle::Grafana => 18,
        _ => 3,
    });
    Ok(Container {
        id,
        name: spec.name.clone(),
        key,
        labels,
        image_id,
        created_at,
        life,
        attachment,
        ports,
        line_context,
        incidents,
        pids,
        spec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse_in_the_compose_forms() {
        assert_eq!(
            PortMapping::parse("8080:80").unwrap(),
            PortMapping {
                host_ip: "0.0.0.0".into(),
                host_port: Some(8080),
                container_port: 80,
                proto: "tcp".into()
            }
        );
        let exposed = PortMapping::parse("5432/tcp").unwrap();
        assert_eq!(exposed.host_port, None);
        assert_eq!(exposed.key(), "5432/tcp");
        let local = PortMapping::parse("127.0.0.1:6379:6379/udp").unwrap();
        assert_eq!(
            (local.host_ip.as_str(), local.proto.as_str()),
            ("127.0.0.1", "udp")
        );
        assert!(PortMapping::parse("http").is_err());
    }

    #[test]
    fn replicas_expand_and_compose_labels_are_added() {
        let scenario: DockerScenario = serde_norway::from_str(
            "containers:\n  - name: shop-web-{i}\n    image: nginx:1.27-alpine\n    replicas: 2\n    compose: {project: shop, service: web}\n  - name: grafana\n    image: grafana/grafana:11.2.0\n",
        )
        .unwrap();
        let containers = build(&scenario, 1_000_000_000_000, 42).unwrap();
        let names: Vec<_> = containers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["shop-web-1", "shop-web-2", "grafana"]);
        let web2 = &containers[1];
        assert_eq!(web2.labels["com.docker.compose.project"], "shop");
        assert_eq!(web2.labels["com.docker.compose.container-number"], "2");
        assert_eq!(web2.attachment.network, "shop_default");
        assert_eq!(containers[2].attachment.network, "bridge");
        assert_eq!(containers[2].attachment.ip, "172.17.0.2");
        assert_ne!(containers[0].attachment.ip, web2.attachment.ip);
        assert_eq!(web2.line_context.version, "1.27");
        assert_eq!(web2.id.len(), 64);
        let again = build(&scenario, 1_000_000_000_000, 42).unwrap();
        assert_eq!(again[1].id, web2.id, "ids come from the seed");
    }

    #[test]
    fn duplicate_names_are_refused() {
        let scenario: DockerScenario = serde_norway::from_str(
            "containers:\n  - {name: a, image: x}\n  - {name: a, image: y}\n",
        )
        .unwrap();
        assert!(build(&scenario, 0, 1).unwrap_err().contains("`a`"));
    }
}
