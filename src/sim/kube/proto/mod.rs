//! Request bodies: JSON, or the protobuf kubectl 1.32 sends for typed creates
//! (DESIGN.md §7): the magic `k8s\0`, then a `runtime.Unknown` whose `raw` holds the
//! object. Decoded with `k8s-pb` and mapped to the JSON the rest of the server handles.
//!
//! The mapping covers what kubectl creates — Deployments (`create deployment`), Jobs
//! (`create job`, `--from=cronjob/…`), CronJobs, Pods (`run`), Namespaces, ConfigMaps,
//! Services and the review kinds — and the pod-spec fields they carry in practice. Fields outside it are dropped; a Job made from a CronJob we hold
//! takes its spec from the CronJob instead (see `http::write`), as kubectl copies it.

mod fields;
mod kinds;
mod pod;

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::batch::v1 as batch;
use k8s_pb::api::core::v1 as core;
use prost::Message;
use serde_json::{Map, Value, json};

use super::resources::{Kind, ResourceType};
use super::status::ApiError;
use fields::{put, string};

const MAGIC: &[u8] = b"k8s\0";

/// The body of a create/update as JSON, whatever it was sent as.
pub fn decode_body(
    content_type: &str,
    body: &[u8],
    resource: &ResourceType,
) -> Result<Value, ApiError> {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    match media {
        "application/vnd.kubernetes.protobuf" => decode_protobuf(body, resource),
        "" | "application/json" | "application/yaml" | "*/*" => {
            if media == "application/yaml" {
                serde_norway::from_slice(body)
                    .map_err(|e| ApiError::bad_request(format!("invalid YAML: {e}")))
            } else {
                serde_json::from_slice(body)
                    .map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))
            }
        }
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

fn decode_protobuf(body: &[u8], resource: &ResourceType) -> Result<Value, ApiError> {
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or_else(|| ApiError::bad_request("protobuf body without the k8s magic prefix"))?;
    let unknown = k8s_pb::apimachinery::pkg::runtime::Unknown::decode(envelope)
        .map_err(|e| ApiError::bad_request(format!("invalid protobuf envelope: {e}")))?;
    let raw = unknown.raw.unwrap_or_default();
    let bad =
        |e: prost::DecodeError| ApiError::bad_request(format!("invalid protobuf object: {e}"));
    let mut value = match resource.kind_id {
        Kind::Deployment => {
            kinds::deployment(&apps::Deployment::decode(raw.as_slice()).map_err(bad)?)
        }
        Kind::Job => kinds::job(&batch::Job::decode(raw.as_slice()).map_err(bad)?),
        Kind::CronJob => kinds::cronjob(&batch::CronJob::decode(raw.as_slice()).map_err(bad)?),
        Kind::Pod => kinds::pod(&core::Pod::decode(raw.as_slice()).map_err(bad)?),
        Kind::Namespace => kinds::namespace(&core::Namespace::decode(raw.as_slice()).map_err(bad)?),
        Kind::ConfigMap => {
            kinds::config_map(&core::ConfigMap::decode(raw.as_slice()).map_err(bad)?)
        }
        Kind::Service => kinds::service(&core::Service::decode(raw.as_slice()).map_err(bad)?),
        Kind::SelfSubjectAccessReview => {
            use k8s_pb::api::authorization::v1::SelfSubjectAccessReview;
            kinds::access_review(&SelfSubjectAccessReview::decode(raw.as_slice()).map_err(bad)?)
        }
        Kind::SelfSubjectRulesReview => {
            use k8s_pb::api::authorization::v1::SelfSubjectRulesReview;
            let review = SelfSubjectRulesReview::decode(raw.as_slice()).map_err(bad)?;
            let mut spec = Map::new();
            put(
                &mut spec,
                "namespace",
                string(review.spec.and_then(|s| s.namespace)),
            );
            json!({ "spec": spec })
        }
        // A SelfSubjectReview has nothing to decode.
        Kind::SelfSubjectReview => json!({}),
        _ => {
            return Err(ApiError::unsupported_media_type(
                "application/vnd.kubernetes.protobuf (for this kind the sim accepts JSON only)",
            ));
        }
    };
    value["apiVersion"] = json!(resource.api_version());
    value["kind"] = json!(resource.kind);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_pb::api::core::v1 as core;
    use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;

    /// Wrap an object the way client-go does.
    fn envelope(raw: Vec<u8>, api_version: &str, kind: &str) -> Vec<u8> {
        let unknown = k8s_pb::apimachinery::pkg::runtime::Unknown {
            type_meta: Some(k8s_pb::apimachinery::pkg::runtime::TypeMeta {
                api_version: Some(api_version.into()),
                kind: Some(kind.into()),
            }),
            raw: Some(raw),
            content_encoding: Some(String::new()),
            content_type: Some(String::new()),
        };
        let mut body = MAGIC.to_vec();
        body.extend(unknown.encode_to_vec());
        body
    }

    #[test]
    fn a_protobuf_deployment_decodes_to_json() {
        let d = apps::Deployment {
            metadata: Some(meta::ObjectMeta {
                name: Some("web".into()),
                labels: [("app".to_string(), "web".to_string())].into(),
                ..Default::default()
            }),
            spec: Some(apps::DeploymentSpec {
                replicas: Some(2),
                template: Some(core::PodTemplateSpec {
                    metadata: None,
                    spec: Some(core::PodSpec {
                        containers: vec![core::Container {
                            name: Some("nginx".into()),
                            image: Some("nginx:1.27".into()),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                }),
                ..Default::default()
            }),
            status: None,
        };
        let body = envelope(d.encode_to_vec(), "apps/v1", "Deployment");
        let v = decode_body(
            "application/vnd.kubernetes.protobuf",
            &body,
            Kind::Deployment.resource(),
        )
        .expect("decodes");
        assert_eq!(v["metadata"]["name"], "web");
        assert_eq!(v["spec"]["replicas"], 2);
        assert_eq!(
            v["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:1.27"
        );
        assert_eq!(v["kind"], "Deployment");
    }

    #[test]
    fn json_bodies_pass_through_and_other_types_are_refused() {
        let v = decode_body("application/json", br#"{"a":1}"#, Kind::Pod.resource()).expect("json");
        assert_eq!(v["a"], 1);
        let e = decode_body("text/plain", b"x", Kind::Pod.resource()).expect_err("415");
        assert_eq!(e.code, 415);
    }
}
