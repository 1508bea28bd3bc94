//! `pilothouse`: the console, and its `config`, `themes`, `keymaps`, `runbooks`, `audit`
//! and `incident` subcommands.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use jiff::Timestamp;
use pilothouse::app::{App, event_loop, terminal};
use pilothouse::cli::{Cli, CommandLine, ConfigCommand, FileCheckCommand, IncidentCommand};
use pilothouse::config::{self, ColorEnv, Paths, Settings};
use pilothouse::fixture;
use pilothouse::ui::{Chrome, chrome_text};
use tokio::sync::mpsc;

/// mimalloc: the fleet replaces many small objects per update (strings, label maps), and
/// mimalloc frees and reuses them about twice as fast as glibc's malloc
/// (`cargo bench --bench foundation`), and keeps less memory stranded after a big list.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let paths = Paths::from_env();
    match &cli.command {
        Some(CommandLine::Sim(args)) => match run_sim(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("pilothouse sim: {e:?}");
                ExitCode::FAILURE
            }
        },
        Some(command) => run_subcommand(command, &paths),
        None if resume_refused(&cli, &paths) => ExitCode::from(2),
        None => match run_console(cli, paths) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("pilothouse: {e:?}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Turn transparent huge pages off for this process. mimalloc asks the kernel for them
/// (`madvise(MADV_HUGEPAGE)`) on the memory it reserves, and then a few live objects on a
/// 2 MiB page keep all of it resident: with 50 containers the console's heap was 27 MiB
/// resident instead of 9 MiB. Nothing the console does is large enough to gain from
/// fewer TLB misses. It runs as a constructor, before the Rust runtime's first
/// allocation (the first pages mimalloc touches would otherwise be huge ones already).
/// Best effort: a kernel without THP refuses, and nothing changes.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static KEEP_SMALL_PAGES: extern "C" fn() = keep_small_pages;

#[cfg(target_os = "linux")]
extern "C" fn keep_small_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// `--resume ID` naming no readable incident: said plainly, before anything starts.
fn resume_refused(cli: &Cli, paths: &Paths) -> bool {
    let Some(id) = &cli.resume else {
        return false;
    };
    match pilothouse::incident::load(&paths.data_dir, id) {
        Ok(_) => false,
        Err(e) => {
            eprintln!("pilothouse: --resume {id}: {e}; `pilothouse incident list` shows them");
            true
        }
    }
}

fn run_subcommand(command: &CommandLine, paths: &Paths) -> ExitCode {
    let config_dir = Some(paths.config_dir.as_path());
    let mut out = std::io::stdout();
    let ok = match command {
        CommandLine::Sim(_) => unreachable!("handled in main"),
        CommandLine::Config {
            what: ConfigCommand::Path,
        } => {
            print!("{}", paths.render());
            Ok(true)
        }
        CommandLine::Config {
            what: ConfigCommand::Check,
        } => {
            let (_, problems) = config::Config::load(&paths.config_file());
            for p in &problems {
                let _ = writeln!(out, "{p}");
            }
            if problems.is_empty() {
                let _ = writeln!(out, "ok {}", paths.config_file().display());
            }
            Ok(problems.is_empty())
        }
        CommandLine::Themes {
            what: FileCheckCommand::Check { files },
        } => config::check_themes(files, config_dir, &mut out),
        CommandLine::Keymaps {
            what: FileCheckCommand::Check { files },
        } => config::check_keymaps(files, config_dir, &mut out),
        CommandLine::Themes {
            what: FileCheckCommand::List,
        } => {
            print!(
                "{}",
                config::render_available(&config::list_themes(config_dir))
            );
            Ok(true)
        }
        CommandLine::Runbooks {
            what: FileCheckCommand::Check { files },
        } => pilothouse::runbook::check_runbooks(files, config_dir, &mut out),
        CommandLine::Runbooks {
            what: FileCheckCommand::List,
        } => {
            print!("{}", pilothouse::runbook::list_runbooks(config_dir));
            Ok(true)
        }
        CommandLine::Audit(args) => {
            let filter = pilothouse::ops::audit::AuditFilter {
                since: args.since.map(|since| since.resolve(Timestamp::now())),
                context: args.context.clone(),
            };
            let mut err = std::io::stderr();
            pilothouse::ops::audit::report::print_report(
                &paths.data_dir,
                &filter,
                args.json,
                &mut out,
                &mut err,
            )
        }
        CommandLine::Incident { what } => {
            let mut err = std::io::stderr();
            let now = Timestamp::now();
            match what {
                IncidentCommand::List => pilothouse::incident::command::print_list(
                    &paths.data_dir,
                    now,
                    &mut out,
                    &mut err,
                ),
                IncidentCommand::Export { id, out: file } => pilothouse::incident::command::export(
                    &paths.data_dir,
                    id,
                    file.as_deref(),
                    now,
                    &mut out,
                    &mut err,
                ),
            }
        }
        CommandLine::Keymaps {
            what: FileCheckCommand::List,
        } => {
            print!(
                "{}",
                config::render_available(&config::list_keymaps(config_dir))
            );
            Ok(true)
        }
    };
    match ok {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("pilothouse: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `pilothouse sim`: start the estate, say where it is, run until SIGINT or SIGTERM.
fn run_sim(args: &pilothouse::cli::SimArgs) -> color_eyre::Result<()> {
    let options = pilothouse::sim::SimOptions {
        scenario: args.scenario.clone(),
        seed: args.seed,
        speed: args.speed,
        listen: args.listen,
        kubeconfig_out: args.kubeconfig_out.clone(),
        docker_listen: args.docker_listen.clone(),
        alertmanager_listen: args.alertmanager_listen,
        ready_file: args.ready_file.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let endpoints = pilothouse::sim::start(options.clone()).await?;
        let lines = endpoints.lines();
        print!("{lines}");
        std::io::stdout().flush()?;
        if let Some(path) = &options.ready_file {
            // Written whole to a temporary name and renamed, so a watcher never reads half.
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, &lines)?;
            std::fs::rename(&tmp, path)?;
        }
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
        Ok(())
    })
}

/// Write tracing to a file in the data dir: never to the terminal the console draws on.
fn init_tracing(paths: &Paths) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = paths.log_file.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let file_name = paths.log_file.file_name()?;
    let appender = tracing_appender::rolling::never(dir, file_name);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PILOTHOUSE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init()
        .ok()?;
    Some(guard)
}

fn run_console(cli: Cli, paths: Paths) -> color_eyre::Result<()> {
    terminal::install_hooks()?;
    let _tracing = init_tracing(&paths);
    let env = ColorEnv::from_process_env();
    let save_dir = paths.data_dir.join("saved-logs");
    let data_dir = paths.data_dir.clone();
    let config_dir = paths.config_dir.clone();
    let mut settings =
        Settings::load_with(paths, &env, cli.theme.as_deref(), cli.keymap.as_deref());
    let now = Timestamp::now();
    // Load the estate before touching the terminal, so a broken fixture is a plain error.
    let estate = match &cli.fixture {
        Some(path) => fixture::load(path, now)?,
        None => Vec::new(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // The demo is the simulated estate, started here on loopback ports before the sources
    // that will connect to it like to any other.
    let demo = if cli.demo {
        let options = pilothouse::sim::SimOptions {
            scenario: cli.scenario.clone(),
            seed: 1,
            speed: 1.0,
            listen: "127.0.0.1:0".parse()?,
            kubeconfig_out: None,
            docker_listen: pilothouse::sim::launch::DockerListen::Tcp("127.0.0.1:0".parse()?),
            alertmanager_listen: "127.0.0.1:0".parse()?,
            ready_file: None,
        };
        Some(runtime.block_on(pilothouse::sim::start(options))?)
    } else {
        None
    };
    let kube = if cli.fixture.is_some() {
        None
    } else {
        let (kube, problems) = kube_setup(&cli, demo.as_ref());
        settings.problems.extend(problems);
        kube
    };
    for p in &settings.problems {
        tracing::warn!("{p}");
    }
    let chrome: Chrome = chrome_text(&settings.keymap, &settings.problems);
    let budget = cli
        .log_budget_mib
        .map(|mib| mib as u64 * 1024 * 1024)
        .unwrap_or_else(|| settings.config.log_budget_bytes());
    let mut app = App::new(
        settings.theme,
        settings.keymap,
        chrome,
        budget as usize,
        now,
    );
    app.ui.read_only = cli.read_only || settings.config.read_only;
    app.ui.mouse = cli.mouse || settings.config.mouse;
    app.config = settings.config.clone();
    // `--readonly` reaches the ops layer, which refuses every operation before any request.
    app.config.read_only = app.ui.read_only;
    app.test_panic = std::env::var_os("PILOTHOUSE_TEST_PANIC").is_some();
    app.save_dir = save_dir;
    app.data_dir = Some(data_dir.clone());
    app.reload_backup_history();
    // Runbooks (issue 8): shipped ones and the user's; a broken one is named in the
    // problems overlay and left out, the rest still work.
    let library = pilothouse::runbook::Library::load(Some(config_dir.as_path()));
    for p in library.problems() {
        app.chrome.problems.push(p.to_string());
    }
    if !library.problems().is_empty() {
        app.ui.overlay = Some(pilothouse::ui::state::Overlay::Problems);
    }
    app.incidents = pilothouse::app::incident_glue::IncidentGlue::new(library);
    if let Some(id) = &cli.resume {
        app.resume_incident(id)
            .map_err(|e| color_eyre::eyre::eyre!("--resume {id}: {e}"))?;
    }

    let mut docker_hosts = cli.docker_hosts.clone();
    if let Some(sim) = &demo {
        docker_hosts.push(
            sim.docker_host
                .parse()
                .map_err(|e| color_eyre::eyre::eyre!("the demo's Docker host: {e}"))?,
        );
    }
    let only_named_docker_hosts = cli.fixture.is_some() || demo.is_some();
    // Alerts and hosts (issue 6): the config file's and the command line's Alertmanagers,
    // Prometheus servers and probes, the demo's Alertmanager, and this machine unless the
    // console shows a fixture or the demo.
    let mut alert_sources = pilothouse::sources::alertmanager::AlertSources {
        alertmanagers: cli.alertmanagers.clone(),
        prometheus: cli.prometheus.clone(),
        probes: cli.probes.clone(),
        local_host: !only_named_docker_hosts,
    };
    if let Some(sim) = &demo {
        alert_sources
            .alertmanagers
            .push(sim.alertmanager_url.parse()?);
    }

    runtime.block_on(async move {
        // Sources send here. The channel is bounded: a flood waits for the UI, never grows.
        let (tx, rx) = mpsc::channel(4096);
        let sources = tokio_util::sync::CancellationToken::new();
        let alert_control = pilothouse::sources::alertmanager::spawn_alert_and_host_sources(
            &app.config,
            alert_sources,
            pilothouse::sources::EventSink::new(tx.clone()),
            &sources,
        );
        let alertmanagers = alert_control.clients();
        app.alerts.attach(alert_control);
        // The built-in rules read every event on its way to the app (host and container
        // samples) and add the alerts they raise.
        let rx = pilothouse::rules::spawn_rules(rx, app.config.rules.clone());
        let (docker, docker_endpoints) = start_docker(
            &app.config,
            docker_hosts,
            only_named_docker_hosts,
            &tx,
            &sources,
        );
        let mut controls = event_loop::SourceControls { docker, kube: None };
        // Operations (issue 7) run in their own task, so the console stays live.
        app.ops.attach(pilothouse::ops::runner::spawn(
            pilothouse::ops::runner::OpsSettings {
                kubeconfig: kube.as_ref().map(|k| k.kubeconfig.clone()),
                kube_options: pilothouse::sources::kube::KubeOptions::default(),
                config: app.config.clone(),
                data_dir,
                docker: pilothouse::ops::container::DockerHosts(docker_endpoints),
                alertmanagers,
            },
            Some(pilothouse::sources::EventSink::new(tx.clone())),
            &sources,
        ));
        if let Some(kube) = kube {
            app.fleet.available_contexts = kube.available;
            app.kube.active = kube.interest.contexts.clone();
            app.ui.scope.namespace = kube.interest.namespace.clone();
            controls.kube = Some(pilothouse::sources::kube::spawn(
                kube.kubeconfig,
                kube.interest,
                pilothouse::sources::kube::KubeOptions::default(),
                pilothouse::sources::EventSink::new(tx.clone()),
                &sources,
            ));
        }
        tokio::spawn(async move {
            for event in estate {
                if tx.send(event).await.is_err() {
                    return;
                }
            }
            // Keep the channel open: live sources will hold their own senders.
            std::future::pending::<()>().await;
        });
        let mut guard = terminal::TerminalGuard::enter()?;
        let result = event_loop::run(&mut guard.terminal, &mut app, rx, controls).await;
        sources.cancel();
        result
    })
}

/// What the Kubernetes source starts with.
struct KubeSetup {
    kubeconfig: kube::config::Kubeconfig,
    available: Vec<String>,
    interest: pilothouse::sources::kube::KubeInterest,
}

/// Find the kubeconfig like kubectl (or the demo's), and pick the contexts and namespace
/// scope to start with: `--context`s or the current context; `-n`, `-A`, else the
/// context's own namespace, else every namespace. No kubeconfig at all is no problem —
/// a Docker-only machine — but a broken one is reported, naming the file and line.
fn kube_setup(
    cli: &Cli,
    demo: Option<&pilothouse::sim::SimEndpoints>,
) -> (Option<KubeSetup>, Vec<config::ConfigProblem>) {
    use pilothouse::sources::kube::{KubeInterest, candidate_files, load_kubeconfig};
    let explicit = demo
        .map(|d| d.kubeconfig.clone())
        .or_else(|| cli.kubeconfig.clone());
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let env_list = if demo.is_some() {
        None
    } else {
        std::env::var_os("KUBECONFIG")
    };
    let files = candidate_files(explicit.as_deref(), env_list.as_deref(), home.as_deref());
    let (set, problems) = load_kubeconfig(&files, explicit.is_some());
    let Some(set) = set else {
        return (None, problems);
    };
    let available = set.contexts();
    let mut contexts: Vec<String> = cli.contexts.clone();
    if contexts.is_empty() && demo.is_some() {
        // The demo shows every simulated cluster as the admin: `sim-prod`, `sim-staging`.
        contexts.extend(
            available
                .iter()
                .filter(|c| c.starts_with("sim-") && !c.ends_with("-viewer"))
                .cloned(),
        );
    }
    if contexts.is_empty() {
        contexts.extend(set.current_context().or_else(|| available.first().cloned()));
    }
    let mut problems = problems;
    contexts.retain(|c| {
        let known = available.contains(c);
        if !known {
            let file = set.files.first().cloned().unwrap_or_default();
            problems.push(config::ConfigProblem::whole_file(
                &file,
                format!("--context {c}: no such context in the kubeconfig"),
            ));
        }
        known
    });
    let namespace = if cli.all_namespaces || demo.is_some() {
        None
    } else {
        cli.namespace
            .clone()
            .or_else(|| contexts.first().and_then(|c| set.namespace_of(c)))
    };
    let setup = KubeSetup {
        kubeconfig: set.kubeconfig,
        available,
        interest: KubeInterest {
            contexts: contexts.into_iter().collect(),
            namespace,
            logs: Default::default(),
        },
    };
    (Some(setup), problems)
}

/// Start the Docker sources (issue 5): the engine the docker CLI would use, the config
/// file's `[docker] hosts` and every `--docker-host`. On a fixture or demo estate only the
/// hosts named on the command line are watched, so a fixture shows nothing but itself.
fn start_docker(
    config: &config::Config,
    cli_hosts: Vec<pilothouse::sources::docker::EndpointUrl>,
    on_fixture: bool,
    tx: &mpsc::Sender<pilothouse::store::SourceEvent>,
    cancel: &tokio_util::sync::CancellationToken,
) -> (
    Option<pilothouse::sources::docker::DockerControl>,
    Vec<pilothouse::sources::docker::DockerEndpoint>,
) {
    use pilothouse::sources::docker::{self, Discovery};
    let (local, extra) = if on_fixture {
        (false, cli_hosts)
    } else {
        let mut extra = config.docker.hosts.clone();
        extra.extend(cli_hosts);
        (config.docker.local, extra)
    };
    let endpoints = Discovery::from_env(local, extra).endpoints(&|path| path.exists());
    if endpoints.is_empty() {
        return (None, endpoints);
    }
    let sink = pilothouse::sources::EventSink::new(tx.clone());
    let control = docker::spawn_sources(endpoints.clone(), sink, config.docker.options(), cancel);
    (Some(control), endpoints)
}
