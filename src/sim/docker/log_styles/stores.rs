//! PostgreSQL (the official image logs to stderr) and Redis.

use super::{Line, LineContext};
use crate::sim::common::seeded::Rng;
use crate::sim::common::time as timefmt;
use crate::sim::common::time::Nanos;
use crate::sim::docker::frames::StdStream::{Stderr, Stdout};
use crate::sim::docker::lifecycle::StopReason;

const TABLES: &[&str] = &[
    "orders",
    "order_items",
    "customers",
    "products",
    "inventory",
    "payments",
    "sessions",
];

fn pg(at: Nanos, pid: u64, level: &str, msg: &str) -> Line {
    (
        Stderr,
        format!("{} [{pid}] {level}:  {msg}", timefmt::postgres(at)),
    )
}

pub fn postgres_startup(ctx: &LineContext, at: Nanos, after: Option<StopReason>) -> Vec<Line> {
    let mut lines = vec![
        (
            Stdout,
            "PostgreSQL Database directory appears to contain a database; Skipping initialization"
                .to_string(),
        ),
        pg(
            at,
            1,
            "LOG",
            &format!(
                "starting PostgreSQL {}.8 (Debian {}.8-1.pgdg120+1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit",
                ctx.version, ctx.version
            ),
        ),
        pg(
            at,
            1,
            "LOG",
            "listening on IPv4 address \"0.0.0.0\", port 5432",
        ),
        pg(at, 1, "LOG", "listening on IPv6 address \"::\", port 5432"),
        pg(
            at,
            1,
            "LOG",
            "listening on Unix socket \"/var/run/postgresql/.s.PGSQL.5432\"",
        ),
    ];
    let last_up = timefmt::postgres(at - 30_000_000_000);
    if matches!(
        after,
        Some(StopReason::Crashed | StopReason::OomKilled | StopReason::Killed)
    ) {
        lines.extend([
            pg(at, 29, "LOG", &format!("database system was interrupted; last known up at {last_up}")),
            pg(at, 29, "LOG", "database system was not properly shut down; automatic recovery in progress"),
            pg(at, 29, "LOG", "redo starts at 0/1A2B3C8"),
            pg(at, 29, "LOG", "invalid record length at 0/1B4F2D0: expected at least 24, got 0"),
            pg(at, 29, "LOG", "redo done at 0/1B4F298 system usage: CPU: user: 0.01 s, system: 0.00 s, elapsed: 0.02 s"),
            pg(at, 27, "LOG", "checkpoint starting: end-of-recovery immediate wait"),
            pg(at, 27, "LOG", "checkpoint complete: wrote 214 buffers (1.3%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.011 s, sync=0.003 s, total=0.019 s; sync files=38, longest=0.001 s, average=0.001 s; distance=1103 kB, estimate=1103 kB"),
        ]);
    } else {
        lines.push(pg(
            at,
            29,
            "LOG",
            &format!("database system was shut down at {last_up}"),
        ));
    }
    lines.push(pg(
        at,
        1,
        "LOG",
        "database system is ready to accept connections",
    ));
    lines
}

pub fn postgres_line(_ctx: &LineContext, rng: &mut Rng, at: Nanos, error: bool) -> Line {
    let pid = rng.int_between(60, 400);
    let table = *rng.pick(TABLES);
    if error {
        return match rng.below(4) {
            0 => pg(
                at,
                pid,
                "ERROR",
                &format!("duplicate key value violates unique constraint \"{table}_pkey\""),
            ),
            1 => pg(
                at,
                pid,
                "ERROR",
                "canceling statement due to statement timeout",
            ),
            2 => pg(
                at,
                pid,
                "FATAL",
                "password authentication failed for user \"reporting\"",
            ),
            _ => pg(
                at,
                pid,
                "ERROR",
                &format!(
                    "deadlock detected DETAIL:  Process {pid} waits for ShareLock on transaction {}; blocked by process {}.",
                    rng.int_between(70_000, 90_000),
                    rng.int_between(60, 400)
                ),
            ),
        };
    }
    match rng.below(6) {
        0 => pg(at, 27, "LOG", "checkpoint starting: time"),
        1 => {
            let buffers = rng.int_between(40, 900);
            pg(
                at,
                27,
                "LOG",
                &format!(
                    "checkpoint complete: wrote {buffers} buffers ({:.1}%); 0 WAL file(s) added, 0 removed, 1 recycled; write={:.3} s, sync=0.004 s, total={:.3} s; sync files={}, longest=0.002 s, average=0.001 s; distance={} kB, estimate={} kB",
                    buffers as f64 / 163.84,
                    20.0 + 10.0 * rng.unit(),
                    30.0 + 2.0 * rng.unit(),
                    rng.int_between(10, 60),
                    rng.int_between(500, 4000),
                    rng.int_between(2000, 5000),
                ),
            )
        }
        2 => pg(
            at,
            pid,
            "LOG",
            &format!(
                "automatic vacuum of table \"shop.public.{table}\": index scans: 1 pages: 0 removed, {} remain, 0 skipped due to pins, 0 skipped frozen",
                rng.int_between(100, 9000)
            ),
        ),
        3 => pg(
            at,
            pid,
            "LOG",
            &format!(
                "automatic analyze of table \"shop.public.{table}\" system usage: CPU: user: 0.0{} s, system: 0.00 s, elapsed: 0.0{} s",
                rng.int_between(1, 9),
                rng.int_between(1, 9)
            ),
        ),
        _ => pg(
            at,
            pid,
            "LOG",
            &format!(
                "duration: {:.3} ms  statement: SELECT o.id, o.status, o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.id = {} ORDER BY o.created_at DESC LIMIT 20",
                1000.0 + 2500.0 * rng.unit(),
                rng.int_between(1000, 99_999)
            ),
        ),
    }
}

pub fn postgres_shutdown(_ctx: &LineContext, at: Nanos, reason: StopReason) -> Vec<Line> {
    if reason == StopReason::Crashed {
        return vec![
            pg(
                at,
                1,
                "LOG",
                "server process (PID 214) was terminated by signal 11: Segmentation fault",
            ),
            pg(
                at,
                1,
                "LOG",
                "terminating any other active server processes",
            ),
            pg(
                at,
                1,
                "LOG",
                "shutting down because restart_after_crash is off",
            ),
            pg(at, 1, "LOG", "database system is shut down"),
        ];
    }
    vec![
        pg(at, 1, "LOG", "received fast shutdown request"),
        pg(at, 1, "LOG", "aborting any active transactions"),
        pg(
            at,
            1,
            "LOG",
            "background worker \"logical replication launcher\" (PID 35) exited with exit code 1",
        ),
        pg(at, 27, "LOG", "shutting down"),
        pg(at, 27, "LOG", "checkpoint starting: shutdown immediate"),
        pg(at, 1, "LOG", "database system is shut down"),
    ]
}

fn redis(at: Nanos, role: &str, pid: u64, mark: char, msg: &str) -> Line {
    (
        Stdout,
        format!("{pid}:{role} {} {mark} {msg}", timefmt::redis(at)),
    )
}

pub fn redis_startup(ctx: &LineContext, at: Nanos) -> Vec<Line> {
    vec![
        redis(
            at,
            "C",
            1,
            '#',
            "WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition.",
        ),
        redis(
            at,
            "C",
            1,
            '*',
            "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
        ),
        redis(
            at,
            "C",
            1,
            '*',
            &format!(
                "Redis version={}.1, bits=64, commit=00000000, modified=0, pid=1, just started",
                ctx.version
            ),
        ),
        redis(
            at,
            "C",
            1,
            '#',
            "Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf",
        ),
        redis(at, "M", 1, '*', "monotonic clock: POSIX clock_gettime"),
        redis(at, "M", 1, '*', "Running mode=standalone, port=6379."),
        redis(at, "M", 1, '*', "Server initialized"),
        redis(
            at,
            "M",
            1,
            '*',
            &format!("Loading RDB produced by version {}.1", ctx.version),
        ),
        redis(at, "M", 1, '*', "RDB age 42 seconds"),
        redis(at, "M", 1, '*', "RDB memory usage when created 1.42 Mb"),
        redis(
            at,
            "M",
            1,
            '*',
            "Done loading RDB, keys loaded: 1873, keys expired: 12.",
        ),
        redis(at, "M", 1, '*', "DB loaded from disk: 0.011 seconds"),
        redis(at, "M", 1, '*', "Ready to accept connections tcp"),
    ]
}

pub fn redis_line(_ctx: &LineContext, rng: &mut Rng, at: Nanos, error: bool) -> Line {
    let child = rng.int_between(20, 9000);
    if error {
        return redis(
            at,
            "M",
            1,
            '#',
            &format!(
                "Background saving error: Can't save in background: fork: Cannot allocate memory (child {child})"
            ),
        );
    }
    match rng.below(5) {
        0 => redis(
            at,
            "M",
            1,
            '*',
            &format!(
                "{} changes in 300 seconds. Saving...",
                rng.int_between(10, 400)
            ),
        ),
        1 => redis(
            at,
            "M",
            1,
            '*',
            &format!("Background saving started by pid {child}"),
        ),
        2 => redis(at, "C", child, '*', "DB saved on disk"),
        3 => redis(
            at,
            "C",
            child,
            '*',
            &format!(
                "Fork CoW for RDB: current {} MB, peak {} MB, average 0 MB",
                rng.int_between(0, 2),
                rng.int_between(1, 3)
            ),
        ),
        _ => redis(at, "M", 1, '*', "Background saving terminated with success"),
    }
}

pub fn redis_shutdown(_ctx: &LineContext, at: Nanos, _reason: StopReason) -> Vec<Line> {
    vec![
        redis(
            at,
            "signal-handler",
            1,
            '#',
            "Received SIGTERM scheduling shutdown...",
        ),
        redis(at, "M", 1, '*', "User requested shutdown..."),
        redis(
            at,
            "M",
            1,
            '*',
            "Saving the final RDB snapshot before exiting.",
        ),
        redis(at, "M", 1, '*', "DB saved on disk"),
        redis(at, "M", 1, '#', "Redis is now ready to exit, bye bye..."),
    ]
}
