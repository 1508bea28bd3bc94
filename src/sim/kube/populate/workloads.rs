//! Building each scenario workload with its history and running pods.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::batch::v1::{
    CronJob, CronJobSpec, Job, JobCondition, JobSpec, JobStatus, JobTemplateSpec,
};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, HTTPGetAction, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, Service, ServicePort, ServiceSpec, TCPSocketAction,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, ObjectMeta, OwnerReference, Time,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Placement, before, quantity};
use crate::sim::common::seeded::Rng;
use crate::sim::kube::admission::Admission;
use crate::sim::kube::controllers::build::{
    owner_ref, pod_from_template, replica_set_for, template_hash,
};
use crate::sim::kube::controllers::cron::Schedule;
use crate::sim::kube::controllers::{cronjob, kubelet, revisions};
use crate::sim::kube::scenario::{LogStyle, WorkloadKind, WorkloadSpec};
use crate::sim::kube::store::Store;

const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
const DAY: f64 = 86_400.0;

pub struct Builder<'a> {
    pub store: &'a mut Store,
    pub rng: &'a mut Rng,
    pub placement: &'a mut Placement,
    pub now: Timestamp,
    pub birth: Timestamp,
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn app_labels(w: &WorkloadSpec) -> BTreeMap<String, String> {
    let mut l = labels(&[("app", &w.name)]);
    l.extend(w.labels.clone());
    l
}

fn selector(w: &WorkloadSpec) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels(&[("app", &w.name)])),
        match_expressions: None,
    }
}

/// The pod template of a workload running `image`.
fn template(w: &WorkloadSpec, image: &str) -> PodTemplateSpec {
    let style = w
        .logs
        .unwrap_or_else(|| crate::sim::kube::logs::style_for_image(image));
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    if let Some(cpu) = &w.cpu {
        requests.insert("cpu".to_string(), Quantity(cpu.clone()));
        if let Some(c) = quantity::parse(cpu) {
            limits.insert("cpu".to_string(), Quantity(quantity::millicores(c * 4.0)));
        }
    }
    if let Some(memory) = &w.memory {
        requests.insert("memory".to_string(), Quantity(memory.clone()));
        if let Some(m) = quantity::parse(memory) {
            limits.insert("memory".to_string(), Quantity(quantity::mebibytes(m * 2.0)));
        }
    }
    let probe = w.port.map(|port| {
        let (http, tcp) = match style {
            LogStyle::Postgres | LogStyle::Redis => (
                None,
                Some(TCPSocketAction {
                    port: IntOrString::Int(port),
                    host: None,
                }),
            ),
            _ => (
                Some(HTTPGetAction {
                    path: Some("/healthz".into()),
                    port: IntOrString::Int(port),
                    scheme: Some("HTTP".into()),
                    ..HTTPGetAction::default()
                }),
                None,
            ),
        };
        Probe {
            http_get: http,
            tcp_socket: tcp,
            period_seconds: Some(10),
            timeout_seconds: Some(1),
            success_threshold: Some(1),
            failure_threshold: Some(3),
            ..Probe::default()
        }
    });
    let restart = (w.kind == WorkloadKind::CronJob).then(|| "OnFailure".to_string());
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(app_labels(w)),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            containers: vec![Container {
                name: w.name.clone(),
                image: Some(image.to_string()),
                args: (!w.args.is_empty()).then(|| w.args.clone()),
                env: (!w.env.is_empty()).then(|| {
                    w.env
                        .iter()
                        .map(|(k, v)| EnvVar {
                            name: k.clone(),
                            value: Some(v.clone()),
                            value_from: None,
                        })
                        .collect()
                }),
                ports: w.port.map(|p| {
                    vec![ContainerPort {
                        container_port: p,
                        name: Some("http".into()),
                        ..ContainerPort::default()
                    }]
                }),
                resources: Some(ResourceRequirements {
                    requests: (!requests.is_empty()).then_some(requests),
                    limits: (!limits.is_empty()).then_some(limits),
                    claims: None,
                }),
                readiness_probe: probe.clone(),
                liveness_probe: probe,
                ..Container::default()
            }],
            restart_policy: restart,
            ..PodSpec::default()
        }),
    }
}

impl Builder<'_> {
    pub fn workload(&mut self, namespace: &str, w: &WorkloadSpec) {
        match w.kind {
            WorkloadKind::Deployment => self.deployment(namespace, w),
            WorkloadKind::StatefulSet => self.statefulset(namespace, w),
            WorkloadKind::DaemonSet => self.daemonset(namespace, w),
            WorkloadKind::CronJob => self.cronjob(namespace, w),
        }
        if w.service
            && let Some(port) = w.port
        {
            let ip = self.cluster_ip();
            self.service(namespace, &w.name, port, &w.name, Some(ip));
        }
    }

    fn cluster_ip(&mut self) -> String {
        format!(
            "10.96.{}.{}",
            self.rng.range(1, 255),
            self.rng.range(2, 255)
        )
    }

    /// `default/kubernetes` and `kube-system/kube-dns`, as every cluster has.
    pub fn default_services(&mut self) {
        self.service("default", "kubernetes", 443, "", Some("10.96.0.1".into()));
        self.service(
            "kube-system",
            "kube-dns",
            53,
            "coredns",
            Some("10.96.0.10".into()),
        );
    }

    fn service(
        &mut self,
        namespace: &str,
        name: &str,
        port: i32,
        app: &str,
        cluster_ip: Option<String>,
    ) {
        let ip = cluster_ip.unwrap_or_else(|| "None".into());
        let mut svc = Service {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(namespace.into()),
                labels: (!app.is_empty()).then(|| labels(&[("app", app)])),
                creation_timestamp: Some(Time(self.birth)),
                ..ObjectMeta::default()
            },
            spec: Some(ServiceSpec {
                cluster_ip: Some(ip.clone()),
                cluster_ips: Some(vec![ip]),
                ports: Some(vec![ServicePort {
                    name: Some(if port == 53 { "dns" } else { "http" }.into()),
                    port,
                    protocol: Some(if port == 53 { "UDP" } else { "TCP" }.into()),
                    ..ServicePort::default()
                }]),
                selector: (!app.is_empty()).then(|| labels(&[("app", app)])),
                ..ServiceSpec::default()
            }),
            status: None,
        };
        svc.apply_defaults();
        let _ = self.store.create(svc);
    }

    /// A running pod of `template`, created at `created`, a few restarting now and then.
    fn running_pod(
        &mut self,
        template: &PodTemplateSpec,
        namespace: &str,
        name: &str,
        owner: OwnerReference,
        created: Timestamp,
    ) -> Option<k8s_openapi::api::core::v1::Pod> {
        let (node, pod_ip, host_ip) = self.placement.place()?;
        let mut pod = pod_from_template(template, namespace, name, owner);
        pod.metadata.creation_timestamp = Some(Time(created));
        let restarts = if self.rng.unit() < 0.12 {
            self.rng.range(1, 4) as i32
        } else {
            0
        };
        let age = (self.now.as_second() - created.as_second()).max(60) as f64;
        let started = if restarts > 0 {
            before(self.now, self.rng.between(60.0, age))
        } else {
            created
        };
        kubelet::settle_running(
            &mut pod, &node, &pod_ip, &host_ip, started, restarts, self.rng,
        );
        if restarts > 0 {
            // The run before this one ended when this one began.
            for c in pod
                .status
                .iter_mut()
                .flat_map(|s| s.container_statuses.iter_mut().flatten())
            {
                c.last_state = Some(k8s_openapi::api::core::v1::ContainerState {
                    terminated: Some(k8s_openapi::api::core::v1::ContainerStateTerminated {
                        exit_code: 137,
                        reason: Some("Error".into()),
                        started_at: Some(Time(created)),
                        finished_at: Some(Time(started)),
                        ..Default::default()
                    }),
                    ..Default::default()
                });
            }
        }
        self.store.create(pod).ok()
    }

    fn deployment(&mut self, namespace: &str, w: &WorkloadSpec) {
        let images: Vec<&str> = w
            .history
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(w.image.as_str()))
            .collect();
        let cause = |k: usize, image: &str| {
            if k == 0 {
                format!(
                    "kubectl apply --filename=deploy/{}.yaml --record=true",
                    w.name
                )
            } else {
                format!(
                    "kubectl set image deployment/{} {}={image} --record=true",
                    w.name, w.name
                )
            }
        };
        let current_age = self.rng.between(2.0 * DAY, 15.0 * DAY);
        let mut created = Vec::new();
        let mut t = current_age;
        for _ in &images {
            created.push(t);
            t += self.rng.between(3.0 * DAY, 10.0 * DAY);
        }
        created.reverse();
        let first_created = before(self.now, created.first().copied().unwrap_or(current_age));
        let mut d = Deployment {
            metadata: ObjectMeta {
                name: Some(w.name.clone()),
                namespace: Some(namespace.into()),
                labels: Some(app_labels(w)),
                annotations: Some(labels(&[(
                    CHANGE_CAUSE,
                    &cause(images.len() - 1, &w.image),
                )])),
                creation_timestamp: Some(Time(first_created)),
                ..ObjectMeta::default()
            },
            spec: DeploymentSpec {
                replicas: Some(w.replicas.unwrap_or(1)),
                selector: selector(w),
                template: template(w, &w.image),
                ..DeploymentSpec::default()
            },
            status: None,
        };
        d.apply_defaults();
        let Ok(d) = self.store.create(d) else { return };
        for (k, image) in images.iter().enumerate() {
            let current = k + 1 == images.len();
            let mut version = d.clone();
            version.spec.template = template(w, image);
            version.apply_defaults();
            let hash = Some(&version.spec)
                .map(|s| template_hash(&s.template))
                .unwrap_or_default();
            let replicas = if current { w.replicas.unwrap_or(1) } else { 0 };
            let mut rs = replica_set_for(&version, &hash, k as i64 + 1, replicas);
            let rs_created = before(self.now, created[k]);
            rs.metadata.creation_timestamp = Some(Time(rs_created));
            rs.metadata
                .annotations
                .get_or_insert_with(BTreeMap::new)
                .insert(CHANGE_CAUSE.into(), cause(k, image));
            let Ok(rs) = self.store.create(rs) else {
                continue;
            };
            if current {
                let rs_name = rs.metadata.name.clone().unwrap_or_default();
                let rs_template = Some(&rs.spec)
                    .and_then(|s| s.template.clone())
                    .unwrap_or_default();
                for _ in 0..replicas {
                    let name = format!("{rs_name}-{}", self.rng.suffix(5));
                    let at = before(rs_created, -self.rng.between(1.0, 30.0));
                    self.running_pod(&rs_template, namespace, &name, owner_ref(&rs), at);
                }
            }
        }
    }

    fn statefulset(&mut self, namespace: &str, w: &WorkloadSpec) {
        let headless = format!("{}-headless", w.name);
        let mut sts = StatefulSet {
            metadata: ObjectMeta {
                name: Some(w.name.clone()),
                namespace: Some(namespace.into()),
                labels: Some(app_labels(w)),
                creation_timestamp: Some(Time(before(
                    self.now,
                    self.rng.between(20.0 * DAY, 60.0 * DAY),
                ))),
                ..ObjectMeta::default()
            },
            spec: StatefulSetSpec {
                replicas: Some(w.replicas.unwrap_or(1)),
                selector: selector(w),
                service_name: Some(headless.clone()),
                template: template(w, &w.image),
                pod_management_policy: w.pod_management.map(|p| p.policy().to_string()),
                ..StatefulSetSpec::default()
            },
            status: None,
        };
        sts.apply_defaults();
        let created = sts
            .metadata
            .creation_timestamp
            .clone()
            .map_or(self.now, |t| t.0);
        let Ok(sts) = self.store.create(sts) else {
            return;
        };
        let template = Some(&sts.spec)
            .map(|s| s.template.clone())
            .unwrap_or_default();
        let revision = revisions::build(&sts, &template, 1, Some(labels(&[("app", &w.name)])));
        let revision_name = revision.metadata.name.clone().unwrap_or_default();
        let _ = self.store.create(revision);
        for i in 0..w.replicas.unwrap_or(1) {
            let name = format!("{}-{i}", w.name);
            let mut t = template.clone();
            let meta_labels = t
                .metadata
                .get_or_insert_with(Default::default)
                .labels
                .get_or_insert_with(BTreeMap::new);
            meta_labels.insert("controller-revision-hash".into(), revision_name.clone());
            meta_labels.insert("statefulset.kubernetes.io/pod-name".into(), name.clone());
            meta_labels.insert("apps.kubernetes.io/pod-index".into(), i.to_string());
            if let Some(spec) = t.spec.as_mut() {
                spec.hostname = Some(name.clone());
                spec.subdomain = Some(headless.clone());
            }
            let at = before(created, -(f64::from(i) * 40.0 + 5.0));
            if let Some(mut pod) = self.running_pod(&t, namespace, &name, owner_ref(&sts), at) {
                // StatefulSet pods have fixed names, not generated ones.
                pod.metadata.generate_name = None;
                let _ = self.store.update(pod);
            }
        }
        self.service(namespace, &headless, w.port.unwrap_or(80), &w.name, None);
    }

    fn daemonset(&mut self, namespace: &str, w: &WorkloadSpec) {
        let mut ds = DaemonSet {
            metadata: ObjectMeta {
                name: Some(w.name.clone()),
                namespace: Some(namespace.into()),
                labels: Some(app_labels(w)),
                creation_timestamp: Some(Time(before(
                    self.now,
                    self.rng.between(30.0 * DAY, 80.0 * DAY),
                ))),
                ..ObjectMeta::default()
            },
            spec: DaemonSetSpec {
                selector: selector(w),
                template: template(w, &w.image),
                ..DaemonSetSpec::default()
            },
            status: None,
        };
        ds.apply_defaults();
        let created = ds
            .metadata
            .creation_timestamp
            .clone()
            .map_or(self.now, |t| t.0);
        let Ok(ds) = self.store.create(ds) else {
            return;
        };
        let template = Some(&ds.spec)
            .map(|s| s.template.clone())
            .unwrap_or_default();
        let hash = template_hash(&template);
        let _ = self.store.create(revisions::build(
            &ds,
            &template,
            1,
            Some(labels(&[("app", &w.name)])),
        ));
        let mut t = template.clone();
        t.metadata
            .get_or_insert_with(Default::default)
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert("controller-revision-hash".into(), hash);
        // One pod per node: take the placement's nodes in order.
        let nodes: Vec<String> = self
            .placement
            .node_names()
            .map(|(n, _)| n.clone())
            .collect();
        for node in nodes {
            let name = format!("{}-{}", w.name, self.rng.suffix(5));
            // Round-robin placement would spread these; a DaemonSet pod belongs on its node.
            while self.placement.peek_node().as_deref() != Some(node.as_str()) {
                self.placement.skip();
            }
            let at = before(created, -self.rng.between(1.0, 20.0));
            self.running_pod(&t, namespace, &name, owner_ref(&ds), at);
        }
    }

    fn cronjob(&mut self, namespace: &str, w: &WorkloadSpec) {
        let schedule_text = w.schedule.clone().unwrap_or_else(|| "@hourly".into());
        let mut cj = CronJob {
            metadata: ObjectMeta {
                name: Some(w.name.clone()),
                namespace: Some(namespace.into()),
                labels: Some(app_labels(w)),
                creation_timestamp: Some(Time(before(
                    self.now,
                    self.rng.between(20.0 * DAY, 60.0 * DAY),
                ))),
                ..ObjectMeta::default()
            },
            spec: CronJobSpec {
                schedule: schedule_text.clone(),
                concurrency_policy: Some("Forbid".into()),
                job_template: JobTemplateSpec {
                    metadata: None,
                    spec: Some(JobSpec {
                        backoff_limit: Some(2),
                        template: template(w, &w.image),
                        ..JobSpec::default()
                    }),
                },
                ..CronJobSpec::default()
            },
            status: None,
        };
        cj.apply_defaults();
        let Ok(mut cj) = self.store.create(cj) else {
            return;
        };
        let Ok(schedule) = Schedule::parse(&schedule_text) else {
            return;
        };
        let run_time = w.run_time.unwrap_or(60.0);
        // The last three runs that finished before now, oldest first.
        let mut runs = Vec::new();
        let mut at = before(self.now, run_time * 1.3);
        while runs.len() < 3 {
            let Some(t) = schedule.last_at_or_before(at, 8 * 86_400) else {
                break;
            };
            runs.push(t);
            at = before(t, 1.0);
        }
        runs.reverse();
        let mut last_success = None;
        for t in &runs {
            let finished = before(*t, -run_time * self.rng.between(0.8, 1.2));
            self.finished_job(&cj, *t, finished);
            last_success = Some(finished);
        }
        if let (Some(last), Some(done)) = (runs.last(), last_success) {
            cj.status = Some(k8s_openapi::api::batch::v1::CronJobStatus {
                last_schedule_time: Some(Time(*last)),
                last_successful_time: Some(Time(done)),
                active: None,
            });
            let _ = self.store.update(cj);
        }
    }

    /// A Job of `cj` scheduled at `t` that completed at `finished`, with its pod.
    fn finished_job(&mut self, cj: &CronJob, t: Timestamp, finished: Timestamp) {
        let mut job: Job = cronjob::job_for(cj, t, t);
        job.metadata.uid = Some(self.store.new_uid());
        job.metadata.creation_timestamp = Some(Time(t));
        job.apply_defaults();
        let condition = |kind: &str| JobCondition {
            type_: kind.into(),
            status: "True".into(),
            reason: Some("CompletionsReached".into()),
            message: Some("Reached expected number of succeeded pods".into()),
            last_probe_time: Some(Time(finished)),
            last_transition_time: Some(Time(finished)),
        };
        job.status = Some(JobStatus {
            start_time: Some(Time(t)),
            completion_time: Some(Time(finished)),
            succeeded: Some(1),
            ready: Some(0),
            terminating: Some(0),
            conditions: Some(vec![condition("SuccessCriteriaMet"), condition("Complete")]),
            uncounted_terminated_pods: Some(Default::default()),
            ..JobStatus::default()
        });
        let Ok(job) = self.store.create(job) else {
            return;
        };
        let Some((node, pod_ip, host_ip)) = self.placement.place() else {
            return;
        };
        let job_name = job.metadata.name.clone().unwrap_or_default();
        let template = job
            .spec
            .as_ref()
            .map(|s| s.template.clone())
            .unwrap_or_default();
        let name = format!("{job_name}-{}", self.rng.suffix(5));
        let mut pod = pod_from_template(
            &template,
            &job.metadata.namespace.clone().unwrap_or_default(),
            &name,
            owner_ref(&job),
        );
        pod.metadata.creation_timestamp = Some(Time(t));
        kubelet::settle_finished(&mut pod, &node, &pod_ip, &host_ip, t, finished, self.rng);
        let _ = self.store.create(pod);
    }
}
