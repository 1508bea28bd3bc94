//! `Option<Timestamp>` as RFC 3339 text or `null`, through the audit log's own
//! [`timestamp_text`] so that incidents and the audit write times the same way.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ops::audit::timestamp_text;

/// A timestamp that serialises as the audit log's text; only a carrier for `Option`.
#[derive(Serialize, Deserialize)]
struct Text(#[serde(with = "timestamp_text")] Timestamp);

pub fn serialize<S: Serializer>(
    time: &Option<Timestamp>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    time.map(Text).serialize(serializer)
}

pub fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Timestamp>, D::Error> {
    Ok(Option::<Text>::deserialize(deserializer)?.map(|text| text.0))
}
