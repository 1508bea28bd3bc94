//! Side by side against the same simulated cluster (the `big` scenario, ~100 pod changes
//! a second, served by one `pilothouse sim`): the real `pilothouse` binary on its pods
//! view (all namespaces), kdash and kubetui, each in a 200x50 pane of a private tmux
//! server, one after the other. For each: when it first drew a pod of the cluster (a
//! word on its screen that is a pod's name), then, after a warm-up, its own CPU over a
//! window and its RSS at the start and end of it, from `/proc` of the pane's process.
//!
//! kdash: `PILOTHOUSE_BENCH_KDASH=/path/to/kdash`, else `/var/cache/peers/bin/kdash`
//! (`cargo install --root /var/cache/peers kdash kubetui`), else `kdash` on `PATH`;
//! kubetui likewise (`PILOTHOUSE_BENCH_KUBETUI`). A client that is not there is named and
//! skipped. `PILOTHOUSE_BENCH_PEER_SECS` sets the window (default 60),
//! `PILOTHOUSE_BENCH_SHOW_SCREEN=1` prints the top of each client's screen after it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::terminal_client::{Client, Tmux, find, rss_of};
use super::{cpu_ticks, env_secs};

/// Measure every client that is installed against the cluster `kubeconfig` names, whose
/// pods are `pod_names`.
pub fn compare(kubeconfig: &Path, pod_names: &HashSet<String>) {
    if let Err(why) = Tmux::new() {
        println!("  (side by side skipped: {why})");
        return;
    }
    let home = tempfile::tempdir().expect("a home dir");
    let home_path = home.path().display().to_string();
    let kubeconfig_path = kubeconfig.display().to_string();
    let mut clients = vec![Client {
        label: "pilothouse",
        program: PathBuf::from(super::BIN),
        args: vec!["--kubeconfig".into(), kubeconfig_path.clone(), "-A".into()],
        env: vec![
            ("PILOTHOUSE_CONFIG".into(), home_path.clone()),
            ("PILOTHOUSE_DATA".into(), home_path.clone()),
        ],
        keys: vec!["3"],
    }];
    for (label, var, args) in [
        ("kdash", "PILOTHOUSE_BENCH_KDASH", Vec::new()),
        // kubetui starts in the context's namespace; all of them, like the others.
        (
            "kubetui",
            "PILOTHOUSE_BENCH_KUBETUI",
            vec!["-A".to_string()],
        ),
    ] {
        let installed = format!("/var/cache/peers/bin/{label}");
        match find(label, var, Some(&installed)) {
            Some(program) => clients.push(Client {
                label,
                program,
                args,
                env: vec![
                    ("KUBECONFIG".into(), kubeconfig_path.clone()),
                    // Their own config and cache files go to a scratch home.
                    ("HOME".into(), home_path.clone()),
                ],
                keys: Vec::new(),
            }),
            None => println!("  {label}: not installed here (set {var}), skipped"),
        }
    }
    let window = Duration::from_secs(env_secs("PILOTHOUSE_BENCH_PEER_SECS", 60));
    for client in &clients {
        match run_client(client, pod_names, window) {
            Ok(figures) => println!(
                "  {:<11} first pod rows {:>6}  CPU {:>5.1}% of a core over {}s  RSS {:>6.0} → {:.0} MB",
                client.label,
                figures
                    .first_rows
                    .map_or("never".to_string(), |d| format!("{:.2} s", d.as_secs_f64())),
                figures.cpu,
                window.as_secs(),
                figures.rss_before as f64 / 1e6,
                figures.rss_after as f64 / 1e6,
            ),
            Err(why) => println!("  {}: {why}", client.label),
        }
    }
}

struct Figures {
    first_rows: Option<Duration>,
    cpu: f64,
    rss_before: u64,
    rss_after: u64,
}

fn run_client(
    client: &Client,
    pod_names: &HashSet<String>,
    window: Duration,
) -> Result<Figures, String> {
    let tmux = Tmux::new()?;
    let started = Instant::now();
    let pid = tmux.start(&client.program, &client.args, &client.env)?;
    let mut keys_sent = false;
    let first_rows = loop {
        let screen = tmux.screen();
        if shows_a_pod(&screen, pod_names) {
            break Some(started.elapsed());
        }
        // Keys go once it has drawn: typed before it reads the terminal raw, they can be
        // lost, and the pods view would never open.
        if !keys_sent && !screen.trim().is_empty() {
            for key in &client.keys {
                tmux.run(&["send-keys", key])?;
            }
            keys_sent = true;
        }
        if started.elapsed() > Duration::from_secs(120) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // Past the first list and its first re-polls, into a steady state.
    std::thread::sleep(Duration::from_secs(20));
    let rss_before = rss_of(pid).ok_or("exited before the window")?;
    let ticks = cpu_ticks(pid);
    std::thread::sleep(window);
    let rss_after = rss_of(pid)
        .ok_or_else(|| format!("exited during the window; its screen:\n{}", tmux.screen()))?;
    let cpu = (cpu_ticks(pid).saturating_sub(ticks)) as f64 / window.as_secs_f64();
    if std::env::var_os("PILOTHOUSE_BENCH_SHOW_SCREEN").is_some() {
        println!("  {} at the end of its window:", client.label);
        for line in tmux.screen().lines().take(12) {
            println!("    | {}", line.trim_end());
        }
    }
    Ok(Figures {
        first_rows,
        cpu,
        rss_before,
        rss_after,
    })
}

/// Whether a word on the screen is the name of one of the cluster's pods.
fn shows_a_pod(screen: &str, pod_names: &HashSet<String>) -> bool {
    screen
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .any(|word| pod_names.contains(word))
}
