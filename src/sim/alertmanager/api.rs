//! The Alertmanager API v2 over HTTP, with its error shapes: go-swagger's
//! `{"code":…,"message":…}` for malformed requests, a bare JSON string for refusals.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use regex::Regex;
use serde_json::{Value, json};

use super::AmSim;
use super::alerts::{self, Alert, AlertStatus, PostedAlert};
use super::matchers::{Labels, MatchOp, Matcher, valid_label_name};
use super::routing;
use super::silences::{self, PostedSilence, Silence, SilenceError};
use crate::sim::common::time::Nanos;
use crate::sim::common::time::rfc3339_millis;

/// The version the sim reports: the one Debian ships, so its `amtool` does not warn.
const VERSION: &str = "0.25.0";

type Params = Query<Vec<(String, String)>>;

/// An error answer with Alertmanager's body.
#[derive(Debug)]
pub struct AmError(StatusCode, Value);

impl AmError {
    /// go-swagger's validation error.
    fn swagger(status: StatusCode, code: u16, message: String) -> AmError {
        AmError(status, json!({"code": code, "message": message}))
    }

    /// A handler's refusal: the message as a JSON string.
    fn text(status: StatusCode, message: impl Into<String>) -> AmError {
        AmError(status, Value::String(message.into()))
    }
}

impl IntoResponse for AmError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(self.1)).into_response()
    }
}

pub fn router(sim: Arc<AmSim>) -> Router {
    Router::new()
        .route("/api/v2/status", get(status))
        .route("/api/v2/receivers", get(receivers))
        .route("/api/v2/alerts", get(get_alerts).post(post_alerts))
        .route("/api/v2/alerts/groups", get(get_groups))
        .route("/api/v2/silences", get(get_silences).post(post_silence))
        .route(
            "/api/v2/silence/{id}",
            get(get_silence).delete(delete_silence),
        )
        .route("/-/healthy", get(ok))
        .route("/-/ready", get(ok))
        .fallback(not_found)
        .with_state(sim)
}

async fn ok() -> &'static str {
    "OK"
}

async fn not_found(OriginalUri(uri): OriginalUri) -> AmError {
    AmError::swagger(
        StatusCode::NOT_FOUND,
        404,
        format!("path {} was not found", uri.path()),
    )
}

async fn status(State(sim): State<Arc<AmSim>>) -> Response {
    axum::Json(json!({
        "cluster": {"peers": [], "status": "disabled"},
        "config": {"original": routing::CONFIG_TEXT},
        "uptime": rfc3339_millis(sim.origin),
        "versionInfo": {
            "branch": "HEAD",
            "buildDate": "20230324-11:12:46",
            "buildUser": "pilothouse-sim",
            "goVersion": "go1.21.9",
            "revision": "pilothouse-sim",
            "version": VERSION,
        },
    }))
    .into_response()
}

async fn receivers() -> Response {
    let names: Vec<Value> = routing::RECEIVERS
        .iter()
        .map(|r| json!({"name": r}))
        .collect();
    axum::Json(names).into_response()
}

/// go-swagger's boolean parameter.
fn bool_param(params: &[(String, String)], key: &str, default: bool) -> Result<bool, AmError> {
    match params
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
    {
        None | Some("") => Ok(default),
        Some("true" | "1" | "yes" | "y" | "on") => Ok(true),
        Some("false" | "0" | "no" | "n" | "off") => Ok(false),
        Some(other) => Err(AmError::swagger(
            StatusCode::BAD_REQUEST,
            400,
            format!("{key} in query must be of type boolean: {other:?}"),
        )),
    }
}

fn filter_matchers(params: &[(String, String)]) -> Result<Vec<Matcher>, AmError> {
    params
        .iter()
        .filter(|(k, _)| k == "filter")
        .map(|(_, v)| Matcher::parse(v).map_err(|e| AmError::text(StatusCode::BAD_REQUEST, e)))
        .collect()
}

/// Which alerts a `GET /alerts` or `/alerts/groups` wants.
struct AlertQuery {
    matchers: Vec<Matcher>,
    receiver: Option<Regex>,
    active: bool,
    silenced: bool,
    inhibited: bool,
}

impl AlertQuery {
    fn parse(params: &[(String, String)]) -> Result<AlertQuery, AmError> {
        let receiver = match params.iter().find(|(k, _)| k == "receiver") {
            Some((_, pattern)) => Some(Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                AmError::text(
                    StatusCode::BAD_REQUEST,
                    format!("failed to parse receiver param: {e}"),
                )
            })?),
            None => None,
        };
        Ok(AlertQuery {
            matchers: filter_matchers(params)?,
            receiver,
            active: bool_param(params, "active", true)?,
            silenced: bool_param(params, "silenced", true)?,
            inhibited: bool_param(params, "inhibited", true)?,
        })
    }

    /// api/v2 `alertFilter` plus the receiver filter.
    fn wants(&self, alert: &Alert, status: &AlertStatus) -> bool {
        if !self.active && status.state() == "active" {
            return false;
        }
        if !self.silenced && !status.silenced_by.is_empty() {
            return false;
        }
        if !self.inhibited && !status.inhibited_by.is_empty() {
            return false;
        }
        if let Some(re) = &self.receiver
            && !re.is_match(routing::receiver(&alert.labels))
        {
            return false;
        }
        self.matchers
            .iter()
            .all(|m| m.matches_filter(&alert.labels))
    }
}

/// The alerts a query selects, with their statuses, sorted by fingerprint.
fn select(sim: &AmSim, query: &AlertQuery) -> Vec<(Alert, AlertStatus)> {
    sim.with(|state, now| {
        let current = state.alerts.current(now);
        let statuses = alerts::statuses(&current, &state.silences, now);
        let mut picked: Vec<(Alert, AlertStatus)> = current
            .into_iter()
            .zip(statuses)
            .filter(|(a, s)| query.wants(a, s))
            .collect();
        picked.sort_by_key(|(a, _)| format!("{:016x}", a.fingerprint));
        picked
    })
}

async fn get_alerts(
    State(sim): State<Arc<AmSim>>,
    Query(params): Params,
) -> Result<Response, AmError> {
    let query = AlertQuery::parse(&params)?;
    let body: Vec<Value> = select(&sim, &query)
        .iter()
        .map(|(a, s)| alerts::to_json(a, s))
        .collect();
    Ok(axum::Json(body).into_response())
}

async fn get_groups(
    State(sim): State<Arc<AmSim>>,
    Query(params): Params,
) -> Result<Response, AmError> {
    let query = AlertQuery::parse(&params)?;
    let mut groups: BTreeMap<(Labels, &'static str), Vec<Value>> = BTreeMap::new();
    for (alert, status) in select(&sim, &query) {
        let key = (
            routing::group_labels(&alert.labels),
            routing::receiver(&alert.labels),
        );
        groups
            .entry(key)
            .or_default()
            .push(alerts::to_json(&alert, &status));
    }
    let body: Vec<Value> = groups
        .into_iter()
        .map(|((labels, receiver), alerts)| {
            json!({"alerts": alerts, "labels": labels, "receiver": {"name": receiver}})
        })
        .collect();
    Ok(axum::Json(body).into_response())
}

fn parse_time(value: Option<&Value>, field: &str) -> Result<Option<Nanos>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => {
            let ts = text
                .parse::<jiff::Timestamp>()
                .map_err(|_| format!("{field} in body must be of type date-time: {text:?}"))?;
            // Go clients send their zero time (0001-01-01) for "unset"; it is far outside
            // what nanoseconds since 1970 can hold.
            Ok(i64::try_from(ts.as_nanosecond()).ok())
        }
        Some(other) => Err(format!(
            "{field} in body must be of type date-time: {other}"
        )),
    }
}

fn string_map(value: Option<&Value>, field: &str) -> Result<Labels, String> {
    match value {
        None | Some(Value::Null) => Ok(Labels::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(format!(
                    "{field}.{k} in body must be of type string: {other}"
                )),
            })
            .collect(),
        Some(other) => Err(format!("{field} in body must be of type object: {other}")),
    }
}

async fn post_alerts(
    State(sim): State<Arc<AmSim>>,
    body: axum::body::Bytes,
) -> Result<Response, AmError> {
    let unparsable = |e: String| {
        AmError::swagger(
            StatusCode::BAD_REQUEST,
            400,
            format!("parsing alerts body from \"\" failed, because {e}"),
        )
    };
    let value: Value = serde_json::from_slice(&body).map_err(|e| unparsable(e.to_string()))?;
    let Value::Array(items) = value else {
        return Err(unparsable("expected an array of alerts".to_string()));
    };
    let invalid = |e: String| AmError::swagger(StatusCode::UNPROCESSABLE_ENTITY, 602, e);
    let mut posted = Vec::new();
    for item in &items {
        let labels = item
            .get("labels")
            .ok_or_else(|| invalid("labels in body is required".to_string()))?;
        posted.push(PostedAlert {
            labels: string_map(Some(labels), "labels").map_err(invalid)?,
            annotations: string_map(item.get("annotations"), "annotations").map_err(invalid)?,
            starts_at: parse_time(item.get("startsAt"), "startsAt").map_err(invalid)?,
            ends_at: parse_time(item.get("endsAt"), "endsAt").map_err(invalid)?,
            generator_url: item
                .get("generatorURL")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        });
    }
    sim.with(|state, now| state.alerts.push(posted, now))
        .map_err(|e| AmError::text(StatusCode::BAD_REQUEST, e))?;
    Ok(StatusCode::OK.into_response())
}

async fn get_silences(
    State(sim): State<Arc<AmSim>>,
    Query(params): Params,
) -> Result<Response, AmError> {
    let filter = filter_matchers(&params)?;
    let body = sim.with(|state, now| {
        let mut picked: Vec<&Silence> = state
            .silences
            .iter()
            .filter(|s| silences::matches_filter(s, &filter))
            .collect();
        silences::sort_for_listing(&mut picked, now);
        picked
            .iter()
            .map(|s| s.to_json(now))
            .collect::<Vec<Value>>()
    });
    Ok(axum::Json(body).into_response())
}

/// The path's silence id, which go-swagger checks is a UUID.
fn silence_id(id: &str) -> Result<&str, AmError> {
    let groups: Vec<&str> = id.split('-').collect();
    let shaped = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    if shaped {
        Ok(id)
    } else {
        Err(AmError::swagger(
            StatusCode::UNPROCESSABLE_ENTITY,
            601,
            format!("silenceID in path must be of type uuid: {id:?}"),
        ))
    }
}

async fn get_silence(
    State(sim): State<Arc<AmSim>>,
    Path(id): Path<String>,
) -> Result<Response, AmError> {
    let id = silence_id(&id)?;
    let found = sim.with(|state, now| state.silences.get(id).map(|s| s.to_json(now)));
    Ok(match found {
        Some(body) => axum::Json(body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    })
}

async fn delete_silence(
    State(sim): State<Arc<AmSim>>,
    Path(id): Path<String>,
) -> Result<Response, AmError> {
    let id = silence_id(&id)?;
    sim.with(|state, now| state.silences.expire(id, now))
        .map_err(|e| AmError::text(StatusCode::NOT_FOUND, e.to_string()))?;
    Ok(StatusCode::OK.into_response())
}

/// The posted silence's fields, with go-swagger's required-field checks.
fn posted_silence(body: &Value) -> Result<PostedSilence, AmError> {
    let invalid = |code: u16, message: String| {
        AmError::swagger(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    };
    let required = |field: &str| {
        body.get(field)
            .filter(|v| !v.is_null())
            .ok_or_else(|| invalid(602, format!("{field} in body is required")))
    };
    let text = |field: &str| -> Result<String, AmError> {
        required(field)?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| invalid(602, format!("{field} in body must be of type string")))
    };
    let items = required("matchers")?
        .as_array()
        .ok_or_else(|| invalid(602, "matchers in body must be of type array".to_string()))?;
    if items.is_empty() {
        return Err(invalid(
            612,
            "matchers in body should have at least 1 items".to_string(),
        ));
    }
    let mut matchers = Vec::new();
    for (i, m) in items.iter().enumerate() {
        let field = |name: &str| m.get(name).filter(|v| !v.is_null());
        let name = field("name")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(602, format!("matchers.{i}.name in body is required")))?;
        let value = field("value")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(602, format!("matchers.{i}.value in body is required")))?;
        let is_regex = field("isRegex")
            .and_then(Value::as_bool)
            .ok_or_else(|| invalid(602, format!("matchers.{i}.isRegex in body is required")))?;
        let is_equal = field("isEqual").and_then(Value::as_bool).unwrap_or(true);
        if !valid_label_name(name) {
            return Err(AmError::text(
                StatusCode::BAD_REQUEST,
                format!("invalid label matcher {i}: invalid label name {name:?}"),
            ));
        }
        let matcher =
            Matcher::new(name, MatchOp::from_flags(is_regex, is_equal), value).map_err(|e| {
                AmError::text(
                    StatusCode::BAD_REQUEST,
                    format!("failed to convert API silence to internal silence: {e}"),
                )
            })?;
        matchers.push(matcher);
    }
    let time = |field: &str| -> Result<Nanos, AmError> {
        parse_time(Some(required(field)?), field)
            .map_err(|e| invalid(602, e))?
            .ok_or_else(|| invalid(602, format!("{field} in body is required")))
    };
    Ok(PostedSilence {
        id: body.get("id").and_then(Value::as_str).map(str::to_string),
        matchers,
        starts_at: time("startsAt")?,
        ends_at: time("endsAt")?,
        created_by: text("createdBy")?,
        comment: text("comment")?,
    })
}

async fn post_silence(
    State(sim): State<Arc<AmSim>>,
    body: axum::body::Bytes,
) -> Result<Response, AmError> {
    let value: Value = serde_json::from_slice(&body).map_err(|e| {
        AmError::swagger(
            StatusCode::BAD_REQUEST,
            400,
            format!("parsing silence body from \"\" failed, because {e}"),
        )
    })?;
    let posted = posted_silence(&value)?;
    if posted.starts_at >= posted.ends_at {
        return Err(AmError::text(
            StatusCode::BAD_REQUEST,
            "Failed to create silence: start time must be before end time",
        ));
    }
    let id = sim.with(|state, now| {
        if posted.ends_at < now {
            return Err(AmError::text(
                StatusCode::BAD_REQUEST,
                "Failed to create silence: end time can't be in the past",
            ));
        }
        state.silences.set(posted, now).map_err(|e| match e {
            SilenceError::NotFound => AmError::text(StatusCode::NOT_FOUND, e.to_string()),
            SilenceError::Invalid(m) => AmError::text(StatusCode::BAD_REQUEST, m),
        })
    })?;
    Ok(axum::Json(json!({"silenceID": id})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn boolean_parameters_default_to_true_and_reject_nonsense() {
        let p = params(&[("active", "false"), ("silenced", "maybe")]);
        assert!(!bool_param(&p, "active", true).unwrap());
        assert!(bool_param(&p, "inhibited", true).unwrap());
        assert!(bool_param(&p, "silenced", true).is_err());
    }

    #[test]
    fn go_zero_times_mean_unset() {
        assert_eq!(
            parse_time(Some(&json!("0001-01-01T00:00:00.000Z")), "startsAt"),
            Ok(None)
        );
        assert_eq!(
            parse_time(Some(&json!("1970-01-01T00:00:01Z")), "startsAt"),
            Ok(Some(1_000_000_000))
        );
        assert!(parse_time(Some(&json!("soon")), "startsAt").is_err());
    }

    #[test]
    fn silence_ids_must_be_uuids() {
        assert!(silence_id("0b966d15-5169-4242-9972-4590114b9924").is_ok());
        assert!(silence_id("nope").is_err());
    }

    #[test]
    fn posted_silences_need_the_required_fields() {
        let good = json!({
            "matchers": [{"name": "alertname", "value": "X", "isRegex": false}],
            "startsAt": "2026-11-22T18:00:00Z",
            "endsAt": "2026-11-22T19:00:00.000Z",
            "createdBy": "ci",
            "comment": "test",
        });
        let p = posted_silence(&good).unwrap();
        assert_eq!(p.matchers[0].op, MatchOp::Equal);
        assert_eq!(p.ends_at - p.starts_at, 3_600_000_000_000);
        let mut missing = good.clone();
        missing.as_object_mut().unwrap().remove("createdBy");
        let AmError(status, body) = posted_silence(&missing).unwrap_err();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["message"], "createdBy in body is required");
        let mut empty = good.clone();
        empty["matchers"] = json!([]);
        assert_eq!(posted_silence(&empty).unwrap_err().1["code"], 612);
    }
}
