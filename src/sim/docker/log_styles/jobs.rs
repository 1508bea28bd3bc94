//! A Celery worker, a `pg_dump` backup job, and a generic service.

use super::{Line, LineContext};
use crate::sim::common::seeded::Rng;
use crate::sim::common::time as timefmt;
use crate::sim::common::time::Nanos;
use crate::sim::docker::frames::StdStream::{Stderr, Stdout};
use crate::sim::docker::lifecycle::StopReason;

const TASKS: &[&str] = &[
    "shop.tasks.send_order_email",
    "shop.tasks.generate_invoice",
    "shop.tasks.sync_inventory",
    "shop.tasks.charge_payment",
    "shop.tasks.expire_carts",
];

fn celery(at: Nanos, level: &str, process: &str, msg: &str) -> Line {
    (
        Stderr,
        format!("[{}: {level}/{process}] {msg}", timefmt::python(at)),
    )
}

fn task_id(rng: &mut Rng) -> String {
    rng.uuid()
}

pub fn worker_startup(ctx: &LineContext, at: Nanos) -> Vec<Line> {
    let host = &ctx.hostname;
    let mut lines: Vec<Line> = [
        " ".to_string(),
        format!(" -------------- celery@{host} v5.4.0 (opalescent)"),
        "--- ***** ----- ".to_string(),
        "-- ******* ---- Linux-6.1.0-28-amd64-x86_64-with-glibc2.36 2026-11-22 18:00:00"
            .to_string(),
        "- *** --- * --- ".to_string(),
        "- ** ---------- [config]".to_string(),
        "- ** ---------- .> app:         shop:0x7f3c2a1b9d50".to_string(),
        "- ** ---------- .> transport:   redis://redis:6379/0".to_string(),
        "- ** ---------- .> results:     redis://redis:6379/1".to_string(),
        "- *** --- * --- .> concurrency: 4 (prefork)".to_string(),
        "-- ******* ---- .> task events: OFF (enable -E to monitor tasks in this worker)"
            .to_string(),
        "--- ***** ----- ".to_string(),
        " -------------- [queues]".to_string(),
        "                .> celery           exchange=celery(direct) key=celery".to_string(),
        "                ".to_string(),
        "[tasks]".to_string(),
    ]
    .into_iter()
    .map(|text| (Stdout, text))
    .collect();
    lines.extend(TASKS.iter().map(|t| (Stdout, format!("  . {t}"))));
    lines.push((Stdout, String::new()));
    lines.extend([
        celery(
            at,
            "INFO",
            "MainProcess",
            "Connected to redis://redis:6379/0",
        ),
        celery(at, "INFO", "MainProcess", "mingle: searching for neighbors"),
        celery(at, "INFO", "MainProcess", "mingle: all alone"),
        celery(at, "INFO", "MainProcess", &format!("celery@{host} ready.")),
    ]);
    lines
}

pub fn worker_line(_ctx: &LineContext, rng: &mut Rng, at: Nanos, error: bool) -> Line {
    let task = *rng.pick(TASKS);
    let id = task_id(rng);
    let worker = format!("ForkPoolWorker-{}", rng.int_between(1, 4));
    if error {
        return celery(
            at,
            "ERROR",
            &worker,
            &format!(
                "Task {task}[{id}] raised unexpected: OperationalError('could not connect to server: Connection refused')"
            ),
        );
    }
    if rng.chance(0.5) {
        celery(
            at,
            "INFO",
            "MainProcess",
            &format!("Task {task}[{id}] received"),
        )
    } else {
        celery(
            at,
            "INFO",
            &worker,
            &format!(
                "Task {task}[{id}] succeeded in {:.3}s: None",
                0.05 + 2.0 * rng.unit()
            ),
        )
    }
}

pub fn worker_shutdown(_ctx: &LineContext, at: Nanos, reason: StopReason) -> Vec<Line> {
    if reason == StopReason::Crashed {
        let mut lines = vec![celery(
            at,
            "CRITICAL",
            "MainProcess",
            "Unrecoverable error: ConnectionError('Error 111 connecting to redis:6379. Connection refused.')",
        )];
        lines.extend(
            [
                "Traceback (most recent call last):",
                "  File \"/usr/local/lib/python3.12/site-packages/celery/worker/worker.py\", line 202, in start",
                "    self.blueprint.start(self)",
                "  File \"/usr/local/lib/python3.12/site-packages/celery/bootsteps.py\", line 116, in start",
                "    step.start(parent)",
                "  File \"/usr/local/lib/python3.12/site-packages/celery/worker/consumer/consumer.py\", line 340, in start",
                "    blueprint.start(self)",
                "  File \"/usr/local/lib/python3.12/site-packages/redis/connection.py\", line 357, in connect",
                "    raise ConnectionError(self._error_message(e))",
                "redis.exceptions.ConnectionError: Error 111 connecting to redis:6379. Connection refused.",
            ]
            .iter()
            .map(|text| (Stderr, (*text).to_string())),
        );
        return lines;
    }
    vec![(Stdout, "worker: Warm shutdown (MainProcess)".to_string())]
}

fn stamp(at: Nanos) -> String {
    let full = timefmt::rfc3339_nano(Some(at));
    format!("[{}]", &full[..19.min(full.len())].replace('T', " "))
}

/// Named by day, so the lines written at the start and at the end of a run agree.
fn dump_file(ctx: &LineContext, at: Nanos) -> String {
    let stamp = timefmt::compact(at);
    let day = stamp.split('_').next().unwrap_or(&stamp);
    format!("/backup/{0}/{0}_{day}.sql", ctx.project)
}

pub fn backup_startup(ctx: &LineContext, at: Nanos) -> Vec<Line> {
    let project = &ctx.project;
    vec![
        (
            Stdout,
            format!("{} starting backup of {project}@db", stamp(at)),
        ),
        (Stdout, format!("{} mkdir -p /backup/{project}", stamp(at))),
        (
            Stdout,
            format!(
                "{} pg_dump -h db -U {project} -d {project} > {}",
                stamp(at),
                dump_file(ctx, at)
            ),
        ),
    ]
}

pub fn backup_line(_ctx: &LineContext, rng: &mut Rng, _at: Nanos, error: bool) -> Line {
    const TABLES: &[&str] = &[
        "customers",
        "orders",
        "order_items",
        "payments",
        "products",
        "inventory",
    ];
    let table = *rng.pick(TABLES);
    if error {
        return (
            Stderr,
            format!(
                "pg_dump: warning: there are circular foreign-key constraints on this table: {table}"
            ),
        );
    }
    (
        Stderr,
        format!("pg_dump: dumping contents of table \"public.{table}\""),
    )
}

pub fn backup_shutdown(ctx: &LineContext, at: Nanos, reason: StopReason) -> Vec<Line> {
    let file = dump_file(ctx, at);
    if reason == StopReason::Crashed {
        return vec![
            (Stderr, "pg_dump: error: connection to server at \"db\" (172.18.0.3), port 5432 failed: Connection refused".to_string()),
            (Stderr, format!("{} backup FAILED", stamp(at))),
        ];
    }
    vec![
        (Stdout, format!("{} gzip {file}", stamp(at))),
        (
            Stdout,
            format!(
                "{} removing backups older than 7 days: 1 file(s)",
                stamp(at)
            ),
        ),
        (
            Stdout,
            format!("{} Backup completed: {file}.gz (18.4 MB)", stamp(at)),
        ),
    ]
}

pub fn generic_startup(ctx: &LineContext, at: Nanos) -> Vec<Line> {
    vec![(
        Stdout,
        format!(
            "{} level=info msg=\"starting\" service={} version={}",
            timefmt::rfc3339_millis(at),
            ctx.name,
            ctx.version
        ),
    )]
}

pub fn generic_line(ctx: &LineContext, rng: &mut Rng, at: Nanos, error: bool) -> Line {
    let t = timefmt::rfc3339_millis(at);
    if error {
        return (
            Stderr,
            format!(
                "{t} level=error msg=\"request failed\" service={} error=\"context deadline exceeded\"",
                ctx.name
            ),
        );
    }
    (
        Stdout,
        format!(
            "{t} level=info msg=\"heartbeat\" service={} uptime_checks={} queue_depth={}",
            ctx.name,
            rng.int_between(1, 10_000),
            rng.below(20)
        ),
    )
}

pub fn generic_shutdown(ctx: &LineContext, at: Nanos, reason: StopReason) -> Vec<Line> {
    let t = timefmt::rfc3339_millis(at);
    if reason == StopReason::Crashed {
        return vec![(
            Stderr,
            format!(
                "{t} level=fatal msg=\"exiting\" service={} error=\"unrecoverable\"",
                ctx.name
            ),
        )];
    }
    vec![(
        Stdout,
        format!("{t} level=info msg=\"stopping\" service={}", ctx.name),
    )]
}
