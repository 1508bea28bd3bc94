//! The actions a key can be bound to. Keymap files name them in snake_case
//! (`action = "page_down"`), so renaming a variant is a breaking change for users' keymaps.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAction {
    // [global]
    Quit,
    Help,
    Palette,
    Back,
    NextView,
    PrevView,
    ViewOverview,
    ViewWorkloads,
    ViewPods,
    ViewNodes,
    ViewContainers,
    ViewAlerts,
    ViewEvents,
    ViewLogs,
    ViewBackups,
    ToggleMouse,
    // [table] and [logs]: movement
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// `/`: fuzzy filter on a table, regex filter on logs.
    Filter,
    // [table]
    SortNext,
    SortPrev,
    SortReverse,
    /// Enter: drill into the row (workload → pods, pod → logs, alert → its target).
    Open,
    OpenLogs,
    /// Logs of the previous instance of the selected pod's containers (before a restart).
    OpenPreviousLogs,
    OpenEvents,
    OpenOwner,
    // [table]: operations on the selected row (issue 7)
    Scale,
    Restart,
    Rollback,
    Backup,
    Delete,
    Cordon,
    /// Stop a running container, start a stopped one.
    StopStart,
    // [logs]
    ToggleFollow,
    ToggleWrap,
    ToggleTimestamps,
    InvertFilter,
    ClearFilter,
    Search,
    NextMatch,
    PrevMatch,
    /// Write the pane's retained lines to a file in the data directory.
    SaveLogs,
    // [dialog]
    Confirm,
    Cancel,
}

impl KeyAction {
    /// Every action, for `keymaps check` and for the help overlay's ordering.
    pub const ALL: &'static [KeyAction] = &[
        KeyAction::Quit,
        KeyAction::Help,
        KeyAction::Palette,
        KeyAction::Back,
        KeyAction::NextView,
        KeyAction::PrevView,
        KeyAction::ViewOverview,
        KeyAction::ViewWorkloads,
        KeyAction::ViewPods,
        KeyAction::ViewNodes,
        KeyAction::ViewContainers,
        KeyAction::ViewAlerts,
        KeyAction::ViewEvents,
        KeyAction::ViewLogs,
        KeyAction::ViewBackups,
        KeyAction::ToggleMouse,
        KeyAction::Up,
        KeyAction::Down,
        KeyAction::PageUp,
        KeyAction::PageDown,
        KeyAction::Top,
        KeyAction::Bottom,
        KeyAction::Filter,
        KeyAction::SortNext,
        KeyAction::SortPrev,
        KeyAction::SortReverse,
        KeyAction::Open,
        KeyAction::OpenLogs,
        KeyAction::OpenPreviousLogs,
        KeyAction::OpenEvents,
        KeyAction::OpenOwner,
        KeyAction::Scale,
        KeyAction::Restart,
        KeyAction::Rollback,
        KeyAction::Backup,
        KeyAction::Delete,
        KeyAction::Cordon,
        KeyAction::StopStart,
        KeyAction::ToggleFollow,
        KeyAction::ToggleWrap,
        KeyAction::ToggleTimestamps,
        KeyAction::InvertFilter,
        KeyAction::ClearFilter,
        KeyAction::Search,
        KeyAction::NextMatch,
        KeyAction::PrevMatch,
        KeyAction::SaveLogs,
        KeyAction::Confirm,
        KeyAction::Cancel,
    ];
}
