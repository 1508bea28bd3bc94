//! `pilothouse`: the console, and its `config`, `themes` and `keymaps` subcommands.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use jiff::Timestamp;
use pilothouse::app::{App, event_loop, terminal};
use pilothouse::cli::{Cli, CommandLine, ConfigCommand, FileCheckCommand};
use pilothouse::config::{self, ColorEnv, Paths, Settings};
use pilothouse::fixture;
use pilothouse::ui::{Chrome, chrome_text};
use tokio::sync::mpsc;

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
        None => match run_console(cli, paths) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("pilothouse: {e:?}");
                ExitCode::FAILURE
            }
        },
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
    let settings = Settings::load_with(paths, &env, cli.theme.as_deref(), cli.keymap.as_deref());
    for p in &settings.problems {
        tracing::warn!("{p}");
    }
    let now = Timestamp::now();
    // Load the estate before touching the terminal, so a broken fixture is a plain error.
    let estate = match (&cli.fixture, cli.demo) {
        (Some(path), _) => fixture::load(path, now)?,
        (None, true) => fixture::embedded(now),
        (None, false) => Vec::new(),
    };
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
    app.test_panic = std::env::var_os("PILOTHOUSE_TEST_PANIC").is_some();

    let on_fixture = cli.fixture.is_some() || cli.demo;
    let docker_hosts = cli.docker_hosts.clone();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // Sources send here. The channel is bounded: a flood waits for the UI, never grows.
        let (tx, rx) = mpsc::channel(4096);
        let sources = tokio_util::sync::CancellationToken::new();
        let docker = start_docker(&app.config, docker_hosts, on_fixture, &tx, &sources);
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
        let result = event_loop::run(&mut guard.terminal, &mut app, rx, docker).await;
        sources.cancel();
        result
    })
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
) -> Option<pilothouse::sources::docker::DockerControl> {
    use pilothouse::sources::docker::{self, Discovery, DockerOptions};
    let (local, extra) = if on_fixture {
        (false, cli_hosts)
    } else {
        let mut extra = config.docker.hosts.clone();
        extra.extend(cli_hosts);
        (config.docker.local, extra)
    };
    let endpoints = Discovery::from_env(local, extra).endpoints(&|path| path.exists());
    if endpoints.is_empty() {
        return None;
    }
    let sink = pilothouse::sources::EventSink::new(tx.clone());
    Some(docker::spawn_sources(
        endpoints,
        sink,
        DockerOptions::default(),
        cancel,
    ))
}
