//! Finding and merging kubeconfig files the way kubectl does.
//!
//! `--kubeconfig PATH` names the only file; else `KUBECONFIG` lists files (`:`-separated)
//! that are merged, the first file to define a cluster, user or context winning and the
//! first `current-context` set counting; else `~/.kube/config`. A file that does not exist
//! in `KUBECONFIG` is skipped, as kubectl skips it. A broken file is reported with its path,
//! line and column, and the others are still used.

use std::path::{Path, PathBuf};

use kube::config::Kubeconfig;

use crate::config::ConfigProblem;

/// The merged kubeconfig and where it came from.
#[derive(Debug, Clone)]
pub struct KubeconfigSet {
    pub kubeconfig: Kubeconfig,
    pub files: Vec<PathBuf>,
}

impl KubeconfigSet {
    /// Context names in file order, as `kubectl config get-contexts` lists them.
    pub fn contexts(&self) -> Vec<String> {
        self.kubeconfig
            .contexts
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }

    pub fn current_context(&self) -> Option<String> {
        self.kubeconfig.current_context.clone()
    }

    /// The default namespace a context names, if any.
    pub fn namespace_of(&self, context: &str) -> Option<String> {
        self.kubeconfig
            .contexts
            .iter()
            .find(|c| c.name == context)
            .and_then(|c| c.context.as_ref())
            .and_then(|c| c.namespace.clone())
    }
}

/// Which files to read: the explicit path, or `KUBECONFIG`'s list, or the default.
pub fn candidate_files(
    explicit: Option<&Path>,
    kubeconfig_env: Option<&std::ffi::OsStr>,
    home: Option<&Path>,
) -> Vec<PathBuf> {
    if let Some(path) = explicit {
        return vec![path.to_path_buf()];
    }
    if let Some(value) = kubeconfig_env.filter(|v| !v.is_empty()) {
        return std::env::split_paths(value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
    }
    home.map(|h| vec![h.join(".kube").join("config")])
        .unwrap_or_default()
}

/// Read and merge the files. `explicit` files must exist; others may be missing.
/// Returns `None` when no file gave a kubeconfig (no problem when none exist at all).
pub fn load(files: &[PathBuf], explicit: bool) -> (Option<KubeconfigSet>, Vec<ConfigProblem>) {
    let mut problems = Vec::new();
    let mut merged: Option<Kubeconfig> = None;
    let mut used = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => continue,
            Err(e) => {
                problems.push(ConfigProblem::whole_file(file, format!("cannot read: {e}")));
                continue;
            }
        };
        match parse(file, &text) {
            Ok(config) => {
                merged = Some(match merged {
                    None => config,
                    Some(base) => match base.clone().merge(config) {
                        Ok(m) => m,
                        Err(e) => {
                            problems.push(ConfigProblem::whole_file(file, e.to_string()));
                            base
                        }
                    },
                });
                used.push(file.clone());
            }
            Err(problem) => problems.push(problem),
        }
    }
    let set = merged.map(|kubeconfig| KubeconfigSet {
        kubeconfig,
        files: used,
    });
    (set, problems)
}

/// Parse one file. YAML syntax errors carry their line and column; a document that is YAML
/// but not a kubeconfig is reported at 1:1 with kube's reason.
fn parse(file: &Path, text: &str) -> Result<Kubeconfig, ConfigProblem> {
    if let Err(e) = serde_norway::from_str::<serde_norway::Value>(text) {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        return Err(ConfigProblem {
            file: file.to_path_buf(),
            line,
            column,
            message: format!("not valid YAML: {e}"),
        });
    }
    if text.trim().is_empty() {
        return Ok(Kubeconfig::default());
    }
    Kubeconfig::from_yaml(text)
        .map_err(|e| ConfigProblem::whole_file(file, format!("not a kubeconfig: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(context: &str, server: &str, current: Option<&str>) -> String {
        let current = current
            .map(|c| format!("current-context: {c}\n"))
            .unwrap_or_default();
        format!(
            "apiVersion: v1\nkind: Config\n{current}clusters:\n- name: {context}\n  cluster:\n    server: {server}\nusers:\n- name: {context}\n  user: {{}}\ncontexts:\n- name: {context}\n  context:\n    cluster: {context}\n    user: {context}\n"
        )
    }

    #[test]
    fn kubeconfig_list_merges_first_wins_and_skips_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, doc("prod", "https://a", None)).unwrap();
        std::fs::write(&b, doc("prod", "https://b", Some("staging"))).unwrap();
        let c = dir.path().join("c");
        std::fs::write(&c, doc("staging", "https://s", Some("prod"))).unwrap();
        let missing = dir.path().join("missing");
        let env = std::env::join_paths([&a, &missing, &b, &c]).unwrap();
        let files = candidate_files(None, Some(&env), None);
        assert_eq!(files.len(), 4);
        let (set, problems) = load(&files, false);
        assert!(problems.is_empty(), "{problems:?}");
        let set = set.unwrap();
        assert_eq!(
            set.contexts(),
            vec!["prod".to_string(), "staging".to_string()]
        );
        // The first file to set current-context wins (b), and prod's cluster is a's.
        assert_eq!(set.current_context().as_deref(), Some("staging"));
        let prod = set
            .kubeconfig
            .clusters
            .iter()
            .find(|c| c.name == "prod")
            .unwrap();
        assert_eq!(
            prod.cluster.as_ref().unwrap().server.as_deref(),
            Some("https://a")
        );
        assert_eq!(set.files, vec![a, b, c]);
    }

    #[test]
    fn broken_file_is_named_with_line_and_the_rest_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good");
        let bad = dir.path().join("bad");
        std::fs::write(&good, doc("prod", "https://a", Some("prod"))).unwrap();
        std::fs::write(&bad, "apiVersion: v1\nclusters:\n  - name: x\n   bad: [\n").unwrap();
        let (set, problems) = load(&[bad.clone(), good], false);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].file, bad);
        assert!(problems[0].line >= 3, "{:?}", problems[0]);
        assert_eq!(set.unwrap().contexts(), vec!["prod".to_string()]);
    }

    #[test]
    fn explicit_file_that_is_missing_is_a_problem() {
        let missing = PathBuf::from("/nonexistent/kubeconfig");
        let files = candidate_files(Some(&missing), None, Some(Path::new("/root")));
        let (set, problems) = load(&files, true);
        assert!(set.is_none());
        assert_eq!(problems[0].file, missing);
        assert!(problems[0].message.contains("cannot read"));
    }
}
