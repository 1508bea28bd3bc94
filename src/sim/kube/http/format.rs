//! What shape the client asked for in `Accept`: the object itself, a server-side Table,
//! or metadata only (`PartialObjectMetadata`, as metadata watchers use).

/// The response shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Object,
    Table,
    Metadata,
}

/// Pick the first media type in `Accept` the server can produce; objects otherwise.
pub fn negotiate(accept: &str) -> Shape {
    for media in accept.split(',') {
        let mut parts = media.split(';').map(str::trim);
        let base = parts.next().unwrap_or_default();
        let mut as_kind = None;
        let mut group = None;
        for p in parts {
            if let Some(v) = p.strip_prefix("as=") {
                as_kind = Some(v);
            } else if let Some(v) = p.strip_prefix("g=") {
                group = Some(v);
            }
        }
        let json = matches!(base, "application/json" | "*/*" | "application/*");
        match (json, as_kind, group) {
            (true, Some("Table"), Some("meta.k8s.io")) => return Shape::Table,
            (
                true,
                Some("PartialObjectMetadata" | "PartialObjectMetadataList"),
                Some("meta.k8s.io"),
            ) => {
                return Shape::Metadata;
            }
            (true, None, _) => return Shape::Object,
            // Protobuf, or an `as=` we do not serve: try the next media type.
            _ => {}
        }
    }
    Shape::Object
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_get_asks_for_tables_first() {
        let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(accept), Shape::Table);
        assert_eq!(
            negotiate("application/vnd.kubernetes.protobuf,application/json"),
            Shape::Object
        );
        assert_eq!(
            negotiate("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
            Shape::Metadata
        );
        assert_eq!(negotiate(""), Shape::Object);
    }
}
