//! create, update, patch and delete: decode, default, validate (`fieldValidation`), honour
//! `dryRun=All`, check resourceVersions, and store. Subresource writes (`/status`) change
//! only the status; writes to the main resource keep the stored status, as on a real
//! API server.

use k8s_openapi::Metadata;
use serde_json::{Value, json};

use super::target::Target;
use super::{Ctx, Reply, reply};
use crate::sim::kube::admission::{Admission, admit};
use crate::sim::kube::object::StoredObject;
use crate::sim::kube::patch::{self, PatchKind};
use crate::sim::kube::proto;
use crate::sim::kube::resources::{Kind, ResourceType};
use crate::sim::kube::status::ApiError;
use crate::sim::kube::types::{SimObject, for_kind};

pub fn create(ctx: &Ctx, target: &Target) -> Reply {
    let resource = target.resource;
    let content_type = ctx.header("content-type");
    let mut value = proto::decode_body(content_type, &ctx.body, resource)?;
    check_type_meta(&value, resource)?;
    prepare_new(ctx, target, &mut value)?;
    if resource.kind_id == Kind::Job && content_type.contains("protobuf") {
        template_from_cronjob(ctx, &mut value);
    }
    for_kind!(resource.kind_id, T => create_typed::<T>(ctx, target, value), _ => Err(ApiError::method_not_allowed()))
}

/// Namespace, name (from `generateName`) and the fields a client may not set.
fn prepare_new(ctx: &Ctx, target: &Target, value: &mut Value) -> Result<(), ApiError> {
    let resource = target.resource;
    if !value["metadata"].is_object() {
        value["metadata"] = json!({});
    }
    let meta = &mut value["metadata"];
    if resource.namespaced {
        let ns = target.namespace();
        match meta["namespace"].as_str() {
            Some(given) if !given.is_empty() && given != ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            _ => meta["namespace"] = json!(ns),
        }
    } else if let Some(m) = meta.as_object_mut() {
        m.remove("namespace");
    }
    if let Some(m) = meta.as_object_mut() {
        for field in [
            "uid",
            "resourceVersion",
            "generation",
            "deletionTimestamp",
            "managedFields",
            "selfLink",
        ] {
            m.remove(field);
        }
    }
    let name = meta["name"].as_str().unwrap_or_default().to_string();
    if name.is_empty() {
        let prefix = meta["generateName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if prefix.is_empty() {
            return Err(ApiError::invalid(
                resource,
                "",
                "metadata.name",
                "Required value: name or generateName is required",
            ));
        }
        let suffix = ctx.cluster.store().rng().suffix(5);
        meta["name"] = json!(format!("{prefix}{suffix}"));
    }
    if resource.namespaced {
        let ns = target.namespace();
        if ctx.cluster.store().get(Kind::Namespace, "", ns).is_none() {
            return Err(ApiError::not_found(Kind::Namespace.resource(), ns));
        }
    }
    match resource.kind_id {
        // A new pod starts Pending whatever the client said; the kubelet reports the rest.
        Kind::Pod => {
            if let Some(m) = value.as_object_mut() {
                m.remove("status");
            }
        }
        // The Job's pod selector names its uid, so the uid is chosen before storing.
        Kind::Job => value["metadata"]["uid"] = json!(ctx.cluster.store().new_uid()),
        _ => {}
    }
    Ok(())
}

/// kubectl copies a CronJob's job template into the Job it creates from it; the protobuf
/// mapping keeps only common pod-spec fields, so take the template from the CronJob.
fn template_from_cronjob(ctx: &Ctx, value: &mut Value) {
    let owner = value["metadata"]["ownerReferences"]
        .as_array()
        .and_then(|refs| refs.iter().find(|r| r["kind"] == "CronJob"))
        .and_then(|r| r["name"].as_str())
        .map(str::to_string);
    let Some(owner) = owner else { return };
    let namespace = value["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let cronjob: Option<k8s_openapi::api::batch::v1::CronJob> =
        ctx.cluster.store().get_typed(&namespace, &owner);
    let template = cronjob
        .map(|c| c.spec)
        .and_then(|s| s.job_template.spec)
        .map(|s| s.template)
        .and_then(|t| serde_json::to_value(t).ok());
    if let Some(template) = template {
        value["spec"]["template"] = template;
    }
}

fn check_type_meta(value: &Value, resource: &ResourceType) -> Result<(), ApiError> {
    let kind = value["kind"].as_str().unwrap_or(resource.kind);
    let api_version = value["apiVersion"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| resource.api_version());
    if kind != resource.kind || api_version != resource.api_version() {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            resource.api_version()
        )));
    }
    Ok(())
}

fn create_typed<T: Admission>(ctx: &Ctx, target: &Target, value: Value) -> Reply {
    let warnings = field_validation::<T>(ctx, &value)?;
    let mut object: T = decode_typed(&value, target.resource)?;
    admit(&mut object, None)?;
    let object = if ctx.dry_run() {
        let meta = object.metadata_mut();
        meta.uid
            .get_or_insert_with(|| "00000000-0000-4000-8000-000000000000".into());
        meta.creation_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            ctx.cluster.clock.now(),
        ));
        object
    } else {
        ctx.cluster.store().create(object)?
    };
    Ok(reply::with_warnings(
        reply::json(201, &to_json(&object)),
        &warnings,
    ))
}

pub fn update(ctx: &Ctx, target: &Target) -> Reply {
    let resource = target.resource;
    let value = proto::decode_body(ctx.header("content-type"), &ctx.body, resource)?;
    check_type_meta(&value, resource)?;
    let given = value["metadata"]["name"].as_str().unwrap_or_default();
    if given != target.name() {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({given}) does not match the name on the URL ({})",
            target.name()
        )));
    }
    let current = current(ctx, target)?;
    let value = keep_other_half(target, &parse(&current)?, value);
    for_kind!(resource.kind_id, T => finish_update::<T>(ctx, target, value, &current, 200), _ => Err(ApiError::method_not_allowed()))
}

pub fn patch(ctx: &Ctx, target: &Target) -> Reply {
    let kind = PatchKind::from_content_type(ctx.header("content-type"))?;
    // A patch is applied to the latest version; a write that races it is retried, as the
    // API server does, unless the patch pins a resourceVersion itself.
    let mut attempts = 0;
    loop {
        let current = match current(ctx, target) {
            Ok(c) => c,
            Err(e) if kind == PatchKind::Apply && e.code == 404 => {
                return create_by_apply(ctx, target);
            }
            Err(e) => return Err(e),
        };
        let current_value = parse(&current)?;
        let patched = patch::apply(kind, &current_value, &ctx.body)?;
        let pinned =
            patched["metadata"]["resourceVersion"] != current_value["metadata"]["resourceVersion"];
        let value = keep_other_half(target, &current_value, patched);
        let result = for_kind!(target.resource.kind_id, T => finish_update::<T>(ctx, target, value, &current, 200), _ => Err(ApiError::method_not_allowed()));
        match result {
            Err(e) if e.code == 409 && !pinned && attempts < 5 => attempts += 1,
            other => return other,
        }
    }
}

/// Server-side apply of an object that does not exist yet creates it.
fn create_by_apply(ctx: &Ctx, target: &Target) -> Reply {
    let mut value: Value = serde_norway::from_slice(&ctx.body)
        .map_err(|e| ApiError::bad_request(format!("invalid apply configuration: {e}")))?;
    check_type_meta(&value, target.resource)?;
    prepare_new(ctx, target, &mut value)?;
    for_kind!(target.resource.kind_id, T => create_typed::<T>(ctx, target, value), _ => Err(ApiError::method_not_allowed()))
}

fn current(ctx: &Ctx, target: &Target) -> Result<std::sync::Arc<StoredObject>, ApiError> {
    ctx.cluster
        .store()
        .get(target.resource.kind_id, target.namespace(), target.name())
        .ok_or_else(|| ApiError::not_found(target.resource, target.name()))
}

fn parse(object: &StoredObject) -> Result<Value, ApiError> {
    serde_json::from_slice(&object.json)
        .map_err(|e| ApiError::internal(format!("stored object unreadable: {e}")))
}

/// A write to the main resource keeps the stored status; one to `/status` keeps all but
/// the status.
fn keep_other_half(target: &Target, current: &Value, mut new: Value) -> Value {
    let has_status = target
        .resource
        .subresources
        .iter()
        .any(|(s, _)| *s == "status");
    if !has_status {
        return new;
    }
    if target.sub.as_deref() == Some("status") {
        let mut out = current.clone();
        out["status"] = new["status"].take();
        out["metadata"]["resourceVersion"] = new["metadata"]["resourceVersion"].take();
        out
    } else {
        match current.get("status") {
            Some(status) => new["status"] = status.clone(),
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
        new
    }
}

fn finish_update<T: Admission>(
    ctx: &Ctx,
    target: &Target,
    value: Value,
    current: &StoredObject,
    code: u16,
) -> Reply {
    let warnings = field_validation::<T>(ctx, &value)?;
    let mut object: T = decode_typed(&value, target.resource)?;
    let old: T = current
        .parse()
        .map_err(|e| ApiError::internal(format!("stored object unreadable: {e}")))?;
    admit(&mut object, Some(&old))?;
    let object = if ctx.dry_run() {
        object
    } else {
        ctx.cluster.store().update(object)?
    };
    Ok(reply::with_warnings(
        reply::json(code, &to_json(&object)),
        &warnings,
    ))
}

fn decode_typed<T: SimObject>(value: &Value, resource: &ResourceType) -> Result<T, ApiError> {
    serde_json::from_value(value.clone()).map_err(|e| {
        ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: {e}",
            resource.kind, resource.version, resource.kind
        ))
    })
}

fn to_json<T: SimObject>(object: &T) -> Value {
    serde_json::to_value(object).unwrap_or_default()
}

/// `fieldValidation`: `Strict` refuses unknown fields with 400, `Warn` (the default)
/// answers with `Warning` headers, `Ignore` says nothing.
fn field_validation<T: SimObject>(ctx: &Ctx, value: &Value) -> Result<Vec<String>, ApiError> {
    let mode = ctx.param("fieldValidation").unwrap_or("Warn");
    if mode == "Ignore" {
        return Ok(Vec::new());
    }
    let Ok(typed) = serde_json::from_value::<T>(value.clone()) else {
        return Ok(Vec::new());
    };
    let known = to_json(&typed);
    let mut unknown = Vec::new();
    unknown_fields(value, &known, "", &mut unknown);
    if unknown.is_empty() {
        return Ok(Vec::new());
    }
    let messages: Vec<String> = unknown
        .iter()
        .map(|f| format!("unknown field \"{f}\""))
        .collect();
    if mode == "Strict" {
        return Err(ApiError::bad_request(format!(
            "strict decoding error: {}",
            messages.join(", ")
        )));
    }
    Ok(messages)
}

/// Paths present in `given` that the typed object dropped.
fn unknown_fields(given: &Value, known: &Value, path: &str, out: &mut Vec<String>) {
    match (given, known) {
        (Value::Object(g), Value::Object(k)) => {
            for (key, value) in g {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match k.get(key) {
                    Some(kv) => unknown_fields(value, kv, &child, out),
                    // A null is dropped by the types without being unknown.
                    None if is_empty(value) => {}
                    None => out.push(child),
                }
            }
        }
        (Value::Array(g), Value::Array(k)) => {
            for (i, (gv, kv)) in g.iter().zip(k).enumerate() {
                unknown_fields(gv, kv, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    value.is_null()
}

/// The options of a delete, from the body (`DeleteOptions`) or the query.
struct DeleteOptions {
    /// `dryRun: ["All"]`: kubectl sends a delete's dry run in the body, not the query.
    dry_run: bool,
    grace_period: Option<i64>,
    orphan: bool,
    precondition_uid: Option<String>,
    precondition_rv: Option<String>,
}

fn delete_options(ctx: &Ctx) -> DeleteOptions {
    let body: Value = serde_json::from_slice(&ctx.body).unwrap_or_default();
    let policy = body["propagationPolicy"]
        .as_str()
        .or(ctx.param("propagationPolicy"))
        .unwrap_or("Background");
    let dry_run_in_body = body["dryRun"]
        .as_array()
        .is_some_and(|modes| modes.iter().any(|m| m == "All"));
    DeleteOptions {
        dry_run: ctx.dry_run() || dry_run_in_body,
        grace_period: body["gracePeriodSeconds"]
            .as_i64()
            .or_else(|| ctx.param("gracePeriodSeconds").and_then(|g| g.parse().ok())),
        orphan: policy == "Orphan" || body["orphanDependents"] == json!(true),
        precondition_uid: body["preconditions"]["uid"].as_str().map(str::to_string),
        precondition_rv: body["preconditions"]["resourceVersion"]
            .as_str()
            .map(str::to_string),
    }
}

pub fn delete(ctx: &Ctx, target: &Target) -> Reply {
    let options = delete_options(ctx);
    let current = current(ctx, target)?;
    if options
        .precondition_uid
        .as_deref()
        .is_some_and(|u| u != &*current.uid)
        || options
            .precondition_rv
            .as_deref()
            .is_some_and(|rv| rv != current.resource_version.to_string())
    {
        return Err(ApiError::conflict(target.resource, target.name()));
    }
    if options.dry_run {
        return Ok(reply::raw_json(200, current.json.clone()));
    }
    let kind = target.resource.kind_id;
    let mut store = ctx.cluster.store();
    if options.orphan {
        orphan_dependents(&mut store, &current.uid);
    }
    let graceful = match kind {
        Kind::Pod => options.grace_period != Some(0),
        Kind::Namespace => true,
        _ => false,
    };
    if graceful {
        // Pods terminate (the kubelet finishes the deletion); namespaces empty first.
        let response = crate::sim::kube::controllers::lifecycle::begin_deletion(
            &mut store,
            kind,
            target.namespace(),
            target.name(),
            options.grace_period,
        )?;
        return Ok(reply::json(200, &response));
    }
    // The answer is the object as it was deleted; its dependents go next (controllers).
    match store.delete(kind, target.namespace(), target.name()) {
        Some(gone) => Ok(reply::raw_json(200, gone.json.clone())),
        None => Err(ApiError::not_found(target.resource, target.name())),
    }
}

/// `--cascade=orphan`: the dependents lose their controller reference and stay.
fn orphan_dependents(store: &mut crate::sim::kube::store::Store, uid: &str) {
    for (kind, object) in store.dependents(uid) {
        for_kind!(kind, T => {
            if let Ok(mut typed) = object.parse::<T>() {
                if let Some(refs) = typed.metadata_mut().owner_references.as_mut() {
                    refs.retain(|r| r.uid != uid);
                }
                let _ = store.update(typed);
            }
        }, _ => {});
    }
}

pub fn delete_collection(ctx: &Ctx, target: &Target) -> Reply {
    let (labels, fields) = super::read::filters(ctx)?;
    let kind = target.resource.kind_id;
    let names: Vec<(String, String)> = ctx
        .cluster
        .store()
        .list(kind, target.namespace.as_deref(), None)
        .filter(|o| labels.matches_object(o) && fields.matches(o))
        .map(|o| (o.namespace().to_string(), o.name().to_string()))
        .collect();
    let mut items = Vec::new();
    for (namespace, name) in names {
        let one = Target {
            resource: target.resource,
            namespace: (!namespace.is_empty()).then_some(namespace),
            name: Some(name),
            sub: None,
        };
        if let Ok(current) = current(ctx, &one) {
            items.push(parse(&current)?);
        }
        delete(ctx, &one)?;
    }
    Ok(reply::json(
        200,
        &json!({
            "kind": format!("{}List", target.resource.kind),
            "apiVersion": target.resource.api_version(),
            "metadata": {},
            "items": items,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_found_by_path() {
        let given = json!({"spec": {"replicas": 2, "replicaz": 3, "template": {}}, "metadata": {"creationTimestamp": null}});
        let known = json!({"spec": {"replicas": 2, "template": {}}, "metadata": {}});
        let mut out = Vec::new();
        unknown_fields(&given, &known, "", &mut out);
        assert_eq!(out, ["spec.replicaz"]);
    }
}
