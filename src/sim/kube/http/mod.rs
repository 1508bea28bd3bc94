//! The HTTP side: one listener for every cluster (`/clusters/<name>/…`, the first also at
//! the root), users (see `auth`), API faults, then routing to discovery, reads, watches,
//! writes and subresources.

mod auth;
mod control;
pub(crate) mod discovery;
mod format;
mod metrics;
mod openapi;
mod read;
mod reply;
mod subresource;
mod target;
mod watch;
mod write;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, Request};
use axum::response::Response;
use bytes::Bytes;

pub use super::cluster::Cluster;
use super::status::ApiError;
pub use auth::{ADMIN_TOKEN, User, VIEWER_TOKEN};
pub use reply::Reply;
pub use target::Target;

/// Everything the listener serves.
pub struct Server {
    pub clusters: Vec<Arc<Cluster>>,
    /// The cluster this listener serves at its root (others under `/clusters/<name>`).
    pub home: usize,
    /// Every request on this listener is the viewer's (its kubeconfig entry points here).
    pub viewer: bool,
    /// Print each request to stderr (`PILOTHOUSE_SIM_TRACE=1`): how we learn what a
    /// client sends.
    pub trace: bool,
}

/// One request, parsed as far as every handler needs.
pub struct Ctx {
    pub cluster: Arc<Cluster>,
    pub user: User,
    pub method: Method,
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Ctx {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.param(key), Some("true" | "1"))
    }

    pub fn header(&self, key: &str) -> &str {
        self.headers
            .get(key)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// `dryRun=All`: validate and answer, but change nothing.
    pub fn dry_run(&self) -> bool {
        self.query.get("dryRun").is_some_and(|v| v == "All")
    }
}

/// Serve on `listener` until the runtime shuts down.
pub async fn serve(listener: tokio::net::TcpListener, server: Arc<Server>) {
    let app = axum::Router::new().fallback(handle).with_state(server);
    if let Err(e) = axum::serve(listener, app).await {
        tracing::warn!("simulated Kubernetes API stopped: {e}");
    }
}

/// The one handler: everything is routed by hand, because Kubernetes paths
/// (`/api/v1/namespaces/x` is a namespace, `/api/v1/namespaces/x/pods` its pods) do not
/// fit a route table well.
async fn handle(State(server): State<Arc<Server>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let full_path = parts.uri.path().to_string();
    let Some((cluster, path)) = route_cluster(&server, &full_path) else {
        return reply::error(&ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    };
    let query: HashMap<String, String> = Query::try_from_uri(&parts.uri)
        .map(|Query(q)| q)
        .unwrap_or_default();
    if server.trace {
        eprintln!(
            "sim-kube {} {} {} accept={:?} content-type={:?}",
            cluster.name,
            parts.method,
            parts.uri,
            parts.headers.get("accept"),
            parts.headers.get("content-type"),
        );
    }
    // `/as/viewer/…`: the viewer's kubeconfig entry (see `auth`).
    let (path, as_viewer) = match path.strip_prefix("/as/viewer") {
        Some("") => ("/".to_string(), true),
        Some(rest) if rest.starts_with('/') => (rest.to_string(), true),
        _ => (path, false),
    };
    if !path.starts_with("/sim/v1/") {
        cluster.requests.count(&parts.method);
    }
    match path.as_str() {
        "/version" | "/version/" => return discovery::version(),
        "/healthz" | "/livez" | "/readyz" => return reply::text(200, "ok"),
        _ => {}
    }
    let prefix = full_path[..full_path.len().saturating_sub(path.len())].to_string();
    let Some(user) = auth::authenticate(&parts.headers, as_viewer || server.viewer) else {
        return reply::error(&ApiError::unauthorized());
    };
    if let Some(rest) = path.strip_prefix("/sim/v1/") {
        let body = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        return control::handle(&cluster, &user, &parts.method, rest, &body);
    }
    // API faults act before the request is served, as a slow or failing server would.
    let now = cluster.sim_secs();
    if let Some(delay) = cluster.faults.latency(now) {
        tokio::time::sleep(delay).await;
    }
    if let Some(error) = cluster.faults.injected_error(now) {
        return reply::error(&error);
    }
    let body = match axum::body::to_bytes(body, 64 << 20).await {
        Ok(b) => b,
        Err(e) => return reply::error(&ApiError::bad_request(format!("reading body: {e}"))),
    };
    let ctx = Ctx {
        cluster,
        user,
        method: parts.method,
        query,
        headers: parts.headers,
        body,
    };
    match route(&ctx, &path, &prefix).await {
        Ok(response) => response,
        Err(error) => {
            if server.trace {
                eprintln!("sim-kube   -> {} {}", error.code, error.message);
            }
            reply::error(&error)
        }
    }
}

/// Which cluster a path is for, and the path within it.
fn route_cluster(server: &Server, path: &str) -> Option<(Arc<Cluster>, String)> {
    if let Some(rest) = path.strip_prefix("/clusters/") {
        let (name, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let cluster = server.clusters.iter().find(|c| c.name == name)?;
        return Some((cluster.clone(), format!("/{tail}")));
    }
    server
        .clusters
        .get(server.home)
        .map(|c| (c.clone(), path.to_string()))
}

async fn route(ctx: &Ctx, path: &str, prefix: &str) -> Reply {
    let trimmed = path.trim_end_matches('/');
    let serves = |group: &str| ctx.cluster.serves_group(group);
    if let Some(response) = discovery::route(trimmed, &serves) {
        return Ok(response);
    }
    if let Some(response) = openapi::route(trimmed, prefix, &serves) {
        return Ok(response);
    }
    if trimmed.starts_with("/openapi") {
        return Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    }
    let target = Target::parse(trimmed).filter(|t| serves(t.resource.group));
    let Some(target) = target else {
        return Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    };
    let verb = target.verb(&ctx.method, ctx.flag("watch"))?;
    auth::authorize(&ctx.user, verb, &target)?;
    dispatch(ctx, &target, verb).await
}

async fn dispatch(ctx: &Ctx, target: &Target, verb: &str) -> Reply {
    use super::resources::Kind;
    match target.resource.kind_id {
        Kind::SelfSubjectAccessReview | Kind::SelfSubjectRulesReview | Kind::SelfSubjectReview => {
            return auth::review(ctx, target);
        }
        Kind::PodMetrics | Kind::NodeMetrics => return metrics::serve(ctx, target, verb),
        _ => {}
    }
    match (target.sub.as_deref(), verb) {
        (Some("log"), _) => super::logs::serve_logs(ctx, target).await,
        (Some("scale"), _) => subresource::scale(ctx, target, verb),
        (Some("status") | None, "get") => read::get(ctx, target),
        (None, "list") => read::list(ctx, target),
        (None, "watch") => watch::watch(ctx, target),
        (None, "create") => write::create(ctx, target),
        (Some("status") | None, "update") => write::update(ctx, target),
        (Some("status") | None, "patch") => write::patch(ctx, target),
        (None, "delete") => write::delete(ctx, target),
        (None, "deletecollection") => write::delete_collection(ctx, target),
        _ => Err(ApiError::method_not_allowed()),
    }
}
