//! Silences pilothouse creates: matchers from the selected alert (or the labels a group of
//! alerts shares), a duration, a comment, and the local user as author.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::api::PostableSilence;
use super::client::AmClient;
use super::http::HttpError;
use crate::model::Alert;
use crate::model::alert::Matcher;

/// A silence to create in the Alertmanager named `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceRequest {
    pub source: String,
    pub matchers: Vec<Matcher>,
    pub duration: Duration,
    pub comment: String,
    pub author: String,
}

/// The default length of a silence made from the console.
pub const DEFAULT_SILENCE: Duration = Duration::from_secs(2 * 3600);

impl SilenceRequest {
    /// Silence exactly this alert: every one of its labels must match.
    pub fn for_alert(alert: &Alert, duration: Duration, comment: &str) -> SilenceRequest {
        SilenceRequest::for_alerts(&[alert], duration, comment)
    }

    /// Silence these alerts (a group of one name and severity): the labels they all share
    /// with the same value. `alertname` is always among them for a group.
    pub fn for_alerts(alerts: &[&Alert], duration: Duration, comment: &str) -> SilenceRequest {
        let source = alerts
            .first()
            .map(|a| a.id.source.clone())
            .unwrap_or_default();
        SilenceRequest {
            source,
            matchers: shared_labels(alerts)
                .into_iter()
                .map(|(name, value)| Matcher::equal(name, value))
                .collect(),
            duration,
            comment: comment.to_string(),
            author: local_user(),
        }
    }

    /// One line for the confirmation prompt.
    pub fn describe(&self) -> String {
        let matchers: Vec<String> = self.matchers.iter().map(Matcher::render).collect();
        format!(
            "silence {{{}}} for {:#} on {} as {}",
            matchers.join(", "),
            SignedDuration::try_from(self.duration).unwrap_or(SignedDuration::MAX),
            self.source,
            self.author,
        )
    }

    /// The API document, starting `now`.
    pub fn postable(&self, now: Timestamp) -> PostableSilence {
        let length = SignedDuration::try_from(self.duration).unwrap_or(SignedDuration::MAX);
        let ends = now.checked_add(length).unwrap_or(Timestamp::MAX);
        PostableSilence {
            id: None,
            matchers: self.matchers.clone(),
            starts_at: now.to_string(),
            ends_at: ends.to_string(),
            created_by: self.author.clone(),
            // Alertmanager refuses a silence without a comment.
            comment: if self.comment.trim().is_empty() {
                "silenced from pilothouse".to_string()
            } else {
                self.comment.clone()
            },
        }
    }
}

/// The labels every one of `alerts` has with the same value, sorted by name.
pub fn shared_labels<'a>(alerts: &[&'a Alert]) -> Vec<(&'a str, &'a str)> {
    let Some((first, rest)) = alerts.split_first() else {
        return Vec::new();
    };
    first
        .labels
        .iter()
        .filter(|(k, v)| rest.iter().all(|a| a.labels.get(*k) == Some(v)))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Who is at the keyboard, as amtool names the author: the login name, from the
/// environment or else from `/etc/passwd` by the process's user id.
pub fn local_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .or_else(user_from_passwd)
        .unwrap_or_else(|| "pilothouse".to_string())
}

/// The name `/etc/passwd` gives the owner of this process (`/proc/self` is owned by it).
fn user_from_passwd() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_string())
    })
}

/// Create the silence in `client`'s Alertmanager; returns its id.
pub async fn create_silence(
    client: &AmClient,
    request: &SilenceRequest,
    now: Timestamp,
) -> Result<String, HttpError> {
    if request.matchers.is_empty() {
        return Err(HttpError::Decode(
            "a silence needs at least one matcher".into(),
        ));
    }
    client.create_silence(&request.postable(now)).await
}

/// Expire the silence `id` now.
pub async fn expire_silence(client: &AmClient, id: &str) -> Result<(), HttpError> {
    client.expire_silence(id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlertId, AlertState};

    fn alert(labels: &[(&str, &str)]) -> Alert {
        Alert {
            id: AlertId {
                source: "am-1:9093".into(),
                fingerprint: "f".into(),
            },
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: Default::default(),
            state: AlertState::Firing,
            starts_at: None,
            silenced_by: vec![],
        }
    }

    #[test]
    fn a_group_is_silenced_by_what_it_shares() {
        let a = alert(&[
            ("alertname", "HighCPUUsage"),
            ("instance", "web-1"),
            ("severity", "warning"),
        ]);
        let b = alert(&[
            ("alertname", "HighCPUUsage"),
            ("instance", "web-2"),
            ("severity", "warning"),
        ]);
        let group = SilenceRequest::for_alerts(&[&a, &b], DEFAULT_SILENCE, "deploy");
        let names: Vec<&str> = group.matchers.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["alertname", "severity"]);
        let one = SilenceRequest::for_alert(&a, DEFAULT_SILENCE, "");
        assert_eq!(one.matchers.len(), 3);
        assert!(one.describe().starts_with(
            "silence {alertname=\"HighCPUUsage\", instance=\"web-1\", severity=\"warning\"} for 2h on am-1:9093 as "
        ));
    }

    #[test]
    fn the_author_is_a_login_name() {
        let user = local_user();
        assert!(!user.is_empty() && !user.contains(':'), "{user}");
        assert!(
            user_from_passwd().is_some(),
            "this process's user is in /etc/passwd"
        );
    }

    #[test]
    fn the_posted_silence_runs_from_now_for_its_duration() {
        let a = alert(&[("alertname", "X")]);
        let now: Timestamp = "2026-11-22T03:00:00Z".parse().unwrap();
        let posted = SilenceRequest::for_alert(&a, Duration::from_secs(1800), "").postable(now);
        assert_eq!(posted.starts_at, "2026-11-22T03:00:00Z");
        assert_eq!(posted.ends_at, "2026-11-22T03:30:00Z");
        assert_eq!(posted.comment, "silenced from pilothouse");
    }
}
