//! Prometheus' instant queries (`GET /api/v1/query`): an instant vector, whose values
//! arrive as strings (`"0.25"`, `"NaN"`, `"+Inf"`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::sources::alertmanager::http::{self, HttpError, Url};

/// One series of an answer: its labels and its (finite) value.
#[derive(Debug, Clone, PartialEq)]
pub struct PromSample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

#[derive(Debug, Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    result_type: String,
    result: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct Series {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    /// `[unix seconds, "value"]`.
    value: (f64, String),
}

/// A client for the Prometheus at `base`.
#[derive(Debug, Clone)]
pub struct PromClient {
    base: Url,
    name: String,
    http: reqwest::Client,
}

impl PromClient {
    pub fn new(base: Url, timeout: Duration) -> Result<PromClient, HttpError> {
        let http = http::client(timeout).map_err(|e| HttpError::from_reqwest(&e))?;
        Ok(PromClient {
            name: http::server_name(&base),
            base,
            http,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Evaluate `promql` now. A scalar answer is one sample without labels; series whose
    /// value is not a finite number (`NaN` from 0/0) are left out.
    pub async fn query(&self, promql: &str) -> Result<Vec<PromSample>, HttpError> {
        let mut url = http::join(&self.base, "api/v1/query");
        url.query_pairs_mut().append_pair("query", promql);
        let request = self.http.get(url);
        let body = match http::send(request).await {
            Ok(body) => body,
            // A bad query is a 400 with Prometheus' own words in the body: say those.
            Err(HttpError::Status { status, body }) => {
                let said = serde_json::from_str::<Answer>(&body)
                    .ok()
                    .and_then(|a| a.error)
                    .unwrap_or(body);
                return Err(HttpError::Status { status, body: said });
            }
            Err(e) => return Err(e),
        };
        parse_answer(&body)
    }
}

/// The samples of a `/api/v1/query` answer.
pub fn parse_answer(body: &[u8]) -> Result<Vec<PromSample>, HttpError> {
    let answer: Answer =
        serde_json::from_slice(body).map_err(|e| HttpError::Decode(e.to_string()))?;
    if answer.status != "success" {
        return Err(HttpError::Decode(
            answer
                .error
                .unwrap_or_else(|| format!("status {}", answer.status)),
        ));
    }
    let Some(data) = answer.data else {
        return Ok(Vec::new());
    };
    let decode = |e: serde_json::Error| HttpError::Decode(e.to_string());
    let series: Vec<Series> = match data.result_type.as_str() {
        "vector" => serde_json::from_value(data.result).map_err(decode)?,
        "scalar" => {
            let value: (f64, String) = serde_json::from_value(data.result).map_err(decode)?;
            vec![Series {
                metric: BTreeMap::new(),
                value,
            }]
        }
        other => {
            return Err(HttpError::Decode(format!(
                "a {other} answer; host queries must give an instant vector"
            )));
        }
    };
    Ok(series
        .into_iter()
        .filter_map(|s| {
            let value: f64 = s.value.1.parse().ok()?;
            value.is_finite().then_some(PromSample {
                labels: s.metric,
                value,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_and_scalars_decode_and_nan_is_left_out() {
        let body = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"instance":"a:9100","job":"node"},"value":[1763780000.5,"0.25"]},
            {"metric":{"instance":"b:9100"},"value":[1763780000.5,"NaN"]},
            {"metric":{"instance":"c:9100"},"value":[1763780000.5,"+Inf"]}]}}"#;
        let samples = parse_answer(body).unwrap();
        assert_eq!(samples.len(), 1);
        assert_eq!(samples[0].labels["instance"], "a:9100");
        assert_eq!(samples[0].value, 0.25);
        let scalar = br#"{"status":"success","data":{"resultType":"scalar","result":[1,"4"]}}"#;
        assert_eq!(parse_answer(scalar).unwrap()[0].value, 4.0);
        let matrix = br#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(parse_answer(matrix).is_err());
        let error = br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
        assert_eq!(
            parse_answer(error),
            Err(HttpError::Decode("parse error".into()))
        );
    }
}
