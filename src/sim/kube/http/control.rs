//! `/sim/v1/…`: the sim's own control API (not Kubernetes). Tests and demos add faults
//! at run time here, for the cluster of the listener (or of the `/clusters/<name>`
//! prefix): `kubectl --context sim-staging create --raw /sim/v1/faults -f fault.json`.
//! The viewer may read but not change faults.
//!
//! - `GET /sim/v1/faults` lists faults; `POST` adds one (a `FaultSpec` as JSON, e.g.
//!   `{"kind":"api_latency","latency_ms":500,"for":"30s"}`); `DELETE` ends them all,
//!   `DELETE /sim/v1/faults/<id>` one.
//! - `GET /sim/v1/status` gives the cluster's name, simulated time, resourceVersion and
//!   speed, and the API requests it has answered: `requests` (any method; `/sim/v1/`
//!   itself not counted) and `mutations` (methods other than GET and HEAD, dry runs
//!   included), so a test can prove a read-only client sent nothing.

use axum::http::Method;
use axum::response::Response;
use serde_json::json;

use super::auth::User;
use super::reply;
use crate::sim::kube::cluster::Cluster;
use crate::sim::kube::scenario::{FaultKind, FaultSpec};
use crate::sim::kube::status::ApiError;

pub fn handle(
    cluster: &Cluster,
    user: &User,
    method: &Method,
    path: &str,
    body: &[u8],
) -> Response {
    match answer(cluster, user, method, path.trim_end_matches('/'), body) {
        Ok(response) => response,
        Err(error) => reply::error(&error),
    }
}

fn answer(
    cluster: &Cluster,
    user: &User,
    method: &Method,
    path: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let now = cluster.sim_secs();
    let forbidden = || {
        ApiError::new(
            403,
            "Forbidden",
            format!("User \"{}\" cannot change the simulation", user.name),
        )
    };
    match (method.as_str(), path) {
        ("GET", "status") => {
            let rv = cluster.store().resource_version();
            Ok(reply::json(
                200,
                &json!({
                    "cluster": cluster.name,
                    "simSeconds": now,
                    "resourceVersion": rv.to_string(),
                    "speed": cluster.clock.speed(),
                    "requests": cluster.requests.all(),
                    "mutations": cluster.requests.mutations(),
                }),
            ))
        }
        ("GET", "faults") => Ok(reply::json(200, &json!({"faults": cluster.faults.list()}))),
        ("POST", "faults") => {
            if !user.admin {
                return Err(forbidden());
            }
            let spec: FaultSpec = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("invalid fault: {e}")))?;
            // Faults that act once act now, so the caller can rely on them at once.
            let immediate = spec.at.is_none()
                && matches!(
                    spec.kind,
                    FaultKind::DropWatches | FaultKind::ExpireResourceVersions
                );
            let fault = if immediate {
                cluster.act_on_fault(spec.kind);
                cluster.faults.add_started(spec, now)
            } else {
                cluster.faults.add(spec, now)
            }
            .map_err(ApiError::bad_request)?;
            Ok(reply::json(201, &json!(fault)))
        }
        ("DELETE", "faults") => {
            if !user.admin {
                return Err(forbidden());
            }
            cluster.faults.end_all(now);
            Ok(reply::json(200, &json!({"faults": cluster.faults.list()})))
        }
        ("DELETE", p) if p.starts_with("faults/") => {
            if !user.admin {
                return Err(forbidden());
            }
            let id: u64 = p["faults/".len()..]
                .parse()
                .map_err(|_| ApiError::bad_request("fault ids are numbers"))?;
            if cluster.faults.end(id, now) {
                Ok(reply::json(200, &json!({"ended": id})))
            } else {
                Err(ApiError::new(404, "NotFound", format!("no fault {id}")))
            }
        }
        _ => Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )),
    }
}
