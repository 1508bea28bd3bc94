//! `/_ping`, `/version` and `/info`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{API_VERSION, DockerSim, ENGINE_VERSION, MIN_API_VERSION};
use crate::sim::common::time::rfc3339_nano;
use crate::sim::docker::lifecycle::Phase;

/// `GET`/`HEAD /_ping`: `OK`, with the version headers the CLI negotiates from (axum
/// answers `HEAD` from this handler without the body).
pub async fn ping() -> Response {
    let mut response = "OK".into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, must-revalidate"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert("builder-version", HeaderValue::from_static("1"));
    response
}

pub async fn version(State(sim): State<Arc<DockerSim>>) -> Response {
    let (kernel, built) = sim.with(|e, _| (e.engine.kernel.clone(), rfc3339_nano(Some(e.origin))));
    let details = json!({
        "ApiVersion": API_VERSION,
        "Arch": "amd64",
        "BuildTime": built,
        "Experimental": "false",
        "GitCommit": "5d6db84",
        "GoVersion": "go1.21.9",
        "KernelVersion": kernel,
        "MinAPIVersion": MIN_API_VERSION,
        "Os": "linux",
    });
    axum::Json(json!({
        "Platform": {"Name": "pilothouse simulated engine"},
        "Components": [
            {"Name": "Engine", "Version": ENGINE_VERSION, "Details": details},
        ],
        "Version": ENGINE_VERSION,
        "ApiVersion": API_VERSION,
        "MinAPIVersion": MIN_API_VERSION,
        "GitCommit": "5d6db84",
        "GoVersion": "go1.21.9",
        "Os": "linux",
        "Arch": "amd64",
        "KernelVersion": kernel,
        "BuildTime": built,
    }))
    .into_response()
}

pub async fn info(State(sim): State<Arc<DockerSim>>) -> Response {
    let body = sim.with(|e, now| {
        let count = |phases: &[Phase]| e.containers.iter().filter(|c| phases.contains(&c.life.phase)).count();
        let mut images: Vec<&str> = e.containers.iter().map(|c| c.image_id.as_str()).collect();
        images.sort_unstable();
        images.dedup();
        let mut doc = json!({
            "ID": e.daemon_id,
            "Containers": e.containers.len(),
            "ContainersRunning": count(&[Phase::Running, Phase::Restarting]),
            "ContainersPaused": count(&[Phase::Paused]),
            "ContainersStopped": count(&[Phase::Exited, Phase::Created]),
            "Images": images.len(),
            "Driver": "overlay2",
            "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"], ["Using metacopy", "false"], ["Native Overlay Diff", "true"], ["userxattr", "false"]],
            "Plugins": {
                "Volume": ["local"],
                "Network": ["bridge", "host", "ipvlan", "macvlan", "null", "overlay"],
                "Authorization": null,
                "Log": ["awslogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "local", "logentries", "splunk", "syslog"],
            },
            "MemoryLimit": true,
            "SwapLimit": true,
            "CpuCfsPeriod": true,
            "CpuCfsQuota": true,
            "CPUShares": true,
            "CPUSet": true,
            "PidsLimit": true,
            "IPv4Forwarding": true,
            "BridgeNfIptables": true,
            "BridgeNfIp6tables": true,
            "Debug": false,
        });
        let more = json!({
            "NFd": 24 + 3 * e.containers.len(),
            "OomKillDisable": false,
            "NGoroutines": 40 + 4 * e.containers.len(),
            "SystemTime": rfc3339_nano(Some(now)),
            "LoggingDriver": "json-file",
            "CgroupDriver": "systemd",
            "CgroupVersion": "2",
            "NEventsListener": 0,
            "KernelVersion": e.engine.kernel,
            "OperatingSystem": e.engine.operating_system,
            "OSVersion": "12",
        });
        let rest = json!({
            "OSType": "linux",
            "Architecture": "x86_64",
            "IndexServerAddress": "https://index.docker.io/v1/",
            "RegistryConfig": {
                "AllowNondistributableArtifactsCIDRs": null,
                "AllowNondistributableArtifactsHostnames": null,
                "InsecureRegistryCIDRs": ["127.0.0.0/8"],
                "IndexConfigs": {
                    "docker.io": {"Name": "docker.io", "Mirrors": [], "Secure": true, "Official": true}
                },
                "Mirrors": null,
            },
            "NCPU": e.host.ncpu,
            "MemTotal": e.host.memory,
            "GenericResources": null,
            "DockerRootDir": "/var/lib/docker",
            "HttpProxy": "",
            "HttpsProxy": "",
            "NoProxy": "",
            "Name": e.engine.name,
            "Labels": [],
            "ExperimentalBuild": false,
            "ServerVersion": ENGINE_VERSION,
            "Runtimes": {"io.containerd.runc.v2": {"path": "runc"}, "runc": {"path": "runc"}},
            "DefaultRuntime": "runc",
            "Swarm": {
                "NodeID": "",
                "NodeAddr": "",
                "LocalNodeState": "inactive",
                "ControlAvailable": false,
                "Error": "",
                "RemoteManagers": null,
            },
            "LiveRestoreEnabled": false,
            "Isolation": "",
            "InitBinary": "docker-init",
            "ContainerdCommit": {"ID": "d2d58213f83a351ca8f528a95fbd145f5654e957", "Expected": "d2d58213f83a351ca8f528a95fbd145f5654e957"},
            "RuncCommit": {"ID": "v1.1.12-0-g51d5e94", "Expected": "v1.1.12-0-g51d5e94"},
            "InitCommit": {"ID": "de40ad0", "Expected": "de40ad0"},
            "SecurityOptions": ["name=apparmor", "name=seccomp,profile=builtin", "name=cgroupns"],
            "Warnings": null,
        });
        // One `json!` this long exceeds the macro recursion limit; merge three.
        for part in [more, rest] {
            if let (Value::Object(target), Value::Object(source)) = (&mut doc, part) {
                target.extend(source);
            }
        }
        doc
    });
    axum::Json(body).into_response()
}
