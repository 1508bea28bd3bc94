//! nginx, a JSON-logging HTTP API, and Grafana.

use super::{Line, LineContext, client_ip, path, request_id};
use crate::sim::common::seeded::Rng;
use crate::sim::common::time as timefmt;
use crate::sim::common::time::Nanos;
use crate::sim::docker::frames::StdStream::{Stderr, Stdout};
use crate::sim::docker::lifecycle::StopReason;

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "kube-probe/1.32",
    "curl/8.5.0",
    "Prometheus/2.55.1",
];

const METHODS: &[&str] = &["GET", "GET", "GET", "GET", "POST", "PUT", "DELETE"];

pub fn nginx_startup(_ctx: &LineContext, at: Nanos) -> Vec<Line> {
    let t = timefmt::nginx_error(at);
    vec![
        (Stdout, "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration".into()),
        (Stdout, "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/".into()),
        (Stdout, "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh".into()),
        (Stdout, "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf".into()),
        (Stdout, "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh".into()),
        (Stdout, "/docker-entrypoint.sh: Configuration complete; ready for start up".into()),
        (Stderr, format!("{t} [notice] 1#1: using the \"epoll\" event method")),
        (Stderr, format!("{t} [notice] 1#1: nginx/1.27.2")),
        (Stderr, format!("{t} [notice] 1#1: built by gcc 13.2.1 20240309 (Alpine 13.2.1_git20240309)")),
        (Stderr, format!("{t} [notice] 1#1: OS: Linux 6.1.0-28-amd64")),
        (Stderr, format!("{t} [notice] 1#1: start worker processes")),
        (Stderr, format!("{t} [notice] 1#1: start worker process 29")),
        (Stderr, format!("{t} [notice] 1#1: start worker process 30")),
    ]
}

pub fn nginx_line(_ctx: &LineContext, rng: &mut Rng, at: Nanos, error: bool) -> Line {
    let method = *rng.pick(METHODS);
    let request_path = path(rng);
    if error && rng.chance(0.4) {
        let conn = rng.int_between(100, 99_999);
        let upstream = rng.int_between(2, 9);
        return (
            Stderr,
            format!(
                "{} [error] 29#29: *{conn} connect() failed (111: Connection refused) while connecting to upstream, client: {}, server: shop.example.com, request: \"{method} {request_path} HTTP/1.1\", upstream: \"http://172.18.0.{upstream}:8000{request_path}\", host: \"shop.example.com\"",
                timefmt::nginx_error(at),
                client_ip(rng),
            ),
        );
    }
    let status = if error {
        *rng.pick(&[502, 502, 504, 500, 503])
    } else {
        *rng.pick(&[200, 200, 200, 200, 200, 200, 304, 301, 404, 201])
    };
    let bytes = match status {
        304 => 0,
        502..=504 => 157,
        _ => rng.int_between(180, 48_000),
    };
    let referer = if rng.chance(0.5) {
        "https://shop.example.com/".to_string()
    } else {
        "-".to_string()
    };
    (
        Stdout,
        format!(
            "{} - - [{}] \"{method} {request_path} HTTP/1.1\" {status} {bytes} \"{referer}\" \"{}\" \"-\"",
            client_ip(rng),
            timefmt::nginx_access(at),
            rng.pick(AGENTS),
        ),
    )
}

pub fn nginx_shutdown(_ctx: &LineContext, at: Nanos, _reason: StopReason) -> Vec<Line> {
    let t = timefmt::nginx_error(at);
    vec![
        (
            Stderr,
            format!("{t} [notice] 1#1: signal 3 (SIGQUIT) received, shutting down"),
        ),
        (
            Stderr,
            format!("{t} [notice] 29#29: gracefully shutting down"),
        ),
        (Stderr, format!("{t} [notice] 29#29: exiting")),
        (Stderr, format!("{t} [notice] 29#29: exit")),
        (
            Stderr,
            format!("{t} [notice] 1#1: signal 17 (SIGCHLD) received from 29"),
        ),
        (
            Stderr,
            format!("{t} [notice] 1#1: worker process 29 exited with code 0"),
        ),
        (Stderr, format!("{t} [notice] 1#1: exit")),
    ]
}

fn json_line(at: Nanos, level: &str, fields: &str) -> String {
    format!(
        "{{\"ts\":\"{}\",\"level\":\"{level}\",\"logger\":\"shop.api\",{fields}}}",
        timefmt::rfc3339_millis(at)
    )
}

pub fn app_startup(ctx: &LineContext, at: Nanos) -> Vec<Line> {
    vec![
        (
            Stdout,
            json_line(
                at,
                "info",
                &format!(
                    "\"msg\":\"starting shop-api\",\"version\":\"{}\",\"workers\":4,\"pid\":1",
                    ctx.version
                ),
            ),
        ),
        (
            Stdout,
            json_line(
                at,
                "info",
                "\"msg\":\"connected to postgres\",\"host\":\"db\",\"database\":\"shop\",\"pool_size\":10",
            ),
        ),
        (
            Stdout,
            json_line(
                at,
                "info",
                "\"msg\":\"connected to redis\",\"url\":\"redis://redis:6379/0\"",
            ),
        ),
        (
            Stdout,
            json_line(
                at,
                "info",
                "\"msg\":\"listening\",\"addr\":\"0.0.0.0:8000\"",
            ),
        ),
    ]
}

pub fn app_line(_ctx: &LineContext, rng: &mut Rng, at: Nanos, error: bool) -> Line {
    let method = *rng.pick(METHODS);
    let request_path = path(rng);
    let id = request_id(rng);
    if error {
        let (msg, err) = *rng.pick(&[
            (
                "database query failed",
                "connection to server at \\\"db\\\" (172.18.0.3), port 5432 failed: Connection refused",
            ),
            (
                "database query failed",
                "canceling statement due to statement timeout",
            ),
            (
                "cache unavailable",
                "Error 111 connecting to redis:6379. Connection refused.",
            ),
            (
                "payment provider error",
                "upstream returned 503 Service Unavailable",
            ),
        ]);
        let ms = 30.0 + 4970.0 * rng.unit();
        return (
            Stderr,
            json_line(
                at,
                "error",
                &format!(
                    "\"msg\":\"{msg}\",\"error\":\"{err}\",\"method\":\"{method}\",\"path\":\"{request_path}\",\"status\":500,\"duration_ms\":{ms:.1},\"request_id\":\"{id}\""
                ),
            ),
        );
    }
    if rng.chance(0.04) {
        let ms = 800.0 + 2200.0 * rng.unit();
        return (
            Stderr,
            json_line(
                at,
                "warning",
                &format!(
                    "\"msg\":\"slow request\",\"method\":\"{method}\",\"path\":\"{request_path}\",\"duration_ms\":{ms:.1},\"request_id\":\"{id}\""
                ),
            ),
        );
    }
    let status = *rng.pick(&[200, 200, 200, 200, 201, 204, 404, 401]);
    let ms = 2.0 + 60.0 * rng.unit() * rng.unit();
    (
        Stdout,
        json_line(
            at,
            "info",
            &format!(
                "\"msg\":\"request completed\",\"method\":\"{method}\",\"path\":\"{request_path}\",\"status\":{status},\"duration_ms\":{ms:.1},\"request_id\":\"{id}\""
            ),
        ),
    )
}

pub fn app_shutdown(_ctx: &LineContext, at: Nanos, reason: StopReason) -> Vec<Line> {
    if reason == StopReason::Crashed {
        return vec![(
            Stderr,
            json_line(
                at,
                "critical",
                "\"msg\":\"unhandled exception in worker process\",\"error\":\"OperationalError: server closed the connection unexpectedly\",\"exit_code\":1",
            ),
        )];
    }
    vec![
        (
            Stdout,
            json_line(
                at,
                "info",
                "\"msg\":\"shutting down\",\"signal\":\"SIGTERM\"",
            ),
        ),
        (
            Stdout,
            json_line(
                at,
                "info",
                "\"msg\":\"waiting for in-flight requests\",\"count\":0",
            ),
        ),
        (Stdout, json_line(at, "info", "\"msg\":\"stopped\"")),
    ]
}

pub fn grafana_startup(ctx: &LineContext, at: Nanos) -> Vec<Line> {
    let t = timefmt::rfc3339_fixed(at);
    vec![
        (
            Stdout,
            format!(
                "logger=settings t={t} level=info msg=\"Starting Grafana\" version={} commit=2a88694fd3ced0335bf3726cc5d0adc2d1858855 branch=HEAD compiled={t}",
                ctx.version
            ),
        ),
        (
            Stdout,
            format!(
                "logger=settings t={t} level=info msg=\"Config loaded from\" file=/usr/share/grafana/conf/defaults.ini"
            ),
        ),
        (
            Stdout,
            format!("logger=sqlstore t={t} level=info msg=\"Connecting to DB\" dbtype=sqlite3"),
        ),
        (
            Stdout,
            format!(
                "logger=migrator t={t} level=info msg=\"migrations completed\" performed=0 skipped=594 duration=1.027ms"
            ),
        ),
        (
            Stdout,
            format!(
                "logger=http.server t={t} level=info msg=\"HTTP Server Listen\" address=[::]:3000 protocol=http subUrl= socket="
            ),
        ),
    ]
}

pub fn grafana_line(_ctx: &LineContext, rng: &mut Rng, at: Nanos, error: bool) -> Line {
    let t = timefmt::rfc3339_fixed(at);
    if error {
        return (
            Stdout,
            format!(
                "logger=tsdb.prometheus endpoint=queryData pluginId=prometheus dsName=prometheus dsUID=P1809F7CD0C75ACF3 uname=admin fromAlert=true t={t} level=error msg=\"Error received from Prometheus\" error=\"Post \\\"http://prometheus:9090/api/v1/query_range\\\": dial tcp 172.18.0.7:9090: connect: connection refused\""
            ),
        );
    }
    match rng.below(4) {
        0 => (
            Stdout,
            format!(
                "logger=cleanup t={t} level=info msg=\"Completed cleanup jobs\" duration={:.2}ms",
                5.0 + 20.0 * rng.unit()
            ),
        ),
        1 => (
            Stdout,
            format!(
                "logger=infra.usagestats t={t} level=info msg=\"Usage stats are ready to report\""
            ),
        ),
        _ => {
            let api = *rng.pick(&[
                "/api/ds/query",
                "/api/dashboards/uid/shop-overview",
                "/api/live/ws",
                "/api/search",
            ]);
            (
                Stdout,
                format!(
                    "logger=context userId=1 orgId=1 uname=admin t={t} level=info msg=\"Request Completed\" method=GET path={api} status=200 remote_addr={} time_ms={} duration={:.3}ms size={} referer= handler={api} status_source=server",
                    client_ip(rng),
                    rng.int_between(1, 90),
                    1.0 + 80.0 * rng.unit(),
                    rng.int_between(0, 12_000),
                ),
            )
        }
    }
}

pub fn grafana_shutdown(_ctx: &LineContext, at: Nanos, _reason: StopReason) -> Vec<Line> {
    let t = timefmt::rfc3339_fixed(at);
    vec![
        (
            Stdout,
            format!(
                "logger=server t={t} level=info msg=\"Shutdown started\" reason=\"System signal: terminated\""
            ),
        ),
        (
            Stdout,
            format!("logger=server t={t} level=info msg=\"stopped\" reason=\"context canceled\""),
        ),
    ]
}
