//! One Alertmanager's API v2 over reqwest: read alerts and silences, create and expire
//! silences, post alerts.

use std::time::Duration;

use super::api::{GettableAlert, GettableSilence, PostableAlert, PostableSilence, SilenceCreated};
use super::http::{self, HttpError, Url};

/// A client for the Alertmanager at `base`.
#[derive(Debug, Clone)]
pub struct AmClient {
    base: Url,
    /// Short name: the alerts' source and the header's label.
    name: String,
    http: reqwest::Client,
}

impl AmClient {
    /// Requests time out after `timeout`.
    pub fn new(base: Url, timeout: Duration) -> Result<AmClient, HttpError> {
        let http = http::client(timeout).map_err(|e| HttpError::from_reqwest(&e))?;
        Ok(AmClient {
            name: http::server_name(&base),
            base,
            http,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> &Url {
        &self.base
    }

    /// Every alert: active, silenced, inhibited and not yet processed.
    pub async fn alerts(&self) -> Result<Vec<GettableAlert>, HttpError> {
        let mut url = http::join(&self.base, "api/v2/alerts");
        url.query_pairs_mut()
            .append_pair("active", "true")
            .append_pair("silenced", "true")
            .append_pair("inhibited", "true")
            .append_pair("unprocessed", "true");
        decode(&http::send(self.http.get(url)).await?)
    }

    /// Every silence, expired ones included (Alertmanager keeps them for a while).
    pub async fn silences(&self) -> Result<Vec<GettableSilence>, HttpError> {
        let url = http::join(&self.base, "api/v2/silences");
        decode(&http::send(self.http.get(url)).await?)
    }

    /// Create a silence; returns its id.
    pub async fn create_silence(&self, silence: &PostableSilence) -> Result<String, HttpError> {
        let url = http::join(&self.base, "api/v2/silences");
        let created: SilenceCreated =
            decode(&http::send(self.http.post(url).json(silence)).await?)?;
        Ok(created.silence_id)
    }

    /// Expire a silence now (`DELETE /api/v2/silence/{id}`).
    pub async fn expire_silence(&self, id: &str) -> Result<(), HttpError> {
        let mut url = http::join(&self.base, "api/v2/silence/");
        url.path_segments_mut()
            .map_err(|()| HttpError::Decode("the Alertmanager URL cannot have a path".into()))?
            .pop_if_empty()
            .push(id);
        http::send(self.http.delete(url)).await.map(|_| ())
    }

    /// Post alerts, as Prometheus does.
    pub async fn post_alerts(&self, alerts: &[PostableAlert]) -> Result<(), HttpError> {
        let url = http::join(&self.base, "api/v2/alerts");
        http::send(self.http.post(url).json(alerts))
            .await
            .map(|_| ())
    }
}

fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, HttpError> {
    serde_json::from_slice(body).map_err(|e| HttpError::Decode(e.to_string()))
}
