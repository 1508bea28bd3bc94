//! Building responses: JSON bodies, `Status` errors, and large lists streamed in chunks.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;

use crate::sim::kube::status::ApiError;

/// What a handler returns: a response, or an error the client gets as a `Status`.
pub type Reply = Result<Response, ApiError>;

fn with_type(status: u16, content_type: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A JSON value.
pub fn json(status: u16, value: &Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    with_type(status, "application/json", Body::from(body))
}

/// Any serializable body, written without building a `Value` tree first.
pub fn json_of<T: serde::Serialize>(status: u16, value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    with_type(status, "application/json", Body::from(body))
}

/// JSON that is already encoded (a stored object).
pub fn raw_json(status: u16, bytes: Bytes) -> Response {
    with_type(status, "application/json", Body::from(bytes))
}

pub fn text(status: u16, text: &'static str) -> Response {
    with_type(status, "text/plain; charset=utf-8", Body::from(text))
}

/// A `Status` error, with `Retry-After` when it asks for one.
pub fn error(error: &ApiError) -> Response {
    let mut response = json(error.code, &error.to_status());
    if let Some(secs) = error.details.retry_after
        && let Ok(value) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A list whose items are already-encoded JSON, streamed in chunks of about 256 KiB as
/// the client reads, so a 50,000-pod list is never copied into one buffer.
pub fn json_list(head: String, items: Vec<Bytes>, tail: &'static str) -> Response {
    const CHUNK: usize = 256 * 1024;
    struct Cursor {
        head: Option<String>,
        items: std::vec::IntoIter<Bytes>,
        first: bool,
        done: bool,
    }
    let cursor = Cursor {
        head: Some(head),
        items: items.into_iter(),
        first: true,
        done: false,
    };
    let stream = futures::stream::unfold(cursor, move |mut c| async move {
        if c.done {
            return None;
        }
        let mut chunk: Vec<u8> = c.head.take().map(String::into_bytes).unwrap_or_default();
        while chunk.len() < CHUNK {
            match c.items.next() {
                Some(item) => {
                    if !c.first {
                        chunk.push(b',');
                    }
                    c.first = false;
                    chunk.extend_from_slice(&item);
                }
                None => {
                    chunk.extend_from_slice(tail.as_bytes());
                    c.done = true;
                    break;
                }
            }
        }
        Some((Ok::<Bytes, std::io::Error>(Bytes::from(chunk)), c))
    });
    with_type(200, "application/json", Body::from_stream(stream))
}

/// A response with a `Warning` header (e.g. unknown fields with `fieldValidation=Warn`).
pub fn with_warnings(mut response: Response, warnings: &[String]) -> Response {
    for w in warnings {
        let text = format!("299 - \"{}\"", w.replace('"', "\\\""));
        if let Ok(value) = HeaderValue::from_str(&text) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    response
}
