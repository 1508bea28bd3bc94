//! The difference between two pod templates as the rollback plan shows it: both rendered
//! as YAML and compared line by line, in unified-diff style with a few lines of context
//! around each change.

use std::fmt;

use serde_json::Value;

/// Unchanged lines shown before and after each change, as `diff -u` does.
const CONTEXT: usize = 3;

/// Above this many cells the line-matching table would cost too much memory for a dialog;
/// such templates are shown as all of the old lines removed and all of the new added.
const MAX_TABLE_CELLS: usize = 4_000_000;

/// What a line of the diff says about the two templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffKind {
    /// Only in the target template (what the rollback brings).
    Added,
    /// Only in the current template (what the rollback takes away).
    Removed,
    /// In both, shown around a change so the reader knows where it is.
    Context,
    /// The start of a group of changes, `@@ -12,7 +12,8 @@`: lines in between were
    /// unchanged and are left out.
    Hunk,
}

/// One line of a template diff. `text` is the YAML line without a prefix; `Display`
/// adds the unified-diff prefix (`+`, `-` or a space; hunk headers have none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: DiffKind,
    pub text: String,
}

impl fmt::Display for DiffLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.kind {
            DiffKind::Added => "+",
            DiffKind::Removed => "-",
            DiffKind::Context => " ",
            DiffKind::Hunk => "",
        };
        write!(f, "{prefix}{}", self.text)
    }
}

/// The lines of a diff from `current` to `target` (both pod templates). Empty when the
/// two render the same.
pub fn template_diff(current: &Value, target: &Value) -> Vec<DiffLine> {
    let old = yaml_lines(current);
    let new = yaml_lines(target);
    let edits = line_edits(&old, &new);
    hunks(&edits)
}

/// `value` as YAML lines; keys come in the order the JSON holds them, the same for both
/// templates, so equal parts line up.
fn yaml_lines(value: &Value) -> Vec<String> {
    if value.is_null() {
        return Vec::new();
    }
    let yaml = serde_norway::to_string(value).unwrap_or_else(|e| format!("<unrenderable: {e}>"));
    yaml.lines().map(str::to_string).collect()
}

/// A line of either side with what happened to it, and its 1-based number on each side
/// (for hunk headers).
#[derive(Debug, Clone)]
struct Edit<'a> {
    kind: DiffKind,
    text: &'a str,
    old_line: usize,
    new_line: usize,
}

/// Every line of both sides in order: kept, removed or added, chosen so that as many
/// lines as possible are kept (a longest common subsequence).
fn line_edits<'a>(old: &'a [String], new: &'a [String]) -> Vec<Edit<'a>> {
    // Lines equal at both ends need no table; only the middle is matched.
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_middle = &old[prefix..old.len() - suffix];
    let new_middle = &new[prefix..new.len() - suffix];

    let mut edits = Vec::with_capacity(old.len() + new.len());
    let mut push = |kind, text: &'a str, old_index: usize, new_index: usize| {
        edits.push(Edit {
            kind,
            text,
            old_line: old_index + 1,
            new_line: new_index + 1,
        });
    };
    for (i, line) in old[..prefix].iter().enumerate() {
        push(DiffKind::Context, line, i, i);
    }
    for step in middle_steps(old_middle, new_middle) {
        let (kind, o, n) = step;
        let text = match kind {
            DiffKind::Added => &new_middle[n],
            _ => &old_middle[o],
        };
        push(kind, text, prefix + o, prefix + n);
    }
    for k in 0..suffix {
        let o = old.len() - suffix + k;
        let n = new.len() - suffix + k;
        push(DiffKind::Context, &old[o], o, n);
    }
    edits
}

/// The edits turning `old` into `new` as (kind, index in old, index in new), where the
/// index on the side a line is not in is where it would be.
fn middle_steps(old: &[String], new: &[String]) -> Vec<(DiffKind, usize, usize)> {
    let (n, m) = (old.len(), new.len());
    if n.saturating_mul(m) > MAX_TABLE_CELLS {
        let removed = (0..n).map(|o| (DiffKind::Removed, o, 0));
        let added = (0..m).map(|k| (DiffKind::Added, n, k));
        return removed.chain(added).collect();
    }
    // common[i][j]: the longest common subsequence of old[i..] and new[j..].
    let width = m + 1;
    let mut common = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i * width + j] = if old[i] == new[j] {
                common[(i + 1) * width + j + 1] + 1
            } else {
                common[(i + 1) * width + j].max(common[i * width + j + 1])
            };
        }
    }
    let mut steps = Vec::with_capacity(n + m);
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            steps.push((DiffKind::Context, i, j));
            i += 1;
            j += 1;
        } else if j < m && (i == n || common[i * width + j + 1] >= common[(i + 1) * width + j]) {
            steps.push((DiffKind::Added, i, j));
            j += 1;
        } else {
            steps.push((DiffKind::Removed, i, j));
            i += 1;
        }
    }
    // Removals read better before the additions that replace them.
    order_removals_first(&mut steps);
    steps
}

/// Within each run of changed lines, put the removed lines before the added ones.
fn order_removals_first(steps: &mut [(DiffKind, usize, usize)]) {
    for run in steps.chunk_by_mut(|a, b| (a.0 == DiffKind::Context) == (b.0 == DiffKind::Context)) {
        if run[0].0 != DiffKind::Context {
            run.sort_by_key(|step| step.0 == DiffKind::Added);
        }
    }
}

/// The changes with `CONTEXT` lines around each, grouped into hunks that each start with
/// a header; changes closer than twice the context share a hunk.
fn hunks(edits: &[Edit<'_>]) -> Vec<DiffLine> {
    let changed: Vec<usize> = (0..edits.len())
        .filter(|&i| edits[i].kind != DiffKind::Context)
        .collect();
    let Some(&first) = changed.first() else {
        return Vec::new();
    };
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut start = first.saturating_sub(CONTEXT);
    let mut end = (first + CONTEXT + 1).min(edits.len());
    for &i in &changed[1..] {
        if i.saturating_sub(CONTEXT) <= end {
            end = (i + CONTEXT + 1).min(edits.len());
        } else {
            ranges.push((start, end));
            start = i - CONTEXT;
            end = (i + CONTEXT + 1).min(edits.len());
        }
    }
    ranges.push((start, end));

    let mut lines = Vec::new();
    for (start, end) in ranges {
        lines.push(hunk_header(&edits[start..end]));
        lines.extend(edits[start..end].iter().map(|e| DiffLine {
            kind: e.kind,
            text: e.text.to_string(),
        }));
    }
    lines
}

/// `@@ -old_start,old_count +new_start,new_count @@` for the lines of one hunk.
fn hunk_header(hunk: &[Edit<'_>]) -> DiffLine {
    let old_count = hunk.iter().filter(|e| e.kind != DiffKind::Added).count();
    let new_count = hunk.iter().filter(|e| e.kind != DiffKind::Removed).count();
    let first = &hunk[0];
    // As in `diff -u`, an empty side is numbered by the line before it.
    let old_start = if old_count == 0 {
        first.old_line - 1
    } else {
        first.old_line
    };
    let new_start = if new_count == 0 {
        first.new_line - 1
    } else {
        first.new_line
    };
    DiffLine {
        kind: DiffKind::Hunk,
        text: format!("@@ -{old_start},{old_count} +{new_start},{new_count} @@"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(image: &str) -> Value {
        json!({
            "metadata": {"labels": {"app": "api"}},
            "spec": {
                "containers": [{
                    "name": "api",
                    "image": image,
                    "ports": [{"containerPort": 8000}],
                    "resources": {"limits": {"cpu": "1", "memory": "512Mi"}},
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
                }],
                "restartPolicy": "Always",
                "terminationGracePeriodSeconds": 30
            }
        })
    }

    fn rendered(lines: &[DiffLine]) -> Vec<String> {
        lines.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn equal_templates_have_no_diff() {
        assert!(template_diff(&template("api:1"), &template("api:1")).is_empty());
    }

    #[test]
    fn a_changed_image_is_one_removed_and_one_added_line_with_context() {
        let lines = template_diff(&template("api:1.8.2"), &template("api:1.8.1"));
        let removed: Vec<_> = lines
            .iter()
            .filter(|l| l.kind == DiffKind::Removed)
            .collect();
        let added: Vec<_> = lines.iter().filter(|l| l.kind == DiffKind::Added).collect();
        assert_eq!(removed.len(), 1, "{:#?}", rendered(&lines));
        assert_eq!(added.len(), 1);
        assert!(removed[0].text.ends_with("image: api:1.8.2"));
        assert!(added[0].text.ends_with("image: api:1.8.1"));
        assert_eq!(lines[0].kind, DiffKind::Hunk);
        let context = lines.iter().filter(|l| l.kind == DiffKind::Context).count();
        assert!((1..=2 * CONTEXT).contains(&context), "{context}");
        // The removal comes right before its replacement.
        let at = lines
            .iter()
            .position(|l| l.kind == DiffKind::Removed)
            .expect("removed");
        assert_eq!(lines[at + 1].kind, DiffKind::Added);
    }

    #[test]
    fn lines_render_with_unified_prefixes_and_header_counts() {
        let lines = template_diff(&json!({"a": 1, "b": 2}), &json!({"a": 1, "b": 3}));
        assert_eq!(
            rendered(&lines),
            ["@@ -1,2 +1,2 @@", " a: 1", "-b: 2", "+b: 3"]
        );
    }

    #[test]
    fn distant_changes_make_separate_hunks_and_far_lines_are_left_out() {
        let keys: Vec<String> = (0..30).map(|i| format!("k{i:02}")).collect();
        let old: serde_json::Map<String, Value> =
            keys.iter().map(|k| (k.clone(), json!("same"))).collect();
        let mut new = old.clone();
        new.insert("k02".into(), json!("changed"));
        new.insert("k25".into(), json!("changed"));
        let lines = template_diff(&Value::Object(old), &Value::Object(new));
        let headers: Vec<_> = lines.iter().filter(|l| l.kind == DiffKind::Hunk).collect();
        assert_eq!(headers.len(), 2, "{:#?}", rendered(&lines));
        assert_eq!(headers[0].text, "@@ -1,6 +1,6 @@");
        assert_eq!(headers[1].text, "@@ -23,7 +23,7 @@");
        assert!(!lines.iter().any(|l| l.text.starts_with("k12")));
    }

    #[test]
    fn additions_and_removals_of_whole_entries() {
        let current = template("api:1");
        let mut target = template("api:1");
        target["spec"]["containers"][0]["env"]
            .as_array_mut()
            .expect("env")
            .push(json!({"name": "C", "value": "3"}));
        target["spec"]
            .as_object_mut()
            .expect("spec")
            .remove("terminationGracePeriodSeconds");
        let lines = template_diff(&current, &target);
        let added: Vec<_> = lines
            .iter()
            .filter(|l| l.kind == DiffKind::Added)
            .map(|l| l.text.trim())
            .collect();
        let removed: Vec<_> = lines
            .iter()
            .filter(|l| l.kind == DiffKind::Removed)
            .map(|l| l.text.trim())
            .collect();
        assert_eq!(
            added,
            ["- name: C", "value: '3'"],
            "{:#?}",
            rendered(&lines)
        );
        assert_eq!(removed, ["terminationGracePeriodSeconds: 30"]);
    }

    #[test]
    fn a_missing_side_is_all_additions() {
        let lines = template_diff(&Value::Null, &json!({"a": 1}));
        assert_eq!(rendered(&lines), ["@@ -0,0 +1,1 @@", "+a: 1"]);
    }
}
