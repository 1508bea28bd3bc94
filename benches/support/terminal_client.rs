//! Running a terminal client (ours or a peer's) in a tmux pane for a side-by-side bench:
//! a private tmux server, the client's process id, its screen, its RSS. Shared by the
//! Docker and Kubernetes benches.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A terminal client to measure: ours or a peer's.
pub struct Client {
    pub label: &'static str,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Environment for the client.
    pub env: Vec<(String, String)>,
    /// Keys sent once it has drawn (to open the view being measured).
    pub keys: Vec<&'static str>,
}

/// Where a peer client is: `$var`, else `installed` when it exists, else `name` on `PATH`.
pub fn find(name: &str, var: &str, installed: Option<&str>) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        return Some(PathBuf::from(path));
    }
    if let Some(path) = installed.filter(|p| Path::new(p).exists()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.exists())
}

/// A private tmux server (its own socket), killed when dropped.
pub struct Tmux {
    dir: tempfile::TempDir,
}

impl Tmux {
    pub fn new() -> Result<Tmux, String> {
        if Command::new("tmux").arg("-V").output().is_err() {
            return Err("tmux is not installed".into());
        }
        Ok(Tmux {
            dir: tempfile::tempdir().map_err(|e| e.to_string())?,
        })
    }

    pub fn run(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new("tmux")
            .arg("-S")
            .arg(self.dir.path().join("tmux.sock"))
            .args(args)
            .output()
            .map_err(|e| format!("tmux: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "tmux {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Start `program args` with `env` in a 200x50 pane; the pane's process id, which is
    /// the client's own (`env` execs it).
    pub fn start(
        &self,
        program: &Path,
        args: &[String],
        env: &[(String, String)],
    ) -> Result<u32, String> {
        let mut command: Vec<String> = [
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "200",
            "-y",
            "50",
            "env",
            "TERM=tmux-256color",
        ]
        .map(String::from)
        .to_vec();
        command.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        command.push(program.display().to_string());
        command.extend(args.iter().cloned());
        let command: Vec<&str> = command.iter().map(String::as_str).collect();
        self.run(&command)?;
        self.run(&["list-panes", "-F", "#{pane_pid}"])?
            .trim()
            .parse()
            .map_err(|_| "no pane pid".to_string())
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"]).unwrap_or_default()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// A process's resident set, in bytes.
pub fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}
