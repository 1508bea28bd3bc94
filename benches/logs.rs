//! Log store figures: ingest throughput, memory against the raw bytes, and a regex filter
//! pass (total, and until the first screenful is ready).
//!
//! Run with `cargo bench --bench logs`. It prints figures beside their targets; it
//! asserts nothing (DESIGN.md §9: benchmarks measure, tests assert).

use std::hint::black_box;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use pilothouse::logs::{LogPane, LogStore, RawLogLine, StreamKey};

const LINES: usize = 1_000_000;
const STREAMS: usize = 50;
const BATCH: usize = 10_000;
const SCREEN_LINES: usize = 50;
/// Lines of filtering per `do_work` call: about what an event loop would give per turn.
const WORK_BUDGET: usize = 20_000;

fn main() {
    let keys: Vec<StreamKey> = (0..STREAMS)
        .map(|i| StreamKey::Kube {
            context: "prod-eu-west-1".into(),
            namespace: "shop".into(),
            pod: format!("checkout-7d9f8b6c5-{i:05}"),
            container: if i % 5 == 0 { "istio-proxy" } else { "app" }.into(),
            previous: false,
        })
        .collect();

    println!("pilothouse log store bench: {LINES} lines across {STREAMS} streams");
    let rss_before = rss_bytes();
    let mut store = LogStore::default();
    let mut generator = LineGenerator::new();
    let mut raw_bytes = 0u64;
    let mut ingest_time = Duration::ZERO;
    let mut batch: Vec<RawLogLine> = Vec::with_capacity(BATCH);
    let mut produced = 0;
    while produced < LINES {
        batch.clear();
        for _ in 0..BATCH.min(LINES - produced) {
            let (stream, stderr, bytes) = generator.next_line();
            raw_bytes += bytes.len() as u64;
            batch.push(RawLogLine {
                stream: keys[stream].clone(),
                timestamp: Some(generator.timestamp()),
                stderr,
                bytes,
            });
        }
        produced += batch.len();
        // Timed: what the event loop does with a burst of source events.
        let start = Instant::now();
        for line in batch.drain(..) {
            store.ingest(line);
        }
        ingest_time += start.elapsed();
    }
    drop(batch);
    let rss_after = rss_bytes();
    let stats = store.stats();
    let lines_per_sec = LINES as f64 / ingest_time.as_secs_f64();

    println!();
    println!("ingest");
    println!(
        "  {:>12.0} lines/s  ({:.1} ms for {LINES} lines, avg {:.0} B/line)   target >= 1,000,000 lines/s",
        lines_per_sec,
        ms(ingest_time),
        raw_bytes as f64 / LINES as f64
    );
    println!("memory (raw {:.1} MiB)", mib(raw_bytes));
    println!(
        "  store heap    {:>8.1} MiB = {:.2}x raw   target <= 2x",
        mib(stats.heap_bytes),
        stats.heap_bytes as f64 / raw_bytes as f64
    );
    println!(
        "  charged       {:>8.1} MiB = {:.2}x raw   (what the {} MiB budget counts)",
        mib(stats.charged_bytes),
        stats.charged_bytes as f64 / raw_bytes as f64,
        store.budget_bytes() >> 20
    );
    match (rss_before, rss_after) {
        (Some(before), Some(after)) => {
            let delta = after.saturating_sub(before);
            println!(
                "  process RSS   {:>8.1} MiB = {:.2}x raw   target <= 2x  (VmRSS delta)",
                mib(delta),
                delta as f64 / raw_bytes as f64
            );
        }
        _ => println!("  process RSS   unavailable (no /proc/self/status)"),
    }
    println!(
        "  retained {} lines, evicted {}",
        stats.retained_lines, stats.evicted_lines
    );

    // A second run through the key-less path sources can use for long-lived streams.
    let mut store2 = LogStore::default();
    let ids: Vec<_> = keys.iter().map(|k| store2.register(k)).collect();
    let mut generator = LineGenerator::new();
    let mut lines: Vec<(usize, bool, Vec<u8>)> = Vec::with_capacity(BATCH);
    let mut time2 = Duration::ZERO;
    for _ in 0..LINES / BATCH {
        lines.clear();
        lines.extend((0..BATCH).map(|_| generator.next_line()));
        let when = Some(generator.timestamp());
        let start = Instant::now();
        for (stream, stderr, bytes) in &lines {
            store2.ingest_to(ids[*stream], when, *stderr, bytes);
        }
        time2 += start.elapsed();
    }
    println!(
        "  ({:.0} lines/s through ingest_to with registered stream ids)",
        LINES as f64 / time2.as_secs_f64()
    );
    drop(store2);

    filter_pass(&store, &keys, r"status=5\d\d|timeout", false);
    filter_pass(&store, &keys, r"zzzz", false);
    filter_pass(&store, &keys, r"ERROR.*(postgres|redis)", false);
    filter_pass(&store, &keys, r"GET /healthz", true);
    black_box(&store);
}

/// A filter over every stream: time until a screenful of matches is ready, and in all.
fn filter_pass(store: &LogStore, keys: &[StreamKey], pattern: &str, invert: bool) {
    let mut pane = LogPane::new("checkout", keys.to_vec());
    let start = Instant::now();
    pane.set_filter(pattern, invert);
    let mut first_screen = None;
    let mut rounds = 0;
    while pane.pending_work() {
        pane.do_work(store, WORK_BUDGET);
        rounds += 1;
        if first_screen.is_none()
            && pane.visible_lines(store, SCREEN_LINES).lines.len() >= SCREEN_LINES
        {
            first_screen = Some(start.elapsed());
        }
    }
    let total = start.elapsed();
    let matches = pane
        .filter_status(store)
        .and_then(|s| s.progress)
        .map_or(0, |p| p.matches);
    let bang = if invert { "!" } else { "" };
    println!();
    println!("filter {bang}/{pattern}/ over all {} streams", keys.len());
    println!(
        "  full pass     {:>8.1} ms  ({} matches, {rounds} steps of {WORK_BUDGET} lines)   target <= 200 ms",
        ms(total),
        matches
    );
    match first_screen {
        Some(t) => println!(
            "  first screen  {:>8.1} ms  ({SCREEN_LINES} newest matches)   target: sooner than the full pass",
            ms(t)
        ),
        None => println!("  first screen  fewer than {SCREEN_LINES} matches in all"),
    }
}

/// Deterministic, realistic-looking log lines (~120 bytes): access logs, app logs with
/// levels, some with ANSI colors, a few JSON lines.
struct LineGenerator {
    state: u64,
    millis: i64,
}

impl LineGenerator {
    fn new() -> Self {
        LineGenerator {
            state: 0x9e37_79b9_7f4a_7c15,
            millis: 1_795_000_000_000,
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn timestamp(&self) -> Timestamp {
        Timestamp::from_millisecond(self.millis).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn next_line(&mut self) -> (usize, bool, Vec<u8>) {
        const PATHS: [&str; 6] = [
            "/api/v1/orders",
            "/api/v1/cart/items",
            "/healthz",
            "/api/v1/payments/authorize",
            "/static/app.js",
            "/api/v1/users/me",
        ];
        const DEPS: [&str; 4] = ["postgres", "redis", "payments-api", "kafka"];
        let r = self.next();
        self.millis += (r % 3) as i64;
        let stream = (r % STREAMS as u64) as usize;
        let kind = (r >> 8) % 100;
        let trace = self.next();
        let line = match kind {
            0..=54 => {
                let status = match (r >> 16) % 50 {
                    0 => 503,
                    1 | 2 => 404,
                    3 => 500,
                    _ => 200,
                };
                format!(
                    "10.42.{}.{} - - \"GET {}/{} HTTP/1.1\" status={status} {}ms ua=\"kube-probe/1.32\" trace={trace:016x}",
                    (r >> 20) % 256,
                    (r >> 28) % 256,
                    PATHS[((r >> 36) % 6) as usize],
                    (r >> 40) % 100_000,
                    (r >> 44) % 900,
                )
            }
            55..=84 => {
                let level = match (r >> 16) % 40 {
                    0 => "ERROR",
                    1..=3 => "WARN",
                    4..=9 => "DEBUG",
                    _ => "INFO",
                };
                format!(
                    "{level} [checkout::{}] reserved stock for order {} in {}ms (dep={}, attempt {}) trace={trace:016x}",
                    ["service", "handler", "repo"][((r >> 20) % 3) as usize],
                    (r >> 24) % 10_000_000,
                    (r >> 48) % 2000,
                    DEPS[((r >> 32) % 4) as usize],
                    (r >> 40) % 4,
                )
            }
            85..=94 => format!(
                "\x1b[2m2026-11-22T03:12:45Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[1mhttp\x1b[0m: request completed path={} latency={}µs timeout=false",
                PATHS[((r >> 36) % 6) as usize],
                (r >> 20) % 100_000,
            ),
            _ => format!(
                "{{\"level\":\"warn\",\"msg\":\"slow query\",\"dep\":\"{}\",\"ms\":{},\"rows\":{},\"trace\":\"{trace:016x}\"}}",
                DEPS[((r >> 32) % 4) as usize],
                (r >> 20) % 5000,
                (r >> 36) % 1000,
            ),
        };
        (stream, (85..90).contains(&kind), line.into_bytes())
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Resident set size from `/proc/self/status` (Linux).
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
