//! Foundation figures: the pods view over 50,000 pods, 10,000 pod updates, and a fuzzy
//! filter keystroke, all through the same paths the console uses (`App::update`,
//! `App::prepare_frame`, `ui::render` on a ratatui `TestBackend`).
//!
//! Run with `cargo bench --bench foundation`. It prints figures next to their targets and
//! asserts nothing about time (DESIGN.md §9: benchmarks measure, tests assert behaviour).

use std::hint::black_box;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::{SignedDuration, Timestamp};
use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use pilothouse::app::{Action, App, KeyAction};
use pilothouse::config::{Keymap, Theme};
use pilothouse::model::{ContainerState, KubeId, KubeKind, ObjectRef, Pod, PodContainer, PodPhase};
use pilothouse::store::{Fleet, SourceEvent};
use pilothouse::ui::state::ScopeFilter;
use pilothouse::ui::table::TableSpec;
use pilothouse::ui::views::pods::PodsTable;
use pilothouse::ui::{self, Screen, chrome_text};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

// The allocator the binary uses (mimalloc): most of applying an update is freeing the
// replaced pod's small allocations, which the system allocator does at about half the speed.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PODS: usize = 50_000;
const UPDATES: usize = 10_000;
const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;

const CONTEXTS: &[&str] = &[
    "prod-eu-west-1",
    "prod-us-east-1",
    "prod-ap-south-1",
    "staging-eu",
    "dev-sandbox",
];
const NAMESPACE_STEMS: &[&str] = &[
    "shop",
    "payments",
    "ledger",
    "search",
    "identity",
    "monitoring",
    "logging",
    "ingress",
    "billing",
    "catalog",
    "checkout",
    "notifications",
];
const WORKLOADS: &[&str] = &[
    "api",
    "frontend",
    "worker",
    "postgres",
    "redis",
    "kafka",
    "scheduler",
    "gateway",
    "cache-warmer",
    "metrics-exporter",
    "auth",
    "indexer",
];

/// A small deterministic generator (xorshift64*), so every run builds the same estate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// `len` characters of the alphabet Kubernetes uses for generated name suffixes.
    fn suffix(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// A pod as a busy cluster reports them: mostly healthy, some crash-looping, pulling,
/// creating, OOM-killed or finished, with restarts, nodes and metrics.
fn make_pod(rng: &mut Rng, index: usize, now: Timestamp) -> Pod {
    let context = CONTEXTS[index % CONTEXTS.len()];
    // 12 stems x 5 teams = 60 namespaces per context.
    let namespace = format!(
        "{}-{}",
        rng.pick(NAMESPACE_STEMS),
        ["a", "b", "c", "d", "e"][rng.below(5) as usize]
    );
    let workload = rng.pick(WORKLOADS);
    let name = format!(
        "{workload}-{:x}-{}-{index}",
        rng.next() & 0xff_ffff_ffff,
        rng.suffix(5)
    );
    let node = format!("{context}-node-{:03}", rng.below(400));
    let containers = (0..1 + rng.below(3))
        .map(|c| {
            let container_name = if c == 0 {
                workload.to_string()
            } else {
                ["istio-proxy", "log-shipper"][(c - 1) as usize].to_string()
            };
            let (state, ready, restarts, last_termination) = match rng.below(100) {
                0..=2 => (
                    ContainerState::Waiting {
                        reason: "CrashLoopBackOff".into(),
                    },
                    false,
                    5 + rng.below(200) as u32,
                    Some("Error".to_string()),
                ),
                3 => (
                    ContainerState::Waiting {
                        reason: "ImagePullBackOff".into(),
                    },
                    false,
                    0,
                    None,
                ),
                4 => (
                    ContainerState::Waiting {
                        reason: "ContainerCreating".into(),
                    },
                    false,
                    0,
                    None,
                ),
                5..=6 => (
                    ContainerState::Running {
                        since: Some(now - SignedDuration::from_mins(rng.below(600) as i64)),
                    },
                    true,
                    1 + rng.below(4) as u32,
                    Some("OOMKilled".to_string()),
                ),
                7 => (
                    ContainerState::Terminated {
                        reason: "Completed".into(),
                        exit_code: 0,
                    },
                    false,
                    0,
                    None,
                ),
                _ => (
                    ContainerState::Running {
                        since: Some(now - SignedDuration::from_hours(rng.below(2000) as i64)),
                    },
                    true,
                    if rng.below(10) == 0 {
                        rng.below(3) as u32
                    } else {
                        0
                    },
                    None,
                ),
            };
            PodContainer {
                name: container_name,
                image: format!(
                    "registry.local/{namespace}/{workload}:1.{}.0",
                    rng.below(40)
                ),
                ready,
                restarts,
                state,
                last_termination,
            }
        })
        .collect();
    Pod {
        id: KubeId::new(context, namespace, KubeKind::Pod, name),
        created: Some(now - SignedDuration::from_mins(rng.below(60 * 24 * 90) as i64)),
        labels: [
            ("app".to_string(), workload.to_string()),
            ("pod-template-hash".to_string(), rng.suffix(10)),
        ]
        .into(),
        phase: if rng.below(50) == 0 {
            PodPhase::Pending
        } else {
            PodPhase::Running
        },
        node: Some(node),
        ip: Some(format!(
            "10.{}.{}.{}",
            rng.below(256),
            rng.below(256),
            rng.below(256)
        )),
        owner: Some(ObjectRef {
            kind: "ReplicaSet".into(),
            name: format!("{workload}-{}", rng.suffix(10)),
        }),
        containers,
        deleting: rng.below(500) == 0,
        cpu_millis: Some(rng.below(4000)),
        memory_bytes: Some(rng.below(8 << 30)),
    }
}

fn make_pods(now: Timestamp) -> Vec<Pod> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..PODS).map(|i| make_pod(&mut rng, i, now)).collect()
}

/// A copy of `pod` whose first container crash-loops or recovers and restarts once more:
/// the kind of change a watch reports all day. `round` makes each round's value new.
fn updated(pod: &Pod, round: u32) -> Pod {
    let mut pod = pod.clone();
    let first = &mut pod.containers[0];
    first.restarts = first.restarts.wrapping_add(1 + round);
    if round.is_multiple_of(2) {
        first.state = ContainerState::Waiting {
            reason: "CrashLoopBackOff".into(),
        };
        first.ready = false;
        first.last_termination = Some("Error".into());
    } else {
        first.state = ContainerState::Running { since: None };
        first.ready = true;
    }
    pod
}

fn new_app(now: Timestamp, pods: &[Pod]) -> App {
    let theme = Theme::builtin("dark").expect("the dark theme is built in");
    let keymap = Keymap::builtin("default").expect("the default keymap is built in");
    let chrome = chrome_text(&keymap, &[]);
    let mut app = App::new(theme, keymap, chrome, 64 << 20, now);
    app.update(Action::Resize {
        width: WIDTH,
        height: HEIGHT,
    });
    for pod in pods {
        app.update(Action::Source(SourceEvent::UpsertPod(pod.clone())));
    }
    app.update(Action::Do(KeyAction::ViewPods));
    app
}

/// One frame exactly as the event loop draws it: refresh cached orders, then render.
fn frame(app: &mut App, terminal: &mut Terminal<TestBackend>) {
    app.prepare_frame();
    let screen = Screen {
        fleet: &app.fleet,
        logs: &app.logs,
        log_pane: app.log_pane.as_ref(),
        ui: &app.ui,
        theme: &app.theme,
        chrome: &app.chrome,
    };
    terminal
        .draw(|f| ui::render(&screen, f))
        .expect("a TestBackend cannot fail to draw");
}

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// Median and best of a set of samples.
struct Figures {
    median: Duration,
    best: Duration,
}

impl Figures {
    fn of(mut samples: Vec<Duration>) -> Figures {
        assert!(!samples.is_empty(), "a figure needs at least one sample");
        samples.sort();
        Figures {
            median: samples[samples.len() / 2],
            best: samples[0],
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn report(what: &str, figures: &Figures, target_ms: f64) {
    let verdict = if figures.median.as_secs_f64() * 1e3 <= target_ms {
        ""
    } else {
        "  MISSED"
    };
    println!(
        "{what}: median {} (best {})  target <= {target_ms} ms{verdict}",
        ms(figures.median),
        ms(figures.best)
    );
}

/// How long `run` takes.
fn time(run: impl FnOnce()) -> Duration {
    let start = Instant::now();
    run();
    start.elapsed()
}

/// This thread's time on a CPU so far, from `/proc/thread-self/schedstat` (Linux), in
/// nanoseconds: unlike wall time it leaves out waiting for a core, which on a shared
/// two-core machine is most of the spread between runs.
fn cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    (nanos > 0).then(|| Duration::from_nanos(nanos))
}

/// How long `run` takes, in wall time and (where the kernel tells) time on a CPU.
fn time_both(run: impl FnOnce()) -> (Duration, Option<Duration>) {
    let cpu = cpu_time();
    let wall = time(run);
    let on_cpu = cpu.zip(cpu_time()).map(|(a, b)| b.saturating_sub(a));
    (wall, on_cpu)
}

fn main() {
    // `cargo bench` passes `--bench`. `cargo test --all-targets` runs this too, without
    // it, in a debug build whose figures mean nothing: say so and stop.
    if !std::env::args().any(|a| a == "--bench") {
        println!("foundation: figures only from `cargo bench --bench foundation`");
        return;
    }
    let now = Timestamp::now();
    let build = Instant::now();
    let pods = make_pods(now);
    let mut app = new_app(now, &pods);
    let mut terminal =
        Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a TestBackend terminal");
    println!(
        "estate: {} pods in {} contexts, built and applied in {}",
        app.fleet.pods.len(),
        CONTEXTS.len(),
        ms(build.elapsed())
    );
    // The first frame builds the pods table's order.
    frame(&mut app, &mut terminal);

    // 1a. Steady state: nothing changed since the last frame.
    let steady: Vec<Duration> = (0..200)
        .map(|_| time(|| frame(&mut app, &mut terminal)))
        .collect();
    report(
        "pods view render, 50k pods, steady",
        &Figures::of(steady),
        2.0,
    );

    // 1b. A pod changed: the cached order is rebuilt (sort of 50k rows) before drawing.
    let mut round = 0u32;
    let mut changed = Vec::new();
    for rep in 0..30 {
        round += 1;
        let pod = updated(&pods[rep * 997 % PODS], round);
        app.update(Action::Source(SourceEvent::UpsertPod(pod)));
        changed.push(time(|| frame(&mut app, &mut terminal)));
    }
    report(
        "pods view render, 50k pods, after a change",
        &Figures::of(changed),
        2.0,
    );

    // 2. 10,000 upserts that change status and restarts of pods already in the store.
    // Building the events (what a source does) is not timed; applying them is.
    let mut applied = Vec::new();
    let mut applied_cpu = Vec::new();
    for rep in 0..30 {
        round += 1;
        let events: Vec<SourceEvent> = (0..UPDATES)
            .map(|i| SourceEvent::UpsertPod(updated(&pods[(i * 5 + rep) % PODS], round)))
            .collect();
        let (wall, cpu) = time_both(|| {
            for event in events {
                app.update(Action::Source(event));
            }
        });
        applied.push(wall);
        applied_cpu.extend(cpu);
    }
    let reps = applied.len();
    report(
        "apply 10k pod updates to 50k pods",
        &Figures::of(applied),
        20.0,
    );
    if applied_cpu.len() == reps {
        let f = Figures::of(applied_cpu);
        println!(
            "  the same, time on a CPU: median {} (best {})",
            ms(f.median),
            ms(f.best)
        );
    }
    frame(&mut app, &mut terminal);

    // 3. The fuzzy filter: type "api-7" through the real prompt; each keystroke's update
    // plus the order rebuild that `prepare_frame` does. Esc clears it between rounds.
    let typed = "api-7";
    // Per prefix ("a", "ap"...): its samples and the rows it left.
    let mut per_prefix: Vec<(Vec<Duration>, usize)> = vec![(Vec::new(), 0); typed.len()];
    for _ in 0..6 {
        app.update(Action::Do(KeyAction::Filter));
        frame(&mut app, &mut terminal);
        for (c, (samples, rows)) in typed.chars().zip(per_prefix.iter_mut()) {
            samples.push(time(|| {
                app.update(key(c));
                app.prepare_frame();
            }));
            *rows = app.ui.table(app.ui.view).rows.len();
            frame(&mut app, &mut terminal);
        }
        app.update(Action::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        frame(&mut app, &mut terminal);
    }
    let matched = per_prefix.last().map_or(0, |(_, rows)| *rows);
    report(
        &format!("fuzzy filter keystroke, 50k pods (\"{typed}\" -> {matched} rows)"),
        &Figures::of(per_prefix.iter().flat_map(|(s, _)| s.clone()).collect()),
        10.0,
    );
    let prefixes: Vec<String> = per_prefix
        .iter()
        .enumerate()
        .map(|(i, (samples, rows))| {
            let median = Figures::of(samples.clone()).median;
            format!("\"{}\" {} ({rows} rows)", &typed[..=i], ms(median))
        })
        .collect();
    println!("  per keystroke: {}", prefixes.join(", "));
    black_box(&terminal);

    breakdown(&app.fleet);
}

/// Where a cache rebuild's time goes, through the pods table's public `TableSpec`: building
/// the filter's haystacks, matching them, and sorting 50k rows from scratch or from an
/// order that is already sorted. Printed without targets; for finding what to fix.
fn breakdown(fleet: &Fleet) {
    const REPS: usize = 5;
    let spec = PodsTable;
    let items = spec.items(fleet, &ScopeFilter::default());
    let line = |what: &str, samples: Vec<Duration>| {
        let f = Figures::of(samples);
        println!(
            "  breakdown: {what}: median {} (best {})",
            ms(f.median),
            ms(f.best)
        );
    };

    // Matching: the haystacks alone, then with nucleo's scoring matcher and with its greedy
    // one (same rows; `table.rs` uses the greedy one since rows are never ranked by score).
    let typed = "api-7";
    let pattern = Pattern::new(
        typed,
        CaseMatching::Smart,
        Normalization::Smart,
        AtomKind::Fuzzy,
    );
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut text = String::new();
    let mut utf32 = Vec::new();
    let mut count_matches = |matching: &mut dyn FnMut(Utf32Str<'_>, &mut Matcher) -> bool| {
        let mut matched = 0;
        let took = time(|| {
            for &item in &items {
                text.clear();
                spec.haystack(fleet, item, &mut text);
                if matching(Utf32Str::new(&text, &mut utf32), &mut matcher) {
                    matched += 1;
                }
            }
        });
        (took, matched)
    };
    let haystacks = (0..REPS)
        .map(|_| count_matches(&mut |_, _| true).0)
        .collect();
    let mut scored = 0;
    let scoring = (0..REPS)
        .map(|_| {
            let (took, matched) = count_matches(&mut |h, m| pattern.score(h, m).is_some());
            scored = matched;
            took
        })
        .collect();
    let needle = pattern.atoms[0].needle_text();
    let mut greedy_matched = 0;
    let greedy = (0..REPS)
        .map(|_| {
            let (took, matched) =
                count_matches(&mut |h, m| m.fuzzy_match_greedy(h, needle).is_some());
            greedy_matched = matched;
            took
        })
        .collect();
    line("build 50k filter haystacks", haystacks);
    line(
        &format!("  + score them (\"{typed}\": {scored} match)"),
        scoring,
    );
    line(
        &format!("  + greedy-match them instead (\"{typed}\": {greedy_matched} match)"),
        greedy,
    );

    // Sorting: every comparison reads two pods' strings, scattered over the heap.
    let sort_from = |start: &[u32]| -> Vec<Duration> {
        (0..REPS)
            .map(|_| {
                let mut order = start.to_vec();
                time(|| order.sort_by(|&a, &b| spec.compare(fleet, a, b, 0)))
            })
            .collect()
    };
    let mut sorted = items.clone();
    sorted.sort_by(|&a, &b| spec.compare(fleet, a, b, 0));
    line(
        "sort 50k rows by CONTEXT, from store order",
        sort_from(&items),
    );
    line(
        "sort 50k rows by CONTEXT, already sorted (n-1 comparisons)",
        sort_from(&sorted),
    );
}
