//! What the API server does to an object before storing it: fill defaults (so objects read
//! back as a real server returns them) and validate (422 `Invalid` with the field).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, Deployment, DeploymentStrategy, ReplicaSet,
    RollingUpdateDeployment, StatefulSet,
};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    ConfigMap, Event, Namespace, NamespaceSpec, NamespaceStatus, Node, Pod, PodSpec,
    PodTemplateSpec, Service,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::selectors::LabelFilter;
use super::status::ApiError;
use super::types::SimObject;

/// Defaulting and validation per kind.
pub trait Admission: SimObject {
    fn apply_defaults(&mut self) {}

    /// Check the object; `old` is the stored version on an update.
    fn validate(&self, _old: Option<&Self>) -> Result<(), ApiError> {
        Ok(())
    }
}

/// Run both, plus the checks every object gets.
pub fn admit<T: Admission>(object: &mut T, old: Option<&T>) -> Result<(), ApiError> {
    object.apply_defaults();
    let name = object.metadata().name.clone().unwrap_or_default();
    if !is_dns_subdomain(&name) {
        return Err(invalid::<T>(
            &name,
            "metadata.name",
            &format!(
                "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            ),
        ));
    }
    object.validate(old)
}

fn invalid<T: SimObject>(name: &str, field: &str, detail: &str) -> ApiError {
    ApiError::invalid(T::SIM_KIND.resource(), name, field, detail)
}

/// RFC 1123 subdomain: what Kubernetes requires of most names.
pub fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// The defaults a real API server fills into a pod spec.
pub fn default_pod_spec(spec: &mut PodSpec) {
    spec.restart_policy.get_or_insert_with(|| "Always".into());
    spec.dns_policy.get_or_insert_with(|| "ClusterFirst".into());
    spec.scheduler_name
        .get_or_insert_with(|| "default-scheduler".into());
    spec.termination_grace_period_seconds.get_or_insert(30);
    spec.security_context.get_or_insert_with(Default::default);
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        c.termination_message_path
            .get_or_insert_with(|| "/dev/termination-log".into());
        c.termination_message_policy
            .get_or_insert_with(|| "File".into());
        c.resources.get_or_insert_with(Default::default);
        let image = c.image.clone().unwrap_or_default();
        let tagless = !image.rsplit('/').next().unwrap_or_default().contains(':');
        c.image_pull_policy.get_or_insert_with(|| {
            if image.ends_with(":latest") || tagless {
                "Always".into()
            } else {
                "IfNotPresent".into()
            }
        });
        for p in c.ports.iter_mut().flatten() {
            p.protocol.get_or_insert_with(|| "TCP".into());
        }
    }
}

fn default_template(template: &mut PodTemplateSpec) {
    if let Some(spec) = template.spec.as_mut() {
        default_pod_spec(spec);
    }
}

fn validate_template<T: SimObject>(
    name: &str,
    selector: Option<&LabelSelector>,
    template: &PodTemplateSpec,
    path: &str,
) -> Result<(), ApiError> {
    let Some(spec) = template.spec.as_ref() else {
        return Err(invalid::<T>(
            name,
            &format!("{path}.spec"),
            "Required value",
        ));
    };
    if spec.containers.is_empty() {
        return Err(invalid::<T>(
            name,
            &format!("{path}.spec.containers"),
            "Required value",
        ));
    }
    for (i, c) in spec.containers.iter().enumerate() {
        if c.image.as_deref().unwrap_or_default().is_empty() {
            return Err(invalid::<T>(
                name,
                &format!("{path}.spec.containers[{i}].image"),
                "Required value",
            ));
        }
    }
    if let Some(selector) = selector {
        let filter = LabelFilter::from_selector(selector);
        if filter.is_empty() {
            return Err(invalid::<T>(
                name,
                "spec.selector",
                "Invalid value: empty selector is invalid for deployment",
            ));
        }
        if !filter.matches_map(template.metadata.as_ref().and_then(|m| m.labels.as_ref())) {
            return Err(invalid::<T>(
                name,
                &format!("{path}.metadata.labels"),
                "Invalid value: `selector` does not match template `labels`",
            ));
        }
    }
    Ok(())
}

fn check_replicas<T: SimObject>(name: &str, replicas: Option<i32>) -> Result<(), ApiError> {
    match replicas {
        Some(r) if r < 0 => Err(invalid::<T>(
            name,
            "spec.replicas",
            &format!("Invalid value: {r}: must be greater than or equal to 0"),
        )),
        _ => Ok(()),
    }
}

fn check_selector_unchanged<T: SimObject>(
    name: &str,
    new: Option<&LabelSelector>,
    old: Option<Option<&LabelSelector>>,
) -> Result<(), ApiError> {
    match old {
        Some(old) if old != new => Err(invalid::<T>(
            name,
            "spec.selector",
            "Invalid value: field is immutable",
        )),
        _ => Ok(()),
    }
}

impl Admission for Deployment {
    fn apply_defaults(&mut self) {
        let spec = &mut self.spec;
        spec.replicas.get_or_insert(1);
        spec.revision_history_limit.get_or_insert(10);
        spec.progress_deadline_seconds.get_or_insert(600);
        let strategy = spec
            .strategy
            .get_or_insert_with(DeploymentStrategy::default);
        let kind = strategy
            .type_
            .get_or_insert_with(|| "RollingUpdate".into())
            .clone();
        if kind == "RollingUpdate" {
            let rolling = strategy
                .rolling_update
                .get_or_insert_with(RollingUpdateDeployment::default);
            rolling
                .max_surge
                .get_or_insert_with(|| IntOrString::String("25%".into()));
            rolling
                .max_unavailable
                .get_or_insert_with(|| IntOrString::String("25%".into()));
        }
        default_template(&mut spec.template);
    }

    fn validate(&self, old: Option<&Self>) -> Result<(), ApiError> {
        let name = self.metadata.name.clone().unwrap_or_default();
        let spec = Some(&self.spec);
        check_replicas::<Self>(&name, spec.and_then(|s| s.replicas))?;
        if let Some(spec) = spec {
            validate_template::<Self>(
                &name,
                Some(&spec.selector),
                &spec.template,
                "spec.template",
            )?;
        }
        check_selector_unchanged::<Self>(
            &name,
            spec.map(|s| &s.selector),
            old.map(|o| Some(&o.spec.selector)),
        )
    }
}

impl Admission for ReplicaSet {
    fn apply_defaults(&mut self) {
        let spec = &mut self.spec;
        spec.replicas.get_or_insert(1);
        if let Some(t) = spec.template.as_mut() {
            default_template(t);
        }
    }

    fn validate(&self, _old: Option<&Self>) -> Result<(), ApiError> {
        let name = self.metadata.name.clone().unwrap_or_default();
        check_replicas::<Self>(&name, self.spec.replicas)
    }
}

impl Admission for StatefulSet {
    fn apply_defaults(&mut self) {
        let spec = &mut self.spec;
        spec.replicas.get_or_insert(1);
        spec.revision_history_limit.get_or_insert(10);
        spec.pod_management_policy
            .get_or_insert_with(|| "OrderedReady".into());
        let strategy = spec.update_strategy.get_or_insert_with(Default::default);
        if strategy.type_.get_or_insert_with(|| "RollingUpdate".into()) == "RollingUpdate" {
            strategy
                .rolling_update
                .get_or_insert_with(Default::default)
                .partition
                .get_or_insert(0);
        }
        default_template(&mut spec.template);
    }

    fn validate(&self, old: Option<&Self>) -> Result<(), ApiError> {
        let name = self.metadata.name.clone().unwrap_or_default();
        let spec = Some(&self.spec);
        check_replicas::<Self>(&name, spec.and_then(|s| s.replicas))?;
        if let Some(spec) = spec {
            validate_template::<Self>(
                &name,
                Some(&spec.selector),
                &spec.template,
                "spec.template",
            )?;
        }
        check_selector_unchanged::<Self>(
            &name,
            spec.map(|s| &s.selector),
            old.map(|o| Some(&o.spec.selector)),
        )
    }
}

impl Admission for DaemonSet {
    fn apply_defaults(&mut self) {
        let spec = &mut self.spec;
        spec.revision_history_limit.get_or_insert(10);
        let strategy = spec.update_strategy.get_or_insert_with(Default::default);
        if strategy.type_.get_or_insert_with(|| "RollingUpdate".into()) == "RollingUpdate" {
            let rolling = strategy.rolling_update.get_or_insert_with(Default::default);
            rolling.max_unavailable.get_or_insert(IntOrString::Int(1));
            rolling.max_surge.get_or_insert(IntOrString::Int(0));
        }
        default_template(&mut spec.template);
    }

    fn validate(&self, _old: Option<&Self>) -> Result<(), ApiError> {
        let name = self.metadata.name.clone().unwrap_or_default();
        match Some(&self.spec) {
            Some(spec) => validate_template::<Self>(
                &name,
                Some(&spec.selector),
                &spec.template,
                "spec.template",
            ),
            None => Ok(()),
        }
    }
}

impl Admission for Job {
    fn apply_defaults(&mut self) {
        let uid = self.metadata.uid.clone().unwrap_or_default();
        let name = self.metadata.name.clone().unwrap_or_default();
        let spec = self.spec.get_or_insert_with(Default::default);
        spec.backoff_limit.get_or_insert(6);
        spec.completions.get_or_insert(1);
        spec.parallelism.get_or_insert(1);
        spec.suspend.get_or_insert(false);
        spec.completion_mode
            .get_or_insert_with(|| "NonIndexed".into());
        spec.pod_replacement_policy
            .get_or_insert_with(|| "TerminatingOrFailed".into());
        // The Job controller selects its pods by the Job's uid, as Kubernetes does.
        if spec.manual_selector != Some(true) && !uid.is_empty() {
            let labels: BTreeMap<String, String> = [
                ("batch.kubernetes.io/controller-uid", uid.as_str()),
                ("batch.kubernetes.io/job-name", name.as_str()),
                ("controller-uid", uid.as_str()),
                ("job-name", name.as_str()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            if spec.selector.is_none() {
                spec.selector = Some(LabelSelector {
                    match_labels: Some(
                        [(
                            "batch.kubernetes.io/controller-uid".to_string(),
                            uid.clone(),
                        )]
                        .into(),
                    ),
                    match_expressions: None,
                });
            }
            let meta = spec.template.metadata.get_or_insert_with(Default::default);
            meta.labels.get_or_insert_with(BTreeMap::new).extend(labels);
        }
        if let Some(pod) = spec.template.spec.as_mut() {
            pod.restart_policy.get_or_insert_with(|| "Never".into());
        }
        default_template(&mut spec.template);
    }

    fn validate(&self, _old: Option<&Self>) -> Result<(), ApiError> {
        let name = self.metadata.name.clone().unwrap_or_default();
        match self.spec.as_ref() {
            Some(spec) => {
                if spec
                    .template
                    .spec
                    .as_ref()
                    .and_then(|s| s.restart_policy.as_deref())
                    == Some("Always")
                {
                    return Err(invalid::<Self>(
                        &name,
                        "spec.template.spec.restartPolicy",
                        "Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"",
                    ));
                }
                validate_template::<Self>(&name, None, &spec.template, "spec.template")
            }
            None => Ok(()),
        }
    }
}

impl Admission for CronJob {
    fn apply_defaults(&mut self) {
        let spec = &mut self.spec;
        spec.concurrency_policy
            .get_or_insert_with(|| "Allow".into());
        spec.suspend.get_or_insert(false);
        spec.successful_jobs_history_limit.get_or_insert(3);
        spec.failed_jobs_history_limit.get_or_insert(1);
        if let Some(job) = spec.job_template.spec.as_mut() {
            if let Some(pod) = job.template.spec.as_mut() {
                pod.restart_policy.get_or_insert_with(|| "OnFailure".into());
            }
            default_template(&mut job.template);
        }
    }

    fn validate(&self, _old: Option<&Self>) -> Result<(), ApiError> {
        let name = self.metadata.name.clone().unwrap_or_default();
        let schedule = Some(&self.spec)
            .map(|s| s.schedule.as_str())
            .unwrap_or_default();
        if super::controllers::cron::Schedule::parse(schedule).is_err() {
            return Err(invalid::<Self>(
                &name,
                "spec.schedule",
                &format!("Invalid value: \"{schedule}\": not a cron schedule"),
            ));
        }
        Ok(())
    }
}

impl Admission for Pod {
    fn apply_defaults(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        default_pod_spec(spec);
        spec.service_account_name
            .get_or_insert_with(|| "default".into());
        spec.enable_service_links.get_or_insert(true);
        spec.priority.get_or_insert(0);
        let status = self.status.get_or_insert_with(Default::default);
        status.phase.get_or_insert_with(|| "Pending".into());
        status.qos_class.get_or_insert_with(|| "BestEffort".into());
    }

    fn validate(&self, _old: Option<&Self>) -> Result<(), ApiError> {
        let name = self.metadata.name.clone().unwrap_or_default();
        let template = PodTemplateSpec {
            metadata: None,
            spec: self.spec.clone(),
        };
        validate_template::<Self>(&name, None, &template, "spec")
    }
}

impl Admission for Namespace {
    fn apply_defaults(&mut self) {
        let name = self.metadata.name.clone().unwrap_or_default();
        self.metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert("kubernetes.io/metadata.name".into(), name);
        self.spec
            .get_or_insert_with(NamespaceSpec::default)
            .finalizers
            .get_or_insert_with(|| vec!["kubernetes".into()]);
        self.status
            .get_or_insert_with(NamespaceStatus::default)
            .phase
            .get_or_insert_with(|| "Active".into());
    }
}

impl Admission for Service {
    fn apply_defaults(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        spec.type_.get_or_insert_with(|| "ClusterIP".into());
        spec.session_affinity.get_or_insert_with(|| "None".into());
        for p in spec.ports.iter_mut().flatten() {
            p.protocol.get_or_insert_with(|| "TCP".into());
            p.target_port.get_or_insert(IntOrString::Int(p.port));
        }
    }
}

impl Admission for Node {}
impl Admission for Event {}
impl Admission for ConfigMap {}
impl Admission for ControllerRevision {}
impl Admission for Lease {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_dns_subdomains() {
        assert!(is_dns_subdomain("api-7d9f8"));
        assert!(is_dns_subdomain("a.b"));
        assert!(!is_dns_subdomain("Api"));
        assert!(!is_dns_subdomain("-api"));
        assert!(!is_dns_subdomain(""));
    }

    #[test]
    fn a_deployment_gets_the_server_defaults() {
        let mut d = Deployment::default();
        d.apply_defaults();
        let spec = d.spec;
        assert_eq!(spec.replicas, Some(1));
        assert_eq!(spec.revision_history_limit, Some(10));
        let rolling = spec
            .strategy
            .and_then(|s| s.rolling_update)
            .expect("rolling");
        assert_eq!(rolling.max_surge, Some(IntOrString::String("25%".into())));
    }
}
