//! End to end through tmux (DESIGN.md §9): start the real binary in a tmux pane on the
//! fixture estate, press keys with `send-keys`, read the screen with `capture-pane`, and
//! after it exits (by `q` or by a panic) prove the shell's terminal is back in cooked mode.
//!
//! Every test runs its own tmux server on a socket in its own temporary directory
//! (`tmux -S <dir>/tmux.sock`), killed when the test ends, pass or fail; the directory
//! goes with it, so no socket file is left in `/tmp/tmux-UID` either. Nothing sleeps to
//! synchronise: each step polls the screen until a condition holds, and a timeout fails
//! with the last screen captured.
//!
//! Without tmux the tests print `skip: tmux not installed` and pass, unless
//! `PILOTHOUSE_REQUIRE_SERVICES=1`, when they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long one condition may take to hold. Generous: CI machines are slow and busy.
const DEADLINE: Duration = Duration::from_secs(20);
/// Between two captures while waiting.
const POLL: Duration = Duration::from_millis(50);
/// The shell's prompt (`PS1`, plus a space), unlike anything pilothouse draws, so we know
/// when the shell is back. `capture-pane` drops trailing spaces, so it is matched without.
const PROMPT: &str = "e2e$";
const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

/// One private tmux server with one pane running `bash`; killed on drop.
struct Tmux {
    /// The server's socket, in `root`.
    socket: PathBuf,
    /// The pane's `PILOTHOUSE_CONFIG` and `PILOTHOUSE_DATA`.
    config: PathBuf,
    data: PathBuf,
    /// Holds the socket and the pane's `PILOTHOUSE_CONFIG` and `PILOTHOUSE_DATA` (empty,
    /// so the user's own configuration is never read). Removed after the server is killed.
    _root: TempDir,
}

impl Tmux {
    /// Start a server with a shell in a 120x40 pane, and wait for its prompt. `env` is
    /// added to the shell's environment. `None` when tmux is missing and the test should
    /// be skipped.
    fn start(env: &[(&str, &str)]) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            if std::env::var("PILOTHOUSE_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!("tmux not installed, and PILOTHOUSE_REQUIRE_SERVICES=1");
            }
            println!("skip: tmux not installed");
            return None;
        }
        let root = TempDir::new().expect("a temporary directory");
        let (config, data) = (root.path().join("config"), root.path().join("data"));
        for dir in [&config, &data] {
            std::fs::create_dir(dir).expect("create the pane's config and data dirs");
        }
        let tmux = Tmux {
            socket: root.path().join("tmux.sock"),
            config: config.clone(),
            data: data.clone(),
            _root: root,
        };
        // `env` rather than `new-session -e`: it also sets TERM, which tmux would
        // otherwise set to its own `default-terminal` for the pane.
        let mut shell = vec![
            "env".to_string(),
            "TERM=xterm-256color".to_string(),
            format!("PS1={PROMPT} "),
            format!("PILOTHOUSE_CONFIG={}", config.display()),
            format!("PILOTHOUSE_DATA={}", data.display()),
        ];
        shell.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        shell.extend(["bash", "--norc", "--noprofile"].map(String::from));
        let shell = shell
            .iter()
            .map(|word| shell_quote(word))
            .collect::<Vec<_>>()
            .join(" ");
        let (width, height) = (WIDTH.to_string(), HEIGHT.to_string());
        // `-f /dev/null`: the user's tmux.conf must not change what the tests see.
        tmux.run_checked(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            &width,
            "-y",
            &height,
            &shell,
        ]);
        tmux.wait_for("the shell's prompt", |screen| screen.contains(PROMPT));
        Some(tmux)
    }

    /// Run `tmux -S <socket> args…` and return its output, whatever the exit status.
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// Run tmux and fail the test if it fails.
    fn run_checked(&self, args: &[&str]) -> Output {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Press keys by tmux's names for them (`Enter`, `Escape`, `Down`, `q`).
    fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        self.run_checked(&args);
    }

    /// Type text literally, without interpreting key names.
    fn type_text(&self, text: &str) {
        self.run_checked(&["send-keys", "-t", "0", "-l", text]);
    }

    /// Type a shell command and press Enter.
    fn run_in_shell(&self, command: &str) {
        self.type_text(command);
        self.send_keys(&["Enter"]);
    }

    /// The visible screen of the pane, as plain text.
    fn capture(&self) -> String {
        self.capture_args(&[])
    }

    /// The pane's scrollback and visible screen, for output longer than the pane.
    fn capture_history(&self) -> String {
        self.capture_args(&["-S", "-"])
    }

    /// The visible screen with wrapped lines joined, so a long line reads as one.
    fn capture_joined(&self) -> String {
        self.capture_args(&["-J"])
    }

    /// `capture-pane -p` with `extra` options, as text.
    fn capture_args(&self, extra: &[&str]) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "0"];
        args.extend_from_slice(extra);
        let output = self.run_checked(&args);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Poll the screen until `holds` is true and return that screen; fail with the last
    /// screen if it does not hold within [`DEADLINE`].
    fn wait_for(&self, what: &str, holds: impl Fn(&str) -> bool) -> String {
        self.poll(what, Tmux::capture, holds)
    }

    /// [`Tmux::wait_for`] over the screen with wrapped lines joined.
    fn wait_for_joined(&self, what: &str, holds: impl Fn(&str) -> bool) -> String {
        self.poll(what, Tmux::capture_joined, holds)
    }

    /// [`Tmux::wait_for`] over the scrollback too.
    fn wait_for_in_history(&self, what: &str, holds: impl Fn(&str) -> bool) -> String {
        self.poll(what, Tmux::capture_history, holds)
    }

    /// Capture with `capture` until `holds`; the one waiting loop behind every `wait_for`.
    fn poll(
        &self,
        what: &str,
        capture: impl Fn(&Tmux) -> String,
        holds: impl Fn(&str) -> bool,
    ) -> String {
        match self.poll_for(DEADLINE, capture, holds) {
            Ok(screen) => screen,
            Err(screen) => panic!(
                "timed out after {DEADLINE:?} waiting for {what}; last capture:\n{}",
                framed(&screen)
            ),
        }
    }

    /// Capture with `capture` until `holds` or `deadline` passes: the screen that held,
    /// or the last one.
    fn poll_for(
        &self,
        deadline: Duration,
        capture: impl Fn(&Tmux) -> String,
        holds: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let start = Instant::now();
        loop {
            let screen = capture(self);
            if holds(&screen) {
                return Ok(screen);
            }
            if start.elapsed() > deadline {
                return Err(screen);
            }
            std::thread::sleep(POLL);
        }
    }

    /// [`Tmux::wait_for`] with a longer deadline, for what the simulated world does at
    /// its own pace (pods starting).
    fn wait_long(&self, what: &str, deadline: Duration, holds: impl Fn(&str) -> bool) -> String {
        match self.poll_for(deadline, Tmux::capture, holds) {
            Ok(screen) => screen,
            Err(screen) => panic!(
                "timed out after {deadline:?} waiting for {what}; last capture:\n{}",
                framed(&screen)
            ),
        }
    }

    /// Press `keys` in an operation dialog that ignores keys for its first 300 ms, until
    /// the screen shows they were taken (`taken`). A key the guard dropped changes
    /// nothing, so pressing again is safe; each try waits a second for the screen.
    fn press_through_guard(&self, keys: &[&str], what: &str, taken: impl Fn(&str) -> bool) {
        let start = Instant::now();
        loop {
            self.send_keys(keys);
            if self
                .poll_for(Duration::from_secs(1), Tmux::capture, &taken)
                .is_ok()
            {
                return;
            }
            if start.elapsed() > DEADLINE {
                panic!(
                    "{what}: the dialog never took {keys:?}; last capture:\n{}",
                    framed(&self.capture())
                );
            }
        }
    }

    /// Run `pilothouse ARGS` as a command (not in the pane) with the pane's config and
    /// data directories, and return its standard output.
    fn pilothouse(&self, args: &[&str]) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_pilothouse"))
            .args(args)
            .env("PILOTHOUSE_CONFIG", &self.config)
            .env("PILOTHOUSE_DATA", &self.data)
            .output()
            .expect("run pilothouse");
        assert!(
            output.status.success(),
            "pilothouse {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The audit log's records, as JSON.
    fn audit_file(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.data.join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Wait until the screen shows `text`.
    fn wait_for_text(&self, text: &str) -> String {
        self.wait_for(&format!("`{text}`"), |screen| screen.contains(text))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Also runs when a test panics, so a failed test leaves no server (or console) behind.
        let _ = self.run(&["kill-server"]);
    }
}

/// A screen with a border, so blank lines at its ends are visible in failure messages.
fn framed(screen: &str) -> String {
    let bar = "-".repeat(usize::from(WIDTH));
    format!("{bar}\n{screen}\n{bar}")
}

/// Quote a word for `sh -c`, which is how tmux runs a session's command.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The command line that starts pilothouse on the repository's fixture estate.
fn pilothouse_command() -> String {
    let fixture: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "assets",
        "fixtures",
        "estate.yaml",
    ]
    .iter()
    .collect();
    format!(
        "{} --fixture {}",
        shell_quote(env!("CARGO_BIN_EXE_pilothouse")),
        shell_quote(&fixture.to_string_lossy())
    )
}

/// The words of `stty -a`, e.g. `icanon`, `-echonl`, `speed`.
fn stty_words(output: &str) -> Vec<&str> {
    output
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .collect()
}

/// Run `stty -a` in the pane's shell and assert the terminal is in cooked mode: canonical
/// input and echo on. Raw mode left behind would show `-icanon -echo`.
fn assert_cooked_mode(tmux: &Tmux) {
    tmux.run_in_shell("clear; stty -a");
    // `stty -a` prints `icanon` or `-icanon` either way; wait until it has, then for the
    // prompt after it. Its lines are longer than the pane: a word wrapped in two would
    // not be found, so the lines are joined.
    let screen = tmux.wait_for_joined("the output of `stty -a`", |screen| {
        let words = stty_words(screen);
        words.iter().any(|w| w.trim_start_matches('-') == "icanon")
            && screen.trim_end().ends_with(PROMPT)
    });
    let words = stty_words(&screen);
    for flag in ["icanon", "echo"] {
        assert!(
            words.contains(&flag) && !words.contains(&format!("-{flag}").as_str()),
            "the terminal is not in cooked mode: `{flag}` is off; `stty -a` shows:\n{}",
            framed(&screen)
        );
    }
}

/// The console's status bar: the last line of the screen that is not blank.
fn status_bar(screen: &str) -> &str {
    screen.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("")
}

/// A status bar that says row `n` of the table is selected (`n/22` at its right).
fn selected_row_is(screen: &str, n: usize) -> bool {
    status_bar(screen)
        .split_whitespace()
        .next_back()
        .is_some_and(|pos| pos.starts_with(&format!("{n}/")))
}

/// A status bar that says the table is filtered on `filter` and has exactly one row.
fn filtered_to_one_row(screen: &str, filter: &str) -> bool {
    status_bar(screen).ends_with(&format!("/{filter}  1/1"))
}

#[test]
fn browse_filter_help_logs_and_quit_leave_a_cooked_terminal() {
    let Some(tmux) = Tmux::start(&[]) else {
        return;
    };
    tmux.run_in_shell(&pilothouse_command());
    tmux.wait_for(
        "the first frame: the overview with its critical alerts",
        |s| s.contains("Overview") && s.contains("CRITICAL FIRING"),
    );

    // Pods view; the crash-looping pod is in it.
    tmux.send_keys(&["3"]);
    tmux.wait_for("the pods table with the crash-looping pod", |s| {
        s.contains("RESTARTS") && s.contains("CrashLoopBackOff")
    });
    tmux.wait_for("the first row selected", |s| selected_row_is(s, 1));
    tmux.send_keys(&["Down"]);
    tmux.wait_for("the second row selected after Down", |s| {
        selected_row_is(s, 2)
    });

    // Filter to the ledger pod: only its row remains.
    tmux.send_keys(&["/"]);
    tmux.type_text("ledger");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("only the ledger pod after filtering on `ledger`", |s| {
        filtered_to_one_row(s, "ledger")
            && s.contains("ImagePullBackOff")
            && !s.contains("CrashLoopBackOff")
    });
    // Esc clears the filter: every pod is back.
    tmux.send_keys(&["Escape"]);
    tmux.wait_for("every pod back after Esc cleared the filter", |s| {
        s.contains("ImagePullBackOff") && s.contains("CrashLoopBackOff")
    });

    // The help overlay opens on `?` and closes on Esc.
    tmux.send_keys(&["?"]);
    tmux.wait_for_text("Help");
    tmux.send_keys(&["Escape"]);
    tmux.wait_for("the help overlay to close", |s| {
        !s.contains("Help") && s.contains("CrashLoopBackOff")
    });

    // Select the crash-looping api pod and open its logs.
    tmux.send_keys(&["/"]);
    tmux.type_text("x2k4q");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for(
        "only the crash-looping api pod after filtering on `x2k4q`",
        |s| filtered_to_one_row(s, "x2k4q") && s.contains("api-7d9f8b6c5d-x2k4q"),
    );
    tmux.send_keys(&["l"]);
    tmux.wait_for("a log line of the api pod", |s| {
        s.contains("connection refused") || s.contains("nil pointer")
    });

    tmux.send_keys(&["q"]);
    tmux.wait_for("the shell's prompt after quitting", |s| {
        s.trim_end().ends_with(PROMPT) && !s.contains("CrashLoopBackOff")
    });
    assert_cooked_mode(&tmux);
}

#[test]
fn a_panic_after_the_first_frame_leaves_a_cooked_terminal() {
    let Some(tmux) = Tmux::start(&[("PILOTHOUSE_TEST_PANIC", "1")]) else {
        return;
    };
    tmux.run_in_shell(&pilothouse_command());
    // The variable is in the shell's environment, not on the command line, so the only
    // place the pane can show it is the panic report. With RUST_BACKTRACE set the report
    // is longer than the pane: look in the scrollback too.
    let screen = tmux.wait_for_in_history("color-eyre's panic report", |s| {
        s.contains("PILOTHOUSE_TEST_PANIC") && s.trim_end().ends_with(PROMPT)
    });
    assert!(
        !screen.contains("CRITICAL FIRING"),
        "the console's screen should be gone after the panic:\n{}",
        framed(&screen)
    );
    assert_cooked_mode(&tmux);
}

/// The README's first command: `--demo` starts the simulated estate in-process and the
/// console's real sources connect to it — contexts go live, pods and containers arrive,
/// and a pod's logs stream in.
#[test]
fn the_demo_runs_the_console_on_the_live_simulated_estate() {
    let Some(tmux) = Tmux::start(&[]) else {
        return;
    };
    tmux.run_in_shell(&format!(
        "{} --demo",
        shell_quote(env!("CARGO_BIN_EXE_pilothouse"))
    ));
    tmux.wait_for("both simulated contexts live", |s| {
        s.contains("k8s:sim-prod ● live") && s.contains("k8s:sim-staging ● live")
    });
    tmux.send_keys(&["3"]);
    tmux.wait_for("pods of the shop namespace", |s| {
        s.contains("frontend-") && s.contains("Running")
    });
    tmux.send_keys(&["5"]);
    tmux.wait_for("the simulated Docker host's containers", |s| {
        s.contains("compose project")
    });
    // A pod's logs: filter to one frontend pod, open its log pane, wait for lines.
    tmux.send_keys(&["3", "/"]);
    tmux.type_text("frontend");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the pods table filtered to frontend pods", |s| {
        s.contains("frontend-") && !s.contains("coredns")
    });
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("access log lines from the simulated frontend", |s| {
        s.contains("HTTP/1.1")
    });
    tmux.send_keys(&["q"]);
    tmux.wait_for_text(PROMPT);
    assert_cooked_mode(&tmux);
}

/// The `pilothouse --demo` command line.
fn demo_command() -> String {
    format!("{} --demo", shell_quote(env!("CARGO_BIN_EXE_pilothouse")))
}

/// The row of the `worker` Deployment of `shop` in `sim-prod` in the workloads table.
fn prod_worker_row(screen: &str) -> Option<&str> {
    screen.lines().find(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words.starts_with(&["sim-prod", "shop", "deploy", "worker"])
    })
}

/// Issue 7's end-to-end test: on the demo, scale a Deployment in a protected context
/// by typing its name and a reason, watch the replicas change on screen, and find the
/// intent and the outcome, with the reason, in `pilothouse audit --json`.
#[test]
fn scale_in_prod_with_name_and_reason_changes_replicas_and_is_audited() {
    let Some(tmux) = Tmux::start(&[]) else {
        return;
    };
    tmux.run_in_shell(&demo_command());
    tmux.wait_for("both simulated contexts live", |s| {
        s.contains("k8s:sim-prod ● live") && s.contains("k8s:sim-staging ● live")
    });
    tmux.send_keys(&["2"]);
    tmux.wait_for("the workloads table with prod's worker", |s| {
        prod_worker_row(s).is_some()
    });
    tmux.send_keys(&["/"]);
    tmux.type_text("sim-prod shop worker");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("only prod's worker after filtering", |s| {
        filtered_to_one_row(s, "sim-prod shop worker") && prod_worker_row(s).is_some()
    });

    // `s` asks for the count in the palette, prefilled with the target.
    tmux.send_keys(&["s"]);
    tmux.wait_for_text(":scale deploy/worker -n shop @sim-prod");
    tmux.type_text("7");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the high-risk dialog with its plan", |s| {
        s.contains("high risk")
            && s.contains("replicas: 3 → 7")
            && s.contains("Type worker to confirm:")
            && s.contains("Reason (for the audit log):")
    });
    tmux.press_through_guard(&["w"], "the first letter of the name", |s| {
        s.contains("Type worker to confirm: w▏")
    });
    tmux.type_text("orker");
    tmux.send_keys(&["Tab"]);
    tmux.type_text("e2e load test");
    tmux.wait_for("name and reason typed", |s| {
        s.contains("confirm: worker") && s.contains("e2e load test▏")
    });
    tmux.send_keys(&["Enter"]);
    let done = tmux.wait_long(
        "the scale to finish and be verified",
        Duration::from_secs(120),
        |s| s.contains("✓ scaled deploy/worker to 7") || s.contains("✗ "),
    );
    assert!(
        done.contains("✓ scaled deploy/worker to 7"),
        "the scale failed:\n{}",
        framed(&done)
    );
    tmux.send_keys(&["Escape"]);
    tmux.wait_long(
        "READY 7/7 in the worker's row",
        Duration::from_secs(60),
        |s| prod_worker_row(s).is_some_and(|row| row.split_whitespace().any(|w| w == "7/7")),
    );
    tmux.send_keys(&["q"]);
    tmux.wait_for_text(PROMPT);

    let records: Vec<serde_json::Value> = tmux
        .pilothouse(&["audit", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit --json prints JSON lines"))
        .collect();
    let intent = records
        .iter()
        .find(|r| r["phase"] == "intent" && r["target"] == "sim-prod/shop/deploy/worker")
        .unwrap_or_else(|| panic!("no intent in {records:#?}"));
    assert_eq!(intent["operation"], "scale");
    assert_eq!(intent["reason"], "e2e load test");
    assert_eq!(intent["parameters"]["to"], 7);
    let outcome = records
        .iter()
        .find(|r| r["phase"] == "outcome" && r["id"] == intent["id"])
        .unwrap_or_else(|| panic!("no outcome in {records:#?}"));
    assert_eq!(outcome["ok"], true, "{outcome:#?}");
    assert_eq!(outcome["reason"], "e2e load test");
    assert_cooked_mode(&tmux);
}

/// DESIGN.md §6: "A crash mid-operation leaves the intent on disk." A backup Job runs for
/// minutes at demo speed; the console is killed with SIGKILL while it verifies, and the
/// audit log keeps the intent, which `pilothouse audit` shows as having no outcome.
#[test]
fn a_console_killed_mid_operation_leaves_the_intent_in_the_audit_log() {
    let Some(tmux) = Tmux::start(&[]) else {
        return;
    };
    let pid_file = tmux.data.join("console.pid");
    tmux.run_in_shell(&recording_pid(&pid_file, &["--demo"]));
    tmux.wait_for("the staging context live", |s| {
        s.contains("k8s:sim-staging ● live")
    });
    tmux.send_keys(&[":"]);
    tmux.type_text("backup cronjob/postgres-backup -n shop @sim-staging");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the low-risk dialog with its plan", |s| {
        s.contains("create Job postgres-backup-") && s.contains("Go ahead?")
    });
    tmux.press_through_guard(&["y"], "y", |s| {
        s.contains("executing…") || s.contains("verifying…")
    });
    let start = Instant::now();
    let intent = loop {
        let records = tmux.audit_file();
        if let Some(intent) = records.iter().find(|r| r["phase"] == "intent") {
            assert!(
                records.iter().all(|r| r["phase"] != "outcome"),
                "the backup finished before the console could be killed: {records:#?}"
            );
            break intent.clone();
        }
        assert!(start.elapsed() < DEADLINE, "no intent in the audit log");
        std::thread::sleep(POLL);
    };
    assert_eq!(intent["operation"], "backup");
    assert_eq!(intent["target"], "sim-staging/shop/cj/postgres-backup");

    kill_9(&pid_file);

    let records = tmux.audit_file();
    assert_eq!(records.len(), 1, "only the intent: {records:#?}");
    assert_eq!(records[0], intent);
    let report = tmux.pilothouse(&["audit"]);
    assert!(
        report.contains("backup") && report.contains("NO OUTCOME"),
        "{report}"
    );
}

/// Issue 8's scenario: the default one with HighErrorRate (critical, shop/api) firing from
/// the start and never resolving. The default fires it nine minutes in, and `--demo` runs
/// at real speed; everything else is the default scenario, read from the repository.
/// Written next to the pane's config and data dirs; returns its path.
fn high_error_rate_scenario(tmux: &Tmux) -> PathBuf {
    let default: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "assets",
        "scenarios",
        "default.yaml",
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&default).expect("read the default scenario");
    let timing =
        "expr: error_rate > 5\n      fires_at: 9m\n      resolves_at: 15m\n      every: 1h\n";
    assert_eq!(
        text.matches(timing).count(),
        1,
        "HighErrorRate's timing changed in {}: update this test",
        default.display()
    );
    let text = text.replace(timing, "expr: error_rate > 5\n      fires_at: -1m\n");
    let path = tmux.config.with_file_name("scenario.yaml");
    std::fs::write(&path, text).expect("write the scenario");
    path
}

/// A shell command that records its pid in `pid_file`, then becomes `pilothouse ARGS`
/// (`exec`), so the recorded pid is the console's own.
fn recording_pid(pid_file: &Path, args: &[&str]) -> String {
    let mut words = vec![
        "sh".to_string(),
        "-c".to_string(),
        r#"echo $$ > "$1"; shift; exec "$0" "$@""#.to_string(),
        env!("CARGO_BIN_EXE_pilothouse").to_string(),
        pid_file.to_string_lossy().into_owned(),
    ];
    words.extend(args.iter().map(|a| a.to_string()));
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `kill -9` the process whose pid `pid_file` holds, and wait until it is gone, or a
/// zombie its shell has yet to reap: either way it writes nothing more.
fn kill_9(pid_file: &Path) {
    let pid = std::fs::read_to_string(pid_file).expect("the console's pid");
    let killed = Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .expect("run kill");
    assert!(killed.success(), "kill -9 {pid}");
    let stat = format!("/proc/{}/stat", pid.trim());
    let start = Instant::now();
    while std::fs::read_to_string(&stat).is_ok_and(|s| !s.contains(") Z ")) {
        assert!(start.elapsed() < DEADLINE, "the console outlived kill -9");
        std::thread::sleep(POLL);
    }
}

/// A line of the incident view's step list that starts with `mark` (`✓` done, `▶`
/// current, `·` pending), then the step's kind, then `title`.
fn step_is(screen: &str, mark: &str, title: &str) -> bool {
    screen.lines().any(|l| {
        l.trim_start()
            .strip_prefix(mark)
            .and_then(|rest| rest.trim_start().split_once(' '))
            .is_some_and(|(_kind, rest)| rest.trim_start().starts_with(title))
    })
}

/// Steps of high-error-rate, by their titles.
const LOGS_STEP: &str = "Read the service's error logs";
const LOOK_STEP: &str = "Locate the problem";
const EVENTS_STEP: &str = "Recent events in shop";
/// The look step's check items, by their first words (they wrap in the detail pane).
const LOOK_ITEMS: [&str; 3] = [
    "Which requests fail",
    "Do the errors name a dependency",
    "When did they start",
];

/// Whether the look step's items show `ticked` (`true` for `[x]`), in order.
fn items_are(screen: &str, ticked: [bool; 3]) -> bool {
    LOOK_ITEMS.iter().zip(ticked).all(|(item, on)| {
        let mark = if on { "[x]" } else { "[ ]" };
        screen.contains(&format!("{mark} {item}"))
    })
}

/// On a console just started on [`high_error_rate_scenario`]: select the HighErrorRate
/// alert in the Alerts view, press `I`, check the prefilled dialog, declare, and wait for
/// the incident view. Returns the incident's id, as its header shows it.
fn declare_from_high_error_rate(tmux: &Tmux) -> String {
    tmux.wait_long(
        "the simulated prod context live",
        Duration::from_secs(60),
        |s| s.contains("k8s:sim-prod ● live"),
    );
    tmux.send_keys(&["6"]);
    tmux.wait_long(
        "HighErrorRate firing in the alerts view",
        Duration::from_secs(60),
        |s| {
            s.lines().any(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                words.starts_with(&["✗", "critical", "HighErrorRate", "firing"])
            })
        },
    );
    tmux.send_keys(&["/"]);
    tmux.type_text("HighErrorRate");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the alerts filtered to HighErrorRate", |s| {
        status_bar(s).contains("/HighErrorRate ") && !s.contains("Watchdog")
    });
    // Row 1 is the alert's group; row 2 the alert itself.
    tmux.send_keys(&["Down"]);
    tmux.wait_for("the alert's row selected", |s| selected_row_is(s, 2));
    tmux.send_keys(&["I"]);
    // Polled whole: a capture can catch the dialog half drawn.
    tmux.wait_for("the declare dialog prefilled from the alert", |s| {
        let runbooks: Vec<&str> = s
            .lines()
            .filter(|l| l.contains("[x]") || l.contains("[ ]"))
            .collect();
        s.contains("Declare an incident")
            && s.contains("From alert HighErrorRate (critical)")
            && s.lines().any(|l| {
                l.split_once("Title")
                    .is_some_and(|(_, title)| title.trim_start().starts_with("HighErrorRate"))
            })
            && s.contains("● P1")
            && !s.contains("● P0")
            && runbooks
                .first()
                .is_some_and(|l| l.contains("[x] ★ high-error-rate"))
            && runbooks.iter().filter(|l| l.contains("[x]")).count() == 1
            && runbooks.len() > 1
            && runbooks.iter().filter(|l| l.contains("★")).count() > 1
            // The dialog's last line, below the runbooks: all of it fits in the frame.
            && s.contains("enter declare · esc cancel")
    });
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_for("the incident view with the runbook's first step", |s| {
        s.lines().any(|l| l.starts_with(" P1  open HighErrorRate"))
            && s.contains("high-error-rate 0/10")
            && step_is(s, "▶", LOGS_STEP)
            && step_is(s, "·", LOOK_STEP)
            && s.contains(&format!("Step 1 of 10: {LOGS_STEP}"))
            && s.contains("0 Incident")
            && !s.contains("Declare an incident")
    });
    let id = screen
        .split_whitespace()
        .find(|w| w.starts_with("INC-") && w.len() == "INC-YYYYMMDD-HHMM-xxxx".len())
        .unwrap_or_else(|| panic!("no incident id on screen:\n{}", framed(&screen)));
    id.to_string()
}

/// Issue 8 on the demo: declare an incident from the firing HighErrorRate alert (`I` in
/// the Alerts view) with its dialog prefilled, and walk the high-error-rate runbook with
/// keys: an observe step opens the logs beside, a checklist is ticked item by item and
/// done only once all are, a note is written, and the timeline shows it all.
#[test]
fn declare_an_incident_from_an_alert_and_walk_its_runbook() {
    let Some(tmux) = Tmux::start(&[]) else {
        return;
    };
    let scenario = high_error_rate_scenario(&tmux);
    tmux.run_in_shell(&format!(
        "{} --scenario {}",
        demo_command(),
        shell_quote(&scenario.to_string_lossy())
    ));
    declare_from_high_error_rate(&tmux);

    // The observe step: enter opens the service's logs beside it and goes on.
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the logs step done, the check step current", |s| {
        step_is(s, "✓", LOGS_STEP)
            && step_is(s, "▶", LOOK_STEP)
            && s.contains("high-error-rate 1/10")
            && s.contains(&format!("Step 2 of 10: {LOOK_STEP}"))
            && items_are(s, [false, false, false])
            && s.contains("deploy shop/api")
    });

    // The check step: space ticks the item under the cursor, which then moves down.
    tmux.send_keys(&["Space"]);
    tmux.send_keys(&["Space"]);
    tmux.wait_for("two items ticked", |s| {
        items_are(s, [true, true, false]) && s.contains("[check · in progress]")
    });
    // Not done while an item is unticked.
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("enter refused with an item unticked", |s| {
        status_bar(s).contains("2 of 3 items ticked") && step_is(s, "▶", LOOK_STEP)
    });
    tmux.send_keys(&["Space"]);
    tmux.wait_for("all three items ticked", |s| {
        items_are(s, [true, true, true])
    });
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the check step done, the events step current", |s| {
        step_is(s, "✓", LOGS_STEP)
            && step_is(s, "✓", LOOK_STEP)
            && step_is(s, "▶", EVENTS_STEP)
            && s.contains("high-error-rate 2/10")
            && s.contains(&format!("Step 3 of 10: {EVENTS_STEP}"))
    });

    // A note: n opens the editor, enter saves.
    let note = "e2e: the api logs say connection refused";
    tmux.send_keys(&["n"]);
    tmux.wait_for_text("Note — enter saves");
    tmux.type_text(note);
    tmux.wait_for_text(note);
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the note saved", |s| {
        !s.contains("Note — enter saves") && status_bar(s).contains("note added")
    });

    // The timeline: the declaration, the steps and the note.
    tmux.send_keys(&["t"]);
    tmux.wait_for("the timeline with the declaration, steps and note", |s| {
        s.contains("Timeline:")
            && s.contains("declared P1 from alert HighErrorRate")
            && s.contains("attached runbook high-error-rate")
            && s.contains("high-error-rate / logs: pending → done")
            && s.contains("high-error-rate / look: in progress → done")
            && s.lines().any(|l| l.contains("note") && l.contains(note))
            && !step_is(s, "✓", LOGS_STEP)
    });
    tmux.send_keys(&["t"]);
    tmux.wait_for("the runbook back", |s| {
        step_is(s, "▶", EVENTS_STEP) && !s.contains("Timeline:")
    });

    tmux.send_keys(&["q"]);
    tmux.wait_for("the shell's prompt after quitting", |s| {
        s.trim_end().ends_with(PROMPT) && !s.contains("high-error-rate")
    });
    assert_cooked_mode(&tmux);
}

/// Issue 8: an incident is saved after every change, so a console killed with SIGKILL
/// mid-walk resumes it with `--resume ID` where it was: the same steps done, the same items
/// ticked, the note on the timeline; and `pilothouse incident export` writes its postmortem.
#[test]
fn an_incident_survives_kill_9_and_resumes_where_it_was() {
    let Some(tmux) = Tmux::start(&[]) else {
        return;
    };
    let scenario = high_error_rate_scenario(&tmux);
    let scenario = scenario.to_string_lossy();
    let pid_file = tmux.data.join("console.pid");
    tmux.run_in_shell(&recording_pid(
        &pid_file,
        &["--demo", "--scenario", &scenario],
    ));
    let id = declare_from_high_error_rate(&tmux);

    // Progress: the observe step done, two of three items ticked, a note (ctrl-n).
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the logs step done", |s| {
        step_is(s, "✓", LOGS_STEP) && step_is(s, "▶", LOOK_STEP)
    });
    tmux.send_keys(&["Space"]);
    tmux.send_keys(&["Space"]);
    tmux.wait_for("two items ticked", |s| items_are(s, [true, true, false]));
    let note = "e2e: before the crash";
    tmux.send_keys(&["C-n"]);
    tmux.wait_for_text("Note — enter saves");
    tmux.type_text(note);
    tmux.wait_for_text(note);
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the note saved", |s| status_bar(s).contains("note added"));
    let list = tmux.pilothouse(&["incident", "list"]);
    assert!(
        list.lines().any(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words.starts_with(&[id.as_str(), "P1", "open"])
        }),
        "{id} is not in `pilothouse incident list`:\n{list}"
    );

    kill_9(&pid_file);
    tmux.wait_for("the shell's prompt after the kill", |s| {
        s.trim_end().ends_with(PROMPT)
    });
    // What one types after a crash that left the terminal raw on the alternate screen
    // (`reset`, without its pause): cooked mode, the normal screen, cleared — so nothing
    // the killed console drew can pass for what the resumed one draws.
    tmux.run_in_shell(r"stty sane; printf '\033[?1049l'; clear");
    tmux.wait_for("a cleared screen", |s| s.trim() == PROMPT);

    tmux.run_in_shell(&format!(
        "{} --scenario {} --resume {id}",
        demo_command(),
        shell_quote(&scenario)
    ));
    tmux.wait_long(
        "the incident resumed with its progress",
        Duration::from_secs(60),
        |s| {
            s.contains(&id)
                && s.lines().any(|l| l.starts_with(" P1  open HighErrorRate"))
                && s.contains("high-error-rate 1/10")
                && step_is(s, "✓", LOGS_STEP)
                && step_is(s, "▶", LOOK_STEP)
                && items_are(s, [true, true, false])
                && s.contains("[check · in progress]")
        },
    );
    tmux.send_keys(&["t"]);
    tmux.wait_for("the note and the declaration on the timeline", |s| {
        s.contains("Timeline:")
            && s.contains("declared P1 from alert HighErrorRate")
            && s.contains("high-error-rate / logs: pending → done")
            && s.lines().any(|l| l.contains("note") && l.contains(note))
    });
    // And the walk goes on: the last item, then the check is done.
    tmux.send_keys(&["t"]);
    tmux.wait_for("the runbook back", |s| step_is(s, "▶", LOOK_STEP));
    tmux.send_keys(&["Down", "Down", "Space"]);
    tmux.wait_for("the last item ticked", |s| items_are(s, [true, true, true]));
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the check step done after the resume", |s| {
        step_is(s, "✓", LOOK_STEP)
            && step_is(s, "▶", EVENTS_STEP)
            && s.contains("high-error-rate 2/10")
    });
    tmux.send_keys(&["q"]);
    tmux.wait_for("the shell's prompt after quitting", |s| {
        s.trim_end().ends_with(PROMPT) && !s.contains("high-error-rate")
    });
    assert_cooked_mode(&tmux);

    let markdown = tmux.pilothouse(&["incident", "export", &id]);
    for expected in [
        format!("- **Incident:** {id}"),
        "## Timeline".to_string(),
        format!("**note** — {note}"),
        "## Follow-ups".to_string(),
        "- [x] `logs` — done".to_string(),
        "- [x] `look` — done".to_string(),
        "checked: Which requests fail".to_string(),
    ] {
        assert!(
            markdown.contains(&expected),
            "no `{expected}` in the postmortem:\n{markdown}"
        );
    }
}
