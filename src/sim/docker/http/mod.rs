//! The Docker Engine API over HTTP: routing (versioned `/v1.xx/…` and unversioned
//! paths), the daemon's headers and error bodies, and shared helpers for handlers.

mod containers;
mod events;
mod exec;
mod logs;
mod stats;
mod system;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::sync::{Notify, mpsc};

use super::estate::{ActionError, Estate};
use super::filters::FilterError;
use crate::sim::clock::SimClock;
use crate::sim::common::time::Nanos;

/// The API version the sim speaks; the docker CLI negotiates down to it.
pub const API_VERSION: &str = "1.41";
pub const MIN_API_VERSION: &str = "1.24";
/// The engine version it claims (the release that introduced API 1.41).
pub const ENGINE_VERSION: &str = "20.10.24";

/// Everything the handlers share.
pub struct DockerSim {
    clock: SimClock,
    estate: Mutex<Estate>,
    /// Wakes the clock task when an operation changed what is scheduled.
    pub wake: Notify,
}

impl DockerSim {
    pub fn new(clock: SimClock, estate: Estate) -> DockerSim {
        DockerSim {
            clock,
            estate: Mutex::new(estate),
            wake: Notify::new(),
        }
    }

    /// Simulated now, in Unix nanoseconds.
    pub fn now(&self) -> Nanos {
        i64::try_from(self.clock.calendar_now().as_nanosecond()).unwrap_or(Nanos::MAX)
    }

    /// Run `f` on the estate brought up to now. Never held across an `.await`.
    pub fn with<R>(&self, f: impl FnOnce(&mut Estate, Nanos) -> R) -> R {
        // A panic while holding the lock leaves consistent data (every operation
        // completes its bookkeeping before anything that could panic), so carry on.
        let mut estate = self.estate.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.now();
        estate.advance(now);
        f(&mut estate, now)
    }

    /// Real time for a span of simulated time.
    pub fn real(&self, sim: Nanos) -> Duration {
        self.clock.real_duration(sim as f64 / 1e9)
    }
}

/// An error answer: the daemon's `{"message": …}` with a status, or a bare 304.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<ActionError> for ApiError {
    fn from(error: ActionError) -> ApiError {
        let status = match &error {
            ActionError::NoSuchContainer(_) | ActionError::NoSuchExec(_) => StatusCode::NOT_FOUND,
            ActionError::NotModified => StatusCode::NOT_MODIFIED,
            ActionError::Conflict(_) => StatusCode::CONFLICT,
            ActionError::BadRequest(_) => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, error.to_string())
    }
}

impl From<FilterError> for ApiError {
    fn from(error: FilterError) -> ApiError {
        ApiError::bad_request(error.0)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::NOT_MODIFIED {
            return StatusCode::NOT_MODIFIED.into_response();
        }
        (self.status, axum::Json(json!({"message": self.message}))).into_response()
    }
}

/// The API version a request used (from its `/v1.xx` prefix).
#[derive(Debug, Clone)]
pub struct ApiVersion(pub String);

impl ApiVersion {
    /// True when this version is at least `major.minor`.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        let mut parts = self.0.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let v = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        v >= (major, minor)
    }
}

/// Strip a `/v1.41` prefix so one set of routes serves every version, remembering the
/// version for handlers whose answer depends on it.
fn strip_version(mut req: Request) -> Request {
    let path = req.uri().path();
    let version = path.strip_prefix("/v").and_then(|rest| {
        let (version, tail) = rest.split_once('/')?;
        let numeric = version
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        (numeric && version.contains('.')).then(|| (version.to_string(), format!("/{tail}")))
    });
    let (version, rewritten) = match version {
        Some((v, tail)) => {
            let target = match req.uri().query() {
                Some(q) => format!("{tail}?{q}"),
                None => tail,
            };
            (v, target.parse::<Uri>().ok())
        }
        None => (API_VERSION.to_string(), None),
    };
    if let Some(uri) = rewritten {
        *req.uri_mut() = uri;
    }
    req.extensions_mut().insert(ApiVersion(version));
    req
}

/// The headers moby's version middleware puts on every answer.
async fn daemon_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let server = format!("Docker/{ENGINE_VERSION} (linux)");
    if let Ok(value) = HeaderValue::from_str(&server) {
        headers.insert(header::SERVER, value);
    }
    headers.insert("api-version", HeaderValue::from_static(API_VERSION));
    headers.insert("ostype", HeaderValue::from_static("linux"));
    headers.insert("docker-experimental", HeaderValue::from_static("false"));
    response
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "page not found")
}

/// The routes behind the rewrite that strips `/v1.xx`.
pub type VersionedRouter = tower::util::MapRequest<Router, fn(Request) -> Request>;

/// The API's routes over `sim`, ready to serve.
pub fn service(sim: Arc<DockerSim>) -> axum::routing::IntoMakeService<VersionedRouter> {
    let router = Router::new()
        .route("/_ping", get(system::ping))
        .route("/version", get(system::version))
        .route("/info", get(system::info))
        .route("/containers/json", get(containers::list))
        .route("/containers/{id}/json", get(containers::inspect))
        .route("/containers/{id}/logs", get(logs::logs))
        .route("/containers/{id}/stats", get(stats::stats))
        .route("/containers/{id}/start", post(containers::start))
        .route("/containers/{id}/stop", post(containers::stop))
        .route("/containers/{id}/restart", post(containers::restart))
        .route("/containers/{id}/kill", post(containers::kill))
        .route("/containers/{id}/pause", post(containers::pause))
        .route("/containers/{id}/unpause", post(containers::unpause))
        .route("/containers/{id}/resize", post(containers::resize))
        .route("/containers/{id}/exec", post(exec::create))
        .route("/exec/{id}/start", post(exec::start))
        .route("/exec/{id}/json", get(exec::inspect))
        .route("/exec/{id}/resize", post(containers::resize))
        .route("/events", get(events::events))
        .fallback(not_found)
        .layer(axum::middleware::map_response(daemon_headers))
        .with_state(sim);
    let rewrite: fn(Request) -> Request = strip_version;
    let service = tower::Layer::layer(&tower::util::MapRequestLayer::new(rewrite), router);
    axum::ServiceExt::<Request>::into_make_service(service)
}

/// Query parameters, last value wins.
pub type Query = axum::extract::Query<HashMap<String, String>>;

/// moby's `BoolValue`: anything but empty, 0, no, false, none is true.
pub fn flag(q: &HashMap<String, String>, key: &str) -> bool {
    q.get(key).is_some_and(|v| {
        let v = v.trim().to_ascii_lowercase();
        !matches!(v.as_str(), "" | "0" | "no" | "false" | "none")
    })
}

/// moby's `BoolValueOrDefault`: the default when the key is absent.
pub fn flag_or(q: &HashMap<String, String>, key: &str, default: bool) -> bool {
    if q.contains_key(key) {
        flag(q, key)
    } else {
        default
    }
}

/// A response body fed from a channel, for streams (logs, stats, events, exec).
pub fn channel_body(capacity: usize) -> (mpsc::Sender<Bytes>, Body) {
    let (tx, rx) = mpsc::channel::<Bytes>(capacity);
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<Bytes, Infallible>(chunk), rx))
    });
    (tx, Body::from_stream(stream))
}

/// A JSON answer with the given status.
pub fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    (status, axum::Json(value)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_stripped_and_remembered() {
        let req = Request::builder()
            .uri("/v1.41/containers/json?all=1")
            .body(Body::empty())
            .unwrap();
        let req = strip_version(req);
        assert_eq!(req.uri().path(), "/containers/json");
        assert_eq!(req.uri().query(), Some("all=1"));
        let version = req.extensions().get::<ApiVersion>().unwrap();
        assert_eq!(version.0, "1.41");
        assert!(version.at_least(1, 41));
        assert!(!version.at_least(1, 42));

        let plain = strip_version(
            Request::builder()
                .uri("/_ping")
                .body(Body::empty())
                .unwrap(),
        );
        assert_eq!(plain.uri().path(), "/_ping");
        let named = strip_version(
            Request::builder()
                .uri("/volumes/v1/json")
                .body(Body::empty())
                .unwrap(),
        );
        assert_eq!(
            named.uri().path(),
            "/volumes/v1/json",
            "only numeric versions"
        );
    }

    #[test]
    fn flags_read_as_moby_reads_them() {
        let q: HashMap<String, String> = [("a", "1"), ("b", "false"), ("c", "True"), ("d", "")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert!(flag(&q, "a"));
        assert!(!flag(&q, "b"));
        assert!(flag(&q, "c"));
        assert!(!flag(&q, "d"));
        assert!(!flag(&q, "missing"));
        assert!(flag_or(&q, "missing", true));
        assert!(!flag_or(&q, "b", true));
    }
}
