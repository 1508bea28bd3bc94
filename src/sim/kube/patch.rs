//! The patch kinds kubectl sends: JSON patch (`rollout undo`), JSON merge patch (`scale`,
//! `label`, `annotate`) and strategic merge patch (`rollout restart`, `set image`, `apply`).

use serde_json::{Map, Value};

use super::status::ApiError;

/// A patch's media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Json,
    Merge,
    Strategic,
    Apply,
}

impl PatchKind {
    pub fn from_content_type(content_type: &str) -> Result<PatchKind, ApiError> {
        match content_type.split(';').next().unwrap_or_default().trim() {
            "application/json-patch+json" => Ok(PatchKind::Json),
            "application/merge-patch+json" => Ok(PatchKind::Merge),
            "application/strategic-merge-patch+json" => Ok(PatchKind::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => Ok(PatchKind::Apply),
            other => Err(ApiError::unsupported_media_type(other)),
        }
    }
}

/// Apply `patch` (raw body) of `kind` to `target`.
pub fn apply(kind: PatchKind, target: &Value, patch: &[u8]) -> Result<Value, ApiError> {
    let bad = |e: String| ApiError::bad_request(e);
    match kind {
        PatchKind::Json => {
            let ops: json_patch::Patch = serde_json::from_slice(patch)
                .map_err(|e| bad(format!("invalid JSON patch: {e}")))?;
            let mut doc = target.clone();
            json_patch::patch(&mut doc, &ops).map_err(|e| {
                ApiError::new(
                    422,
                    "Invalid",
                    format!("the server rejected our request due to an error in our request: {e}"),
                )
            })?;
            Ok(doc)
        }
        PatchKind::Merge => {
            let p: Value = serde_json::from_slice(patch)
                .map_err(|e| bad(format!("invalid merge patch: {e}")))?;
            let mut doc = target.clone();
            json_patch::merge(&mut doc, &p);
            Ok(doc)
        }
        PatchKind::Strategic => {
            let p: Value = serde_json::from_slice(patch)
                .map_err(|e| bad(format!("invalid strategic merge patch: {e}")))?;
            Ok(strategic_merge(target, &p))
        }
        PatchKind::Apply => {
            // Server-side apply, approximated: the applied configuration is merged in
            // strategically. Field ownership (managedFields) is not tracked.
            let p: Value = serde_norway::from_slice(patch)
                .map_err(|e| bad(format!("invalid apply configuration: {e}")))?;
            Ok(strategic_merge(target, &p))
        }
    }
}

/// The key by which list elements merge, for the lists Kubernetes gives one
/// (`patchMergeKey` in the API types). Lists without one are replaced whole.
fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims" => "name",
        // A container's ports merge on containerPort; a Service's on port (below).
        "ports" => "containerPort",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" => "type",
        "ownerReferences" => "uid",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        _ => return None,
    })
}

/// Strategic merge: a merge patch, except that lists with a merge key merge element by
/// element and the `$patch`, `$retainKeys`, `$setElementOrder` and `$deleteFromPrimitiveList`
/// directives are honoured (the last three are accepted and, as ordering and
/// retained-keys pruning are cosmetic here, mostly ignored).
pub fn strategic_merge(target: &Value, patch: &Value) -> Value {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            if p.get("$patch").and_then(Value::as_str) == Some("replace") {
                let mut out = p.clone();
                out.remove("$patch");
                return Value::Object(out);
            }
            if p.get("$patch").and_then(Value::as_str) == Some("delete") {
                return Value::Null;
            }
            let mut out: Map<String, Value> = t.clone();
            for (key, value) in p {
                if key.starts_with('$') {
                    continue;
                }
                if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
                    if let (Some(Value::Array(list)), Value::Array(remove)) =
                        (out.get_mut(field), value)
                    {
                        list.retain(|v| !remove.contains(v));
                    }
                    continue;
                }
                if value.is_null() {
                    out.remove(key);
                    continue;
                }
                let merged = match (out.get(key), value) {
                    (Some(Value::Array(current)), Value::Array(items)) => match merge_key(key) {
                        Some("containerPort")
                            if items.iter().all(|i| i.get("containerPort").is_none()) =>
                        {
                            merge_list(current, items, "port")
                        }
                        Some(mk) => merge_list(current, items, mk),
                        None => Value::Array(items.clone()),
                    },
                    (Some(current), _) => strategic_merge(current, value),
                    (None, _) => strip_directives(value),
                };
                out.insert(key.clone(), merged);
            }
            Value::Object(out)
        }
        (_, p) => strip_directives(p),
    }
}

fn merge_list(current: &[Value], items: &[Value], key: &str) -> Value {
    let mut out: Vec<Value> = current.to_vec();
    for item in items {
        let id = item.get(key);
        let directive = item.get("$patch").and_then(Value::as_str);
        let position = id.and_then(|id| out.iter().position(|c| c.get(key) == Some(id)));
        match (directive, position) {
            (Some("delete"), Some(i)) => {
                out.remove(i);
            }
            (Some("delete"), None) => {}
            (_, Some(i)) => out[i] = strategic_merge(&out[i], item),
            (_, None) => out.push(strip_directives(item)),
        }
    }
    Value::Array(out)
}

/// A patch value inserted where nothing was: without its `$` directives.
fn strip_directives(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_image_merges_containers_by_name() {
        let target = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "api", "image": "api:1", "ports": [{"containerPort": 80}]},
            {"name": "sidecar", "image": "envoy:1"}
        ]}}}});
        let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "api:2"}]}}}});
        let out = strategic_merge(&target, &patch);
        let containers = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["image"], "api:2");
        assert_eq!(containers[0]["ports"][0]["containerPort"], 80);
        assert_eq!(containers[1]["image"], "envoy:1");
    }

    #[test]
    fn restart_adds_an_annotation() {
        let target = json!({"spec": {"template": {"metadata": {"labels": {"app": "api"}}}}});
        let patch = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "now"}}}}});
        let out = strategic_merge(&target, &patch);
        assert_eq!(out["spec"]["template"]["metadata"]["labels"]["app"], "api");
        assert_eq!(
            out["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"],
            "now"
        );
    }

    #[test]
    fn directives_replace_and_delete() {
        let target =
            json!({"spec": {"template": {"a": 1, "b": 2}, "list": [{"name": "x"}, {"name": "y"}]}});
        let patch = json!({"spec": {"template": {"$patch": "replace", "c": 3}}});
        assert_eq!(
            strategic_merge(&target, &patch)["spec"]["template"],
            json!({"c": 3})
        );
        let containers = json!({"containers": [{"name": "x"}, {"name": "y"}]});
        let delete = json!({"containers": [{"name": "x", "$patch": "delete"}]});
        assert_eq!(
            strategic_merge(&containers, &delete)["containers"],
            json!([{"name": "y"}])
        );
    }

    #[test]
    fn merge_and_json_patches() {
        let target = json!({"spec": {"replicas": 3}, "metadata": {"labels": {"a": "1"}}});
        let merged = apply(
            PatchKind::Merge,
            &target,
            br#"{"metadata":{"labels":{"a":null,"b":"2"}}}"#,
        )
        .expect("merge");
        assert_eq!(merged["metadata"]["labels"], json!({"b": "2"}));
        let patched = apply(
            PatchKind::Json,
            &target,
            br#"[{"op":"replace","path":"/spec/replicas","value":5}]"#,
        )
        .expect("json");
        assert_eq!(patched["spec"]["replicas"], 5);
        assert!(
            apply(
                PatchKind::Json,
                &target,
                br#"[{"op":"test","path":"/spec/replicas","value":9}]"#
            )
            .is_err()
        );
    }
}
