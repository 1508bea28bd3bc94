//! The simulated Alertmanager's configuration: two receivers (critical alerts page,
//! the rest go to chat), grouping by `alertname`, and the usual inhibit rule (a critical
//! alert mutes the warning of the same name on the same instance).

use super::matchers::Labels;

pub const CHAT: &str = "ops-chat";
pub const PAGER: &str = "ops-pager";
pub const RECEIVERS: [&str; 2] = [CHAT, PAGER];
/// The labels alerts are grouped by.
pub const GROUP_BY: [&str; 1] = ["alertname"];
/// The inhibit rule's `equal` labels.
const INHIBIT_EQUAL: [&str; 2] = ["alertname", "instance"];
/// How long an alert without an end stays firing after its last update.
pub const RESOLVE_TIMEOUT_SECS: i64 = 300;

/// The receiver an alert is routed to.
pub fn receiver(labels: &Labels) -> &'static str {
    if labels.get("severity").map(String::as_str) == Some("critical") {
        PAGER
    } else {
        CHAT
    }
}

/// Does a firing `source` alert inhibit `target`?
pub fn inhibits(source: &Labels, target: &Labels) -> bool {
    let severity = |l: &Labels| l.get("severity").cloned().unwrap_or_default();
    severity(source) == "critical"
        && severity(target) == "warning"
        && INHIBIT_EQUAL
            .iter()
            .all(|k| source.get(*k) == target.get(*k))
}

/// The grouping key of an alert: its `GROUP_BY` labels.
pub fn group_labels(labels: &Labels) -> Labels {
    GROUP_BY
        .iter()
        .filter_map(|k| labels.get(*k).map(|v| ((*k).to_string(), v.clone())))
        .collect()
}

/// `config.original` in `/api/v2/status`: the configuration above, with Alertmanager's
/// defaults filled in as it prints them.
pub const CONFIG_TEXT: &str = r#"global:
  resolve_timeout: 5m
  http_config:
    follow_redirects: true
    enable_http2: true
  smtp_hello: localhost
  smtp_require_tls: true
  pagerduty_url: https://events.pagerduty.com/v2/enqueue
  opsgenie_api_url: https://api.opsgenie.com/
  wechat_api_url: https://qyapi.weixin.qq.com/cgi-bin/
  victorops_api_url: https://alert.victorops.com/integrations/generic/20131114/alert/
  telegram_api_url: https://api.telegram.org
  webex_api_url: https://webexapis.com/v1/messages
route:
  receiver: ops-chat
  group_by:
  - alertname
  continue: false
  routes:
  - receiver: ops-pager
    matchers:
    - severity="critical"
    continue: false
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
inhibit_rules:
- source_matchers:
  - severity="critical"
  target_matchers:
  - severity="warning"
  equal:
  - alertname
  - instance
receivers:
- name: ops-chat
- name: ops-pager
templates: []
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn critical_alerts_page_and_inhibit_their_warnings() {
        let critical = labels(&[
            ("alertname", "DiskFull"),
            ("instance", "n1"),
            ("severity", "critical"),
        ]);
        let warning = labels(&[
            ("alertname", "DiskFull"),
            ("instance", "n1"),
            ("severity", "warning"),
        ]);
        let elsewhere = labels(&[
            ("alertname", "DiskFull"),
            ("instance", "n2"),
            ("severity", "warning"),
        ]);
        assert_eq!(receiver(&critical), PAGER);
        assert_eq!(receiver(&warning), CHAT);
        assert!(inhibits(&critical, &warning));
        assert!(!inhibits(&critical, &elsewhere));
        assert!(!inhibits(&warning, &critical));
        assert_eq!(group_labels(&warning), labels(&[("alertname", "DiskFull")]));
    }
}
