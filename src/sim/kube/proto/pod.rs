//! The pod template and pod spec of kubectl's protobuf bodies: the fields in common use
//! (containers with their ports, env, resources, mounts and probes; volumes of the usual
//! kinds; scheduling basics).

use k8s_pb::api::core::v1 as core;
use serde_json::{Map, Value, json};

use super::fields::{
    boolean, int_or_string, list, number, object_meta, put, quantities, string, string_map, strings,
};

/// A pod template (metadata and spec).
pub fn pod_template(t: &Option<core::PodTemplateSpec>) -> Value {
    let Some(t) = t else {
        return json!({});
    };
    let mut out = Map::new();
    out.insert("metadata".into(), object_meta(&t.metadata));
    put(&mut out, "spec", t.spec.as_ref().map(pod_spec));
    Value::Object(out)
}

/// A pod spec.
pub fn pod_spec(s: &core::PodSpec) -> Value {
    let mut out = Map::new();
    put(&mut out, "volumes", list(&s.volumes, volume));
    put(
        &mut out,
        "initContainers",
        list(&s.init_containers, container),
    );
    out.insert(
        "containers".into(),
        Value::Array(s.containers.iter().map(container).collect()),
    );
    put(&mut out, "restartPolicy", string(s.restart_policy.clone()));
    put(
        &mut out,
        "terminationGracePeriodSeconds",
        number(s.termination_grace_period_seconds),
    );
    put(
        &mut out,
        "activeDeadlineSeconds",
        number(s.active_deadline_seconds),
    );
    put(&mut out, "dnsPolicy", string(s.dns_policy.clone()));
    put(&mut out, "nodeSelector", string_map(&s.node_selector));
    put(
        &mut out,
        "serviceAccountName",
        string(s.service_account_name.clone()),
    );
    put(&mut out, "nodeName", string(s.node_name.clone()));
    put(&mut out, "hostNetwork", boolean(s.host_network));
    put(&mut out, "hostname", string(s.hostname.clone()));
    put(&mut out, "schedulerName", string(s.scheduler_name.clone()));
    put(
        &mut out,
        "priorityClassName",
        string(s.priority_class_name.clone()),
    );
    put(
        &mut out,
        "enableServiceLinks",
        boolean(s.enable_service_links),
    );
    put(
        &mut out,
        "imagePullSecrets",
        list(
            &s.image_pull_secrets,
            |r| json!({"name": r.name.clone().unwrap_or_default()}),
        ),
    );
    put(
        &mut out,
        "tolerations",
        list(&s.tolerations, |t| {
            let mut r = Map::new();
            put(&mut r, "key", string(t.key.clone()));
            put(&mut r, "operator", string(t.operator.clone()));
            put(&mut r, "value", string(t.value.clone()));
            put(&mut r, "effect", string(t.effect.clone()));
            put(&mut r, "tolerationSeconds", number(t.toleration_seconds));
            Value::Object(r)
        }),
    );
    if s.security_context.is_some() {
        out.insert("securityContext".into(), json!({}));
    }
    Value::Object(out)
}

fn container(c: &core::Container) -> Value {
    let mut out = Map::new();
    put(&mut out, "name", string(c.name.clone()));
    put(&mut out, "image", string(c.image.clone()));
    put(&mut out, "command", strings(&c.command));
    put(&mut out, "args", strings(&c.args));
    put(&mut out, "workingDir", string(c.working_dir.clone()));
    put(
        &mut out,
        "ports",
        list(&c.ports, |p| {
            let mut r = Map::new();
            put(&mut r, "name", string(p.name.clone()));
            put(&mut r, "containerPort", number(p.container_port));
            put(&mut r, "hostPort", number(p.host_port));
            put(&mut r, "protocol", string(p.protocol.clone()));
            Value::Object(r)
        }),
    );
    put(&mut out, "env", list(&c.env, env_var));
    put(
        &mut out,
        "envFrom",
        list(&c.env_from, |e| {
            let mut r = Map::new();
            put(&mut r, "prefix", string(e.prefix.clone()));
            let name_of = |r: &Option<core::LocalObjectReference>| json!({"name": r.as_ref().and_then(|r| r.name.clone()).unwrap_or_default()});
            put(
                &mut r,
                "configMapRef",
                e.config_map_ref
                    .as_ref()
                    .map(|c| name_of(&c.local_object_reference)),
            );
            put(
                &mut r,
                "secretRef",
                e.secret_ref
                    .as_ref()
                    .map(|s| name_of(&s.local_object_reference)),
            );
            Value::Object(r)
        }),
    );
    let resources = c.resources.as_ref().map(|r| {
        let mut m = Map::new();
        put(&mut m, "limits", quantities(&r.limits));
        put(&mut m, "requests", quantities(&r.requests));
        Value::Object(m)
    });
    put(&mut out, "resources", resources);
    put(
        &mut out,
        "volumeMounts",
        list(&c.volume_mounts, |m| {
            let mut r = Map::new();
            put(&mut r, "name", string(m.name.clone()));
            put(&mut r, "mountPath", string(m.mount_path.clone()));
            put(&mut r, "subPath", string(m.sub_path.clone()));
            put(&mut r, "readOnly", boolean(m.read_only));
            Value::Object(r)
        }),
    );
    put(
        &mut out,
        "livenessProbe",
        c.liveness_probe.as_ref().map(probe),
    );
    put(
        &mut out,
        "readinessProbe",
        c.readiness_probe.as_ref().map(probe),
    );
    put(
        &mut out,
        "startupProbe",
        c.startup_probe.as_ref().map(probe),
    );
    put(
        &mut out,
        "terminationMessagePath",
        string(c.termination_message_path.clone()),
    );
    put(
        &mut out,
        "terminationMessagePolicy",
        string(c.termination_message_policy.clone()),
    );
    put(
        &mut out,
        "imagePullPolicy",
        string(c.image_pull_policy.clone()),
    );
    put(&mut out, "stdin", boolean(c.stdin));
    put(&mut out, "tty", boolean(c.tty));
    Value::Object(out)
}

fn env_var(e: &core::EnvVar) -> Value {
    let mut r = Map::new();
    put(&mut r, "name", string(e.name.clone()));
    put(&mut r, "value", string(e.value.clone()));
    if let Some(from) = &e.value_from {
        let mut f = Map::new();
        let key_ref = |name: &Option<core::LocalObjectReference>, key: &Option<String>| {
            json!({
                "name": name.as_ref().and_then(|n| n.name.clone()).unwrap_or_default(),
                "key": key.clone().unwrap_or_default(),
            })
        };
        put(
            &mut f,
            "configMapKeyRef",
            from.config_map_key_ref
                .as_ref()
                .map(|k| key_ref(&k.local_object_reference, &k.key)),
        );
        put(
            &mut f,
            "secretKeyRef",
            from.secret_key_ref
                .as_ref()
                .map(|k| key_ref(&k.local_object_reference, &k.key)),
        );
        put(
            &mut f,
            "fieldRef",
            from.field_ref
                .as_ref()
                .map(|k| json!({"fieldPath": k.field_path.clone().unwrap_or_default()})),
        );
        r.insert("valueFrom".into(), Value::Object(f));
    }
    Value::Object(r)
}

fn probe(p: &core::Probe) -> Value {
    let mut r = Map::new();
    if let Some(h) = &p.handler {
        put(
            &mut r,
            "exec",
            h.exec.as_ref().map(|e| json!({"command": e.command})),
        );
        put(
            &mut r,
            "httpGet",
            h.http_get.as_ref().map(|g| {
                let mut m = Map::new();
                put(&mut m, "path", string(g.path.clone()));
                put(&mut m, "port", int_or_string(&g.port));
                put(&mut m, "scheme", string(g.scheme.clone()));
                Value::Object(m)
            }),
        );
        put(
            &mut r,
            "tcpSocket",
            h.tcp_socket
                .as_ref()
                .map(|t| json!({"port": int_or_string(&t.port)})),
        );
    }
    put(
        &mut r,
        "initialDelaySeconds",
        number(p.initial_delay_seconds),
    );
    put(&mut r, "timeoutSeconds", number(p.timeout_seconds));
    put(&mut r, "periodSeconds", number(p.period_seconds));
    put(&mut r, "successThreshold", number(p.success_threshold));
    put(&mut r, "failureThreshold", number(p.failure_threshold));
    Value::Object(r)
}

fn volume(v: &core::Volume) -> Value {
    let mut r = Map::new();
    put(&mut r, "name", string(v.name.clone()));
    if let Some(src) = &v.volume_source {
        put(
            &mut r,
            "configMap",
            src.config_map.as_ref().map(|c| {
                json!({"name": c.local_object_reference.as_ref().and_then(|l| l.name.clone()).unwrap_or_default()})
            }),
        );
        put(
            &mut r,
            "secret",
            src.secret
                .as_ref()
                .map(|s| json!({"secretName": s.secret_name})),
        );
        put(
            &mut r,
            "emptyDir",
            src.empty_dir.as_ref().map(|e| {
                let mut m = Map::new();
                put(&mut m, "medium", string(e.medium.clone()));
                put(
                    &mut m,
                    "sizeLimit",
                    e.size_limit.as_ref().and_then(|q| string(q.string.clone())),
                );
                Value::Object(m)
            }),
        );
        put(
            &mut r,
            "persistentVolumeClaim",
            src.persistent_volume_claim
                .as_ref()
                .map(|p| json!({"claimName": p.claim_name.clone().unwrap_or_default()})),
        );
        put(
            &mut r,
            "hostPath",
            src.host_path
                .as_ref()
                .map(|h| json!({"path": h.path.clone().unwrap_or_default()})),
        );
    }
    Value::Object(r)
}
