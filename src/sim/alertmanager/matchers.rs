//! Label matchers (`name="value"`, `=~`, `!=`, `!~`) as Alertmanager parses them
//! (pkg/labels in 0.25), and label fingerprints as Prometheus computes them.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

/// A set of labels, sorted by name.
pub type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regexp,
    NotRegexp,
}

impl MatchOp {
    pub fn is_regex(self) -> bool {
        matches!(self, MatchOp::Regexp | MatchOp::NotRegexp)
    }

    pub fn is_equal(self) -> bool {
        matches!(self, MatchOp::Equal | MatchOp::Regexp)
    }

    pub fn from_flags(is_regex: bool, is_equal: bool) -> MatchOp {
        match (is_regex, is_equal) {
            (false, true) => MatchOp::Equal,
            (false, false) => MatchOp::NotEqual,
            (true, true) => MatchOp::Regexp,
            (true, false) => MatchOp::NotRegexp,
        }
    }
}

/// One matcher; regular expressions are anchored (`^(?:…)$`) as in Alertmanager.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    regex: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Matcher) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Eq for Matcher {}

// Constant patterns, compiled by every test below: `expect` cannot fire.
static LABEL_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z_][a-zA-Z0-9_]*$").expect("a constant pattern"));
static MATCHER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$")
        .expect("a constant pattern")
});

/// Is this a valid Prometheus label name?
pub fn valid_label_name(name: &str) -> bool {
    LABEL_NAME.is_match(name)
}

impl Matcher {
    pub fn new(name: &str, op: MatchOp, value: &str) -> Result<Matcher, String> {
        let regex = if op.is_regex() {
            Some(
                Regex::new(&format!("^(?:{value})$"))
                    .map_err(|e| format!("error parsing regexp: {e}"))?,
            )
        } else {
            None
        };
        Ok(Matcher {
            name: name.to_string(),
            op,
            value: value.to_string(),
            regex,
        })
    }

    /// Parse `name="value"` (quotes optional; `\"`, `\\` and `\n` escapes).
    pub fn parse(text: &str) -> Result<Matcher, String> {
        let caps = MATCHER
            .captures(text)
            .ok_or_else(|| format!("bad matcher format: {text}"))?;
        let raw = &caps[3];
        let (mut rest, mut expect_quote) = match raw.strip_prefix('"') {
            Some(r) => (r, true),
            None => (raw, false),
        };
        let unescaped_quote = || format!("matcher value contains unescaped double quote: {raw}");
        let mut value = String::new();
        while let Some(c) = rest.chars().next() {
            rest = &rest[c.len_utf8()..];
            match c {
                '\\' if !rest.is_empty() => {
                    let next = rest.chars().next().unwrap_or('\\');
                    rest = &rest[next.len_utf8()..];
                    match next {
                        'n' => value.push('\n'),
                        '"' | '\\' => value.push(next),
                        other => {
                            value.push('\\');
                            value.push(other);
                        }
                    }
                }
                '"' => {
                    if !expect_quote || !rest.is_empty() {
                        return Err(unescaped_quote());
                    }
                    expect_quote = false;
                }
                other => value.push(other),
            }
        }
        if expect_quote {
            return Err(unescaped_quote());
        }
        let op = match &caps[2] {
            "=" => MatchOp::Equal,
            "!=" => MatchOp::NotEqual,
            "=~" => MatchOp::Regexp,
            _ => MatchOp::NotRegexp,
        };
        Matcher::new(&caps[1], op, &value)
    }

    /// Does a label value (empty when absent) satisfy this matcher?
    pub fn matches_value(&self, value: &str) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::Regexp, Some(re)) => re.is_match(value),
            (MatchOp::NotRegexp, Some(re)) => !re.is_match(value),
            // `new` always compiles a regex for the regex operators.
            (_, None) => false,
        }
    }

    /// A silence's matcher against an alert: a missing label reads as empty.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matches_value(labels.get(&self.name).map_or("", String::as_str))
    }

    /// The `filter` parameter's rule (api/v2 `matchFilterLabels`): an empty value makes
    /// `=`/`=~` accept a missing label and `!=`/`!~` accept a present one.
    pub fn matches_filter(&self, labels: &Labels) -> bool {
        let present = labels.get(&self.name);
        if self.value.is_empty() {
            let skip = match self.op {
                MatchOp::NotEqual | MatchOp::NotRegexp => present.is_some(),
                MatchOp::Equal | MatchOp::Regexp => present.is_none(),
            };
            if skip {
                return true;
            }
        }
        self.matches_value(present.map_or("", String::as_str))
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let op = match self.op {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regexp => "=~",
            MatchOp::NotRegexp => "!~",
        };
        write!(f, "{}{op}{:?}", self.name, self.value)
    }
}

/// Prometheus' `LabelSet.Fingerprint`: FNV-1a over sorted names and values, each
/// followed by the byte 0xff.
pub fn fingerprint(labels: &Labels) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut add = |bytes: &[u8]| {
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(PRIME);
        }
    };
    for (name, value) in labels {
        add(name.as_bytes());
        add(&[0xff]);
        add(value.as_bytes());
        add(&[0xff]);
    }
    hash
}

/// A fingerprint as the API prints it.
pub fn fingerprint_hex(labels: &Labels) -> String {
    format!("{:016x}", fingerprint(labels))
}

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
    fn fingerprints_match_a_real_alertmanager() {
        // Values read from Alertmanager 0.25's /api/v2/alerts for these label sets.
        let cpu = labels(&[
            ("alertname", "HighCPUUsage"),
            ("instance", "node-2"),
            ("severity", "warning"),
        ]);
        assert_eq!(fingerprint_hex(&cpu), "60ca0e16936e621c");
        let errors = labels(&[
            ("alertname", "HighErrorRate"),
            ("instance", "node-2"),
            ("severity", "critical"),
        ]);
        assert_eq!(fingerprint_hex(&errors), "c27b920c4c24d848");
    }

    #[test]
    fn matchers_parse_with_and_without_quotes() {
        let m = Matcher::parse(r#"alertname="HighCPUUsage""#).unwrap();
        assert_eq!(
            (m.name.as_str(), m.op, m.value.as_str()),
            ("alertname", MatchOp::Equal, "HighCPUUsage")
        );
        let m = Matcher::parse("severity=~crit.*").unwrap();
        assert_eq!(m.op, MatchOp::Regexp);
        assert!(m.matches_value("critical"));
        assert!(!m.matches_value("acritical"), "anchored");
        let m = Matcher::parse(r#" instance != "node-1" "#).unwrap();
        assert_eq!((m.op, m.value.as_str()), (MatchOp::NotEqual, "node-1"));
        let m = Matcher::parse(r#"msg="say \"hi\"\n""#).unwrap();
        assert_eq!(m.value, "say \"hi\"\n");
        assert_eq!(
            Matcher::parse("job!~api|web").unwrap().op,
            MatchOp::NotRegexp
        );
        assert_eq!(
            Matcher::parse("foo").unwrap_err(),
            "bad matcher format: foo"
        );
        assert!(Matcher::parse(r#"a="b"c""#).is_err());
        assert!(Matcher::parse(r#"a="b"#).is_err());
        assert!(Matcher::parse("a=~(").is_err());
    }

    #[test]
    fn filter_matching_treats_empty_values_as_alertmanager_does() {
        let set = labels(&[("alertname", "X"), ("team", "ops")]);
        assert!(
            Matcher::parse(r#"missing="""#)
                .unwrap()
                .matches_filter(&set)
        );
        assert!(Matcher::parse(r#"team!="""#).unwrap().matches_filter(&set));
        assert!(!Matcher::parse(r#"team="""#).unwrap().matches_filter(&set));
        assert!(Matcher::parse(r#"missing="""#).unwrap().matches(&set));
        assert!(!Matcher::parse("team=dev").unwrap().matches(&set));
    }

    #[test]
    fn matchers_print_as_amtool_shows_them() {
        assert_eq!(
            Matcher::parse("alertname=X").unwrap().to_string(),
            r#"alertname="X""#
        );
    }
}
