//! API errors, answered as `Status` objects with the code and reason a real API server
//! gives, so clients branch on them the same way (`NotFound`, `AlreadyExists`, `Expired`…).

use serde_json::{Value, json};

use super::resources::ResourceType;

/// A failed request, as the `Status` object the client receives.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    /// Boxed: errors travel in `Result`s everywhere, and most have few details.
    pub details: Box<Details>,
}

/// `details` of a `Status`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Details {
    /// `details.name` / `details.group` / `details.kind`.
    pub name: Option<String>,
    pub group: Option<String>,
    pub kind: Option<String>,
    /// `(reason, message, field)` per cause.
    pub causes: Vec<(String, String, String)>,
    /// Seconds; sets `Retry-After` and `details.retryAfterSeconds`.
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: Box::default(),
        }
    }

    fn about(mut self, resource: &ResourceType, name: &str) -> ApiError {
        self.details.name = Some(name.to_string());
        self.details.group = Some(resource.group.to_string());
        self.details.kind = Some(resource.plural.to_string());
        self
    }

    /// `pods "x" not found`.
    pub fn not_found(resource: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", resource.qualified_plural()),
        )
        .about(resource, name)
    }

    /// `deployments.apps "x" already exists`.
    pub fn already_exists(resource: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", resource.qualified_plural()),
        )
        .about(resource, name)
    }

    /// A stale `resourceVersion` on an update.
    pub fn conflict(resource: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                resource.qualified_plural()
            ),
        )
        .about(resource, name)
    }

    /// A validation failure: `Deployment.apps "x" is invalid: spec.replicas: Invalid value…`.
    pub fn invalid(resource: &ResourceType, name: &str, field: &str, detail: &str) -> ApiError {
        let kind = if resource.group.is_empty() {
            resource.kind.to_string()
        } else {
            format!("{}.{}", resource.kind, resource.group)
        };
        let mut e = ApiError::new(
            422,
            "Invalid",
            format!("{kind} \"{name}\" is invalid: {field}: {detail}"),
        )
        .about(resource, name);
        e.details.kind = Some(resource.kind.to_string());
        e.details
            .causes
            .push(("FieldValueInvalid".into(), detail.into(), field.into()));
        e
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    /// What RBAC says when a user may not do something.
    pub fn forbidden(
        user: &str,
        verb: &str,
        resource: &ResourceType,
        sub: Option<&str>,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> ApiError {
        let what = match sub {
            Some(sub) => format!("{}/{sub}", resource.plural),
            None => resource.plural.to_string(),
        };
        let target = match name {
            Some(n) => format!("{} \"{n}\"", resource.qualified_plural()),
            None => resource.qualified_plural(),
        };
        let scope = match namespace {
            Some(ns) => format!(" in the namespace \"{ns}\""),
            None => " at the cluster scope".to_string(),
        };
        let mut e = ApiError::new(
            403,
            "Forbidden",
            format!(
                "{target} is forbidden: User \"{user}\" cannot {verb} resource \"{what}\" in API group \"{}\"{scope}",
                resource.group
            ),
        );
        e.details.name = name.map(str::to_string);
        e.details.group = Some(resource.group.to_string());
        e.details.kind = Some(resource.plural.to_string());
        e
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    /// A watch or continue token older than the history the server keeps.
    pub fn expired(message: impl Into<String>) -> ApiError {
        ApiError::new(410, "Expired", message)
    }

    pub fn too_many_requests(retry_after: u32) -> ApiError {
        let mut e = ApiError::new(
            429,
            "TooManyRequests",
            "the server has received too many requests and has asked us to try again later",
        );
        e.details.retry_after = Some(retry_after);
        e
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "InternalError", message)
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    pub fn unsupported_media_type(content_type: &str) -> ApiError {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/json-patch+json, application/strategic-merge-patch+json, application/vnd.kubernetes.protobuf (got {content_type})"
            ),
        )
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        let mut details = serde_json::Map::new();
        if let Some(name) = &self.details.name {
            details.insert("name".into(), json!(name));
        }
        if let Some(group) = &self.details.group
            && !group.is_empty()
        {
            details.insert("group".into(), json!(group));
        }
        if let Some(kind) = &self.details.kind {
            details.insert("kind".into(), json!(kind));
        }
        if !self.details.causes.is_empty() {
            let causes: Vec<Value> = self
                .details
                .causes
                .iter()
                .map(|(reason, message, field)| {
                    json!({"reason": reason, "message": message, "field": field})
                })
                .collect();
            details.insert("causes".into(), Value::Array(causes));
        }
        if let Some(secs) = self.details.retry_after {
            details.insert("retryAfterSeconds".into(), json!(secs));
        }
        if !details.is_empty() {
            status["details"] = Value::Object(details);
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kube::resources::Kind;

    #[test]
    fn not_found_reads_like_the_api_server() {
        let s = ApiError::not_found(Kind::Deployment.resource(), "api").to_status();
        assert_eq!(s["message"], "deployments.apps \"api\" not found");
        assert_eq!(s["reason"], "NotFound");
        assert_eq!(s["code"], 404);
        assert_eq!(s["details"]["group"], "apps");
    }

    #[test]
    fn forbidden_names_user_verb_and_namespace() {
        let e = ApiError::forbidden(
            "sim-viewer",
            "delete",
            Kind::Pod.resource(),
            None,
            Some("shop"),
            Some("api-1"),
        );
        assert_eq!(
            e.message,
            "pods \"api-1\" is forbidden: User \"sim-viewer\" cannot delete resource \"pods\" in API group \"\" in the namespace \"shop\""
        );
    }
}
