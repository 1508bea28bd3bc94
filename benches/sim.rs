//! Simulated Kubernetes API figures with the `big` scenario (50,000 pods on 500 nodes, a
//! steady ~100 pod changes a second): start-up, listing every pod over HTTP (target
//! ≤ 2 s), the process's RSS (target ≤ 600 MB), and five concurrent watchers, each of
//! which must receive every change.
//!
//! Run with `cargo bench --bench sim`. It prints figures beside their targets; it asserts
//! nothing (DESIGN.md §9: benchmarks measure, tests assert).

use std::time::{Duration, Instant};

use pilothouse::sim::clock::SimClock;
use pilothouse::sim::kube::resources::Kind;
use pilothouse::sim::scenario::Scenario;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const WATCHERS: usize = 5;
const WATCH_FOR: Duration = Duration::from_secs(10);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let scenario = Scenario::load("big").expect("the big scenario");
    let dir = std::env::temp_dir().join(format!("pilothouse-sim-bench-{}", std::process::id()));
    let started = Instant::now();
    let sim = pilothouse::sim::kube::start_sim(
        "127.0.0.1:0".parse().expect("address"),
        &scenario.kubernetes,
        SimClock::new(1.0),
        1,
        Some(&dir.join("kubeconfig")),
    )
    .await
    .expect("sim starts");
    let startup = started.elapsed();
    let cluster = sim.clusters[0].clone();
    let pods = cluster.store().count(Kind::Pod);
    let nodes = cluster.store().count(Kind::Node);
    println!("pilothouse sim bench: scenario big, {pods} pods on {nodes} nodes");
    println!(
        "  start-up (estate built, listening):  {:>8.2} s",
        startup.as_secs_f64()
    );
    println!(
        "  RSS after start-up:                   {:>8.1} MB  (target ≤ 600 MB)",
        rss_mb()
    );
    let address = sim.url.trim_start_matches("http://").to_string();

    // List every pod, as one request (`kubectl get pods -A -o json` pages through the
    // same data 500 at a time, and spends most of its minute decoding and printing).
    let mut best = Duration::MAX;
    let mut bytes = 0;
    let mut items = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let body = get(&address, "/api/v1/pods").await;
        best = best.min(t.elapsed());
        bytes = body.len();
        items = count_items(&body);
    }
    println!(
        "  list all pods over HTTP (best of 3):  {:>8.3} s  (target ≤ 2 s; {items} items, {:.0} MB)",
        best.as_secs_f64(),
        bytes as f64 / 1e6
    );
    println!(
        "  RSS after listing:                    {:>8.1} MB  (target ≤ 600 MB)",
        rss_mb()
    );

    // Five watchers from the same resourceVersion.
    let from = cluster.store().resource_version();
    let mut tasks = Vec::new();
    for _ in 0..WATCHERS {
        let address = address.clone();
        tasks.push(tokio::spawn(async move {
            watch(&address, from, WATCH_FOR).await
        }));
    }
    let mut seen: Vec<Vec<u64>> = Vec::new();
    for task in tasks {
        seen.push(task.await.expect("watcher"));
    }
    // Compare over what every watcher had time to see.
    let upto = seen
        .iter()
        .map(|s| s.last().copied().unwrap_or(from))
        .min()
        .unwrap_or(from);
    let expected: Vec<u64> = match cluster.store().watch(Kind::Pod, Some(from)) {
        Ok(start) => start
            .initial
            .iter()
            .map(|e| e.object.resource_version)
            .filter(|rv| *rv <= upto)
            .collect(),
        Err(e) => {
            println!(
                "  (history no longer reaches back to the watch start: {})",
                e.message
            );
            Vec::new()
        }
    };
    let complete = seen.iter().filter(|s| {
        let got: Vec<u64> = s.iter().copied().filter(|rv| *rv <= upto).collect();
        got == expected
    });
    println!(
        "  {WATCHERS} watchers, {:.0} s: {} pod changes each ({:.0}/s); every change to every watcher: {}",
        WATCH_FOR.as_secs_f64(),
        expected.len(),
        expected.len() as f64 / WATCH_FOR.as_secs_f64(),
        if complete.count() == WATCHERS {
            "yes"
        } else {
            "NO"
        }
    );
    println!(
        "  RSS at the end:                       {:>8.1} MB  (target ≤ 600 MB)",
        rss_mb()
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The number of entries in a list's `items`, without building a tree of 50,000 objects.
fn count_items(body: &[u8]) -> usize {
    #[derive(serde::Deserialize)]
    struct List {
        items: Vec<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<List>(body).map_or(0, |l| l.items.len())
}

async fn connect(address: &str, path: &str) -> BufReader<TcpStream> {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut reader = BufReader::new(stream);
    // Status line and headers.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
    }
    reader
}

/// The next chunk of a chunked body, or `None` at its end.
async fn chunk(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut size_line = String::new();
    reader.read_line(&mut size_line).await.ok()?;
    let size = usize::from_str_radix(size_line.trim(), 16).ok()?;
    if size == 0 {
        return None;
    }
    let mut data = vec![0; size + 2];
    reader.read_exact(&mut data).await.ok()?;
    data.truncate(size);
    Some(data)
}

async fn get(address: &str, path: &str) -> Vec<u8> {
    let mut reader = connect(address, path).await;
    let mut body = Vec::new();
    while let Some(data) = chunk(&mut reader).await {
        body.extend_from_slice(&data);
    }
    body
}

/// Watch pods from `from` for `duration`; the resourceVersions received, in order.
async fn watch(address: &str, from: u64, duration: Duration) -> Vec<u64> {
    let path = format!(
        "/api/v1/pods?watch=1&resourceVersion={from}&timeoutSeconds={}",
        duration.as_secs()
    );
    let mut reader = connect(address, &path).await;
    let mut pending = Vec::new();
    let mut seen = Vec::new();
    while let Some(data) = chunk(&mut reader).await {
        pending.extend_from_slice(&data);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            if let Some(rv) = resource_version(&line) {
                seen.push(rv);
            }
        }
    }
    seen
}

fn resource_version(line: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Event {
        object: Object,
    }
    #[derive(serde::Deserialize)]
    struct Object {
        metadata: Metadata,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Metadata {
        resource_version: String,
    }
    let event: Event = serde_json::from_slice(line).ok()?;
    event.object.metadata.resource_version.parse().ok()
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
