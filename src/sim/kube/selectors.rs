//! Label selectors (`app=api,tier in (web,db),!canary`) and field selectors
//! (`metadata.name=x,status.phase!=Running`), as the API server parses them.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::object::StoredObject;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelFilter {
    requirements: Vec<Requirement>,
}

impl LabelFilter {
    pub fn parse(text: &str) -> Result<LabelFilter, String> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            requirements.push(parse_requirement(part)?);
        }
        Ok(LabelFilter { requirements })
    }

    /// The selector of a workload (`spec.selector`).
    pub fn from_selector(selector: &LabelSelector) -> LabelFilter {
        let mut requirements: Vec<Requirement> = selector
            .match_labels
            .iter()
            .flatten()
            .map(|(k, v)| Requirement::Equals(k.clone(), v.clone()))
            .collect();
        for expr in selector.match_expressions.iter().flatten() {
            let values = expr.values.clone().unwrap_or_default();
            requirements.push(match expr.operator.as_str() {
                "In" => Requirement::In(expr.key.clone(), values),
                "NotIn" => Requirement::NotIn(expr.key.clone(), values),
                "Exists" => Requirement::Exists(expr.key.clone()),
                _ => Requirement::DoesNotExist(expr.key.clone()),
            });
        }
        LabelFilter { requirements }
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether the selector asks for `key=value` (by equality or `in`).
    pub fn requires(&self, key: &str, value: &str) -> bool {
        self.requirements.iter().any(|r| match r {
            Requirement::Equals(k, v) => k == key && v == value,
            Requirement::In(k, vs) => k == key && vs.iter().any(|v| v == value),
            _ => false,
        })
    }

    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k).as_deref() == Some(v),
            Requirement::NotEquals(k, v) => get(k).as_deref() != Some(v),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.contains(&x)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|x| !vs.contains(&x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::DoesNotExist(k) => get(k).is_none(),
        })
    }

    pub fn matches_object(&self, object: &StoredObject) -> bool {
        self.matches(|k| object.label(k).map(str::to_string))
    }

    pub fn matches_map(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        self.matches(|k| labels.and_then(|l| l.get(k).cloned()))
    }
}

/// Split on commas that are not inside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_requirement(part: &str) -> Result<Requirement, String> {
    if let Some(key) = part.strip_prefix('!') {
        return Ok(Requirement::DoesNotExist(valid_key(key.trim())?));
    }
    if let Some((k, v)) = part.split_once("!=") {
        return Ok(Requirement::NotEquals(
            valid_key(k.trim())?,
            v.trim().into(),
        ));
    }
    if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
        return Ok(Requirement::Equals(valid_key(k.trim())?, v.trim().into()));
    }
    let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
    if words.len() == 2 {
        let rest = words[1].trim();
        let (op, list) = if let Some(l) = rest.strip_prefix("notin") {
            ("notin", l)
        } else if let Some(l) = rest.strip_prefix("in") {
            ("in", l)
        } else {
            return Err(format!("unable to parse requirement: {part}"));
        };
        let list = list.trim();
        let inner = list
            .strip_prefix('(')
            .and_then(|l| l.strip_suffix(')'))
            .ok_or_else(|| format!("unable to parse requirement: found '{list}', expected: '('"))?;
        let values = inner.split(',').map(|v| v.trim().to_string()).collect();
        let key = valid_key(words[0])?;
        return Ok(if op == "in" {
            Requirement::In(key, values)
        } else {
            Requirement::NotIn(key, values)
        });
    }
    Ok(Requirement::Exists(valid_key(part)?))
}

fn valid_key(key: &str) -> Result<String, String> {
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(key.to_string())
    } else {
        Err(format!(
            "unable to parse requirement: invalid label key \"{key}\""
        ))
    }
}

/// A parsed field selector: `path=value` / `path!=value` terms, all of which must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldFilter {
    terms: Vec<(String, bool, String)>,
}

impl FieldFilter {
    pub fn parse(text: &str) -> Result<FieldFilter, String> {
        let mut terms = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (path, equal, value) = if let Some((k, v)) = part.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (k, true, v)
            } else {
                return Err(format!(
                    "invalid selector: '{part}'; can't understand '{part}'"
                ));
            };
            terms.push((path.trim().to_string(), equal, value.trim().to_string()));
        }
        Ok(FieldFilter { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The name this selector pins down (`metadata.name=x`), if any.
    pub fn name(&self) -> Option<&str> {
        self.terms
            .iter()
            .find(|(p, eq, _)| *eq && p == "metadata.name")
            .map(|(_, _, v)| v.as_str())
    }

    pub fn matches(&self, object: &StoredObject) -> bool {
        if self.terms.is_empty() {
            return true;
        }
        // Name and namespace are answered from the key; anything else needs the JSON.
        let mut parsed: Option<serde_json::Value> = None;
        self.terms.iter().all(|(path, equal, want)| {
            let actual = match path.as_str() {
                "metadata.name" => object.name().to_string(),
                "metadata.namespace" => object.namespace().to_string(),
                "spec.nodeName" => object
                    .summary
                    .node
                    .as_deref()
                    .unwrap_or_default()
                    .to_string(),
                _ => {
                    let value = parsed.get_or_insert_with(|| {
                        serde_json::from_slice(&object.json).unwrap_or_default()
                    });
                    field_text(value, path)
                }
            };
            (actual == *want) == *equal
        })
    }
}

/// The text of a dotted path in a JSON object; "" when absent (as the API server treats it).
fn field_text(value: &serde_json::Value, path: &str) -> String {
    let mut node = value;
    for part in path.split('.') {
        match node.get(part) {
            Some(next) => node = next,
            None => return String::new(),
        }
    }
    match node {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn equality_and_set_requirements() {
        let f = LabelFilter::parse("app=api,tier in (web, db),!canary").expect("parse");
        assert!(f.matches(labels(&[("app", "api"), ("tier", "db")])));
        assert!(!f.matches(labels(&[("app", "api"), ("tier", "db"), ("canary", "1")])));
        assert!(!f.matches(labels(&[("app", "api"), ("tier", "cache")])));
        let g = LabelFilter::parse("app!=api,env notin (prod),team").expect("parse");
        assert!(g.matches(labels(&[("app", "web"), ("team", "x")])));
        assert!(!g.matches(labels(&[("app", "web"), ("env", "prod"), ("team", "x")])));
        assert!(LabelFilter::parse("").expect("empty").is_empty());
        assert!(LabelFilter::parse("a b c").is_err());
    }

    #[test]
    fn field_paths_read_json() {
        let v: serde_json::Value =
            serde_json::json!({"status": {"phase": "Running"}, "involvedObject": {"name": "x"}});
        assert_eq!(field_text(&v, "status.phase"), "Running");
        assert_eq!(field_text(&v, "spec.nodeName"), "");
        let f = FieldFilter::parse("metadata.name=api,status.phase!=Failed").expect("parse");
        assert_eq!(f.name(), Some("api"));
    }
}
