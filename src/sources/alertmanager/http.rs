//! The HTTP client every alert and host source uses: reqwest over rustls with ring, the
//! crypto provider kube-rs already brings, so TLS is built once for the whole binary.

use std::time::Duration;

pub use reqwest::Url;

/// A client with `timeout` per request. Proxies come from the environment as usual.
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    // reqwest is built without a crypto provider of its own: install ring as the process
    // default. It fails only when a provider is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("pilothouse/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// `base` joined with `path`, keeping a path prefix the base may have
/// (`http://host/alertmanager` + `api/v2/alerts`).
pub fn join(base: &reqwest::Url, path: &str) -> reqwest::Url {
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        let with_slash = format!("{}/", base.path());
        base.set_path(&with_slash);
    }
    // `path` is a constant of ours, relative and valid.
    base.join(path).unwrap_or(base)
}

/// A short name for a server, for the header and alert sources: `host:port` plus a path
/// prefix if it has one.
pub fn server_name(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    let port = url
        .port_or_known_default()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    format!("{host}{port}{path}")
}

/// What went wrong talking to a server, in words for the header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    Unreachable(String),
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("unexpected answer: {0}")]
    Decode(String),
}

impl HttpError {
    pub fn from_reqwest(error: &reqwest::Error) -> HttpError {
        // The innermost cause says most ("Connection refused"), the outer one where.
        let mut cause: &dyn std::error::Error = error;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        let what = if error.is_timeout() {
            "timed out".to_string()
        } else if error.is_connect() {
            format!("cannot connect: {cause}")
        } else {
            cause.to_string()
        };
        HttpError::Unreachable(what)
    }
}

/// Send `request`, check the status is 2xx and return the body.
pub async fn send(request: reqwest::RequestBuilder) -> Result<bytes::Bytes, HttpError> {
    let response = request
        .send()
        .await
        .map_err(|e| HttpError::from_reqwest(&e))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| HttpError::from_reqwest(&e))?;
    if !status.is_success() {
        return Err(HttpError::Status {
            status: status.as_u16(),
            body: excerpt(&body, 200),
        });
    }
    Ok(body)
}

/// The start of a body as one line of text, for messages.
pub fn excerpt(body: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    match trimmed.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_keep_prefixes_and_names_are_short() {
        let base: reqwest::Url = "http://am:9093/alertmanager".parse().unwrap();
        assert_eq!(
            join(&base, "api/v2/alerts").as_str(),
            "http://am:9093/alertmanager/api/v2/alerts"
        );
        let plain: reqwest::Url = "http://127.0.0.1:9093".parse().unwrap();
        assert_eq!(
            join(&plain, "api/v2/alerts").as_str(),
            "http://127.0.0.1:9093/api/v2/alerts"
        );
        assert_eq!(server_name(&base), "am:9093/alertmanager");
        assert_eq!(server_name(&plain), "127.0.0.1:9093");
        assert_eq!(
            server_name(&"https://am.example".parse().unwrap()),
            "am.example:443"
        );
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt(b"line one\nline two", 100), "line one line two");
        assert_eq!(excerpt("ééééé".as_bytes(), 3), "ééé…");
    }
}
