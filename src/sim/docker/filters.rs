//! The `filters` query parameter: JSON mapping a key to its values, in the current form
//! (`{"label":["a=b"]}`) or the one older clients send (`{"label":{"a=b":true}}`).

use std::collections::BTreeMap;

use serde_json::Value;

/// A filter the daemon refuses: answered with 400 and this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

/// Parsed filters: key → values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(BTreeMap<String, Vec<String>>);

impl Filters {
    /// Parse the parameter's text; empty means no filters.
    pub fn parse(text: &str) -> Result<Filters, FilterError> {
        if text.trim().is_empty() {
            return Ok(Filters::default());
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| FilterError(format!("invalid filter: {e}")))?;
        let Value::Object(map) = value else {
            return Err(FilterError(
                "invalid filter: expected an object".to_string(),
            ));
        };
        let mut filters = BTreeMap::new();
        for (key, values) in map {
            let list = match values {
                Value::Array(items) => items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        other => Err(FilterError(format!("invalid filter value {other}"))),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                Value::Object(set) => set
                    .into_iter()
                    .filter(|(_, on)| on.as_bool() == Some(true))
                    .map(|(k, _)| k)
                    .collect(),
                other => return Err(FilterError(format!("invalid filter value {other}"))),
            };
            filters.insert(key, list);
        }
        Ok(Filters(filters))
    }

    /// Refuse keys outside `accepted`, with the daemon's wording.
    pub fn validate(&self, accepted: &[&str]) -> Result<(), FilterError> {
        match self.0.keys().find(|k| !accepted.contains(&k.as_str())) {
            Some(key) => Err(FilterError(format!("invalid filter '{key}'"))),
            None => Ok(()),
        }
    }

    pub fn values<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a str> {
        self.0.get(key).into_iter().flatten().map(String::as_str)
    }

    /// True when `key` is absent or one of its values passes `test` (values of one key
    /// are alternatives).
    pub fn any_or_empty(&self, key: &str, mut test: impl FnMut(&str) -> bool) -> bool {
        match self.0.get(key) {
            None => true,
            Some(values) if values.is_empty() => true,
            Some(values) => values.iter().any(|v| test(v)),
        }
    }

    /// Every `label` value must hold (labels narrow, unlike other keys): `key`,
    /// `key=value` or `key!=value`.
    pub fn all_labels_match(&self, labels: &BTreeMap<String, String>) -> bool {
        self.values("label")
            .all(|wanted| label_matches(labels, wanted))
    }
}

fn label_matches(labels: &BTreeMap<String, String>, wanted: &str) -> bool {
    if let Some((key, value)) = wanted.split_once("!=") {
        return labels.get(key).is_none_or(|v| v != value);
    }
    match wanted.split_once('=') {
        Some((key, value)) => labels.get(key).is_some_and(|v| v == value),
        None => labels.contains_key(wanted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> BTreeMap<String, String> {
        [
            ("com.docker.compose.project", "shop"),
            ("com.docker.compose.service", "db"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn both_json_forms_parse() {
        let new =
            Filters::parse(r#"{"label":["com.docker.compose.project=shop"],"status":["running"]}"#)
                .unwrap();
        let old = Filters::parse(
            r#"{"label":{"com.docker.compose.project=shop":true},"status":{"running":true}}"#,
        )
        .unwrap();
        assert_eq!(new, old);
        assert_eq!(new.values("status").collect::<Vec<_>>(), ["running"]);
        assert_eq!(Filters::parse("").unwrap(), Filters::default());
        assert!(Filters::parse("{nope").is_err());
        assert!(Filters::parse(r#"{"label":[1]}"#).is_err());
    }

    #[test]
    fn labels_narrow_and_other_keys_are_alternatives() {
        let f = Filters::parse(
            r#"{"label":["com.docker.compose.project=shop","com.docker.compose.service"],"status":["exited","running"]}"#,
        )
        .unwrap();
        assert!(f.all_labels_match(&labels()));
        assert!(f.any_or_empty("status", |s| s == "running"));
        assert!(f.any_or_empty("name", |_| false), "an absent key passes");
        let g =
            Filters::parse(r#"{"label":["com.docker.compose.project=shop","tier=db"]}"#).unwrap();
        assert!(!g.all_labels_match(&labels()));
        let h = Filters::parse(r#"{"label":["com.docker.compose.service!=web"]}"#).unwrap();
        assert!(h.all_labels_match(&labels()));
    }

    #[test]
    fn unknown_keys_are_refused_with_the_daemons_words() {
        let f = Filters::parse(r#"{"colour":["blue"]}"#).unwrap();
        assert_eq!(
            f.validate(&["label"]).unwrap_err().to_string(),
            "invalid filter 'colour'"
        );
    }
}
