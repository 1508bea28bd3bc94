//! SelfSubjectAccessReviews for the verbs operations need, asked once per context and
//! namespace scope and cached in the fleet, so an operation is offered, greyed or hidden
//! truthfully before anyone presses its key.

use futures::future::join_all;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::PostParams;
use kube::{Api, Client};

use crate::sources::EventSink;
use crate::store::{Grant, SourceEvent};

/// (verb, API group, resource, subresource) of every operation pilothouse offers.
pub const OPERATION_VERBS: &[(&str, &str, &str, &str)] = &[
    ("patch", "apps", "deployments", "scale"),
    ("patch", "apps", "statefulsets", "scale"),
    ("patch", "apps", "deployments", ""),
    ("patch", "apps", "statefulsets", ""),
    ("patch", "apps", "daemonsets", ""),
    ("delete", "", "pods", ""),
    ("create", "batch", "jobs", ""),
    ("patch", "", "nodes", ""),
    ("get", "", "pods", "log"),
];

/// The resource as [`Grant::resource`] names it: `deployments/scale`.
pub fn resource_name(resource: &str, subresource: &str) -> String {
    if subresource.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}/{subresource}")
    }
}

/// Ask every question in `namespace` (cluster-wide when `None`) and send the answers.
/// A question that cannot be asked is left unanswered, not guessed.
pub async fn check(
    client: Client,
    context: String,
    namespace: Option<String>,
    mut sink: EventSink,
) {
    let api: Api<SelfSubjectAccessReview> = Api::all(client);
    let asks = OPERATION_VERBS.iter().map(|(verb, group, resource, sub)| {
        let api = api.clone();
        // Nodes are cluster-scoped: asking about them in a namespace would be meaningless.
        let namespace = if *resource == "nodes" {
            None
        } else {
            namespace.clone()
        };
        async move {
            let review = SelfSubjectAccessReview {
                spec: SelfSubjectAccessReviewSpec {
                    resource_attributes: Some(ResourceAttributes {
                        verb: Some(verb.to_string()),
                        group: Some(group.to_string()),
                        resource: Some(resource.to_string()),
                        subresource: (!sub.is_empty()).then(|| sub.to_string()),
                        namespace: namespace.clone(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                ..Default::default()
            };
            let answer = api.create(&PostParams::default(), &review).await.ok()?;
            Some(Grant {
                verb: verb.to_string(),
                resource: resource_name(resource, sub),
                namespace,
                allowed: answer.status.is_some_and(|s| s.allowed),
            })
        }
    });
    let grants: Vec<Grant> = join_all(asks).await.into_iter().flatten().collect();
    if !grants.is_empty() {
        let _ = sink.send(SourceEvent::Grants { context, grants }).await;
    }
}
