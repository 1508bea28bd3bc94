//! What containers print, in the house style of the program each imitates.
//!
//! Every function here is pure: a line is decided by the random generator it is handed
//! (seeded from the container and the line's slot) and the instant it is written, so any
//! line can be regenerated on demand and history costs no memory.

mod jobs;
mod stores;
mod web;

use super::frames::StdStream;
use super::lifecycle::StopReason;
use super::scenario::LogStyle;
use crate::sim::common::seeded::Rng;
use crate::sim::common::time::Nanos;

/// What a line may mention about the container that writes it.
#[derive(Debug, Clone)]
pub struct LineContext {
    /// The container's name without the leading slash.
    pub name: String,
    /// The first 12 hex digits of the id: the hostname inside the container.
    pub hostname: String,
    /// The image's tag (`1.27-alpine`), for version banners.
    pub version: String,
    /// The Compose project, or the name.
    pub project: String,
}

pub type Line = (StdStream, String);

/// Lines printed when the process starts. `after` says how the previous run ended.
pub fn startup(
    style: LogStyle,
    ctx: &LineContext,
    at: Nanos,
    after: Option<StopReason>,
) -> Vec<Line> {
    match style {
        LogStyle::Nginx => web::nginx_startup(ctx, at),
        LogStyle::App => web::app_startup(ctx, at),
        LogStyle::Grafana => web::grafana_startup(ctx, at),
        LogStyle::Postgres => stores::postgres_startup(ctx, at, after),
        LogStyle::Redis => stores::redis_startup(ctx, at),
        LogStyle::Worker => jobs::worker_startup(ctx, at),
        LogStyle::Backup => jobs::backup_startup(ctx, at),
        LogStyle::Generic => jobs::generic_startup(ctx, at),
        LogStyle::Quiet => Vec::new(),
    }
}

/// One line of steady work; `error` asks for a failure of the kind this program reports.
pub fn steady(style: LogStyle, ctx: &LineContext, rng: &mut Rng, at: Nanos, error: bool) -> Line {
    match style {
        LogStyle::Nginx => web::nginx_line(ctx, rng, at, error),
        LogStyle::App => web::app_line(ctx, rng, at, error),
        LogStyle::Grafana => web::grafana_line(ctx, rng, at, error),
        LogStyle::Postgres => stores::postgres_line(ctx, rng, at, error),
        LogStyle::Redis => stores::redis_line(ctx, rng, at, error),
        LogStyle::Worker => jobs::worker_line(ctx, rng, at, error),
        LogStyle::Backup => jobs::backup_line(ctx, rng, at, error),
        LogStyle::Generic | LogStyle::Quiet => jobs::generic_line(ctx, rng, at, error),
    }
}

/// Last words when the process ends for `reason` (nothing when the kernel kills it).
pub fn shutdown(style: LogStyle, ctx: &LineContext, at: Nanos, reason: StopReason) -> Vec<Line> {
    if matches!(
        reason,
        StopReason::Paused | StopReason::OomKilled | StopReason::Killed
    ) {
        return Vec::new();
    }
    match style {
        LogStyle::Nginx => web::nginx_shutdown(ctx, at, reason),
        LogStyle::App => web::app_shutdown(ctx, at, reason),
        LogStyle::Grafana => web::grafana_shutdown(ctx, at, reason),
        LogStyle::Postgres => stores::postgres_shutdown(ctx, at, reason),
        LogStyle::Redis => stores::redis_shutdown(ctx, at, reason),
        LogStyle::Worker => jobs::worker_shutdown(ctx, at, reason),
        LogStyle::Backup => jobs::backup_shutdown(ctx, at, reason),
        LogStyle::Generic => jobs::generic_shutdown(ctx, at, reason),
        LogStyle::Quiet => Vec::new(),
    }
}

/// Shared vocabulary: request paths of the shop.
pub(crate) const PATHS: &[&str] = &[
    "/",
    "/api/products",
    "/api/products/{id}",
    "/api/cart",
    "/api/orders",
    "/api/orders/{id}",
    "/api/customers/{id}",
    "/api/search?q=lamp",
    "/static/js/app.3f9c2e.js",
    "/static/css/main.81a4d0.css",
    "/healthz",
];

/// A request path with any `{id}` filled in.
pub(crate) fn path(rng: &mut Rng) -> String {
    let template = *rng.pick(PATHS);
    template.replace("{id}", &rng.int_between(1000, 99_999).to_string())
}

/// A client address inside the Compose network or from the load balancer.
pub(crate) fn client_ip(rng: &mut Rng) -> String {
    if rng.chance(0.7) {
        format!("10.0.{}.{}", rng.int_between(1, 4), rng.int_between(2, 250))
    } else {
        format!("172.18.0.{}", rng.int_between(2, 9))
    }
}

/// A request id such as application middleware adds.
pub(crate) fn request_id(rng: &mut Rng) -> String {
    format!("{:012x}", rng.next_u64() & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLES: [LogStyle; 9] = [
        LogStyle::Nginx,
        LogStyle::App,
        LogStyle::Postgres,
        LogStyle::Redis,
        LogStyle::Worker,
        LogStyle::Grafana,
        LogStyle::Backup,
        LogStyle::Generic,
        LogStyle::Quiet,
    ];

    fn ctx() -> LineContext {
        LineContext {
            name: "shop-db-1".into(),
            hostname: "3f2e1d0c9b8a".into(),
            version: "15".into(),
            project: "shop".into(),
        }
    }

    #[test]
    fn every_style_writes_single_lines_deterministically() {
        let at = 1_795_371_578_123_456_789;
        for style in STYLES {
            for k in 0..200 {
                let a = steady(style, &ctx(), &mut Rng::keyed(k), at, k % 7 == 0);
                let b = steady(style, &ctx(), &mut Rng::keyed(k), at, k % 7 == 0);
                assert_eq!(a, b, "{style:?} is deterministic");
                assert!(!a.1.contains('\n'), "{style:?}: {}", a.1);
                assert!(!a.1.is_empty(), "{style:?}");
            }
            for reason in [StopReason::Stopped, StopReason::Crashed] {
                for (_, line) in shutdown(style, &ctx(), at, reason) {
                    assert!(!line.contains('\n'), "{style:?}: {line}");
                }
            }
            for (_, line) in startup(style, &ctx(), at, Some(StopReason::OomKilled)) {
                assert!(!line.contains('\n'), "{style:?}: {line}");
            }
        }
    }

    #[test]
    fn postgres_recovers_after_an_oom_kill() {
        let at = 1_795_371_578_000_000_000;
        let clean = startup(LogStyle::Postgres, &ctx(), at, Some(StopReason::Stopped));
        let after_oom = startup(LogStyle::Postgres, &ctx(), at, Some(StopReason::OomKilled));
        let text = |lines: &[Line]| {
            lines
                .iter()
                .map(|l| l.1.clone())
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(text(&after_oom).contains("automatic recovery in progress"));
        assert!(!text(&clean).contains("automatic recovery"));
    }

    #[test]
    fn nginx_access_lines_look_like_the_combined_format() {
        let at = 1_795_371_578_000_000_000;
        let (stream, line) = steady(LogStyle::Nginx, &ctx(), &mut Rng::keyed(1), at, false);
        assert_eq!(stream, StdStream::Stdout);
        assert!(line.contains("[22/Nov/2026:18:19:38 +0000] \""), "{line}");
        assert!(line.contains(" HTTP/1.1\" "), "{line}");
    }
}
