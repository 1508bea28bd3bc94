//! Users and what they may do: `admin` may do anything; `viewer` may read (get, list,
//! watch, logs) and is refused every change with 403 — and SelfSubjectAccessReview
//! answers accordingly, so `kubectl auth can-i` tells the truth.
//!
//! The viewer stands for the usual namespace-bound read-only role (a RoleBinding to the
//! `view` ClusterRole): it reads what lives in namespaces, but not the cluster-scoped
//! nodes nor their metrics (`metrics.k8s.io` NodeMetrics), which such a role never
//! grants. A console must cope with that: its nodes view says "forbidden", nothing more.
//!
//! Who is asking: kubectl (client-go) sends no credentials at all to an `http://` server
//! (clientcmd reads a kubeconfig's user only for https), so the viewer's kubeconfig
//! cluster entry points at `…/as/viewer`, and a request there is the viewer's. Clients
//! that do send a bearer token (kube-rs, curl) are known by it; a request with neither
//! is the admin's — the sim listens on loopback only. A viewer token or path always wins.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::target::Target;
use super::{Ctx, Reply, reply};
use crate::sim::kube::proto;
use crate::sim::kube::resources::{Kind, RESOURCES};
use crate::sim::kube::status::ApiError;

/// The admin user's bearer token (written into the kubeconfig).
pub const ADMIN_TOKEN: &str = "pilothouse-sim-admin";
/// The read-only user's bearer token.
pub const VIEWER_TOKEN: &str = "pilothouse-sim-viewer";

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct User {
    pub name: &'static str,
    pub admin: bool,
}

impl User {
    pub const ADMIN: User = User {
        name: "sim-admin",
        admin: true,
    };
    pub const VIEWER: User = User {
        name: "sim-viewer",
        admin: false,
    };

    fn groups(&self) -> Vec<&'static str> {
        if self.admin {
            vec!["system:masters", "system:authenticated"]
        } else {
            vec!["sim:viewers", "system:authenticated"]
        }
    }

    /// What only a cluster-wide role may read.
    fn cluster_only(kind: Kind) -> bool {
        matches!(kind, Kind::Node | Kind::NodeMetrics)
    }

    /// Whether this user may `verb` the resource (subresource `sub`).
    pub fn may(&self, verb: &str, resource_kind: Kind, sub: Option<&str>) -> bool {
        if self.admin {
            return true;
        }
        let review = matches!(
            resource_kind,
            Kind::SelfSubjectAccessReview | Kind::SelfSubjectRulesReview | Kind::SelfSubjectReview
        );
        match verb {
            "create" => review,
            // Nodes and their metrics are cluster-scoped: a namespace-bound role cannot
            // read them.
            "get" | "list" | "watch" if Self::cluster_only(resource_kind) => false,
            // Reading logs is `get pods/log`; exec and attach are not reads.
            "get" | "list" | "watch" => matches!(sub, None | Some("log" | "status" | "scale")),
            _ => false,
        }
    }
}

/// The user of a request: by bearer token if it has one (an unknown token is refused),
/// the viewer under `/as/viewer`, else the admin.
pub fn authenticate(headers: &HeaderMap, as_viewer: bool) -> Option<User> {
    let by_token = match headers.get("authorization") {
        None => None,
        Some(value) => match value.to_str().ok()?.strip_prefix("Bearer ")?.trim() {
            ADMIN_TOKEN => Some(User::ADMIN),
            VIEWER_TOKEN => Some(User::VIEWER),
            _ => return None,
        },
    };
    if as_viewer || by_token == Some(User::VIEWER) {
        Some(User::VIEWER)
    } else {
        Some(User::ADMIN)
    }
}

/// Refuse with 403 what the user may not do.
pub fn authorize(user: &User, verb: &str, target: &Target) -> Result<(), ApiError> {
    if user.may(verb, target.resource.kind_id, target.sub.as_deref()) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        user.name,
        verb,
        target.resource,
        target.sub.as_deref(),
        target.namespace.as_deref(),
        target.name.as_deref(),
    ))
}

/// SelfSubjectAccessReview, SelfSubjectRulesReview and SelfSubjectReview.
pub fn review(ctx: &Ctx, target: &Target) -> Reply {
    if target.name.is_some() || ctx.method != axum::http::Method::POST {
        return Err(ApiError::method_not_allowed());
    }
    let body = proto::decode_body(ctx.header("content-type"), &ctx.body, target.resource)?;
    let answer = match target.resource.kind_id {
        Kind::SelfSubjectAccessReview => access_review(&ctx.user, body),
        Kind::SelfSubjectRulesReview => rules_review(&ctx.user, body),
        _ => json!({
            "kind": "SelfSubjectReview",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": null},
            "status": {"userInfo": {"username": ctx.user.name, "groups": ctx.user.groups()}},
        }),
    };
    Ok(reply::json(201, &answer))
}

fn access_review(user: &User, mut body: Value) -> Value {
    let spec = &body["spec"];
    let (allowed, reason) = if let Some(attrs) = spec.get("resourceAttributes") {
        let verb = attrs["verb"].as_str().unwrap_or_default();
        let group = attrs["group"].as_str().unwrap_or_default();
        let plural = attrs["resource"].as_str().unwrap_or_default();
        let sub = attrs["subresource"].as_str().filter(|s| !s.is_empty());
        let kind = RESOURCES
            .iter()
            .find(|r| r.group == group && r.plural == plural)
            .map(|r| r.kind_id);
        let allowed = match kind {
            Some(kind) => user.may(verb, kind, sub),
            // Unknown resources (and `*`): reads only for viewers, everything for admins.
            None => user.admin || matches!(verb, "get" | "list" | "watch"),
        };
        let reason = if allowed {
            if user.admin {
                "allowed by the sim's admin role"
            } else {
                "allowed by the sim's viewer role"
            }
        } else {
            ""
        };
        (allowed, reason)
    } else {
        // Non-resource URLs (`/healthz`, `/version`): readable by all.
        let verb = spec["nonResourceAttributes"]["verb"]
            .as_str()
            .unwrap_or_default();
        (user.admin || verb == "get", "")
    };
    body["apiVersion"] = json!("authorization.k8s.io/v1");
    body["kind"] = json!("SelfSubjectAccessReview");
    body["status"] = if reason.is_empty() {
        json!({ "allowed": allowed })
    } else {
        json!({ "allowed": allowed, "reason": reason })
    };
    body
}

fn rules_review(user: &User, mut body: Value) -> Value {
    let mut rules = if user.admin {
        vec![json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})]
    } else {
        // Rules only grant, so the viewer's are spelled out per API group: every
        // readable resource (and its readable subresources), nodes left out.
        let mut groups: Vec<&str> = Vec::new();
        for r in &RESOURCES {
            if !groups.contains(&r.group) {
                groups.push(r.group);
            }
        }
        groups
            .into_iter()
            .filter_map(|group| {
                let resources: Vec<String> = RESOURCES
                    .iter()
                    .filter(|r| r.group == group && r.verbs.contains(&"list"))
                    .filter(|r| user.may("list", r.kind_id, None))
                    .flat_map(|r| {
                        let subs = r.subresources.iter().filter(|(sub, verbs)| {
                            verbs.contains(&"get") && user.may("get", r.kind_id, Some(sub))
                        });
                        std::iter::once(r.plural.to_string())
                            .chain(subs.map(|(sub, _)| format!("{}/{sub}", r.plural)))
                    })
                    .collect();
                (!resources.is_empty()).then(|| {
                    json!({"verbs": ["get", "list", "watch"], "apiGroups": [group], "resources": resources})
                })
            })
            .collect()
    };
    rules.push(json!({
        "verbs": ["create"],
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    }));
    body["apiVersion"] = json!("authorization.k8s.io/v1");
    body["kind"] = json!("SelfSubjectRulesReview");
    body["status"] = json!({
        "resourceRules": rules,
        "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["*"]}],
        "incomplete": false,
    });
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_read_but_do_not_write() {
        assert!(User::VIEWER.may("list", Kind::Pod, None));
        assert!(User::VIEWER.may("get", Kind::Pod, Some("log")));
        assert!(!User::VIEWER.may("delete", Kind::Pod, None));
        assert!(!User::VIEWER.may("patch", Kind::Deployment, Some("scale")));
        assert!(User::VIEWER.may("create", Kind::SelfSubjectAccessReview, None));
        assert!(User::ADMIN.may("delete", Kind::Node, None));
    }

    #[test]
    fn viewers_do_not_read_nodes_or_node_metrics() {
        for verb in ["get", "list", "watch"] {
            assert!(!User::VIEWER.may(verb, Kind::Node, None));
            assert!(!User::VIEWER.may(verb, Kind::Node, Some("status")));
            assert!(!User::VIEWER.may(verb, Kind::NodeMetrics, None));
            assert!(User::VIEWER.may(verb, Kind::PodMetrics, None));
            assert!(User::VIEWER.may(verb, Kind::Namespace, None));
            assert!(User::ADMIN.may(verb, Kind::Node, None));
        }
        let ask = json!({"spec": {"resourceAttributes": {"verb": "list", "resource": "nodes"}}});
        assert_eq!(
            access_review(&User::VIEWER, ask.clone())["status"]["allowed"],
            false
        );
        assert_eq!(access_review(&User::ADMIN, ask)["status"]["allowed"], true);
        let metrics = json!({"spec": {"resourceAttributes": {"verb": "get", "group": "metrics.k8s.io", "resource": "nodes"}}});
        assert_eq!(
            access_review(&User::VIEWER, metrics)["status"]["allowed"],
            false
        );
        let rules = rules_review(&User::VIEWER, json!({}));
        let text = rules["status"]["resourceRules"].to_string();
        assert!(
            text.contains("\"pods/log\"") && !text.contains("\"nodes\""),
            "{text}"
        );
        assert!(!text.contains("\"*\""), "{text}");
    }

    #[test]
    fn a_viewer_listing_nodes_is_told_like_the_real_api() {
        let e = ApiError::forbidden(
            User::VIEWER.name,
            "list",
            Kind::Node.resource(),
            None,
            None,
            None,
        );
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "nodes is forbidden: User \"sim-viewer\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
        );
    }

    #[test]
    fn users_come_from_tokens_or_the_viewer_path() {
        let mut headers = HeaderMap::new();
        assert_eq!(authenticate(&headers, false), Some(User::ADMIN));
        assert_eq!(authenticate(&headers, true), Some(User::VIEWER));
        headers.insert(
            "authorization",
            format!("Bearer {VIEWER_TOKEN}").parse().expect("header"),
        );
        assert_eq!(authenticate(&headers, false), Some(User::VIEWER));
        headers.insert("authorization", "Bearer nope".parse().expect("header"));
        assert_eq!(authenticate(&headers, false), None);
    }

    #[test]
    fn access_reviews_answer_per_user() {
        let ask = json!({"spec": {"resourceAttributes": {"verb": "delete", "resource": "pods", "namespace": "shop"}}});
        assert_eq!(
            access_review(&User::VIEWER, ask.clone())["status"]["allowed"],
            false
        );
        assert_eq!(access_review(&User::ADMIN, ask)["status"]["allowed"], true);
    }
}
