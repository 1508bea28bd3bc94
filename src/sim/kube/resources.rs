//! The resource types the simulated API serves: their group, version, names, verbs and
//! subresources. Discovery, routing and the store are all driven from this one table.

/// Every resource the sim serves. Stored kinds come first; the rest are computed on
/// request (reviews, metrics) and never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Node,
    Pod,
    Event,
    Service,
    ConfigMap,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    ControllerRevision,
    Job,
    CronJob,
    Lease,
    Backup,
    Schedule,
    SelfSubjectAccessReview,
    SelfSubjectRulesReview,
    SelfSubjectReview,
    PodMetrics,
    NodeMetrics,
}

impl Kind {
    /// The kinds the store keeps, in the order of its per-kind tables.
    pub const STORED: [Kind; 16] = [
        Kind::Namespace,
        Kind::Node,
        Kind::Pod,
        Kind::Event,
        Kind::Service,
        Kind::ConfigMap,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::ControllerRevision,
        Kind::Job,
        Kind::CronJob,
        Kind::Lease,
        Kind::Backup,
        Kind::Schedule,
    ];

    /// Index into the store's per-kind tables; only meaningful for stored kinds.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn resource(self) -> &'static ResourceType {
        // RESOURCES lists every kind in declaration order; a unit test proves it.
        &RESOURCES[self as usize]
    }
}

/// One resource as discovery describes it.
#[derive(Debug)]
pub struct ResourceType {
    pub kind_id: Kind,
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub verbs: &'static [&'static str],
    /// Subresources with the verbs each allows, e.g. `("scale", GET_UPDATE_PATCH)`.
    pub subresources: &'static [(&'static str, &'static [&'static str])],
}

impl ResourceType {
    /// `v1` for the core group, `apps/v1` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The `<group>/<version>` path prefix: `/api/v1` or `/apis/apps/v1`.
    pub fn path_prefix(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }

    /// The name used in RBAC-style messages: `pods`, `deployments.apps`.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn stored(&self) -> bool {
        Kind::STORED.contains(&self.kind_id)
    }
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const GET_UPDATE_PATCH: &[&str] = &["get", "patch", "update"];
const GET_ONLY: &[&str] = &["get"];
const CREATE_ONLY: &[&str] = &["create"];
const READ_ONLY: &[&str] = &["get", "list"];

/// The table, in `Kind` declaration order.
pub static RESOURCES: [ResourceType; 21] = [
    ResourceType {
        kind_id: Kind::Namespace,
        group: "",
        version: "v1",
        kind: "Namespace",
        plural: "namespaces",
        singular: "namespace",
        namespaced: false,
        short_names: &["ns"],
        categories: &[],
        verbs: &[
            "create", "delete", "get", "list", "patch", "update", "watch",
        ],
        subresources: &[("status", GET_UPDATE_PATCH)],
    },
    ResourceType {
        kind_id: Kind::Node,
        group: "",
        version: "v1",
        kind: "Node",
        plural: "nodes",
        singular: "node",
        namespaced: false,
        short_names: &["no"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &[("status", GET_UPDATE_PATCH)],
    },
    ResourceType {
        kind_id: Kind::Pod,
        group: "",
        version: "v1",
        kind: "Pod",
        plural: "pods",
        singular: "pod",
        namespaced: true,
        short_names: &["po"],
        categories: &["all"],
        verbs: ALL_VERBS,
        subresources: &[("log", GET_ONLY), ("status", GET_UPDATE_PATCH)],
    },
    ResourceType {
        kind_id: Kind::Event,
        group: "",
        version: "v1",
        kind: "Event",
        plural: "events",
        singular: "event",
        namespaced: true,
        short_names: &["ev"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &[],
    },
    ResourceType {
        kind_id: Kind::Service,
        group: "",
        version: "v1",
        kind: "Service",
        plural: "services",
        singular: "service",
        namespaced: true,
        short_names: &["svc"],
        categories: &["all"],
        verbs: &[
            "create", "delete", "get", "list", "patch", "update", "watch",
        ],
        subresources: &[("status", GET_UPDATE_PATCH)],
    },
    ResourceType {
        kind_id: Kind::ConfigMap,
        group: "",
        version: "v1",
        kind: "ConfigMap",
        plural: "configmaps",
        singular: "configmap",
        namespaced: true,
        short_names: &["cm"],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &[],
    },
    ResourceType {
        kind_id: Kind::Deployment,
        group: "apps",
        version: "v1",
        kind: "Deployment",
        plural: "deployments",
        singular: "deployment",
        namespaced: true,
        short_names: &["deploy"],
        categories: &["all"],
        verbs: ALL_VERBS,
        subresources: &[("scale", GET_UPDATE_PATCH), ("status", GET_UPDATE_PATCH)],
    },
    ResourceType {
        kind_id: Kind::ReplicaSet,
        group: "apps",
        version: "v1",
        kind: "ReplicaSet",
        plural: "replicasets",
        singular: "replicaset",
        namespaced: true,
        short_names: &["rs"],
        categories: &["all"],
        verbs: ALL_VERBS,
        subresources: &[("scale", GET_UPDATE_PATCH), ("status", GET_UPDATE_PATCH)],
    },
    ResourceType {
        kind_id: Kind::StatefulSet,
        group: "apps",
        version: "v1",
        kind: "StatefulSet",
        plural: "statefulsets",
        singular: "statefulset",
        namespaced: true,
        short_names: &["sts"],
        categories: &["all"],
        verbs: ALL_VERBS,
        subresources: &[("scale", GET_UPDATE_PATCH), ("status", GET_UPDATE_PATCH)],
    },
    ResourceType {
        kind_id: Kind::DaemonSet,
        group: "apps",
        version: "v1",
        kind: "DaemonSet",
        plural: "daemonsets",
        singular: "daemonset",
        namespaced: true,
        short_names: &["ds"],
        categories: &["all"],
        verbs: ALL_VERBS,
        subresources: &[("status", GET_UPDATE_PATCH)],
    },
    ResourceType {
        kind_id: Kind::ControllerRevision,
        group: "apps",
        version: "v1",
        kind: "ControllerRevision",
        plural: "controllerrevisions",
        singular: "controllerrevision",
        namespaced: true,
        short_names: &[],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &[],
    },
    ResourceType {
        kind_id: Kind::Job,
        group: "batch",
        version: "v1",
        kind: "Job",
        plural: "jobs",
        singular: "job",
        namespaced: true,
        short_names: &[],
        categories: &["all"],
        verbs: ALL_VERBS,
        subresources: &[("status", GET_UPDATE_PATCH)],
    },
    ResourceType {
        kind_id: Kind::CronJob,
        group: "batch",
        version: "v1",
        kind: "CronJob",
        plural: "cronjobs",
        singular: "cronjob",
        namespaced: true,
        short_names: &["cj"],
        categories: &["all"],
        verbs: ALL_VERBS,
        subresources: &[("status", GET_UPDATE_PATCH)],
    },
    ResourceType {
        kind_id: Kind::Lease,
        group: "coordination.k8s.io",
        version: "v1",
        kind: "Lease",
        plural: "leases",
        singular: "lease",
        namespaced: true,
        short_names: &[],
        categories: &[],
        verbs: ALL_VERBS,
        subresources: &[],
    },
    ResourceType {
        kind_id: Kind::Backup,
        group: VELERO_GROUP,
        version: "v1",
        kind: "Backup",
        plural: "backups",
        singular: "backup",
        namespaced: true,
        short_names: &[],
        categories: &["velero"],
        verbs: ALL_VERBS,
        subresources: &[],
    },
    ResourceType {
        kind_id: Kind::Schedule,
        group: VELERO_GROUP,
        version: "v1",
        kind: "Schedule",
        plural: "schedules",
        singular: "schedule",
        namespaced: true,
        short_names: &[],
        categories: &["velero"],
        verbs: ALL_VERBS,
        subresources: &[],
    },
    ResourceType {
        kind_id: Kind::SelfSubjectAccessReview,
        group: "authorization.k8s.io",
        version: "v1",
        kind: "SelfSubjectAccessReview",
        plural: "selfsubjectaccessreviews",
        singular: "selfsubjectaccessreview",
        namespaced: false,
        short_names: &[],
        categories: &[],
        verbs: CREATE_ONLY,
        subresources: &[],
    },
    ResourceType {
        kind_id: Kind::SelfSubjectRulesReview,
        group: "authorization.k8s.io",
        version: "v1",
        kind: "SelfSubjectRulesReview",
        plural: "selfsubjectrulesreviews",
        singular: "selfsubjectrulesreview",
        namespaced: false,
        short_names: &[],
        categories: &[],
        verbs: CREATE_ONLY,
        subresources: &[],
    },
    ResourceType {
        kind_id: Kind::SelfSubjectReview,
        group: "authentication.k8s.io",
        version: "v1",
        kind: "SelfSubjectReview",
        plural: "selfsubjectreviews",
        singular: "selfsubjectreview",
        namespaced: false,
        short_names: &[],
        categories: &[],
        verbs: CREATE_ONLY,
        subresources: &[],
    },
    ResourceType {
        kind_id: Kind::PodMetrics,
        group: "metrics.k8s.io",
        version: "v1beta1",
        kind: "PodMetrics",
        plural: "pods",
        singular: "",
        namespaced: true,
        short_names: &[],
        categories: &[],
        verbs: READ_ONLY,
        subresources: &[],
    },
    ResourceType {
        kind_id: Kind::NodeMetrics,
        group: "metrics.k8s.io",
        version: "v1beta1",
        kind: "NodeMetrics",
        plural: "nodes",
        singular: "",
        namespaced: false,
        short_names: &[],
        categories: &[],
        verbs: READ_ONLY,
        subresources: &[],
    },
];

/// The group-versions served, in discovery order (core `v1` is served under `/api`).
pub const GROUP_VERSIONS: &[(&str, &str)] = &[
    ("apps", "v1"),
    ("batch", "v1"),
    ("coordination.k8s.io", "v1"),
    ("authorization.k8s.io", "v1"),
    ("authentication.k8s.io", "v1"),
    ("metrics.k8s.io", "v1beta1"),
    (VELERO_GROUP, "v1"),
];

/// Velero's API group. Its CRDs are installed only in clusters whose scenario has
/// `velero:`; elsewhere the group is absent from discovery and its paths answer 404.
pub const VELERO_GROUP: &str = "velero.io";

/// The resource served at `<group>/<version>/<plural>`.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The resources of one group-version.
pub fn in_group_version<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static ResourceType> + 'a {
    RESOURCES
        .iter()
        .filter(move |r| r.group == group && r.version == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_kind_order() {
        for (i, r) in RESOURCES.iter().enumerate() {
            assert_eq!(r.kind_id as usize, i, "{}", r.kind);
        }
        for (i, k) in Kind::STORED.iter().enumerate() {
            assert_eq!(k.index(), i);
        }
    }

    #[test]
    fn lookups_find_grouped_and_core_resources() {
        assert_eq!(
            find("apps", "v1", "deployments").map(|r| r.kind),
            Some("Deployment")
        );
        assert_eq!(find("", "v1", "pods").map(|r| r.kind_id), Some(Kind::Pod));
        assert_eq!(
            find("metrics.k8s.io", "v1beta1", "pods").map(|r| r.kind_id),
            Some(Kind::PodMetrics)
        );
        assert!(find("apps", "v1", "pods").is_none());
    }
}
