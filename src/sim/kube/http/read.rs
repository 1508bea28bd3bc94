//! `get` and `list`: label and field selectors, `limit`/`continue` paging, and the three
//! response shapes (objects, Tables, metadata only).

use std::sync::Arc;

use bytes::Bytes;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};

use super::format::{Shape, negotiate};
use super::target::Target;
use super::{Ctx, Reply, reply};
use crate::sim::kube::object::StoredObject;
use crate::sim::kube::selectors::{FieldFilter, LabelFilter};
use crate::sim::kube::status::ApiError;
use crate::sim::kube::tables::{self, IncludeObject};

/// The label and field selectors of a request.
pub fn filters(ctx: &Ctx) -> Result<(LabelFilter, FieldFilter), ApiError> {
    let labels = LabelFilter::parse(ctx.param("labelSelector").unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    let fields = FieldFilter::parse(ctx.param("fieldSelector").unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

pub fn get(ctx: &Ctx, target: &Target) -> Reply {
    let kind = target.resource.kind_id;
    let object = ctx
        .cluster
        .store()
        .get(kind, target.namespace(), target.name())
        .ok_or_else(|| ApiError::not_found(target.resource, target.name()))?;
    let resource_version = object.resource_version;
    Ok(match negotiate(ctx.header("accept")) {
        Shape::Object => reply::raw_json(200, object.json.clone()),
        Shape::Metadata => reply::json(200, &metadata_of(&object)),
        Shape::Table => {
            let include = IncludeObject::parse(ctx.param("includeObject"));
            let now = ctx.cluster.clock.now();
            let rows: Vec<Value> = tables::row(kind, &object, now, include)
                .into_iter()
                .collect();
            reply::json(
                200,
                &tables::table(kind, rows, resource_version, None, true),
            )
        }
    })
}

pub fn list(ctx: &Ctx, target: &Target) -> Reply {
    let kind = target.resource.kind_id;
    let (labels, fields) = filters(ctx)?;
    let limit: usize = ctx.param("limit").and_then(|l| l.parse().ok()).unwrap_or(0);
    let token = ctx.param("continue").filter(|t| !t.is_empty());
    let (mut objects, resource_version, more) = {
        let store = ctx.cluster.store();
        let (rv, after) = match token {
            Some(token) => {
                let (rv, key) = decode_continue(token)
                    .ok_or_else(|| ApiError::bad_request("invalid continue token"))?;
                if rv < store.floor(kind) {
                    return Err(ApiError::expired(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                    ));
                }
                (rv, Some(key))
            }
            None => (store.resource_version(), None),
        };
        let wanted = if limit == 0 { usize::MAX } else { limit + 1 };
        let namespace = target.namespace.as_deref();
        let objects: Vec<Arc<StoredObject>> = store
            .list(kind, namespace, after.as_deref())
            .filter(|o| labels.matches_object(o) && fields.matches(o))
            .take(wanted)
            .cloned()
            .collect();
        let more = limit > 0 && objects.len() > limit;
        (objects, rv, more)
    };
    if more {
        objects.truncate(limit);
    }
    let next = more
        .then(|| {
            objects
                .last()
                .map(|o| encode_continue(resource_version, &o.key))
        })
        .flatten();
    Ok(match negotiate(ctx.header("accept")) {
        Shape::Object => {
            let mut metadata = json!({ "resourceVersion": resource_version.to_string() });
            if let Some(next) = &next {
                metadata["continue"] = json!(next);
            }
            let head = format!(
                "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":{},\"items\":[",
                target.resource.kind,
                target.resource.api_version(),
                metadata
            );
            let items: Vec<Bytes> = objects.iter().map(|o| o.json.clone()).collect();
            reply::json_list(head, items, "]}")
        }
        Shape::Metadata => {
            let items: Vec<Value> = objects.iter().map(|o| metadata_of(o)).collect();
            let mut metadata = json!({ "resourceVersion": resource_version.to_string() });
            if let Some(next) = &next {
                metadata["continue"] = json!(next);
            }
            reply::json(
                200,
                &json!({
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": metadata,
                    "items": items,
                }),
            )
        }
        Shape::Table => {
            let include = IncludeObject::parse(ctx.param("includeObject"));
            let now = ctx.cluster.clock.now();
            let rows: Vec<Value> = objects
                .iter()
                .filter_map(|o| tables::row(kind, o, now, include))
                .collect();
            reply::json(
                200,
                &tables::table(kind, rows, resource_version, next.as_deref(), true),
            )
        }
    })
}

/// `PartialObjectMetadata` of a stored object.
pub fn metadata_of(object: &StoredObject) -> Value {
    #[derive(serde::Deserialize)]
    struct MetadataOnly {
        metadata: ObjectMeta,
    }
    let meta = serde_json::from_slice::<MetadataOnly>(&object.json)
        .map(|m| m.metadata)
        .unwrap_or_default();
    tables::partial_metadata(&meta)
}

/// A continue token: the list's resourceVersion and the last key sent, hex-encoded so it
/// is opaque and URL-safe.
fn encode_continue(resource_version: u64, key: &str) -> String {
    let text = format!("{resource_version}/{key}");
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_continue(token: &str) -> Option<(u64, String)> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let (rv, key) = text.split_once('/')?;
    Some((rv.parse().ok()?, key.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let token = encode_continue(42, "shop/api-1");
        assert_eq!(
            decode_continue(&token),
            Some((42, "shop/api-1".to_string()))
        );
        assert_eq!(decode_continue("zz"), None);
    }
}
