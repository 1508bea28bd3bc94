//! One stored object: its serialized JSON (what lists and watches send, shared by reference)
//! plus the few facts selectors and controllers need without parsing it again.

use bytes::Bytes;

/// A pod's phase, as the summary keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    #[default]
    None,
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl Phase {
    pub fn parse(text: &str) -> Phase {
        match text {
            "Pending" => Phase::Pending,
            "Running" => Phase::Running,
            "Succeeded" => Phase::Succeeded,
            "Failed" => Phase::Failed,
            "Unknown" => Phase::Unknown,
            _ => Phase::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::None => "",
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
            Phase::Unknown => "Unknown",
        }
    }

    /// Succeeded and Failed pods no longer count towards a controller's replicas.
    pub fn finished(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed)
    }
}

/// Small per-kind facts extracted when an object is written.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// `metadata.deletionTimestamp` is set.
    pub terminating: bool,
    /// Pods: `status.phase`.
    pub phase: Phase,
    /// Pods: the Ready condition is True. Nodes: the Ready condition is True.
    pub ready: bool,
    /// Pods: `spec.nodeName`.
    pub node: Option<Box<str>>,
}

/// An object's controlling owner (`ownerReferences[].controller == true`).
#[derive(Debug, Clone)]
pub struct ControllerRef {
    pub uid: Box<str>,
    /// The owner's kind, when it is one the sim stores.
    pub kind: Option<super::resources::Kind>,
    pub name: Box<str>,
}

/// What the store extracts from an object when it is written.
#[derive(Debug, Default)]
pub struct Facts {
    pub uid: Box<str>,
    pub labels: Vec<(Box<str>, Box<str>)>,
    pub controller: Option<Box<ControllerRef>>,
    pub summary: Summary,
}

/// An object as stored: immutable; a write replaces it with a new one.
#[derive(Debug)]
pub struct StoredObject {
    /// `namespace/name`, or `name` for cluster-scoped objects. This byte order is the order
    /// etcd keys sort in, so lists come out in the order a real API server gives.
    pub key: Box<str>,
    ns_len: u16,
    pub uid: Box<str>,
    pub resource_version: u64,
    pub labels: Box<[(Box<str>, Box<str>)]>,
    /// The controlling owner; boxed, as most objects of most kinds have none.
    pub controller: Option<Box<ControllerRef>>,
    pub summary: Summary,
    /// The object as JSON, `metadata.resourceVersion` included.
    pub json: Bytes,
}

impl StoredObject {
    pub fn new(
        namespace: &str,
        name: &str,
        resource_version: u64,
        facts: Facts,
        json: Bytes,
    ) -> StoredObject {
        StoredObject {
            key: make_key(namespace, name),
            // Namespace names are DNS labels (≤ 63 bytes), so this never truncates.
            ns_len: namespace.len() as u16,
            uid: facts.uid,
            resource_version,
            labels: facts.labels.into_boxed_slice(),
            controller: facts.controller,
            summary: facts.summary,
            json,
        }
    }

    pub fn namespace(&self) -> &str {
        &self.key[..self.ns_len as usize]
    }

    pub fn name(&self) -> &str {
        if self.ns_len == 0 {
            &self.key
        } else {
            &self.key[self.ns_len as usize + 1..]
        }
    }

    /// The uid of the controlling owner.
    pub fn controller_uid(&self) -> Option<&str> {
        self.controller.as_ref().map(|c| &*c.uid)
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }

    /// Parse the stored JSON into a typed object.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.json)
    }
}

/// The store key of `namespace/name` (or `name` when cluster-scoped).
pub fn make_key(namespace: &str, name: &str) -> Box<str> {
    if namespace.is_empty() {
        name.into()
    } else {
        format!("{namespace}/{name}").into_boxed_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_back_into_namespace_and_name() {
        let o = StoredObject::new("shop", "api-1", 1, Facts::default(), Bytes::new());
        assert_eq!((o.namespace(), o.name()), ("shop", "api-1"));
        let n = StoredObject::new("", "node-1", 1, Facts::default(), Bytes::new());
        assert_eq!((n.namespace(), n.name()), ("", "node-1"));
    }

    #[test]
    fn keys_sort_like_etcd() {
        // "a-b/x" sorts before "a/x" in etcd too: '-' < '/'.
        assert!(make_key("a-b", "x") < make_key("a", "x"));
    }
}
