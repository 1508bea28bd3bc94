//! Pod templates as JSON: kept raw, so that fields newer than our API types survive a
//! rollback, and compared the way kubectl compares its typed copies.

use serde_json::Value;

/// The label a Deployment's ReplicaSets carry to keep their pods apart; never part of
/// the Deployment's own template.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// The images of the template's containers, in order.
pub fn images(template: &Value) -> Vec<String> {
    template["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["image"].as_str().map(str::to_string))
        .collect()
}

/// `template` without the `pod-template-hash` label. A label map left empty goes too:
/// kubectl's typed template would not write an empty map.
pub fn without_hash_label(template: &Value) -> Value {
    let mut template = template.clone();
    if let Some(metadata) = template.get_mut("metadata").and_then(Value::as_object_mut)
        && let Some(labels) = metadata.get_mut("labels").and_then(Value::as_object_mut)
    {
        labels.remove(POD_TEMPLATE_HASH);
        if labels.is_empty() {
            metadata.remove("labels");
        }
    }
    template
}

/// Two JSON documents are the same once what Go's typed decoding cannot tell apart is
/// removed: `null` is an absent field and `[]` an absent list (apimachinery's semantic
/// equality treats nil and empty slices alike). Objects are kept even when empty, since
/// `{}` may be a set pointer (`securityContext: {}`) that is not the same as none.
pub fn same(a: &Value, b: &Value) -> bool {
    comparable(a) == comparable(b)
}

/// Two pod templates are the same, ignoring `pod-template-hash` (kubectl's
/// `equalIgnoreHash`): a ReplicaSet's template has it, its Deployment's never does.
pub fn same_ignoring_hash(a: &Value, b: &Value) -> bool {
    same(
        &drop_empty_metadata(without_hash_label(a)),
        &drop_empty_metadata(without_hash_label(b)),
    )
}

/// Template metadata is a struct, not a pointer, in Go: `metadata: {}` is no metadata.
fn drop_empty_metadata(mut template: Value) -> Value {
    if let Some(object) = template.as_object_mut() {
        let empty = object
            .get("metadata")
            .is_some_and(|m| comparable(m).as_object().is_some_and(|m| m.is_empty()));
        if empty {
            object.remove("metadata");
        }
    }
    template
}

/// `value` without nulls and empty lists, recursively.
fn comparable(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !is_absent(v))
                .map(|(k, v)| (k.clone(), comparable(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(comparable).collect()),
        other => other.clone(),
    }
}

fn is_absent(value: &Value) -> bool {
    value.is_null() || value.as_array().is_some_and(Vec::is_empty)
}

/// The result of a JSON merge patch (RFC 7386) of `patch` onto `target`. Used only to
/// show a ControllerRevision whose stored patch does not replace the whole template
/// (every controller since Kubernetes 1.7 writes `$patch: replace`); the rollback itself
/// sends the stored patch and the server merges it.
pub fn merged(target: &Value, patch: &Value) -> Value {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            let mut out = target.clone();
            for (key, value) in patch {
                if key.starts_with('$') {
                    continue; // a strategic-merge directive, not a field
                }
                if value.is_null() {
                    out.remove(key);
                } else {
                    let merged = merged(target.get(key).unwrap_or(&Value::Null), value);
                    out.insert(key.clone(), merged);
                }
            }
            Value::Object(out)
        }
        (_, patch) => patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_hash_label_is_removed_and_an_empty_label_map_with_it() {
        let rs = json!({"metadata": {"labels": {"app": "api", "pod-template-hash": "abc"}}});
        assert_eq!(
            without_hash_label(&rs),
            json!({"metadata": {"labels": {"app": "api"}}})
        );
        let only_hash = json!({"metadata": {"labels": {"pod-template-hash": "abc"}}});
        assert_eq!(without_hash_label(&only_hash), json!({"metadata": {}}));
    }

    #[test]
    fn templates_compare_as_kubectl_compares_them() {
        let deployment = json!({"metadata": {"labels": {"app": "api"}, "creationTimestamp": null},
                                "spec": {"containers": [{"name": "a", "image": "a:1", "args": []}]}});
        let rs = json!({"metadata": {"labels": {"app": "api", "pod-template-hash": "abc"}},
                        "spec": {"containers": [{"name": "a", "image": "a:1"}]}});
        assert!(same_ignoring_hash(&deployment, &rs));
        let other = json!({"metadata": {"labels": {"app": "api"}},
                           "spec": {"containers": [{"name": "a", "image": "a:2"}]}});
        assert!(!same_ignoring_hash(&deployment, &other));
        // A set but empty pointer struct is not the same as none.
        let with_context = json!({"metadata": {"labels": {"app": "api"}},
                                  "spec": {"securityContext": {},
                                           "containers": [{"name": "a", "image": "a:1"}]}});
        assert!(!same_ignoring_hash(&deployment, &with_context));
        assert!(same_ignoring_hash(
            &json!({"metadata": {"labels": {"pod-template-hash": "x"}}, "spec": {}}),
            &json!({"spec": {}})
        ));
    }

    #[test]
    fn images_in_container_order() {
        let t = json!({"spec": {"containers": [{"image": "a:1"}, {"image": "b:2"}],
                                "initContainers": [{"image": "init:1"}]}});
        assert_eq!(images(&t), ["a:1", "b:2"]);
        assert!(images(&json!({})).is_empty());
    }

    #[test]
    fn merge_patch_replaces_lists_and_drops_directives() {
        let target = json!({"a": {"b": 1, "c": [1, 2]}, "d": 1});
        let patch = json!({"a": {"c": [3], "$patch": "merge"}, "d": null});
        assert_eq!(merged(&target, &patch), json!({"a": {"b": 1, "c": [3]}}));
    }
}
