//! The text of log lines, per style: nginx access lines, JSON application lines with
//! levels and stack traces, a Python worker's lines with tracebacks, PostgreSQL with
//! slow queries and checkpoints, Redis, a backup job's progress, logfmt agents.

use jiff::Timestamp;

use crate::sim::common::seeded::Rng;
use crate::sim::common::time as timefmt;
use crate::sim::kube::scenario::LogStyle;

/// What a line depends on besides its index.
pub struct LineContext<'a> {
    pub style: LogStyle,
    pub pod: &'a str,
    /// The chance this line reports a failure (dependency down: it climbs).
    pub error_rate: f64,
    /// Where this line falls in a Job's run, 0–1 (backup progress).
    pub progress: f64,
    /// The first line of the run, and the last of a completed one.
    pub first: bool,
    pub last: bool,
    /// The container is about to die: `Some(reason)` for its last lines.
    pub dying: Option<&'a str>,
}

fn pick<'a>(r: &mut Rng, items: &[&'a str]) -> &'a str {
    items[(r.next_u64() % items.len() as u64) as usize]
}

/// The first lines a container prints when it starts.
pub fn startup(style: LogStyle, i: u64, ts: Timestamp) -> Option<String> {
    let iso = timefmt::rfc3339_millis(ts);
    let lines: &[&str] = match style {
        LogStyle::Postgres => &[
            "LOG:  starting PostgreSQL 16.4 (Debian 16.4-1.pgdg120+2) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit",
            "LOG:  listening on IPv4 address \"0.0.0.0\", port 5432",
            "LOG:  database system was shut down at 2026-11-21 03:12:44 UTC",
            "LOG:  database system is ready to accept connections",
        ],
        LogStyle::Redis => &[
            "# oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
            "# Redis version=7.4.1, bits=64, commit=00000000, modified=0, pid=1, just started",
            "* Server initialized",
            "* Ready to accept connections tcp",
        ],
        LogStyle::HttpAccess => &[
            "/docker-entrypoint.sh: Configuration complete; ready for start up",
            "nginx: [notice] using the \"epoll\" event method",
            "nginx: [notice] start worker processes",
        ],
        LogStyle::JsonApp => &[
            r#""level":"info","logger":"main","msg":"starting service","version":"1.8.3","go":"go1.23.4""#,
            r#""level":"info","logger":"db","msg":"connection pool ready","max_conns":20"#,
            r#""level":"info","logger":"http","msg":"listening","addr":":8080""#,
        ],
        LogStyle::Worker => &[
            "INFO [celery.worker] Connected to redis://redis:6379/0",
            "INFO [celery.worker] mingle: all alone",
            "INFO [celery.worker] celery@worker ready.",
        ],
        LogStyle::Logfmt => &[
            "level=info msg=\"Starting agent\" version=2.54.1",
            "level=info msg=\"Listening on\" address=[::]:9100",
        ],
        LogStyle::Backup => return None,
    };
    let line = lines.get(i as usize)?;
    Some(match style {
        LogStyle::Postgres => format!("{} [1] {line}", timefmt::postgres(ts)),
        LogStyle::Redis => format!("1:M {} {line}", timefmt::redis(ts)),
        LogStyle::JsonApp => format!("{{\"ts\":\"{iso}\",{line}}}"),
        LogStyle::Worker => format!("{} {line}", timefmt::python(ts)),
        LogStyle::Logfmt => format!("ts={iso} {line}"),
        _ => line.to_string(),
    })
}

/// Line `i` of a container (after its startup lines).
pub fn line(ctx: &LineContext, r: &mut Rng, ts: Timestamp) -> String {
    let failing = r.unit() < ctx.error_rate;
    if let Some(reason) = ctx.dying {
        return dying(ctx.style, reason, r, ts);
    }
    match ctx.style {
        LogStyle::HttpAccess => access(r, ts, failing),
        LogStyle::JsonApp => json_app(ctx, r, ts, failing),
        LogStyle::Worker => worker(r, ts, failing),
        LogStyle::Postgres => postgres(r, ts, failing),
        LogStyle::Redis => redis(r, ts),
        LogStyle::Backup => backup(ctx, r, ts),
        LogStyle::Logfmt => logfmt(r, ts, failing),
    }
}

fn access(r: &mut Rng, ts: Timestamp, failing: bool) -> String {
    let paths = [
        "/",
        "/products",
        "/products/4711",
        "/cart",
        "/checkout",
        "/api/v1/search?q=lamp",
        "/static/app.3f9c.js",
        "/static/main.css",
        "/healthz",
        "/account/orders",
    ];
    let agents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "kube-probe/1.32",
        "curl/8.5.0",
    ];
    let method = if r.unit() < 0.85 { "GET" } else { "POST" };
    let status = if failing {
        pick(r, &["502", "503", "504"]).parse().unwrap_or(502)
    } else if r.unit() < 0.03 {
        404
    } else if method == "POST" {
        201
    } else {
        200
    };
    let bytes = if status >= 500 {
        157
    } else {
        r.range(200, 48_000)
    };
    let secs = if failing {
        r.between(1.0, 30.0)
    } else {
        r.between(0.001, 0.25)
    };
    format!(
        "10.244.{}.{} - - [{}] \"{method} {} HTTP/1.1\" {status} {bytes} \"-\" \"{}\" {secs:.3}",
        r.range(0, 4),
        r.range(2, 250),
        timefmt::nginx_access(ts),
        pick(r, &paths),
        pick(r, &agents)
    )
}

fn request_id(r: &mut Rng) -> String {
    r.hex(1)
}

fn json_app(ctx: &LineContext, r: &mut Rng, ts: Timestamp, failing: bool) -> String {
    let iso = timefmt::rfc3339_millis(ts);
    let id = request_id(r);
    if failing {
        let errors = [
            "dial tcp 10.96.41.7:5432: connect: connection refused",
            "pq: the database system is starting up",
            "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            "pq: sorry, too many clients already",
        ];
        let error = pick(r, &errors);
        if r.unit() < 0.2 {
            return format!(
                "{{\"ts\":\"{iso}\",\"level\":\"error\",\"logger\":\"api.orders\",\"msg\":\"unhandled error\",\"request_id\":\"{id}\",\"error\":\"{error}\",\"stack\":\"goroutine 1423 [running]:\\nshop/api/orders.(*Repo).Create(0xc0001a2000, {{0x1c4e2a0, 0xc000512000}})\\n\\t/src/orders/repo.go:88 +0x1f4\\nshop/api/orders.(*Handler).Post(0xc00012e060, {{0x1c4a1c0, 0xc0004a6000}}, 0xc0004c2100)\\n\\t/src/orders/handler.go:51 +0x2a5\\nnet/http.HandlerFunc.ServeHTTP(...)\\n\\t/usr/local/go/src/net/http/server.go:2220\"}}"
            );
        }
        return format!(
            "{{\"ts\":\"{iso}\",\"level\":\"error\",\"logger\":\"db\",\"msg\":\"query failed\",\"request_id\":\"{id}\",\"error\":\"{error}\",\"retry\":{}}}",
            r.range(0, 4)
        );
    }
    let paths = [
        "/v1/orders",
        "/v1/orders/8812",
        "/v1/cart",
        "/v1/products",
        "/v1/payments/authorize",
        "/v1/users/me",
    ];
    let path = pick(r, &paths);
    let ms = r.between(1.5, 120.0);
    if r.unit() < 0.02 {
        return format!(
            "{{\"ts\":\"{iso}\",\"level\":\"warn\",\"logger\":\"http\",\"msg\":\"slow request\",\"path\":\"{path}\",\"duration_ms\":{:.1},\"request_id\":\"{id}\"}}",
            ms * 20.0
        );
    }
    if r.unit() < 0.05 {
        return format!(
            "{{\"ts\":\"{iso}\",\"level\":\"debug\",\"logger\":\"cache\",\"msg\":\"cache miss\",\"key\":\"product:{}\"}}",
            r.range(1000, 9999)
        );
    }
    let method = if path.contains("authorize") || path == "/v1/orders" {
        "POST"
    } else {
        "GET"
    };
    format!(
        "{{\"ts\":\"{iso}\",\"level\":\"info\",\"logger\":\"http\",\"msg\":\"request completed\",\"method\":\"{method}\",\"path\":\"{path}\",\"status\":200,\"duration_ms\":{ms:.1},\"request_id\":\"{id}\",\"pod\":\"{}\"}}",
        ctx.pod
    )
}

fn worker(r: &mut Rng, ts: Timestamp, failing: bool) -> String {
    let stamp = timefmt::python(ts);
    let tasks = [
        "orders.send_confirmation",
        "inventory.sync",
        "payments.reconcile",
        "emails.digest",
        "search.reindex_product",
    ];
    let task = pick(r, &tasks);
    let id = &request_id(r)[..8];
    if failing || r.unit() < 0.004 {
        return format!(
            "{stamp} ERROR [celery.app.trace] Task {task}[{id}] raised unexpected: OperationalError('could not connect to server: Connection refused')\nTraceback (most recent call last):\n  File \"/usr/local/lib/python3.12/site-packages/celery/app/trace.py\", line 453, in trace_task\n    R = retval = fun(*args, **kwargs)\n  File \"/app/tasks/{}.py\", line 42, in run\n    rows = db.fetch_pending(limit=100)\n  File \"/app/db.py\", line 17, in fetch_pending\n    with pool.connection() as conn:\npsycopg.OperationalError: could not connect to server: Connection refused",
            task.split('.').next().unwrap_or("tasks")
        );
    }
    format!(
        "{stamp} INFO [celery.app.trace] Task {task}[{id}] succeeded in {:.3}s: None",
        r.between(0.01, 4.0)
    )
}

fn postgres(r: &mut Rng, ts: Timestamp, failing: bool) -> String {
    let stamp = timefmt::postgres(ts);
    let pid = r.range(100, 9000);
    let roll = r.unit();
    if failing {
        return format!(
            "{stamp} [{pid}] FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute"
        );
    }
    if roll < 0.25 {
        let queries = [
            "SELECT o.id, o.total, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.created_at > now() - interval '30 days' ORDER BY o.created_at DESC",
            "UPDATE inventory SET reserved = reserved + 1 WHERE sku = 'LAMP-042' AND reserved < stock",
            "SELECT count(*) FROM events WHERE payload @> '{\"type\":\"checkout\"}'",
            "DELETE FROM sessions WHERE expires_at < now()",
        ];
        return format!(
            "{stamp} [{pid}] LOG:  duration: {:.3} ms  statement: {}",
            r.between(1000.0, 9000.0),
            pick(r, &queries)
        );
    }
    if roll < 0.3 {
        return format!(
            "{stamp} [{pid}] LOG:  checkpoint complete: wrote {} buffers ({:.1}%); 0 WAL file(s) added, 0 removed, 1 recycled; write={:.3} s, sync={:.3} s, total={:.3} s",
            r.range(100, 5000),
            r.between(0.5, 9.0),
            r.between(1.0, 30.0),
            r.between(0.001, 0.1),
            r.between(1.0, 30.0)
        );
    }
    if roll < 0.33 {
        return format!(
            "{stamp} [{pid}] ERROR:  duplicate key value violates unique constraint \"orders_idempotency_key\"\n{stamp} [{pid}] DETAIL:  Key (idempotency_key)=({}) already exists.",
            request_id(r)
        );
    }
    if roll < 0.66 {
        return format!(
            "{stamp} [{pid}] LOG:  connection received: host=10.244.{}.{} port={}",
            r.range(0, 4),
            r.range(2, 250),
            r.range(30000, 60000)
        );
    }
    format!(
        "{stamp} [{pid}] LOG:  connection authorized: user=shop database=shop application_name=api"
    )
}

fn redis(r: &mut Rng, ts: Timestamp) -> String {
    let stamp = timefmt::redis(ts);
    match r.range(0, 4) {
        0 => format!(
            "1:M {stamp} * {} changes in 60 seconds. Saving...",
            r.range(1000, 20000)
        ),
        1 => format!(
            "1:M {stamp} * Background saving started by pid {}",
            r.range(100, 9999)
        ),
        2 => format!("{}:C {stamp} * DB saved on disk", r.range(100, 9999)),
        _ => format!("1:M {stamp} * Background saving terminated with success"),
    }
}

fn backup(ctx: &LineContext, r: &mut Rng, ts: Timestamp) -> String {
    let stamp = timefmt::rfc3339_secs(ts);
    let day = timefmt::date(ts);
    let redis = ctx.pod.contains("redis");
    let percent = ctx.progress * 100.0;
    if redis {
        return if ctx.first {
            format!("{stamp} redis-backup: BGSAVE requested on redis:6379 (incremental, hourly)")
        } else if ctx.last {
            format!("{stamp} redis-backup: done; kept 168 hourly snapshots (7 days), pruned 1")
        } else if ctx.progress < 0.6 {
            format!("{stamp} redis-backup: waiting for background save... {percent:.0}%")
        } else {
            format!(
                "{stamp} redis-backup: copying dump.rdb to s3://shop-backups/redis/{day}/ ({percent:.0}%)"
            )
        };
    }
    let tables = [
        "public.orders",
        "public.order_items",
        "public.customers",
        "public.products",
        "public.inventory",
        "public.payments",
        "public.sessions",
    ];
    if ctx.first {
        format!(
            "{stamp} backup: starting full backup of database \"shop\" to s3://shop-backups/postgres/{day}/"
        )
    } else if ctx.last {
        format!(
            "{stamp} backup: pruned backups older than 7 days (removed 1); done in {}s",
            r.range(180, 300)
        )
    } else if ctx.progress < 0.7 {
        format!(
            "{stamp} pg_dump: dumping contents of table \"{}\"",
            pick(r, &tables)
        )
    } else if ctx.progress < 0.8 {
        format!(
            "{stamp} backup: compressing dump ({:.2} GiB so far)",
            r.between(1.5, 2.2)
        )
    } else {
        format!("{stamp} backup: uploading full_backup_{day}.sql.gz ({percent:.0}%)")
    }
}

fn logfmt(r: &mut Rng, ts: Timestamp, failing: bool) -> String {
    let iso = timefmt::rfc3339_millis(ts);
    if failing {
        return format!(
            "ts={iso} level=warn component=scrape msg=\"Scrape failed\" target=http://api:8080/metrics err=\"context deadline exceeded\""
        );
    }
    match r.range(0, 3) {
        0 => format!(
            "ts={iso} level=info component=tsdb msg=\"Head GC completed\" duration={}ms",
            r.range(5, 90)
        ),
        1 => format!(
            "ts={iso} level=debug component=scrape msg=\"Scrape ok\" samples={} duration={}ms",
            r.range(200, 4000),
            r.range(3, 80)
        ),
        _ => format!(
            "ts={iso} level=info component=compactor msg=\"write block\" mint={} duration={}ms",
            ts.as_millisecond() - 7_200_000,
            r.range(100, 900)
        ),
    }
}

/// The last words of a container about to crash.
fn dying(style: LogStyle, reason: &str, r: &mut Rng, ts: Timestamp) -> String {
    let oom = reason == "OOMKilled";
    match style {
        LogStyle::Postgres if !oom => format!(
            "{} [1] PANIC:  could not locate a valid checkpoint record",
            timefmt::postgres(ts)
        ),
        LogStyle::Postgres => format!(
            "{} [{}] LOG:  server process (PID {}) was terminated by signal 9: Killed",
            timefmt::postgres(ts),
            1,
            r.range(100, 9000)
        ),
        LogStyle::JsonApp if oom => format!(
            "{{\"ts\":\"{}\",\"level\":\"warn\",\"logger\":\"runtime\",\"msg\":\"heap usage high\",\"heap_mb\":{}}}",
            timefmt::rfc3339_millis(ts),
            r.range(900, 1020)
        ),
        LogStyle::JsonApp => format!(
            "{{\"ts\":\"{}\",\"level\":\"fatal\",\"logger\":\"main\",\"msg\":\"cannot start: database unreachable after 5 attempts\",\"error\":\"dial tcp 10.96.41.7:5432: connect: connection refused\"}}",
            timefmt::rfc3339_millis(ts)
        ),
        _ if oom => "fatal error: runtime: out of memory".to_string(),
        _ => format!(
            "{} FATAL: unrecoverable error, exiting with status 1",
            timefmt::rfc3339_secs(ts)
        ),
    }
}
