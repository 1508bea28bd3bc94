//! `/events`: what the daemon reports about containers, kept in a bounded ring for
//! `--since` and broadcast to live subscribers.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::container::Container;
use super::filters::{FilterError, Filters};
use crate::sim::common::time::Nanos;

/// How many past events `--since` can reach.
const RING: usize = 10_000;
/// How far a slow subscriber may fall behind before it misses events.
const LIVE_BACKLOG: usize = 4_096;

/// One container event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Order of recording; events with equal times keep this order.
    pub seq: u64,
    pub at: Nanos,
    /// `start`, `die`, `exec_create: pg_dump -U shop shop`, `health_status: healthy`, ….
    pub action: String,
    pub id: String,
    pub image: String,
    pub attributes: BTreeMap<String, String>,
}

impl Event {
    /// The event as `/events` streams it (one JSON object per line).
    pub fn to_json(&self) -> Value {
        json!({
            "status": self.action,
            "id": self.id,
            "from": self.image,
            "Type": "container",
            "Action": self.action,
            "Actor": {"ID": self.id, "Attributes": self.attributes},
            "scope": "local",
            "time": self.at.div_euclid(1_000_000_000),
            "timeNano": self.at,
        })
    }
}

/// The ring of past events and the broadcast of new ones.
#[derive(Debug)]
pub struct EventLog {
    ring: VecDeque<Arc<Event>>,
    next_seq: u64,
    live: broadcast::Sender<Arc<Event>>,
}

impl Default for EventLog {
    fn default() -> EventLog {
        EventLog {
            ring: VecDeque::new(),
            next_seq: 0,
            live: broadcast::channel(LIVE_BACKLOG).0,
        }
    }
}

impl EventLog {
    /// Record an event about `container` with extra attributes (exit codes, signals).
    pub fn record(
        &mut self,
        at: Nanos,
        action: String,
        container: &Container,
        extra: &[(&str, String)],
    ) {
        let mut attributes = container.labels.clone();
        attributes.insert("image".to_string(), container.spec.image.clone());
        attributes.insert("name".to_string(), container.name.clone());
        for (k, v) in extra {
            attributes.insert((*k).to_string(), v.clone());
        }
        let event = Arc::new(Event {
            seq: self.next_seq,
            at,
            action,
            id: container.id.clone(),
            image: container.spec.image.clone(),
            attributes,
        });
        self.next_seq += 1;
        if self.ring.len() == RING {
            self.ring.pop_front();
        }
        self.ring.push_back(event.clone());
        // Nobody listening is fine.
        let _ = self.live.send(event);
    }

    /// Past events at or after `since` (none without it), and a subscription to new ones.
    /// Taken together under the estate's lock, so nothing falls between them.
    pub fn replay_and_subscribe(
        &self,
        since: Option<Nanos>,
    ) -> (Vec<Arc<Event>>, broadcast::Receiver<Arc<Event>>) {
        let past = match since {
            Some(since) => self
                .ring
                .iter()
                .filter(|e| e.at >= since)
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        (past, self.live.subscribe())
    }

    /// Every remembered event, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Event>> {
        self.ring.iter()
    }
}

const EVENT_FILTERS: &[&str] = &[
    "config",
    "container",
    "daemon",
    "event",
    "image",
    "label",
    "network",
    "node",
    "plugin",
    "scope",
    "secret",
    "service",
    "type",
    "volume",
];
/// Keys that name other kinds of object: any of them excludes every container event.
const OTHER_OBJECTS: &[&str] = &[
    "config", "daemon", "network", "node", "plugin", "secret", "service", "volume",
];

/// moby's event filter (daemon/events/filter.go), for container events.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    filters: Filters,
}

impl EventFilter {
    pub fn parse(text: &str) -> Result<EventFilter, FilterError> {
        let filters = Filters::parse(text)?;
        filters.validate(EVENT_FILTERS)?;
        Ok(EventFilter { filters })
    }

    pub fn matches(&self, e: &Event) -> bool {
        let f = &self.filters;
        if OTHER_OBJECTS.iter().any(|k| f.values(k).next().is_some()) {
            return false;
        }
        // `event=exec_start` (no colon) matches `exec_start: …` by prefix, as in moby.
        let fuzzy_actions = f
            .values("event")
            .any(|v| ["health_status", "exec_create", "exec_start"].contains(&v));
        let name = e.attributes.get("name").map_or("", String::as_str);
        let strip_tag = |s: &str| {
            s.rsplit_once(':')
                .map_or(s.to_string(), |(r, _)| r.to_string())
        };
        f.any_or_empty("event", |v| {
            v == e.action || (fuzzy_actions && e.action.starts_with(v))
        }) && f.any_or_empty("type", |v| v == "container")
            && f.any_or_empty("scope", |v| v == "local")
            && f.any_or_empty("container", |v| e.id.starts_with(v) || name.starts_with(v))
            && f.any_or_empty("image", |v| {
                v == e.id || v == e.image || v == strip_tag(&e.image)
            })
            && f.all_labels_match(&e.attributes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: &str) -> Event {
        let attributes = [
            ("name", "shop-db-1"),
            ("image", "postgres:15"),
            ("com.docker.compose.project", "shop"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Event {
            seq: 0,
            at: 1_795_371_578_123_456_789,
            action: action.to_string(),
            id: "3f2e1d0c9b8a".repeat(5) + "abcd",
            image: "postgres:15".to_string(),
            attributes,
        }
    }

    #[test]
    fn events_serialise_like_the_daemons() {
        let v = event("die").to_json();
        assert_eq!(v["Type"], "container");
        assert_eq!(v["status"], "die");
        assert_eq!(v["time"], 1_795_371_578);
        assert_eq!(v["timeNano"], 1_795_371_578_123_456_789i64);
        assert_eq!(v["Actor"]["Attributes"]["name"], "shop-db-1");
    }

    #[test]
    fn filters_follow_moby() {
        let f = |text: &str| EventFilter::parse(text).unwrap();
        let restart = event("restart");
        assert!(f("").matches(&restart));
        assert!(f(r#"{"type":["container"]}"#).matches(&restart));
        assert!(!f(r#"{"type":["image"]}"#).matches(&restart));
        assert!(f(r#"{"container":["shop-db"]}"#).matches(&restart));
        assert!(f(r#"{"container":["3f2e1d"]}"#).matches(&restart));
        assert!(!f(r#"{"container":["shop-web"]}"#).matches(&restart));
        assert!(f(r#"{"event":["start","restart"]}"#).matches(&restart));
        assert!(!f(r#"{"event":["start"]}"#).matches(&restart));
        assert!(
            f(r#"{"event":["exec_start"]}"#).matches(&event("exec_start: pg_dump -U shop shop"))
        );
        assert!(f(r#"{"image":["postgres"]}"#).matches(&restart));
        assert!(f(r#"{"label":["com.docker.compose.project=shop"]}"#).matches(&restart));
        assert!(!f(r#"{"volume":["data"]}"#).matches(&restart));
        assert!(EventFilter::parse(r#"{"colour":["x"]}"#).is_err());
    }
}
