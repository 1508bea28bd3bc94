//! The simulated Kubernetes API in-process, for tests that run the real `kubectl` against
//! it: started on a loopback port with a kubeconfig written beside it.

use std::path::{Path, PathBuf};

use pilothouse::sim::clock::SimClock;
use pilothouse::sim::scenario::Scenario;

pub const KUBECTL: &str = "/usr/bin/kubectl";

pub struct KubectlSim {
    /// The API serves until the runtime is dropped with the test.
    pub runtime: tokio::runtime::Runtime,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

/// Start `scenario` at `speed`, or `None` (after saying why) when kubectl is missing —
/// a failure instead when `PILOTHOUSE_REQUIRE_SERVICES=1`.
pub fn start(scenario: &str, speed: f64) -> Option<KubectlSim> {
    if !Path::new(KUBECTL).exists() {
        if std::env::var("PILOTHOUSE_REQUIRE_SERVICES").is_ok_and(|v| v == "1") {
            panic!("kubectl not installed at {KUBECTL} but PILOTHOUSE_REQUIRE_SERVICES=1");
        }
        println!("skip: kubectl not installed");
        return None;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let scenario = Scenario::load(scenario).expect("built-in scenario");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("kubeconfig");
    let sim = runtime
        .block_on(pilothouse::sim::kube::start_sim(
            "127.0.0.1:0".parse().expect("address"),
            &scenario.kubernetes,
            SimClock::new(speed),
            7,
            Some(&out),
        ))
        .expect("sim starts");
    Some(KubectlSim {
        runtime,
        dir,
        kubeconfig: sim.kubeconfig,
    })
}

impl KubectlSim {
    /// `kubectl` pointed at this sim (its kubeconfig and its own discovery cache), with
    /// the caller's `KUBECONFIG` out of the way.
    pub fn kubectl(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(KUBECTL);
        command
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .args(args)
            .env_remove("KUBECONFIG");
        command
    }
}
