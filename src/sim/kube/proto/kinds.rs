//! The kinds kubectl creates from typed objects, protobuf to JSON.

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::batch::v1 as batch;
use k8s_pb::api::core::v1 as core;
use serde_json::{Map, Value, json};

use super::fields::{
    boolean, int_or_string, label_selector, list, number, object_meta, put, string, string_map,
    strings,
};
use super::pod::{pod_spec, pod_template};

/// A Deployment.
pub fn deployment(d: &apps::Deployment) -> Value {
    let mut spec = Map::new();
    if let Some(s) = &d.spec {
        put(&mut spec, "replicas", number(s.replicas));
        put(&mut spec, "selector", label_selector(&s.selector));
        spec.insert("template".into(), pod_template(&s.template));
        if let Some(strategy) = &s.strategy {
            let mut st = Map::new();
            put(&mut st, "type", string(strategy.r#type.clone()));
            put(
                &mut st,
                "rollingUpdate",
                strategy.rolling_update.as_ref().map(|r| {
                    let mut m = Map::new();
                    put(&mut m, "maxSurge", int_or_string(&r.max_surge));
                    put(&mut m, "maxUnavailable", int_or_string(&r.max_unavailable));
                    Value::Object(m)
                }),
            );
            spec.insert("strategy".into(), Value::Object(st));
        }
        put(&mut spec, "minReadySeconds", number(s.min_ready_seconds));
        put(
            &mut spec,
            "revisionHistoryLimit",
            number(s.revision_history_limit),
        );
        put(&mut spec, "paused", boolean(s.paused));
        put(
            &mut spec,
            "progressDeadlineSeconds",
            number(s.progress_deadline_seconds),
        );
    }
    json!({ "metadata": object_meta(&d.metadata), "spec": spec })
}

/// A Job.
pub fn job(j: &batch::Job) -> Value {
    json!({ "metadata": object_meta(&j.metadata), "spec": job_spec(j.spec.as_ref()) })
}

fn job_spec(spec: Option<&batch::JobSpec>) -> Value {
    let mut out = Map::new();
    if let Some(s) = spec {
        put(&mut out, "parallelism", number(s.parallelism));
        put(&mut out, "completions", number(s.completions));
        put(
            &mut out,
            "activeDeadlineSeconds",
            number(s.active_deadline_seconds),
        );
        put(&mut out, "backoffLimit", number(s.backoff_limit));
        put(&mut out, "selector", label_selector(&s.selector));
        put(&mut out, "manualSelector", boolean(s.manual_selector));
        out.insert("template".into(), pod_template(&s.template));
        put(
            &mut out,
            "ttlSecondsAfterFinished",
            number(s.ttl_seconds_after_finished),
        );
        put(
            &mut out,
            "completionMode",
            string(s.completion_mode.clone()),
        );
        put(&mut out, "suspend", boolean(s.suspend));
    }
    Value::Object(out)
}

/// A SelfSubjectAccessReview.
pub fn access_review(r: &k8s_pb::api::authorization::v1::SelfSubjectAccessReview) -> Value {
    let mut spec = Map::new();
    if let Some(s) = &r.spec {
        put(
            &mut spec,
            "resourceAttributes",
            s.resource_attributes.as_ref().map(|a| {
                let mut m = Map::new();
                put(&mut m, "namespace", string(a.namespace.clone()));
                put(&mut m, "verb", string(a.verb.clone()));
                put(&mut m, "group", string(a.group.clone()));
                put(&mut m, "version", string(a.version.clone()));
                put(&mut m, "resource", string(a.resource.clone()));
                put(&mut m, "subresource", string(a.subresource.clone()));
                put(&mut m, "name", string(a.name.clone()));
                Value::Object(m)
            }),
        );
        put(
            &mut spec,
            "nonResourceAttributes",
            s.non_resource_attributes.as_ref().map(|a| {
                json!({"path": a.path.clone().unwrap_or_default(), "verb": a.verb.clone().unwrap_or_default()})
            }),
        );
    }
    json!({ "metadata": object_meta(&r.metadata), "spec": spec })
}

/// A CronJob.
pub fn cronjob(c: &batch::CronJob) -> Value {
    let mut spec = Map::new();
    if let Some(s) = &c.spec {
        put(&mut spec, "schedule", string(s.schedule.clone()));
        put(&mut spec, "timeZone", string(s.time_zone.clone()));
        put(
            &mut spec,
            "startingDeadlineSeconds",
            number(s.starting_deadline_seconds),
        );
        put(
            &mut spec,
            "concurrencyPolicy",
            string(s.concurrency_policy.clone()),
        );
        put(&mut spec, "suspend", boolean(s.suspend));
        put(
            &mut spec,
            "successfulJobsHistoryLimit",
            number(s.successful_jobs_history_limit),
        );
        put(
            &mut spec,
            "failedJobsHistoryLimit",
            number(s.failed_jobs_history_limit),
        );
        if let Some(t) = &s.job_template {
            spec.insert(
                "jobTemplate".into(),
                json!({ "metadata": object_meta(&t.metadata), "spec": job_spec(t.spec.as_ref()) }),
            );
        }
    }
    json!({ "metadata": object_meta(&c.metadata), "spec": spec })
}

/// A Pod (`kubectl run`).
pub fn pod(p: &core::Pod) -> Value {
    let mut out = Map::new();
    out.insert("metadata".into(), object_meta(&p.metadata));
    put(&mut out, "spec", p.spec.as_ref().map(pod_spec));
    Value::Object(out)
}

/// A Namespace.
pub fn namespace(n: &core::Namespace) -> Value {
    json!({ "metadata": object_meta(&n.metadata) })
}

/// A ConfigMap.
pub fn config_map(c: &core::ConfigMap) -> Value {
    let mut out = Map::new();
    out.insert("metadata".into(), object_meta(&c.metadata));
    put(&mut out, "data", string_map(&c.data));
    put(&mut out, "immutable", boolean(c.immutable));
    Value::Object(out)
}

/// A Service.
pub fn service(s: &core::Service) -> Value {
    let mut spec = Map::new();
    if let Some(sp) = &s.spec {
        put(&mut spec, "type", string(sp.r#type.clone()));
        put(&mut spec, "clusterIP", string(sp.cluster_ip.clone()));
        put(&mut spec, "selector", string_map(&sp.selector));
        put(&mut spec, "externalName", string(sp.external_name.clone()));
        put(&mut spec, "externalIPs", strings(&sp.external_ips));
        put(
            &mut spec,
            "ports",
            list(&sp.ports, |p| {
                let mut r = Map::new();
                put(&mut r, "name", string(p.name.clone()));
                put(&mut r, "protocol", string(p.protocol.clone()));
                put(&mut r, "port", number(p.port));
                put(&mut r, "targetPort", int_or_string(&p.target_port));
                put(&mut r, "nodePort", number(p.node_port));
                Value::Object(r)
            }),
        );
    }
    json!({ "metadata": object_meta(&s.metadata), "spec": spec })
}
