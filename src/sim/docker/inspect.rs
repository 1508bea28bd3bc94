//! `/containers/{id}/json` and `/exec/{id}/json`: the inspect documents, in the shape the
//! docker CLI decodes (`ContainerJSON`, `ContainerExecInspect`).

use serde_json::{Map, Value, json};

use super::container::Container;
use super::exec::ExecRecord;
use super::lifecycle::Phase;
use crate::sim::common::time::Nanos;
use crate::sim::common::time::{rfc3339_fixed, rfc3339_nano};

fn port_bindings(c: &Container) -> (Map<String, Value>, Map<String, Value>, Map<String, Value>) {
    let mut exposed = Map::new();
    let mut bindings = Map::new();
    let mut live = Map::new();
    for p in &c.ports {
        exposed.insert(p.key(), json!({}));
        match p.host_port {
            Some(host) => {
                bindings.insert(
                    p.key(),
                    json!([{"HostIp": if p.host_ip == "0.0.0.0" { "" } else { p.host_ip.as_str() }, "HostPort": host.to_string()}]),
                );
                let mut published =
                    vec![json!({"HostIp": p.host_ip, "HostPort": host.to_string()})];
                if p.host_ip == "0.0.0.0" {
                    published.push(json!({"HostIp": "::", "HostPort": host.to_string()}));
                }
                live.insert(p.key(), Value::Array(published));
            }
            None => {
                live.insert(p.key(), Value::Null);
            }
        }
    }
    (exposed, bindings, live)
}

fn health(c: &Container, now: Nanos) -> Option<Value> {
    let spec = c.spec.health.as_ref()?;
    let status = c.life.health_at(now)?;
    let interval = spec.interval.nanos().max(1_000_000_000);
    let started = c.life.started_at.unwrap_or(now);
    // The last few probes, every `interval` since the start, as moby keeps them.
    let probes: Vec<Value> = (0..5)
        .filter_map(|back| {
            let at = now - (now - started).rem_euclid(interval) - back * interval;
            (at > started).then_some(at)
        })
        .rev()
        .map(|at| {
            let failing = c.life.health_at(at).is_some_and(|h| h.as_str() == "unhealthy");
            json!({
                "Start": rfc3339_fixed(at),
                "End": rfc3339_fixed(at + 23_000_000),
                "ExitCode": if failing { 1 } else { 0 },
                "Output": if failing { "health check failed: connection refused\n" } else { "ok\n" },
            })
        })
        .collect();
    Some(json!({
        "Status": status.as_str(),
        "FailingStreak": c.life.failing_streak(now),
        "Log": probes,
    }))
}

/// The container's inspect document at `now`.
pub fn container(c: &Container, exec_ids: &[String], now: Nanos) -> Value {
    let life = &c.life;
    let running = matches!(life.phase, Phase::Running | Phase::Paused);
    let (path, args) = c.path_and_args();
    let (exposed, bindings, live_ports) = port_bindings(c);
    let mut state = json!({
        "Status": life.phase.status(),
        "Running": life.phase.is_running(),
        "Paused": life.phase == Phase::Paused,
        "Restarting": life.phase == Phase::Restarting,
        "OOMKilled": life.oom_killed,
        "Dead": false,
        "Pid": if running { 4000 + (c.key % 60_000) } else { 0 },
        "ExitCode": life.exit_code,
        "Error": "",
        "StartedAt": rfc3339_nano(life.started_at),
        "FinishedAt": rfc3339_nano(life.finished_at),
    });
    if let Some(h) = health(c, now) {
        state["Health"] = h;
    }
    let a = &c.attachment;
    let mut aliases = vec![c.name.clone()];
    if let Some(compose) = &c.spec.compose {
        aliases.push(compose.service.clone());
    }
    let network_mode = if a.network == "bridge" {
        "bridge".to_string()
    } else {
        a.network.clone()
    };
    let memory_limit = c.spec.memory_limit.map_or(0, |m| m.0);
    let healthcheck = c.spec.health.as_ref().map(|h| {
        json!({
            "Test": if h.test.is_empty() { vec!["CMD-SHELL".to_string(), "exit 0".to_string()] } else { h.test.clone() },
            "Interval": h.interval.nanos(),
            "StartPeriod": h.start_period.nanos(),
        })
    });
    let mut config = json!({
        "Hostname": c.line_context.hostname,
        "Domainname": "",
        "User": "",
        "AttachStdin": false,
        "AttachStdout": true,
        "AttachStderr": true,
        "ExposedPorts": if exposed.is_empty() { Value::Null } else { Value::Object(exposed) },
        "Tty": false,
        "OpenStdin": false,
        "StdinOnce": false,
        "Env": c.spec.env,
        "Cmd": if c.spec.command.is_empty() { Value::Null } else { json!(c.spec.command) },
        "Image": c.spec.image,
        "Volumes": null,
        "WorkingDir": "",
        "Entrypoint": if c.spec.entrypoint.is_empty() { Value::Null } else { json!(c.spec.entrypoint) },
        "OnBuild": null,
        "Labels": c.labels,
    });
    if let Some(check) = healthcheck {
        config["Healthcheck"] = check;
    }
    let host_config = merge(
        json!({
            "Binds": null,
            "ContainerIDFile": "",
            "LogConfig": {"Type": "json-file", "Config": {}},
            "NetworkMode": network_mode,
            "PortBindings": bindings,
            "RestartPolicy": {"Name": c.spec.restart.name(), "MaximumRetryCount": c.spec.restart.max_retries()},
            "AutoRemove": false,
            "VolumeDriver": "",
            "VolumesFrom": null,
            "ConsoleSize": [0, 0],
            "CapAdd": null,
            "CapDrop": null,
            "CgroupnsMode": "private",
            "Dns": [],
            "DnsOptions": [],
            "DnsSearch": [],
            "ExtraHosts": [],
            "GroupAdd": null,
            "IpcMode": "private",
        }),
        json!({
            "Cgroup": "",
            "Links": null,
            "OomScoreAdj": 0,
            "PidMode": "",
            "Privileged": false,
            "PublishAllPorts": false,
            "ReadonlyRootfs": false,
            "SecurityOpt": null,
            "UTSMode": "",
            "UsernsMode": "",
            "ShmSize": 67_108_864,
            "Runtime": "runc",
            "Isolation": "",
            "CpuShares": 0,
            "Memory": memory_limit,
            "NanoCpus": 0,
            "CgroupParent": "",
            "BlkioWeight": 0,
            "CpuPeriod": 0,
            "CpuQuota": 0,
            "CpusetCpus": "",
            "CpusetMems": "",
            "Devices": null,
            "MemoryReservation": 0,
            "MemorySwap": if memory_limit > 0 { memory_limit * 2 } else { 0 },
            "OomKillDisable": false,
            "PidsLimit": null,
            "Ulimits": null,
            "MaskedPaths": ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"],
            "ReadonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        }),
    );
    let graph_driver = json!({
        "Data": {
            "LowerDir": format!("/var/lib/docker/overlay2/{}-init/diff", &c.id[..32]),
            "MergedDir": format!("/var/lib/docker/overlay2/{}/merged", &c.id[..32]),
            "UpperDir": format!("/var/lib/docker/overlay2/{}/diff", &c.id[..32]),
            "WorkDir": format!("/var/lib/docker/overlay2/{}/work", &c.id[..32]),
        },
        "Name": "overlay2",
    });
    let network_settings = json!({
        "Bridge": "",
        "SandboxID": if running { c.id.chars().rev().collect::<String>() } else { String::new() },
        "SandboxKey": if running { format!("/var/run/docker/netns/{}", &c.id[52..]) } else { String::new() },
        "Ports": live_ports,
        "HairpinMode": false,
        "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0,
        "SecondaryIPAddresses": null,
        "SecondaryIPv6Addresses": null,
        "EndpointID": if network_mode == "bridge" && running { a.endpoint_id.as_str() } else { "" },
        "Gateway": if network_mode == "bridge" && running { a.gateway.as_str() } else { "" },
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "IPAddress": if network_mode == "bridge" && running { a.ip.as_str() } else { "" },
        "IPPrefixLen": if network_mode == "bridge" && running { 16 } else { 0 },
        "IPv6Gateway": "",
        "MacAddress": if network_mode == "bridge" && running { a.mac.as_str() } else { "" },
        "Networks": {
            a.network.clone(): {
                "IPAMConfig": null,
                "Links": null,
                "Aliases": aliases,
                "MacAddress": if running { a.mac.as_str() } else { "" },
                "DriverOpts": null,
                "NetworkID": a.network_id,
                "EndpointID": if running { a.endpoint_id.as_str() } else { "" },
                "Gateway": if running { a.gateway.as_str() } else { "" },
                "IPAddress": if running { a.ip.as_str() } else { "" },
                "IPPrefixLen": if running { 16 } else { 0 },
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "DNSNames": if running { json!(aliases) } else { Value::Null },
            }
        },
    });
    json!({
        "Id": c.id,
        "Created": rfc3339_nano(Some(c.created_at)),
        "Path": path,
        "Args": args,
        "State": state,
        "Image": c.image_id,
        "ResolvConfPath": format!("/var/lib/docker/containers/{}/resolv.conf", c.id),
        "HostnamePath": format!("/var/lib/docker/containers/{}/hostname", c.id),
        "HostsPath": format!("/var/lib/docker/containers/{}/hosts", c.id),
        "LogPath": format!("/var/lib/docker/containers/{0}/{0}-json.log", c.id),
        "Name": format!("/{}", c.name),
        "RestartCount": life.restart_count,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "docker-default",
        "ExecIDs": if exec_ids.is_empty() { Value::Null } else { json!(exec_ids) },
        "HostConfig": host_config,
        "GraphDriver": graph_driver,
        "Mounts": [],
        "Config": config,
        "NetworkSettings": network_settings,
    })
}

/// Both objects' fields in one: a single `json!` of an inspect section's size exceeds
/// the macro's recursion limit.
fn merge(mut a: Value, b: Value) -> Value {
    if let (Value::Object(target), Value::Object(source)) = (&mut a, b) {
        target.extend(source);
    }
    a
}

/// An exec instance's inspect document.
pub fn exec(record: &ExecRecord, container_id: &str) -> Value {
    let (entrypoint, arguments) = record
        .argv
        .split_first()
        .map_or((String::new(), Vec::new()), |(p, a)| {
            (p.clone(), a.to_vec())
        });
    json!({
        "ID": record.id,
        "Running": record.running,
        "ExitCode": record.exit_code,
        "ProcessConfig": {
            "tty": record.tty,
            "entrypoint": entrypoint,
            "arguments": arguments,
            "privileged": record.privileged,
            "user": record.user,
        },
        "OpenStdin": record.attach_stdin,
        "OpenStderr": record.attach_stderr,
        "OpenStdout": record.attach_stdout,
        "CanRemove": false,
        "ContainerID": container_id,
        "DetachKeys": "",
        "Pid": if record.started { record.pid } else { 0 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::docker::container::build;
    use crate::sim::docker::scenario::DockerScenario;

    const ORIGIN: Nanos = 1_795_371_578_000_000_000;

    #[test]
    fn inspect_has_the_fields_the_cli_reads() {
        let scenario: DockerScenario = serde_norway::from_str(
            "containers:\n  - name: shop-db-1\n    image: postgres:15\n    compose: {project: shop, service: db}\n    ports: ['5432:5432']\n    restart: unless-stopped\n    health: {test: [CMD, pg_isready], start_period: 5s}\n",
        )
        .unwrap();
        let c = build(&scenario, ORIGIN, 1).unwrap().remove(0);
        let v = container(&c, &[], ORIGIN);
        assert_eq!(v["Name"], "/shop-db-1");
        assert_eq!(v["State"]["Status"], "running");
        assert_eq!(v["State"]["Running"], true);
        assert_eq!(v["State"]["Health"]["Status"], "healthy");
        assert_eq!(v["Config"]["Tty"], false, "logs are multiplexed");
        assert_eq!(v["Config"]["Labels"]["com.docker.compose.service"], "db");
        assert_eq!(v["HostConfig"]["RestartPolicy"]["Name"], "unless-stopped");
        assert_eq!(
            v["NetworkSettings"]["Ports"]["5432/tcp"][0]["HostPort"],
            "5432"
        );
        assert_eq!(
            v["NetworkSettings"]["Networks"]["shop_default"]["Aliases"],
            json!(["shop-db-1", "db"])
        );
        assert!(
            v["State"]["StartedAt"]
                .as_str()
                .unwrap()
                .starts_with("2026-11-")
        );
        assert_eq!(v["RestartCount"], 0);
    }
}
