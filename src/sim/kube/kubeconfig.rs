//! The kubeconfig the sim writes: per simulated cluster two cluster entries, `sim-<c>` and
//! `sim-<c>-viewer`, each at the listener that serves that cluster to that user (kubectl
//! sends no credentials over http, so where it connects says who it is; see
//! `http::auth`); an admin and a viewer user with bearer tokens (for clients that do send
//! them); contexts `sim-<c>` (admin) and `sim-<c>-viewer`, plus `admin` and `viewer` for
//! the first cluster. The current context is the first cluster's admin one.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::http::{ADMIN_TOKEN, VIEWER_TOKEN};

/// One cluster's entry: its name, default namespace and where each user reaches it.
pub struct ClusterEntry<'a> {
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub admin_url: String,
    pub viewer_url: String,
}

/// The kubeconfig document.
pub fn document(clusters: &[ClusterEntry]) -> Value {
    let mut cluster_entries = Vec::new();
    let mut contexts = Vec::new();
    let context = |cluster: &str, user: &str, namespace: Option<&str>| {
        let mut context = json!({"cluster": cluster, "user": user});
        if let Some(ns) = namespace {
            context["namespace"] = json!(ns);
        }
        context
    };
    for c in clusters {
        for (suffix, url, user) in [
            ("", &c.admin_url, "sim-admin"),
            ("-viewer", &c.viewer_url, "sim-viewer"),
        ] {
            let name = format!("sim-{}{suffix}", c.name);
            cluster_entries.push(json!({"name": name, "cluster": {"server": url}}));
            contexts.push(json!({"name": name, "context": context(&name, user, c.namespace)}));
        }
    }
    if let Some(first) = clusters.first() {
        for (name, suffix, user) in [
            ("admin", "", "sim-admin"),
            ("viewer", "-viewer", "sim-viewer"),
        ] {
            let cluster = format!("sim-{}{suffix}", first.name);
            contexts
                .push(json!({"name": name, "context": context(&cluster, user, first.namespace)}));
        }
    }
    json!({
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": cluster_entries,
        "users": [
            {"name": "sim-admin", "user": {"token": ADMIN_TOKEN}},
            {"name": "sim-viewer", "user": {"token": VIEWER_TOKEN}},
        ],
        "contexts": contexts,
        "current-context": clusters.first().map(|c| format!("sim-{}", c.name)).unwrap_or_default(),
    })
}

/// Write the kubeconfig to `out`, or to a fresh file in the temporary directory. Mode 0600:
/// it holds the tokens.
pub fn write(document: &Value, out: Option<&Path>, port: u16) -> std::io::Result<PathBuf> {
    let path = match out {
        Some(p) => p.to_path_buf(),
        None => {
            let dir =
                std::env::temp_dir().join(format!("pilothouse-sim-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            dir.join("kubeconfig")
        }
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let text = serde_norway::to_string(document).map_err(std::io::Error::other)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path)?;
    file.write_all(text.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_cover_each_cluster_and_user() {
        let entry = |name, port: u16| ClusterEntry {
            name,
            namespace: Some("shop"),
            admin_url: format!("http://127.0.0.1:{port}"),
            viewer_url: format!("http://127.0.0.1:{}", port + 1),
        };
        let doc = document(&[entry("prod", 10), entry("staging", 20)]);
        let names: Vec<&str> = doc["contexts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "sim-prod",
                "sim-prod-viewer",
                "sim-staging",
                "sim-staging-viewer",
                "admin",
                "viewer"
            ]
        );
        assert_eq!(doc["current-context"], "sim-prod");
        assert_eq!(
            doc["clusters"][3]["cluster"]["server"],
            "http://127.0.0.1:21"
        );
        assert_eq!(doc["contexts"][5]["context"]["cluster"], "sim-prod-viewer");
    }
}
