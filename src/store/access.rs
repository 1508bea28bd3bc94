//! What the user may read and do in each context, as the Kubernetes source found out.
//!
//! Two different facts, kept apart: a *read* the API refused (a list or watch answered 403),
//! which a view must show as "forbidden" rather than as an empty table; and the answers of
//! SelfSubjectAccessReviews for the verbs operations need, so an operation can be offered,
//! greyed or hidden truthfully before anyone presses its key.

use std::collections::{BTreeSet, HashMap};

/// One SelfSubjectAccessReview question and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Grant {
    /// `get`, `patch`, `delete`, `create`...
    pub verb: String,
    /// Plural resource with optional subresource: `deployments/scale`, `pods`, `jobs`.
    pub resource: String,
    /// `None` for a cluster-wide question (nodes, or "in every namespace").
    pub namespace: Option<String>,
    pub allowed: bool,
}

/// (context, namespace, verb, resource).
type GrantKey = (String, Option<String>, String, String);

#[derive(Debug, Default, Clone)]
pub struct Access {
    /// (context, resource) pairs whose list/watch was refused.
    forbidden_reads: BTreeSet<(String, String)>,
    grants: HashMap<GrantKey, bool>,
}

impl Access {
    pub fn set_readable(&mut self, context: &str, resource: &str, readable: bool) {
        let key = (context.to_string(), resource.to_string());
        if readable {
            self.forbidden_reads.remove(&key);
        } else {
            self.forbidden_reads.insert(key);
        }
    }

    /// Whether reading `resource` (`pods`, `nodes`, `events`...) in `context` was refused.
    pub fn read_forbidden(&self, context: &str, resource: &str) -> bool {
        self.forbidden_reads
            .contains(&(context.to_string(), resource.to_string()))
    }

    /// Every (context, resource) whose read was refused.
    pub fn forbidden_reads(&self) -> impl Iterator<Item = (&str, &str)> {
        self.forbidden_reads
            .iter()
            .map(|(c, r)| (c.as_str(), r.as_str()))
    }

    pub fn record(&mut self, context: &str, grant: Grant) {
        self.grants.insert(
            (
                context.to_string(),
                grant.namespace,
                grant.verb,
                grant.resource,
            ),
            grant.allowed,
        );
    }

    /// The cached answer for `verb` on `resource` in `namespace`, if asked. A namespaced
    /// question falls back to the cluster-wide answer (allowed everywhere ⇒ allowed here).
    pub fn allowed(
        &self,
        context: &str,
        namespace: Option<&str>,
        verb: &str,
        resource: &str,
    ) -> Option<bool> {
        let key = |ns: Option<&str>| {
            (
                context.to_string(),
                ns.map(str::to_string),
                verb.to_string(),
                resource.to_string(),
            )
        };
        if let Some(ns) = namespace
            && let Some(answer) = self.grants.get(&key(Some(ns)))
        {
            return Some(*answer);
        }
        self.grants.get(&key(None)).copied()
    }

    /// Forget everything about a context (it was disconnected).
    pub fn forget(&mut self, context: &str) {
        self.forbidden_reads.retain(|(c, _)| c != context);
        self.grants.retain(|(c, ..), _| c != context);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_reads_are_remembered_until_readable_again() {
        let mut access = Access::default();
        access.set_readable("prod", "nodes", false);
        assert!(access.read_forbidden("prod", "nodes"));
        assert!(!access.read_forbidden("staging", "nodes"));
        access.set_readable("prod", "nodes", true);
        assert!(!access.read_forbidden("prod", "nodes"));
    }

    #[test]
    fn namespaced_question_falls_back_to_cluster_wide_answer() {
        let mut access = Access::default();
        let grant = |ns: Option<&str>, allowed| Grant {
            verb: "patch".into(),
            resource: "deployments/scale".into(),
            namespace: ns.map(str::to_string),
            allowed,
        };
        assert_eq!(
            access.allowed("prod", Some("shop"), "patch", "deployments/scale"),
            None
        );
        access.record("prod", grant(None, false));
        assert_eq!(
            access.allowed("prod", Some("shop"), "patch", "deployments/scale"),
            Some(false)
        );
        access.record("prod", grant(Some("shop"), true));
        assert_eq!(
            access.allowed("prod", Some("shop"), "patch", "deployments/scale"),
            Some(true)
        );
        assert_eq!(
            access.allowed("prod", Some("payments"), "patch", "deployments/scale"),
            Some(false)
        );
        access.forget("prod");
        assert_eq!(
            access.allowed("prod", None, "patch", "deployments/scale"),
            None
        );
    }
}
