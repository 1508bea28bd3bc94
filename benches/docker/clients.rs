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

use std::path::PathBuf;
use std::time::Duration;

use super::terminal_client::{Client, Tmux, find, rss_of};
use super::{Engine, Figures, stat_ticks, ticks_percent};

/// Measure every client that is installed, one after the other.
pub async fn compare(engine: &Engine, baseline: &Figures, window: Duration) {
    if let Err(why) = Tmux::new() {
        println!("  (side by side skipped: {why})");
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

async fn run_client(client: &Client, engine: &Engine, window: Duration) -> Result<Figures, String> {
    let tmux = Tmux::new()?;
    let pid = tmux.start(&client.program, &client.args, &client.env)?;
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
    let after = stat(pid)
        .ok_or_else(|| format!("exited during the window; its screen:\n{}", tmux.screen()))?;
    let own = ticks_percent(
        stat_ticks(&after).saturating_sub(stat_ticks(&before)),
        window,
    );
    if std::env::var_os("PILOTHOUSE_BENCH_SHOW_SCREEN").is_some() {
        let screen = tmux.screen();
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
