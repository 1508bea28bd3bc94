//! The postmortem: an incident as Markdown, in the order a review reads it — summary,
//! severity, duration, impact, timeline, actions taken, runbook progress, notes, and an
//! empty follow-ups section to fill in at the review (the manual's 故障总结).
//!
//! Text people typed (titles, notes, reasons) is escaped where Markdown would read it as
//! structure: table cells lose `|` and newlines, notes are quoted line by line, so a note
//! cannot start a section of its own.

use std::fmt::Write as _;

use jiff::{SignedDuration, Timestamp};

use super::model::Incident;
use super::progress::StepStatus;
use super::timeline::{EntryKind, TimelineFilter, timeline};
use crate::ops::audit::report::NO_OUTCOME;

/// The section headings, in the order they appear.
pub const SECTIONS: [&str; 9] = [
    "Summary",
    "Severity",
    "Duration",
    "Impact",
    "Timeline",
    "Actions taken",
    "Runbook progress",
    "Notes",
    "Follow-ups",
];

/// The incident as a Markdown postmortem, its duration measured to `now` if it is not
/// resolved.
pub fn render_markdown(incident: &Incident, now: Timestamp) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Postmortem: {}\n", inline(&incident.title));
    summary(&mut md, incident);
    severity(&mut md, incident);
    duration(&mut md, incident, now);
    impact(&mut md, incident);
    timeline_section(&mut md, incident);
    actions(&mut md, incident);
    runbooks(&mut md, incident);
    notes(&mut md, incident);
    md.push_str("## Follow-ups\n\n<!-- action · owner · due date -->\n");
    md
}

fn summary(md: &mut String, incident: &Incident) {
    let _ = writeln!(md, "## Summary\n");
    let _ = writeln!(md, "- **Incident:** {}", incident.id);
    let _ = writeln!(md, "- **Title:** {}", inline(&incident.title));
    let _ = writeln!(md, "- **Status:** {}", incident.status.label());
    let _ = writeln!(md, "- **Commander:** {}", inline(&incident.commander));
    let _ = writeln!(md, "- **Declared:** {}", time(incident.declared_at));
    if let Some(resolved) = incident.resolved_at {
        let _ = writeln!(md, "- **Resolved:** {}", time(resolved));
    }
    if let Some(alert) = &incident.alert {
        let _ = writeln!(
            md,
            "- **Declared from alert:** {}",
            inline(&alert.alertname)
        );
    }
    md.push('\n');
}

fn severity(md: &mut String, incident: &Incident) {
    let s = incident.severity;
    let _ = writeln!(
        md,
        "## Severity\n\n**{s}** — {}; respond {}.\n",
        s.meaning(),
        s.respond_within_text()
    );
}

fn duration(md: &mut String, incident: &Incident, now: Timestamp) {
    let length = duration_text(incident.duration(now));
    let end = match incident.resolved_at {
        Some(resolved) => time(resolved),
        None => format!("{} (still {})", time(now), incident.status.label()),
    };
    let _ = writeln!(
        md,
        "## Duration\n\n{length}: {} → {end}\n",
        time(incident.declared_at)
    );
}

fn impact(md: &mut String, incident: &Incident) {
    md.push_str("## Impact\n\n");
    if let Some(alert) = &incident.alert {
        let severity = alert.labels.get("severity").map_or("", String::as_str);
        let _ = write!(md, "Alert **{}**", inline(&alert.alertname));
        if !severity.is_empty() {
            let _ = write!(md, " ({})", inline(severity));
        }
        if !alert.summary.is_empty() {
            let _ = write!(md, ": {}", inline(&alert.summary));
        }
        let _ = writeln!(md, " — fingerprint `{}`.", code(&alert.fingerprint));
    } else {
        md.push_str("Declared by hand.\n");
    }
    if incident.scope.is_empty() {
        md.push_str("\nScope: everywhere (no scope labels).\n");
    } else {
        let scope: Vec<String> = incident
            .scope
            .iter()
            .map(|(k, v)| format!("`{}={}`", code(k), code(v)))
            .collect();
        let _ = writeln!(md, "\nScope: {}.", scope.join(", "));
    }
    if !incident.seen_alerts.is_empty() {
        md.push_str("\nAlerts in scope:\n\n");
        for seen in incident.seen_alerts.values() {
            let state = if seen.firing {
                "firing since"
            } else {
                "resolved at"
            };
            let _ = writeln!(
                md,
                "- {} — {state} {}",
                inline(&seen.alertname),
                time(seen.since)
            );
        }
    }
    md.push('\n');
}

fn timeline_section(md: &mut String, incident: &Incident) {
    md.push_str("## Timeline\n\n");
    let entries = timeline(incident, &TimelineFilter::default());
    if entries.is_empty() {
        md.push_str("Nothing recorded.\n");
    }
    for entry in entries {
        // A note's first line; the whole note is under Notes.
        let text = match entry.kind {
            EntryKind::Note => {
                let mut lines = entry.text.lines();
                let first = lines.next().unwrap_or_default();
                if lines.next().is_some() {
                    format!("{first} …")
                } else {
                    first.to_string()
                }
            }
            _ => entry.text.clone(),
        };
        let _ = write!(
            md,
            "- {} — **{}** — {}",
            time(entry.at),
            entry.kind.label(),
            inline(&text)
        );
        if let Some(author) = &entry.author {
            let _ = write!(md, " _({})_", inline(author));
        }
        md.push('\n');
    }
    md.push('\n');
}

fn actions(md: &mut String, incident: &Incident) {
    md.push_str("## Actions taken\n\n");
    if incident.operations.is_empty() {
        md.push_str("No operations were run through pilothouse.\n\n");
        return;
    }
    md.push_str("| Started | Operation | Target | By | Reason | Outcome |\n");
    md.push_str("|---|---|---|---|---|---|\n");
    for op in &incident.operations {
        let outcome = match (op.ok, &op.outcome) {
            (None, None) => NO_OUTCOME.to_string(),
            (ok, text) => {
                let verdict = match ok {
                    Some(true) => "succeeded",
                    Some(false) => "failed",
                    None => "ended",
                };
                let mut outcome = verdict.to_string();
                if let Some(text) = text.as_deref().filter(|t| !t.is_empty()) {
                    let _ = write!(outcome, ": {text}");
                }
                if let Some(ms) = op.duration_ms {
                    let _ = write!(
                        outcome,
                        " ({})",
                        duration_text(SignedDuration::from_millis(ms as i64))
                    );
                }
                outcome
            }
        };
        let _ = writeln!(
            md,
            "| {} | {} | `{}` | {} | {} | {} |",
            time(op.started_at),
            cell(&op.operation),
            code(&op.target),
            cell(&op.user),
            cell(op.reason.as_deref().unwrap_or("")),
            cell(&outcome)
        );
    }
    md.push('\n');
}

fn runbooks(md: &mut String, incident: &Incident) {
    md.push_str("## Runbook progress\n\n");
    if incident.runbooks.is_empty() {
        md.push_str("No runbook was attached.\n\n");
        return;
    }
    for runbook in &incident.runbooks {
        let (settled, total) = runbook.settled();
        let _ = writeln!(
            md,
            "### {} — {} ({settled}/{total} steps done or skipped)\n",
            inline(&runbook.runbook_id),
            inline(&runbook.title)
        );
        for step in &runbook.steps {
            let mark = match step.status {
                StepStatus::Done => "[x]",
                StepStatus::Skipped { .. } => "[-]",
                StepStatus::Failed { .. } => "[!]",
                StepStatus::Pending | StepStatus::InProgress => "[ ]",
            };
            let _ = writeln!(
                md,
                "- {mark} `{}` — {}",
                code(&step.step_id),
                inline(&step.status.describe())
            );
            // One line per item: an item's text may hold commas of its own.
            for item in &step.ticked {
                let _ = writeln!(md, "  - checked: {}", inline(item));
            }
            if let Some(answer) = &step.answer {
                let _ = writeln!(md, "  - answer: {}", inline(answer));
            }
        }
        md.push('\n');
    }
}

fn notes(md: &mut String, incident: &Incident) {
    md.push_str("## Notes\n\n");
    let mut any = false;
    for note in incident.notes() {
        any = true;
        let author = note.author.as_deref().unwrap_or("someone");
        let _ = writeln!(md, "**{}** — {}\n", time(note.at), inline(author));
        for line in note.text.lines() {
            let _ = writeln!(md, "> {line}");
        }
        md.push('\n');
    }
    if !any {
        md.push_str("No notes.\n\n");
    }
}

/// `2026-11-23 03:12:04Z`: UTC to the second, the same everywhere in the document.
fn time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// `45s`, `12m 05s`, `1h 12m`, `2d 3h`.
pub fn duration_text(duration: SignedDuration) -> String {
    let secs = duration.as_secs().max(0);
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s:02}s"),
        (0, _, _) => format!("{h}h {m:02}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// One line of running text: newlines become spaces, so a value cannot break a list.
fn inline(text: &str) -> String {
    text.split(['\n', '\r'])
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A table cell: one line, and `|` escaped so it cannot end the cell.
fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

/// Inside backticks: one line, and backticks replaced, so it cannot end the span.
fn code(text: &str) -> String {
    inline(text).replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        let d = |s: i64| duration_text(SignedDuration::from_secs(s));
        assert_eq!(d(45), "45s");
        assert_eq!(d(725), "12m 05s");
        assert_eq!(d(4320), "1h 12m");
        assert_eq!(d(2 * 86_400 + 3 * 3600 + 60), "2d 3h");
        assert_eq!(d(-5), "0s");
    }

    #[test]
    fn typed_text_cannot_break_the_structure() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(code("x`y"), "x'y");
    }
}
