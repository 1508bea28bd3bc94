//! What a resource path names: `/api/v1/namespaces/shop/pods/api-1/log` is the `log`
//! subresource of pod `api-1` in `shop`.

use axum::http::Method;

use crate::sim::kube::resources::{self, ResourceType};
use crate::sim::kube::status::ApiError;

/// The resource, namespace, name and subresource of a request.
#[derive(Debug, Clone)]
pub struct Target {
    pub resource: &'static ResourceType,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

impl Target {
    pub fn parse(path: &str) -> Option<Target> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let (group, version, rest) = match segments.as_slice() {
            ["api", version, rest @ ..] => ("", *version, rest),
            ["apis", group, version, rest @ ..] => (*group, *version, rest),
            _ => return None,
        };
        // `namespaces/<ns>/<resource>/…` is namespaced; `namespaces/<ns>` alone is the
        // Namespace object itself (and `namespaces/<ns>/status` its subresource).
        let (namespace, rest) = match rest {
            ["namespaces", ns, plural, tail @ ..]
                if resources::find(group, version, plural).is_some_and(|r| r.namespaced) =>
            {
                (Some(ns.to_string()), [&[*plural][..], tail].concat())
            }
            _ => (None, rest.to_vec()),
        };
        let (plural, name, sub) = match rest.as_slice() {
            [plural] => (*plural, None, None),
            [plural, name] => (*plural, Some(name.to_string()), None),
            [plural, name, sub] => (*plural, Some(name.to_string()), Some(sub.to_string())),
            _ => return None,
        };
        let resource = resources::find(group, version, plural)?;
        if let Some(sub) = &sub
            && !resource.subresources.iter().any(|(s, _)| s == sub)
        {
            return None;
        }
        Some(Target {
            resource,
            namespace,
            name,
            sub,
        })
    }

    /// The Kubernetes verb of a request on this target.
    pub fn verb(&self, method: &Method, watch: bool) -> Result<&'static str, ApiError> {
        Ok(match (method.as_str(), self.name.is_some()) {
            ("GET", _) if watch => "watch",
            ("GET", true) => "get",
            ("GET", false) => "list",
            ("POST", false) => "create",
            ("PUT", true) => "update",
            ("PATCH", true) => "patch",
            ("DELETE", true) => "delete",
            ("DELETE", false) => "deletecollection",
            _ => return Err(ApiError::method_not_allowed()),
        })
    }

    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_resources_namespaces_and_subresources() {
        let t = Target::parse("/api/v1/namespaces/shop/pods/api-1/log").expect("pod log");
        assert_eq!(t.resource.plural, "pods");
        assert_eq!(
            (t.namespace(), t.name(), t.sub.as_deref()),
            ("shop", "api-1", Some("log"))
        );
        let ns = Target::parse("/api/v1/namespaces/shop").expect("namespace");
        assert_eq!(
            (ns.resource.plural, ns.namespace.as_deref(), ns.name()),
            ("namespaces", None, "shop")
        );
        let all = Target::parse("/apis/apps/v1/deployments").expect("all deployments");
        assert!(all.namespace.is_none() && all.name.is_none());
        let scale =
            Target::parse("/apis/apps/v1/namespaces/shop/deployments/api/scale").expect("scale");
        assert_eq!(scale.sub.as_deref(), Some("scale"));
        assert!(Target::parse("/apis/apps/v1/namespaces/shop/deployments/api/log").is_none());
        assert!(Target::parse("/apis/nope/v1/things").is_none());
    }
}
