//! Silences with Alertmanager's rules (silence/silence.go): states pending → active →
//! expired by time; an update keeps the id only when the matchers are unchanged and the
//! times move as the state allows, otherwise the old silence is expired and a new one
//! made; expiring ends an active silence now and a pending one before it starts.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::matchers::{Labels, Matcher};
use crate::sim::common::seeded::{Rng, combine};
use crate::sim::common::time::Nanos;
use crate::sim::common::time::rfc3339_millis;

/// Expired silences are kept this long (Alertmanager's default data retention, 120 h).
const RETENTION: Nanos = 120 * 3600 * 1_000_000_000;
/// At most this many silences are kept; the oldest expired go first.
const MAX_SILENCES: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SilenceState {
    Active,
    Pending,
    Expired,
}

impl SilenceState {
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceState::Active => "active",
            SilenceState::Pending => "pending",
            SilenceState::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: Nanos,
    pub ends_at: Nanos,
    pub updated_at: Nanos,
    pub created_by: String,
    pub comment: String,
}

impl Silence {
    /// Alertmanager's `getState`: the end instant itself still counts as active.
    pub fn state(&self, now: Nanos) -> SilenceState {
        if now < self.starts_at {
            SilenceState::Pending
        } else if now > self.ends_at {
            SilenceState::Expired
        } else {
            SilenceState::Active
        }
    }

    /// Does this silence mute an alert with these labels (when active)?
    pub fn mutes(&self, labels: &Labels) -> bool {
        self.matchers.iter().all(|m| m.matches(labels))
    }

    pub fn to_json(&self, now: Nanos) -> Value {
        let matchers: Vec<Value> = self
            .matchers
            .iter()
            .map(|m| {
                json!({
                    "isEqual": m.op.is_equal(),
                    "isRegex": m.op.is_regex(),
                    "name": m.name,
                    "value": m.value,
                })
            })
            .collect();
        json!({
            "id": self.id,
            "status": {"state": self.state(now).as_str()},
            "updatedAt": rfc3339_millis(self.updated_at),
            "comment": self.comment,
            "createdBy": self.created_by,
            "endsAt": rfc3339_millis(self.ends_at),
            "matchers": matchers,
            "startsAt": rfc3339_millis(self.starts_at),
        })
    }
}

/// A silence as a client posts it: `id` set to update one.
#[derive(Debug, Clone)]
pub struct PostedSilence {
    pub id: Option<String>,
    pub matchers: Vec<Matcher>,
    pub starts_at: Nanos,
    pub ends_at: Nanos,
    pub created_by: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    #[error("silence not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
}

/// Every silence, by id.
#[derive(Debug)]
pub struct SilenceStore {
    silences: BTreeMap<String, Silence>,
    ids: Rng,
}

impl SilenceStore {
    pub fn new(seed: u64) -> SilenceStore {
        SilenceStore {
            silences: BTreeMap::new(),
            ids: Rng::keyed(combine(seed, 0x5113_4ce5)),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Silence> {
        self.silences.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Silence> {
        self.silences.values()
    }

    /// The ids of active silences muting `labels`, sorted.
    pub fn muting(&self, labels: &Labels, now: Nanos) -> Vec<String> {
        self.silences
            .values()
            .filter(|s| s.state(now) == SilenceState::Active && s.mutes(labels))
            .map(|s| s.id.clone())
            .collect()
    }

    /// Create or update a silence; returns its id (a new one when it was replaced).
    pub fn set(&mut self, posted: PostedSilence, now: Nanos) -> Result<String, SilenceError> {
        validate(&posted)?;
        let previous = match &posted.id {
            Some(id) if !id.is_empty() => Some(
                self.silences
                    .get(id)
                    .cloned()
                    .ok_or(SilenceError::NotFound)?,
            ),
            _ => None,
        };
        if let Some(prev) = &previous {
            if can_update(prev, &posted, now) {
                let silence = Silence {
                    id: prev.id.clone(),
                    matchers: posted.matchers,
                    starts_at: posted.starts_at,
                    ends_at: posted.ends_at,
                    updated_at: now,
                    created_by: posted.created_by,
                    comment: posted.comment,
                };
                self.silences.insert(silence.id.clone(), silence);
                return Ok(prev.id.clone());
            }
            if prev.state(now) != SilenceState::Expired {
                self.expire(&prev.id, now)?;
            }
        }
        let id = self.ids.uuid();
        let silence = Silence {
            id: id.clone(),
            matchers: posted.matchers,
            // A silence cannot start in the past.
            starts_at: posted.starts_at.max(now),
            ends_at: posted.ends_at,
            updated_at: now,
            created_by: posted.created_by,
            comment: posted.comment,
        };
        self.silences.insert(id.clone(), silence);
        self.collect_garbage(now);
        Ok(id)
    }

    /// End a silence now; expiring an expired one changes nothing.
    pub fn expire(&mut self, id: &str, now: Nanos) -> Result<(), SilenceError> {
        let silence = self.silences.get_mut(id).ok_or(SilenceError::NotFound)?;
        match silence.state(now) {
            SilenceState::Expired => return Ok(()),
            SilenceState::Active => silence.ends_at = now,
            SilenceState::Pending => {
                silence.starts_at = now;
                silence.ends_at = now;
            }
        }
        silence.updated_at = now;
        Ok(())
    }

    /// Forget silences expired longer than the retention, and the oldest expired beyond
    /// the cap.
    fn collect_garbage(&mut self, now: Nanos) {
        self.silences.retain(|_, s| s.ends_at + RETENTION >= now);
        while self.silences.len() > MAX_SILENCES {
            let oldest = self
                .silences
                .values()
                .filter(|s| s.state(now) == SilenceState::Expired)
                .min_by_key(|s| s.ends_at)
                .map(|s| s.id.clone());
            match oldest {
                Some(id) => {
                    self.silences.remove(&id);
                }
                None => break,
            }
        }
    }
}

/// Alertmanager's `canUpdate`.
fn can_update(prev: &Silence, next: &PostedSilence, now: Nanos) -> bool {
    if prev.matchers != next.matchers {
        return false;
    }
    match prev.state(now) {
        // Compared to the second, as Alertmanager does.
        SilenceState::Active => {
            prev.starts_at.div_euclid(1_000_000_000) == next.starts_at.div_euclid(1_000_000_000)
                && next.ends_at >= now
        }
        SilenceState::Pending => next.starts_at >= now,
        SilenceState::Expired => false,
    }
}

/// Alertmanager's `validateSilence` (the parts a client can get wrong).
fn validate(s: &PostedSilence) -> Result<(), SilenceError> {
    if s.matchers.is_empty() {
        return Err(SilenceError::Invalid(
            "at least one matcher required".to_string(),
        ));
    }
    if s.matchers.iter().all(|m| m.matches_value("")) {
        return Err(SilenceError::Invalid(
            "at least one matcher must not match the empty string".to_string(),
        ));
    }
    if s.ends_at < s.starts_at {
        return Err(SilenceError::Invalid(
            "end time must not be before start time".to_string(),
        ));
    }
    Ok(())
}

/// `GET /silences?filter=`: every filter matcher must appear, identically, among the
/// silence's matchers (api/v2 `CheckSilenceMatchesFilterLabels`).
pub fn matches_filter(silence: &Silence, filter: &[Matcher]) -> bool {
    filter
        .iter()
        .all(|f| silence.matchers.iter().any(|m| m == f))
}

/// Alertmanager's order: active (soonest to end first), pending (soonest to start),
/// expired (most recently ended).
pub fn sort_for_listing(silences: &mut [&Silence], now: Nanos) {
    silences.sort_by(|a, b| {
        let (sa, sb) = (a.state(now), b.state(now));
        sa.cmp(&sb).then_with(|| match sa {
            SilenceState::Active => a.ends_at.cmp(&b.ends_at),
            SilenceState::Pending => a.starts_at.cmp(&b.starts_at),
            SilenceState::Expired => b.ends_at.cmp(&a.ends_at),
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Nanos = 1_795_371_578_000_000_000;
    const MIN: Nanos = 60_000_000_000;

    fn posted(matcher: &str, starts: Nanos, ends: Nanos) -> PostedSilence {
        PostedSilence {
            id: None,
            matchers: vec![Matcher::parse(matcher).unwrap()],
            starts_at: starts,
            ends_at: ends,
            created_by: "ci".to_string(),
            comment: "test".to_string(),
        }
    }

    fn labels(name: &str) -> Labels {
        [("alertname".to_string(), name.to_string())]
            .into_iter()
            .collect()
    }

    #[test]
    fn a_silence_goes_pending_active_expired() {
        let mut store = SilenceStore::new(1);
        let id = store
            .set(posted("alertname=X", T + MIN, T + 10 * MIN), T)
            .unwrap();
        let s = store.get(&id).unwrap();
        assert_eq!(s.state(T), SilenceState::Pending);
        assert_eq!(s.state(T + 5 * MIN), SilenceState::Active);
        assert_eq!(s.state(T + 10 * MIN + 1), SilenceState::Expired);
        assert!(
            store.muting(&labels("X"), T).is_empty(),
            "pending silences mute nothing"
        );
        assert_eq!(
            store.muting(&labels("X"), T + 2 * MIN),
            std::slice::from_ref(&id)
        );
        assert!(store.muting(&labels("Y"), T + 2 * MIN).is_empty());
    }

    #[test]
    fn a_start_in_the_past_becomes_now() {
        let mut store = SilenceStore::new(1);
        let id = store
            .set(posted("alertname=X", T - 5 * MIN, T + MIN), T)
            .unwrap();
        assert_eq!(store.get(&id).unwrap().starts_at, T);
    }

    #[test]
    fn expiring_ends_active_silences_and_cancels_pending_ones() {
        let mut store = SilenceStore::new(1);
        let active = store
            .set(posted("alertname=X", T, T + 60 * MIN), T)
            .unwrap();
        let pending = store
            .set(posted("alertname=Y", T + 30 * MIN, T + 60 * MIN), T)
            .unwrap();
        store.expire(&active, T + MIN).unwrap();
        store.expire(&pending, T + MIN).unwrap();
        let a = store.get(&active).unwrap();
        assert_eq!(
            (a.ends_at, a.state(T + MIN + 1)),
            (T + MIN, SilenceState::Expired)
        );
        let p = store.get(&pending).unwrap();
        assert_eq!((p.starts_at, p.ends_at), (T + MIN, T + MIN));
        store.expire(&active, T + 2 * MIN).unwrap();
        assert_eq!(
            store.get(&active).unwrap().ends_at,
            T + MIN,
            "no-op when expired"
        );
        assert_eq!(store.expire("nope", T), Err(SilenceError::NotFound));
    }

    #[test]
    fn updates_keep_the_id_only_when_alertmanager_would() {
        let mut store = SilenceStore::new(1);
        let id = store
            .set(posted("alertname=X", T, T + 60 * MIN), T)
            .unwrap();
        let longer = PostedSilence {
            id: Some(id.clone()),
            ..posted("alertname=X", T, T + 120 * MIN)
        };
        assert_eq!(
            store.set(longer, T + MIN).unwrap(),
            id,
            "same matchers: updated in place"
        );
        assert_eq!(store.get(&id).unwrap().ends_at, T + 120 * MIN);

        let other = PostedSilence {
            id: Some(id.clone()),
            ..posted("alertname=Z", T, T + 120 * MIN)
        };
        let replacement = store.set(other, T + 2 * MIN).unwrap();
        assert_ne!(replacement, id, "new matchers: a new silence");
        assert_eq!(
            store.get(&id).unwrap().state(T + 3 * MIN),
            SilenceState::Expired
        );
        let missing = PostedSilence {
            id: Some("00000000-0000-4000-8000-000000000000".to_string()),
            ..posted("alertname=X", T, T + MIN)
        };
        assert_eq!(store.set(missing, T), Err(SilenceError::NotFound));
    }

    #[test]
    fn invalid_silences_are_refused() {
        let mut store = SilenceStore::new(1);
        let empty = posted(r#"alertname=~".*""#, T, T + MIN);
        assert!(matches!(store.set(empty, T), Err(SilenceError::Invalid(_))));
        let backwards = posted("alertname=X", T + MIN, T);
        assert!(matches!(
            store.set(backwards, T),
            Err(SilenceError::Invalid(_))
        ));
    }

    #[test]
    fn listing_filters_by_identical_matchers_and_sorts_by_state() {
        let mut store = SilenceStore::new(1);
        let a = store
            .set(posted("alertname=X", T, T + 60 * MIN), T)
            .unwrap();
        let b = store
            .set(posted("alertname=Y", T + 10 * MIN, T + 60 * MIN), T)
            .unwrap();
        let c = store
            .set(posted("alertname=X", T, T + 30 * MIN), T)
            .unwrap();
        store.expire(&c, T).unwrap();
        let mut all: Vec<&Silence> = store.iter().collect();
        sort_for_listing(&mut all, T + 1);
        let order: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(order, [a.as_str(), b.as_str(), c.as_str()]);
        let filter = [Matcher::parse("alertname=X").unwrap()];
        let hits = store.iter().filter(|s| matches_filter(s, &filter)).count();
        assert_eq!(hits, 2);
        let json = store.get(&a).unwrap().to_json(T);
        assert_eq!(json["status"]["state"], "active");
        assert_eq!(json["matchers"][0]["isEqual"], true);
    }
}
