//! Turning optional protobuf fields into JSON members.

use std::collections::BTreeMap;

use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Map, Value, json};

/// Insert `key` when there is a value.
pub fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.to_string(), v);
    }
}

/// A string member.
pub fn string(s: Option<String>) -> Option<Value> {
    s.map(Value::String)
}

/// An integer member.
pub fn number<T: Into<i64>>(n: Option<T>) -> Option<Value> {
    n.map(|n| json!(n.into()))
}

/// A boolean member.
pub fn boolean(b: Option<bool>) -> Option<Value> {
    b.map(Value::Bool)
}

/// A list of strings; absent when empty (protobuf cannot tell empty from unset).
pub fn strings(list: &[String]) -> Option<Value> {
    (!list.is_empty()).then(|| json!(list))
}

/// A string map; absent when empty.
pub fn string_map(map: &BTreeMap<String, String>) -> Option<Value> {
    (!map.is_empty()).then(|| json!(map))
}

/// A list of objects; absent when empty.
pub fn list<T>(items: &[T], f: impl Fn(&T) -> Value) -> Option<Value> {
    (!items.is_empty()).then(|| Value::Array(items.iter().map(f).collect()))
}

/// Resource quantities by name (`cpu: 250m`).
pub fn quantities(
    map: &BTreeMap<String, k8s_pb::apimachinery::pkg::api::resource::Quantity>,
) -> Option<Value> {
    (!map.is_empty()).then(|| {
        let m: Map<String, Value> = map
            .iter()
            .map(|(k, q)| (k.clone(), json!(q.string.clone().unwrap_or_default())))
            .collect();
        Value::Object(m)
    })
}

/// An int-or-string (`maxSurge: 25%`, `port: 8080`).
pub fn int_or_string(v: &Option<IntOrString>) -> Option<Value> {
    let v = v.as_ref()?;
    Some(match v.r#type {
        Some(1) => json!(v.str_val.clone().unwrap_or_default()),
        _ => json!(v.int_val.unwrap_or(0)),
    })
}

/// A timestamp in RFC 3339 seconds.
pub fn time(t: &Option<meta::Time>) -> Option<Value> {
    let secs = t.as_ref()?.seconds?;
    let ts = jiff::Timestamp::from_second(secs).ok()?;
    Some(json!(crate::sim::common::time::rfc3339_secs(ts)))
}

/// The metadata a client may set.
pub fn object_meta(m: &Option<meta::ObjectMeta>) -> Value {
    let mut out = Map::new();
    let Some(m) = m else {
        return Value::Object(out);
    };
    put(&mut out, "name", string(m.name.clone()));
    put(&mut out, "generateName", string(m.generate_name.clone()));
    put(&mut out, "namespace", string(m.namespace.clone()));
    put(
        &mut out,
        "resourceVersion",
        string(m.resource_version.clone()),
    );
    put(&mut out, "creationTimestamp", time(&m.creation_timestamp));
    put(&mut out, "labels", string_map(&m.labels));
    put(&mut out, "annotations", string_map(&m.annotations));
    put(&mut out, "finalizers", strings(&m.finalizers));
    put(
        &mut out,
        "ownerReferences",
        list(&m.owner_references, |o| {
            let mut r = Map::new();
            put(&mut r, "apiVersion", string(o.api_version.clone()));
            put(&mut r, "kind", string(o.kind.clone()));
            put(&mut r, "name", string(o.name.clone()));
            put(&mut r, "uid", string(o.uid.clone()));
            put(&mut r, "controller", boolean(o.controller));
            put(
                &mut r,
                "blockOwnerDeletion",
                boolean(o.block_owner_deletion),
            );
            Value::Object(r)
        }),
    );
    Value::Object(out)
}

/// A label selector.
pub fn label_selector(s: &Option<meta::LabelSelector>) -> Option<Value> {
    let s = s.as_ref()?;
    let mut out = Map::new();
    put(&mut out, "matchLabels", string_map(&s.match_labels));
    put(
        &mut out,
        "matchExpressions",
        list(&s.match_expressions, |e| {
            let mut r = Map::new();
            put(&mut r, "key", string(e.key.clone()));
            put(&mut r, "operator", string(e.operator.clone()));
            put(&mut r, "values", strings(&e.values));
            Value::Object(r)
        }),
    );
    Some(Value::Object(out))
}
