//! A minimal OpenAPI v3: per group-version, a PATCH operation per resource carrying its
//! group-version-kind and the `fieldValidation` parameter. That is what kubectl (`create
//! -f`, `apply`, `replace`) looks for to decide the server validates fields itself;
//! without any OpenAPI it refuses to validate and fails. There are no schemas: kubectl
//! then builds strategic merge patches from its compiled-in types, as it does for any
//! server whose schema it cannot use. `/openapi/v2` stays 404.

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::reply;
use crate::sim::kube::resources::{GROUP_VERSIONS, in_group_version};

/// Changes whenever the documents would; clients cache by it.
const HASH: &str = "5f1a7c0e9d2b4c6a";

fn group_versions(serves: &dyn Fn(&str) -> bool) -> Vec<(&'static str, &'static str, String)> {
    std::iter::once(("", "v1", "api/v1".to_string()))
        .chain(
            GROUP_VERSIONS
                .iter()
                .filter(|(g, _)| serves(g))
                .map(|(g, v)| (*g, *v, format!("apis/{g}/{v}"))),
        )
        .collect()
}

/// Answer `/openapi/v3` and `/openapi/v3/<gv>`; `prefix` is the path this cluster is
/// served under (kubectl fetches the documents by server-relative URL); `serves` says
/// which API groups this cluster has.
pub fn route(path: &str, prefix: &str, serves: &dyn Fn(&str) -> bool) -> Option<Response> {
    let rest = path.strip_prefix("/openapi/v3")?;
    if rest.is_empty() {
        let paths: Map<String, Value> = group_versions(serves)
            .into_iter()
            .map(|(_, _, gv)| {
                let url = format!("{prefix}/openapi/v3/{gv}?hash={HASH}");
                (gv, json!({ "serverRelativeURL": url }))
            })
            .collect();
        return Some(reply::json(200, &json!({ "paths": paths })));
    }
    let wanted = rest.trim_start_matches('/');
    let (group, version, _) = group_versions(serves)
        .into_iter()
        .find(|(_, _, gv)| gv == wanted)?;
    Some(reply::json(200, &document(group, version)))
}

fn document(group: &str, version: &str) -> Value {
    let mut paths = Map::new();
    let base = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    for r in in_group_version(group, version).filter(|r| r.verbs.contains(&"patch")) {
        let path = if r.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
        } else {
            format!("{base}/{}/{{name}}", r.plural)
        };
        let query = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}});
        paths.insert(
            path,
            json!({
                "patch": {
                    "operationId": format!("patch{}", r.kind),
                    "parameters": [query("dryRun"), query("fieldManager"), query("fieldValidation"), query("force")],
                    "responses": {"200": {"description": "OK"}},
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": r.kind},
                }
            }),
        );
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": crate::sim::kube::http::discovery::GIT_VERSION},
        "paths": paths,
        "components": {"schemas": {}},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_carry_the_field_validation_parameter() {
        let doc = document("apps", "v1");
        let patch =
            &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"]["kind"],
            "Deployment"
        );
        assert!(
            patch["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["name"] == "fieldValidation")
        );
        let all = |_: &str| true;
        assert!(route("/openapi/v3", "/clusters/prod", &all).is_some());
        assert!(route("/openapi/v3/apis/nope/v1", "", &all).is_none());
        assert!(route("/openapi/v2", "", &all).is_none());
        assert!(route("/openapi/v3/apis/velero.io/v1", "", &|g| g != "velero.io").is_none());
    }
}
