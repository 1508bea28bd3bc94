//! Side by side on the same engine and containers: the real `pilothouse` binary (built by
//! this `cargo bench`, on its containers view) and oxker, each drawn in a 200x50 tmux pane
//! of a private tmux server for one window. Reports the engine's CPU against no client, and
//! the client's own CPU and RSS, read from `/proc` of the pane's process.
//!
//! oxker: `PILOTHOUSE_BENCH_OXKER=/path/to/oxker`, else `/tmp/oxker/bin/oxker` (`cargo
//! install oxker --root /tmp/oxker`), else `oxker` on `PATH`; lazydocker likewise
//! (`PILOTHOUSE_BENCH_LAZYDOCKER`, `lazydocker` on `PATH`). A client that is not there is
//! named and skipped.
//!
//! `PILOTHOUSE_BENCH_SHOW_SCREEN=1` prints the top of each client's screen after its window.
//!
//! Each client runs `PILOTHOUSE_BENCH_WARMUP` seconds (default 30) before its window, so
//! the window sees its steady state: pilothouse first samples every running container
//! once, a few a second, which takes about 26 s for 200 containers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{Engine, Figures, stat_ticks, ticks_percent};

/// A terminal Docker client to measure.
struct Client {
    label: &'static str,
    program: PathBuf,
    args: Vec<String>,
    /// Environment for the client.
    env: Vec<(String, String)>,
    /// Keys sent once it has drawn (to open its containers view).
    keys: Vec<&'static str>,
}

/// Measure every client that is installed, one after the other.
pub async fn compare(engine: &Engine, baseline: &Figures, window: Duration) {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("  (side by side skipped: tmux is not installed)");
        return;
    }
    let config = tempfile::tempdir().expect("a config dir");
    let mut clients = vec![Client {
        label: "pilothouse (binary)",
        program: PathBuf::from(env!("CARGO_BIN_EXE_pilothouse")),
        args: Vec::new(),
        env: vec![
            // An empty config dir: defaults, nothing from the user's own settings.
            (
                "PILOTHOUSE_CONFIG".into(),
                config.path().display().to_string(),
            ),
            (
                "PILOTHOUSE_DATA".into(),
                config.path().display().to_string(),
            ),
            ("DOCKER_HOST".into(), format!("unix://{}", super::SOCKET)),
        ],
        keys: vec!["5"],
    }];
    for (label, var, installed) in [
        (
            "oxker",
            "PILOTHOUSE_BENCH_OXKER",
            Some("/tmp/oxker/bin/oxker"),
        ),
        ("lazydocker", "PILOTHOUSE_BENCH_LAZYDOCKER", None),
    ] {
        match find(label, var, installed) {
            Some(program) => clients.push(Client {
                label,
                program,
                args: Vec::new(),
                env: vec![("DOCKER_HOST".into(), format!("unix://{}", super::SOCKET))],
                keys: Vec::new(),
            }),
            None => println!("  {label}: not installed here (set {var}), skipped"),
        }
    }
    for client in &clients {
        match run_client(client, engine, window).await {
            Ok(figures) => figures.print(&format!("  {}, 200x50 in tmux", client.label), baseline),
            Err(why) => println!("  {}: {why}", client.label),
        }
    }
}

fn find(name: &str, var: &str, installed: Option<&str>) -> Option<PathBuf> {
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
struct Tmux {
    dir: tempfile::TempDir,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Result<String, String> {
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
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

async fn run_client(client: &Client, engine: &Engine, window: Duration) -> Result<Figures, String> {
    let tmux = Tmux {
        dir: tempfile::tempdir().map_err(|e| e.to_string())?,
    };
    // `env VAR=… program`: env execs the client, so the pane's process is the client.
    let mut command: Vec<String> = vec![
        "-f".into(),
        "/dev/null".into(),
        "new-session".into(),
        "-d".into(),
        "-x".into(),
        "200".into(),
        "-y".into(),
        "50".into(),
        "env".into(),
        "TERM=tmux-256color".into(),
    ];
    command.extend(client.env.iter().map(|(k, v)| format!("{k}={v}")));
    command.push(client.program.display().to_string());
    command.extend(client.args.iter().cloned());
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    tmux.run(&command)?;
    let pid: u32 = tmux
        .run(&["list-panes", "-F", "#{pane_pid}"])?
        .trim()
        .parse()
        .map_err(|_| "no pane pid".to_string())?;
    // Let it connect, list and draw its first frames, then open its view, then let it
    // settle before the window opens.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for key in &client.keys {
        tmux.run(&["send-keys", key])?;
    }
    let warmup = super::env_number("PILOTHOUSE_BENCH_WARMUP", 30);
    tokio::time::sleep(Duration::from_secs(warmup)).await;
    let stat = |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
    let before = stat(pid).ok_or("exited before the window")?;
    let figures = engine.measure(window).await;
    let after = stat(pid).ok_or_else(|| {
        let screen = tmux.run(&["capture-pane", "-p"]).unwrap_or_default();
        format!("exited during the window; its screen:\n{screen}")
    })?;
    let own = ticks_percent(
        stat_ticks(&after).saturating_sub(stat_ticks(&before)),
        window,
    );
    if std::env::var_os("PILOTHOUSE_BENCH_SHOW_SCREEN").is_some() {
        let screen = tmux.run(&["capture-pane", "-p"]).unwrap_or_default();
        println!("  {} at the end of its window:", client.label);
        for line in screen.lines().take(8) {
            println!("    | {}", line.trim_end());
        }
    }
    Ok(Figures {
        own: Some(own),
        rss: rss_of(pid),
        ..figures
    })
}

fn rss_of(pid: u32) -> Option<u64> {
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
