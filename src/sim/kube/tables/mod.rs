//! Server-side Tables (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the columns
//! `kubectl get` prints, computed by the server as a real API server does, so kubectl and
//! kubetui show the same rows for the sim as for a cluster.

mod core;
pub mod workloads;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde_json::{Value, json};

use super::object::StoredObject;
use super::resources::Kind;
use super::types::{SimObject, for_kind};

/// A column of a table: name, type, priority (1 = only with `-o wide`).
pub struct Column {
    pub name: &'static str,
    pub kind: &'static str,
    pub priority: u8,
    pub description: &'static str,
}

const fn col(name: &'static str, kind: &'static str, priority: u8) -> Column {
    Column {
        name,
        kind,
        priority,
        description: "",
    }
}

/// The Name column every table starts with.
const NAME: Column = Column {
    name: "Name",
    kind: "string",
    priority: 0,
    description: "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
};

/// What a kind contributes: its columns (after Name) and the cells of one object.
pub trait TableRows: SimObject {
    fn columns() -> Vec<Column>;
    fn cells(&self, now: Timestamp) -> Vec<Value>;
}

/// How much of each object a row carries (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(text: Option<&str>) -> IncludeObject {
        match text {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// The column definitions of `kind`'s table, as JSON.
pub fn column_definitions(kind: Kind) -> Value {
    // Kinds that are not stored get Kubernetes' default printer ("Created At").
    let columns =
        for_kind!(kind, T => <T as TableRows>::columns(), _ => vec![col("Created At", "date", 0)]);
    let defs: Vec<Value> = std::iter::once(&NAME)
        .chain(columns.iter())
        .map(|c| {
            let format = if c.name == "Name" { "name" } else { "" };
            json!({
                "name": c.name,
                "type": c.kind,
                "format": format,
                "description": c.description,
                "priority": c.priority,
            })
        })
        .collect();
    Value::Array(defs)
}

/// One row for a stored object; `None` when the stored JSON cannot be read (never expected).
pub fn row(
    kind: Kind,
    object: &StoredObject,
    now: Timestamp,
    include: IncludeObject,
) -> Option<Value> {
    for_kind!(kind, T => row_of::<T>(object, now, include), _ => None)
}

fn row_of<T: TableRows>(
    object: &StoredObject,
    now: Timestamp,
    include: IncludeObject,
) -> Option<Value> {
    let typed: T = object.parse().ok()?;
    let mut cells = vec![json!(typed.metadata().name.clone().unwrap_or_default())];
    cells.extend(typed.cells(now));
    let mut row = json!({ "cells": cells });
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => row["object"] = partial_metadata(typed.metadata()),
        IncludeObject::Object => {
            row["object"] = serde_json::from_slice(&object.json).unwrap_or_default();
        }
    }
    Some(row)
}

/// `PartialObjectMetadata` of an object, as rows and metadata-only lists carry it.
pub fn partial_metadata(meta: &ObjectMeta) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
    })
}

/// A whole table.
pub fn table(
    kind: Kind,
    rows: Vec<Value>,
    resource_version: u64,
    continue_token: Option<&str>,
    with_columns: bool,
) -> Value {
    let mut metadata = json!({ "resourceVersion": resource_version.to_string() });
    if let Some(token) = continue_token {
        metadata["continue"] = json!(token);
    }
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": if with_columns { column_definitions(kind) } else { Value::Null },
        "rows": rows,
    })
}

/// An age as kubectl prints it (`HumanDuration` in k8s.io/apimachinery).
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    let s = secs.max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86_400);
    let y = d / 365;
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 192 {
        if h % 24 == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{}h", h % 24)
        }
    } else if y < 2 {
        format!("{d}d")
    } else if y < 8 {
        if d % 365 == 0 {
            format!("{y}y")
        } else {
            format!("{y}y{}d", d % 365)
        }
    } else {
        format!("{y}y")
    }
}

/// The age of a timestamp, or `<unknown>` when unset.
pub fn age(time: Option<&Time>, now: Timestamp) -> String {
    match time {
        Some(t) => human_duration(now.as_second() - t.0.as_second()),
        None => "<unknown>".into(),
    }
}

/// `<none>` for an empty cell, as kubectl prints it.
pub fn or_none(text: String) -> String {
    if text.is_empty() {
        "<none>".into()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(150), "2m30s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(4 * 3600 + 60), "4h1m");
        assert_eq!(human_duration(30 * 3600), "30h");
        assert_eq!(human_duration(3 * 86_400 + 3600), "3d1h");
        assert_eq!(human_duration(20 * 86_400), "20d");
    }

    #[test]
    fn every_stored_kind_has_columns_that_match_its_cells() {
        let now = Timestamp::UNIX_EPOCH;
        for kind in Kind::STORED {
            let columns = column_definitions(kind);
            let cells = for_kind!(kind, T => T::default().cells(now).len(), _ => 0);
            assert_eq!(
                columns.as_array().map(Vec::len),
                Some(cells + 1),
                "{kind:?}"
            );
        }
    }
}
