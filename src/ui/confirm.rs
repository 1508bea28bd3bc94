//! The operation dialog: the plan, the confirmation in proportion to risk, then the
//! operation's progress (DESIGN.md §6). The app edits an [`OpDialog`]; this draws it.

use std::time::{Duration, Instant};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};
use ratatui_textarea::TextArea;
use unicode_width::UnicodeWidthStr;

use super::Screen;
use crate::ops::OpError;
use crate::ops::Operation;
use crate::ops::kube::{KubePlan, Progress};
use crate::ops::policy::{Confirmation, Tier};
use crate::ops::rollback::DiffKind;
use crate::ops::runner::{OpId, Stage};

/// How long a dialog ignores keys after it becomes answerable, so key repeat from the
/// key that opened it cannot confirm it.
pub const CONFIRM_GUARD: Duration = Duration::from_millis(300);

/// Where the dialog is.
#[derive(Debug)]
pub enum Phase {
    /// The plan (and its dry-run) is on its way.
    Planning,
    /// Refused before anything changed (dry-run, RBAC, read-only, paused).
    Refused(OpError),
    /// Waiting for the user.
    Confirming(Box<KubePlan>),
    /// Running: executing or verifying.
    Running {
        stage: Stage,
        progress: Option<Progress>,
        started: Instant,
    },
    /// Finished: the outcome, until dismissed.
    Finished {
        result: Result<String, OpError>,
        elapsed: Duration,
    },
}

/// Which text field a high-risk confirmation is typing into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Reason,
}

/// One operation's dialog.
#[derive(Debug)]
pub struct OpDialog {
    pub id: OpId,
    pub op: Operation,
    pub confirmation: Confirmation,
    pub phase: Phase,
    /// When the dialog last became answerable; keys before `CONFIRM_GUARD` has passed
    /// are ignored.
    pub answerable_since: Instant,
    /// Low tier: whether the highlighted button is Yes (it starts on No).
    pub yes_selected: bool,
    pub field: Field,
    pub name: TextArea<'static>,
    pub reason: TextArea<'static>,
    /// The target's pods as the fleet has them, for the plan (`api-7d9 Running 1/1`).
    pub context_lines: Vec<String>,
    /// A hint after a wrong answer ("the name does not match").
    pub hint: Option<String>,
    /// The runbook step this operation is the action of, if it is one: its outcome
    /// settles the step.
    pub step: Option<crate::app::incident_glue::StepRef>,
}

impl OpDialog {
    pub fn new(id: OpId, op: Operation, confirmation: Confirmation) -> OpDialog {
        OpDialog {
            id,
            op,
            confirmation,
            phase: Phase::Planning,
            answerable_since: Instant::now(),
            yes_selected: false,
            field: Field::Name,
            name: single_line(),
            reason: single_line(),
            context_lines: Vec::new(),
            hint: None,
            step: None,
        }
    }

    /// Whether keys may answer it yet.
    pub fn guarded(&self, now: Instant) -> bool {
        now.duration_since(self.answerable_since) < CONFIRM_GUARD
    }

    pub fn plan(&self) -> Option<&KubePlan> {
        match &self.phase {
            Phase::Confirming(plan) => Some(plan),
            _ => None,
        }
    }
}

fn single_line() -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_cursor_line_style(Style::default());
    t
}

/// A line for the status bar about an operation left running in the background.
#[derive(Debug, Clone, PartialEq)]
pub struct BackgroundOp {
    pub id: OpId,
    pub summary: String,
    pub progress: Option<Progress>,
    pub started: Instant,
}

impl BackgroundOp {
    pub fn status_text(&self) -> String {
        let secs = self.started.elapsed().as_secs();
        match &self.progress {
            Some(p) => format!("⟳ {}: {} ({secs}s)", self.summary, p.text),
            None => format!("⟳ {} ({secs}s)", self.summary),
        }
    }
}

/// Draw the dialog over `area`.
pub fn render(screen: &Screen, dialog: &OpDialog, area: Rect, buf: &mut Buffer) {
    let t = screen.theme;
    let c = &dialog.confirmation;
    let width = area.width.saturating_sub(4).min(96);
    let inner = usize::from(width.saturating_sub(2));
    let room = usize::from(area.height.saturating_sub(2));
    // A long rollback diff gives way, so the answer lines always stay in sight.
    let mut lines = dialog_lines(screen, dialog, width, usize::MAX);
    let rows = wrapped_rows(&lines, inner);
    if rows > room {
        lines = dialog_lines(screen, dialog, width, diff_room(dialog, rows - room));
    }
    let height = (wrapped_rows(&lines, inner) as u16 + 2).min(area.height);
    let popup = super::overlays::centered(area, width, height);
    Clear.render(popup, buf);
    let border = if c.tier == Tier::High {
        "dialog.danger"
    } else {
        "border.focused"
    };
    let title = match c.tier {
        Tier::High => format!(" {} — high risk ", dialog.op.verb()),
        Tier::Low => format!(" {} ", dialog.op.verb()),
    };
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .style(t.style("dialog"))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.style(border))
                .title(Span::styled(title, t.style(border))),
        )
        .render(popup, buf);
}

/// At most this many lines of a template diff are shown.
const DIFF_LINES: usize = 24;

/// How many diff lines fit when the dialog is `over` rows too tall (one more row goes to
/// the line saying how many were left out).
fn diff_room(dialog: &OpDialog, over: usize) -> usize {
    let shown = dialog.plan().map_or(0, |p| p.diff.len().min(DIFF_LINES));
    shown.saturating_sub(over + 1)
}

/// The dialog's lines, with at most `diff_limit` lines of a rollback's diff.
fn dialog_lines<'a>(
    screen: &Screen,
    dialog: &'a OpDialog,
    width: u16,
    diff_limit: usize,
) -> Vec<Line<'a>> {
    let t = screen.theme;
    let c = &dialog.confirmation;
    let mut lines: Vec<Line> = Vec::new();
    let env = c.environment;
    lines.push(Line::from(vec![
        Span::styled(
            format!(" {} ", env.label().to_uppercase()),
            t.style(&format!("env.{}", env.label())),
        ),
        Span::raw(" "),
        Span::styled(dialog.op.summary(), t.style("dialog.title")),
    ]));
    if c.protected && matches!(dialog.phase, Phase::Planning | Phase::Confirming(_)) {
        lines.push(Line::styled(
            "protected: type the name and give a reason",
            t.style("dialog.danger"),
        ));
    }
    lines.push(Line::raw(""));
    match &dialog.phase {
        Phase::Planning => lines.push(Line::raw("planning (server-side dry-run)…")),
        Phase::Refused(error) => {
            lines.push(Line::styled(
                format!("refused, nothing was changed: {error}"),
                t.style("statusbar.error"),
            ));
            lines.push(Line::raw(""));
            lines.push(Line::styled("Esc close", t.style("table.dim")));
        }
        Phase::Confirming(plan) => {
            plan_lines(screen, dialog, plan, diff_limit, &mut lines);
            answer_lines(screen, dialog, &mut lines);
        }
        Phase::Running {
            stage,
            progress,
            started,
        } => {
            let stage = match stage {
                Stage::Executing => "executing",
                Stage::Verifying => "verifying",
            };
            // Whole seconds only once there is one, so a fresh dialog draws the same
            // every time (snapshots).
            let secs = started.elapsed().as_secs();
            lines.push(Line::raw(if secs == 0 {
                format!("{stage}…")
            } else {
                format!("{stage}… {secs}s")
            }));
            if let Some(p) = progress {
                if let Some(f) = p.fraction {
                    lines.push(bar(f, width.saturating_sub(10) as usize, t));
                }
                lines.push(Line::raw(p.text.clone()));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Esc/b leave it running in the background",
                t.style("table.dim"),
            ));
        }
        Phase::Finished { result, elapsed } => {
            let (text, style) = match result {
                Ok(words) => (format!("✓ {words}"), "status.ok"),
                Err(e) => (format!("✗ {e}"), "status.critical"),
            };
            lines.push(Line::styled(text, t.style(style)));
            // A read-only refusal (or an audit log that cannot be written) stops an
            // execution before its intent is recorded: say so rather than claim a record.
            let recorded = !matches!(result, Err(OpError::ReadOnly(_)))
                && !matches!(result, Err(OpError::Refused(m)) if m.starts_with("cannot write the audit log"));
            lines.push(Line::raw(format!(
                "took {:.1}s; {}",
                elapsed.as_secs_f64(),
                if recorded {
                    "recorded in the audit log"
                } else {
                    "nothing was sent or recorded"
                }
            )));
            lines.push(Line::raw(""));
            lines.push(Line::styled("Esc/Enter close", t.style("table.dim")));
        }
    }
    lines
}

/// The rows `lines` take when wrapped at `width` columns, counted as the paragraph's word
/// wrap lays them out (a word goes to the next row when it does not fit; a word longer
/// than a row is broken).
fn wrapped_rows(lines: &[Line], width: usize) -> usize {
    let width = width.max(1);
    lines
        .iter()
        .map(|line| {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            if text.width() <= width {
                return 1;
            }
            let (mut rows, mut column) = (1, 0);
            for word in text.split_inclusive(' ') {
                let visible = word.trim_end_matches(' ').width();
                if column > 0 && column + visible > width {
                    rows += 1;
                    column = 0;
                }
                let mut w = word.width();
                while w > width {
                    rows += 1;
                    w -= width;
                }
                column += w;
            }
            rows
        })
        .sum()
}

fn plan_lines<'a>(
    screen: &Screen,
    dialog: &'a OpDialog,
    plan: &'a KubePlan,
    diff_limit: usize,
    lines: &mut Vec<Line<'a>>,
) {
    let t = screen.theme;
    for line in &plan.lines {
        lines.push(Line::raw(line.as_str()));
    }
    for line in &dialog.context_lines {
        lines.push(Line::styled(line.as_str(), t.style("table.dim")));
    }
    if !plan.revisions.is_empty() {
        lines.push(Line::styled(
            "revisions (↑/↓ choose):",
            t.style("help.section"),
        ));
        for r in plan.revisions.iter().take(8) {
            let chosen = plan.chosen_revision == Some(r.number);
            let marker = match (chosen, r.current) {
                (true, _) => "▶",
                (false, true) => "●",
                _ => " ",
            };
            let age = super::format::age(r.created, screen.ui.now);
            let text = format!(
                "{marker} {:>3}  {:<5} {}  {}",
                r.number,
                age,
                r.images.join(","),
                r.change_cause.as_deref().unwrap_or("")
            );
            let style = if chosen {
                t.style("table.selected")
            } else {
                t.style("default")
            };
            lines.push(Line::styled(text, style));
        }
    }
    if !plan.diff.is_empty() {
        lines.push(Line::styled(
            "pod template, now → chosen:",
            t.style("help.section"),
        ));
        let shown = plan.diff.len().min(DIFF_LINES).min(diff_limit);
        for d in plan.diff.iter().take(shown) {
            let (prefix, style) = match d.kind {
                DiffKind::Added => ("+ ", "status.ok"),
                DiffKind::Removed => ("- ", "status.critical"),
                DiffKind::Context => ("  ", "table.dim"),
                DiffKind::Hunk => ("", "help.section"),
            };
            lines.push(Line::styled(format!("{prefix}{}", d.text), t.style(style)));
        }
        if shown < plan.diff.len() {
            lines.push(Line::styled(
                format!("… {} more diff lines", plan.diff.len() - shown),
                t.style("table.dim"),
            ));
        }
    }
    lines.push(Line::styled(
        format!("dry-run: {}", plan.dry_run),
        t.style("table.dim"),
    ));
    lines.push(Line::raw(""));
}

fn answer_lines<'a>(screen: &Screen, dialog: &'a OpDialog, lines: &mut Vec<Line<'a>>) {
    let t = screen.theme;
    let c = &dialog.confirmation;
    match c.tier {
        Tier::Low => {
            let button = |label: &'static str, on: bool| {
                Span::styled(
                    format!(" {label} "),
                    t.style(if on {
                        "dialog.button.selected"
                    } else {
                        "dialog.button"
                    }),
                )
            };
            lines.push(Line::from(vec![
                Span::raw("Go ahead?  "),
                button("Yes", dialog.yes_selected),
                Span::raw(" "),
                button("No", !dialog.yes_selected),
                Span::styled(
                    "   y yes · n/Esc no · Enter the highlighted",
                    t.style("table.dim"),
                ),
            ]));
        }
        Tier::High => {
            let cursor = |on: bool| if on { "▏" } else { "" };
            let name = dialog.name.lines().first().cloned().unwrap_or_default();
            lines.push(Line::from(vec![
                Span::raw(format!(
                    "Type {} to confirm: ",
                    c.name.as_deref().unwrap_or_default()
                )),
                Span::styled(
                    format!("{name}{}", cursor(dialog.field == Field::Name)),
                    t.style("dialog.button.selected"),
                ),
            ]));
            if c.reason_required {
                let reason = dialog.reason.lines().first().cloned().unwrap_or_default();
                lines.push(Line::from(vec![
                    Span::raw("Reason (for the audit log): "),
                    Span::styled(
                        format!("{reason}{}", cursor(dialog.field == Field::Reason)),
                        t.style("dialog.button.selected"),
                    ),
                ]));
            }
            lines.push(Line::styled(
                if c.reason_required {
                    "Enter confirm · Tab next field · Esc cancel"
                } else {
                    "Enter confirm · Esc cancel"
                },
                t.style("table.dim"),
            ));
        }
    }
    if let Some(hint) = &dialog.hint {
        lines.push(Line::styled(hint.as_str(), t.style("statusbar.error")));
    }
}

fn bar<'a>(fraction: f64, width: usize, t: &crate::config::theme::Theme) -> Line<'a> {
    let filled = (fraction * width as f64).round() as usize;
    Line::from(vec![
        Span::styled("█".repeat(filled), t.style("status.ok")),
        Span::styled(
            "░".repeat(width.saturating_sub(filled)),
            t.style("table.dim"),
        ),
        Span::raw(format!(" {:>3.0}%", fraction * 100.0)),
    ])
}
