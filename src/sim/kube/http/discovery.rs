//! Discovery: `/version`, `/api`, `/api/v1`, `/apis` and each group-version's resource
//! list. Served in the legacy (unaggregated) form: kubectl 1.32 asks for the aggregated
//! `apidiscovery.k8s.io/v2` form first and falls back to this when the answer is plain
//! `application/json`.

use axum::response::Response;
use serde_json::{Value, json};

use super::reply;
use crate::sim::kube::resources::{GROUP_VERSIONS, ResourceType, in_group_version};

/// The Kubernetes version the sim reports. Its minor version is kubectl's (1.32), so
/// version-skew warnings stay quiet and version-dispatching kubectl wrappers pick 1.32.
pub const GIT_VERSION: &str = "v1.32.4";

pub fn version() -> Response {
    reply::json(
        200,
        &json!({
            "major": "1",
            "minor": "32",
            "gitVersion": GIT_VERSION,
            "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335",
            "gitTreeState": "clean",
            "buildDate": "2025-04-22T16:02:27Z",
            "goVersion": "go1.23.6",
            "compiler": "gc",
            "platform": "linux/amd64",
        }),
    )
}

/// Answer a discovery path, or `None` when the path is not one; `serves` says which
/// API groups this cluster has (add-ons' CRDs are not everywhere).
pub fn route(path: &str, serves: &dyn Fn(&str) -> bool) -> Option<Response> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let body = match segments.as_slice() {
        ["api"] => json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}],
        }),
        ["api", "v1"] => resource_list("", "v1"),
        ["apis"] => json!({
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": groups(serves).iter().map(|g| group(g)).collect::<Vec<_>>(),
        }),
        ["apis", name] => {
            let name = groups(serves).into_iter().find(|g| g == name)?;
            let mut g = group(&name);
            g["kind"] = json!("APIGroup");
            g["apiVersion"] = json!("v1");
            g
        }
        ["apis", group, version]
            if GROUP_VERSIONS.contains(&(*group, *version)) && serves(group) =>
        {
            resource_list(group, version)
        }
        _ => return None,
    };
    Some(reply::json(200, &body))
}

fn groups(serves: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut names: Vec<String> = GROUP_VERSIONS
        .iter()
        .filter(|(g, _)| serves(g))
        .map(|(g, _)| g.to_string())
        .collect();
    names.dedup();
    names
}

fn group(name: &str) -> Value {
    let versions: Vec<Value> = GROUP_VERSIONS
        .iter()
        .filter(|(g, _)| *g == name)
        .map(|(g, v)| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
        .collect();
    json!({
        "name": name,
        "versions": versions,
        "preferredVersion": versions.first().cloned().unwrap_or_default(),
    })
}

fn resource_list(group: &str, version: &str) -> Value {
    let mut resources = Vec::new();
    for r in in_group_version(group, version) {
        resources.push(resource_entry(r));
        for (sub, verbs) in r.subresources {
            let kind = match *sub {
                "scale" => json!("Scale"),
                _ => json!(r.kind),
            };
            let mut entry = json!({
                "name": format!("{}/{sub}", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": kind,
                "verbs": verbs,
            });
            if *sub == "scale" {
                entry["group"] = json!("autoscaling");
                entry["version"] = json!("v1");
            }
            resources.push(entry);
        }
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    })
}

fn resource_entry(r: &ResourceType) -> Value {
    let mut entry = json!({
        "name": r.plural,
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": r.verbs,
    });
    if !r.short_names.is_empty() {
        entry["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        entry["categories"] = json!(r.categories);
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(path: &str) -> Option<Value> {
        let _ = route(path, &|_| true)?;
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        Some(match segments.as_slice() {
            ["api", "v1"] => resource_list("", "v1"),
            ["apis", g, v] => resource_list(g, v),
            _ => Value::Null,
        })
    }

    #[test]
    fn group_versions_list_resources_with_short_names_and_subresources() {
        let apps = body("/apis/apps/v1").expect("apps/v1");
        let names: Vec<&str> = apps["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(names.contains(&"deployments") && names.contains(&"deployments/scale"));
        let deploy = apps["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["name"] == "deployments")
            .expect("deployments");
        assert_eq!(deploy["shortNames"], json!(["deploy"]));
        assert!(body("/apis/nope/v1").is_none());
        assert!(route("/apis/batch", &|_| true).is_some());
    }

    #[test]
    fn a_group_the_cluster_lacks_is_not_discovered() {
        let without_velero = |g: &str| g != "velero.io";
        assert!(route("/apis/velero.io/v1", &without_velero).is_none());
        assert!(route("/apis/velero.io", &without_velero).is_none());
        assert!(route("/apis/velero.io/v1", &|_| true).is_some());
        let velero = body("/apis/velero.io/v1").expect("velero.io/v1");
        let names: Vec<&str> = velero["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert_eq!(names, ["backups", "schedules"]);
    }
}
