//! What a container event from `/events` means for the list.
//!
//! Events say that something happened, not the whole new state, so most of them lead to
//! one inspect of the container. Some are frequent and change nothing a view shows:
//! healthchecks run as execs every few seconds (`exec_create`, `exec_start`, `exec_die`),
//! and `docker logs`/`attach`/`cp` produce their own events. Those are ignored.

use bollard::models::{EventMessage, EventMessageTypeEnum};

/// What to do about one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventEffect {
    /// The container may have changed: inspect it.
    Refresh(String),
    /// The container is gone.
    Remove(String),
    /// The container (re)started: inspect it, and reattach followers of its logs.
    Started(String),
    Ignore,
}

/// The effect of `event`.
pub fn effect_of(event: &EventMessage) -> EventEffect {
    if event
        .typ
        .is_some_and(|t| t != EventMessageTypeEnum::CONTAINER)
    {
        return EventEffect::Ignore;
    }
    let Some(id) = event
        .actor
        .as_ref()
        .and_then(|a| a.id.clone())
        .filter(|id| !id.is_empty())
    else {
        return EventEffect::Ignore;
    };
    let action = event.action.as_deref().unwrap_or("");
    // `health_status: healthy`, `exec_start: sh -c ...`: the verb is before the colon.
    let verb = action.split(':').next().unwrap_or("").trim();
    match verb {
        "destroy" => EventEffect::Remove(id),
        "start" | "restart" | "unpause" => EventEffect::Started(id),
        "exec_create" | "exec_start" | "exec_die" | "exec_detach" | "attach" | "detach"
        | "resize" | "top" | "copy" | "archive-path" | "extract-to-dir" | "export" | "commit" => {
            EventEffect::Ignore
        }
        // create, die, stop, kill, oom, pause, rename, update, health_status and anything
        // newer engines add: inspecting once too often is cheap, missing a change is not.
        _ => EventEffect::Refresh(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> EventMessage {
        serde_json::from_str(json).expect("event JSON")
    }

    #[test]
    fn events_map_to_refresh_remove_start_or_nothing() {
        let ev = |action: &str| {
            effect_of(&event(&format!(
                r#"{{"Type":"container","Action":"{action}","Actor":{{"ID":"c1","Attributes":{{}}}},"time":1}}"#
            )))
        };
        assert_eq!(ev("die"), EventEffect::Refresh("c1".into()));
        assert_eq!(ev("oom"), EventEffect::Refresh("c1".into()));
        assert_eq!(
            ev("health_status: unhealthy"),
            EventEffect::Refresh("c1".into())
        );
        assert_eq!(ev("start"), EventEffect::Started("c1".into()));
        assert_eq!(ev("destroy"), EventEffect::Remove("c1".into()));
        assert_eq!(ev("exec_start: sh -c true"), EventEffect::Ignore);
        assert_eq!(ev("exec_die"), EventEffect::Ignore);
        let network = event(r#"{"Type":"network","Action":"connect","Actor":{"ID":"n1"}}"#);
        assert_eq!(effect_of(&network), EventEffect::Ignore);
    }
}
