//! What the user is looking at: the current view, selections, filters and overlays.
//! Plain data; the views read it, `App::update` changes it.

use std::cell::Cell;

use jiff::Timestamp;

use super::table::{OrderCache, RowRef};

/// The views, in tab order. Digits 1–9 jump to them in the default keymap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewKind {
    Overview,
    Workloads,
    Pods,
    Nodes,
    Containers,
    Alerts,
    Events,
    Logs,
    Backups,
    Incident,
}

impl ViewKind {
    pub const ALL: [ViewKind; 10] = [
        ViewKind::Overview,
        ViewKind::Workloads,
        ViewKind::Pods,
        ViewKind::Nodes,
        ViewKind::Containers,
        ViewKind::Alerts,
        ViewKind::Events,
        ViewKind::Logs,
        ViewKind::Backups,
        ViewKind::Incident,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ViewKind::Overview => "Overview",
            ViewKind::Workloads => "Workloads",
            ViewKind::Pods => "Pods",
            ViewKind::Nodes => "Nodes & hosts",
            ViewKind::Containers => "Containers",
            ViewKind::Alerts => "Alerts",
            ViewKind::Events => "Events",
            ViewKind::Logs => "Logs",
            ViewKind::Backups => "Backups",
            ViewKind::Incident => "Incident",
        }
    }

    /// The palette aliases that jump here (`:po`, `:deploy`...).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            ViewKind::Overview => &["overview", "ov", "home"],
            ViewKind::Workloads => &[
                "workloads",
                "wl",
                "deploy",
                "deployments",
                "sts",
                "ds",
                "cj",
                "cronjobs",
                "jobs",
            ],
            ViewKind::Pods => &["pods", "po", "pod"],
            ViewKind::Nodes => &["nodes", "no", "hosts", "node"],
            ViewKind::Containers => &["ctr", "containers", "docker", "ps"],
            ViewKind::Alerts => &["alerts", "alert", "al"],
            ViewKind::Events => &["events", "ev"],
            ViewKind::Logs => &["logs", "log"],
            ViewKind::Backups => &["backups", "bk", "backup"],
            ViewKind::Incident => &["incident", "inc", "runbook", "rb"],
        }
    }

    /// The tab bar's label: the digit that jumps here (0 for the tenth) and the title.
    pub fn tab_label(self, index: usize) -> String {
        format!(" {} {} ", (index + 1) % 10, self.title())
    }

    pub fn index(self) -> usize {
        ViewKind::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }

    pub fn has_table(self) -> bool {
        !matches!(
            self,
            ViewKind::Overview | ViewKind::Logs | ViewKind::Incident
        )
    }
}

/// The namespace and context scope set with `:ns` and `:ctx`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopeFilter {
    pub namespace: Option<String>,
    pub context: Option<String>,
}

impl ScopeFilter {
    pub fn admits(&self, context: &str, namespace: &str) -> bool {
        self.context.as_deref().is_none_or(|c| c == context)
            && self
                .namespace
                .as_deref()
                .is_none_or(|n| n == namespace || namespace.is_empty())
    }

    pub fn admits_context(&self, context: &str) -> bool {
        self.context.as_deref().is_none_or(|c| c == context)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SortSpec {
    pub column: usize,
    pub descending: bool,
}

/// Selection, scroll, sort and filter of one table, plus its cached row order.
#[derive(Debug, Clone, Default)]
pub struct TableState {
    pub selected: usize,
    /// First visible row; kept so the selection moves within the page before it scrolls.
    pub offset: Cell<usize>,
    pub sort: SortSpec,
    pub filter: String,
    pub rows: Vec<RowRef>,
    /// What `rows` were built for: data revision, filter, sort and scope.
    pub order_key: Option<(u64, String, SortSpec, ScopeFilter)>,
    /// The sorted and filtered orders and filter haystacks `rows` come from, kept so a change
    /// costs work in proportion to what changed (see `ui::table::refresh`).
    pub cache: OrderCache,
}

impl TableState {
    pub fn selected_row(&self) -> Option<RowRef> {
        self.rows.get(self.selected).copied()
    }

    pub fn selected_item(&self) -> Option<u32> {
        self.selected_row().and_then(RowRef::item)
    }

    pub fn clamp(&mut self) {
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.rows.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// The first row to draw so the selection is visible, remembering the choice so
    /// the page does not jump while the selection moves inside it.
    pub fn offset_for(&self, height: usize) -> usize {
        let height = height.max(1);
        let mut offset = self.offset.get();
        if self.selected < offset {
            offset = self.selected;
        } else if self.selected >= offset + height {
            offset = self.selected + 1 - height;
        }
        offset = offset.min(self.rows.len().saturating_sub(height));
        self.offset.set(offset);
        offset
    }

    /// Forget the cached order, so the next refresh rebuilds it from scratch. Not needed when
    /// the filter, sort or scope change: the cache notices those by itself.
    pub fn invalidate(&mut self) {
        self.order_key = None;
        self.cache.forget();
    }
}

/// A text prompt at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// `:` command palette.
    Palette,
    /// `/` filter of the current table or log.
    Filter,
    /// Plain-text search in the log.
    Search,
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    /// A one-line ratatui-textarea: cursor movement, word deletion and the like for free.
    pub editor: ratatui_textarea::TextArea<'static>,
    /// Index into the palette's suggestions, when it shows them.
    pub suggestion: usize,
}

impl Prompt {
    /// The text typed so far.
    pub fn text(&self) -> String {
        self.editor.lines().join("")
    }
}

/// Something drawn over the view that takes the keys.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help { scroll: u16 },
    Problems,
}

/// A message in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    pub text: String,
    pub error: bool,
}

#[derive(Debug)]
pub struct UiState {
    pub view: ViewKind,
    pub previous_views: Vec<ViewKind>,
    /// The clock the views read ages against; set by the loop before each frame, fixed in tests.
    pub now: Timestamp,
    pub tables: [TableState; 10],
    pub scope: ScopeFilter,
    pub prompt: Option<Prompt>,
    pub overlay: Option<Overlay>,
    pub status: Option<StatusMessage>,
    pub read_only: bool,
    pub mouse: bool,
    /// The operation dialog, when one is open (plan, confirmation, progress).
    pub operation: Option<super::confirm::OpDialog>,
    /// Operations left running in the background, for the status bar.
    pub background: Vec<super::confirm::BackgroundOp>,
    /// The operation keys that apply to the selected row, for the status bar; greyed
    /// (with the reason) when read-only or RBAC says no.
    pub op_hints: Vec<OpHint>,
    /// The incident worked in this console, with its runbooks (issue 8).
    pub incident: Option<Box<super::incident::state::IncidentDesk>>,
    /// The declare dialog, when open.
    pub declare: Option<super::incident::state::DeclareDialog>,
    /// The note editor, when open.
    pub note: Option<super::incident::state::NoteEditor>,
}

/// One operation key offered for the selected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpHint {
    pub keys: String,
    pub what: &'static str,
    /// Why it is not allowed, when it is not.
    pub denied: Option<String>,
}

impl UiState {
    pub fn new(now: Timestamp) -> Self {
        UiState {
            view: ViewKind::Overview,
            previous_views: Vec::new(),
            now,
            tables: Default::default(),
            scope: ScopeFilter::default(),
            prompt: None,
            overlay: None,
            status: None,
            read_only: false,
            mouse: false,
            operation: None,
            background: Vec::new(),
            op_hints: Vec::new(),
            incident: None,
            declare: None,
            note: None,
        }
    }

    pub fn table(&self, view: ViewKind) -> &TableState {
        &self.tables[view.index()]
    }

    pub fn table_mut(&mut self, view: ViewKind) -> &mut TableState {
        &mut self.tables[view.index()]
    }
}
