//! The table every list view shares: columns, sorting by index, fuzzy filtering, and drawing
//! only the rows that are visible.
//!
//! A view describes its rows with [`TableSpec`]; the generic code keeps a cached order of row
//! references (plain `u32` positions into the fleet's collections) that is brought up to date
//! only when the data, the filter, the sort or the scope change, and then by the least work
//! that does it ([`order`]).

mod filter;
mod order;

use std::cmp::Ordering;

pub use order::OrderCache;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, Widget};

use super::state::{ScopeFilter, TableState};
use crate::config::theme::Theme;
use crate::store::Fleet;

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    pub width: Constraint,
    /// Hide the column when the table is narrower than this (0: always shown), so an
    /// 80-column SSH session still gets readable names.
    pub hide_below: u16,
}

impl Column {
    pub const fn new(title: &'static str, width: Constraint) -> Column {
        Column {
            title,
            width,
            hide_below: 0,
        }
    }

    /// Shown only on tables at least `width` cells wide.
    pub const fn wide(title: &'static str, width: Constraint, min_table_width: u16) -> Column {
        Column {
            title,
            width,
            hide_below: min_table_width,
        }
    }
}

/// A row in a table: an item, or a group header (compose project) that precedes items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowRef {
    Item(u32),
    /// A group heading, represented by its first item.
    Group(u32),
}

impl RowRef {
    pub fn item(self) -> Option<u32> {
        match self {
            RowRef::Item(i) => Some(i),
            RowRef::Group(_) => None,
        }
    }
}

/// A styled cell: text plus the theme key that colors it.
pub struct CellText {
    pub text: String,
    pub style: &'static str,
}

impl CellText {
    pub fn new(text: impl Into<String>, style: &'static str) -> Self {
        CellText {
            text: text.into(),
            style,
        }
    }

    pub fn plain(text: impl Into<String>) -> Self {
        CellText::new(text, "table.row")
    }
}

/// What changed among a table's items since an earlier revision; see
/// [`TableSpec::changes_since`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemChanges {
    /// Items whose data may differ, each once: replaced, new, or moved to this position.
    pub changed: Vec<u32>,
    /// How many items there are now: items at or past this position are gone. Every other
    /// item below it is the same item as before, unchanged.
    pub len: u32,
}

/// What a list view tells the generic table about its rows.
pub trait TableSpec {
    fn columns(&self) -> &'static [Column];
    /// A number that changes whenever the rows' data may have changed.
    fn revision(&self, fleet: &Fleet) -> u64;
    /// Every item position in scope, in any order.
    fn items(&self, fleet: &Fleet, scope: &ScopeFilter) -> Vec<u32>;
    fn compare(&self, fleet: &Fleet, a: u32, b: u32, column: usize) -> Ordering;
    /// Text the fuzzy filter matches against; written into `out` to avoid allocating.
    fn haystack(&self, fleet: &Fleet, item: u32, out: &mut String);
    fn cells(&self, fleet: &Fleet, item: u32, now: jiff::Timestamp) -> Vec<CellText>;
    /// Whether the view groups rows ([`TableSpec::group`] may answer `Some`). Asked so that
    /// views that never group do not pay a call per row and per comparison for nothing.
    fn grouped(&self) -> bool {
        false
    }
    /// The group an item belongs to, when the view groups rows (compose projects).
    fn group(&self, _fleet: &Fleet, _item: u32) -> Option<String> {
        None
    }
    /// What changed since `revision`, an earlier value of [`TableSpec::revision`], so that
    /// [`refresh`] re-places only those rows and rebuilds only their haystacks. `None` (the
    /// default) means unknown: the order is rebuilt. A spec that answers numbers its items
    /// densely (positions in one collection), and an item's scope, order and haystack depend
    /// on that item alone.
    fn changes_since(&self, _fleet: &Fleet, _revision: u64) -> Option<ItemChanges> {
        None
    }
    /// Whether one item is in scope: [`TableSpec::items`] lists exactly those that are. Used
    /// with [`TableSpec::changes_since`]; this default asks `items`, which is slow.
    fn in_scope(&self, fleet: &Fleet, item: u32, scope: &ScopeFilter) -> bool {
        self.items(fleet, scope).contains(&item)
    }
}

/// Recompute a table's row order if anything it depends on changed. Cheap when nothing did,
/// and after a few items changed, or the filter text did, far cheaper than a sort.
pub fn refresh(spec: &dyn TableSpec, fleet: &Fleet, scope: &ScopeFilter, state: &mut TableState) {
    let key = (
        spec.revision(fleet),
        state.filter.clone(),
        state.sort,
        scope.clone(),
    );
    if state.order_key.as_ref() == Some(&key) {
        return;
    }
    let selected_item = state.selected_row().and_then(|r| r.item());
    state
        .cache
        .update(spec, fleet, scope, state.sort, &state.filter);
    let mut rows = std::mem::take(&mut state.rows);
    rows.clear();
    if spec.grouped() {
        let mut last_group: Option<String> = None;
        for &item in state.cache.rows() {
            let group = spec.group(fleet, item);
            if group.is_some() && group != last_group {
                rows.push(RowRef::Group(item));
            }
            last_group = group;
            rows.push(RowRef::Item(item));
        }
    } else {
        rows.extend(state.cache.rows().iter().map(|&item| RowRef::Item(item)));
    }
    state.rows = rows;
    state.order_key = Some(key);
    // Keep the selection on the same item when rows move around it.
    if let Some(item) = selected_item
        && let Some(pos) = state.rows.iter().position(|r| *r == RowRef::Item(item))
    {
        state.selected = pos;
    }
    state.clamp();
}

/// Draws a table from its cached order; formats only the rows that fit.
pub struct TableView<'a> {
    pub spec: &'a dyn TableSpec,
    pub fleet: &'a Fleet,
    pub state: &'a TableState,
    pub theme: &'a Theme,
    pub now: jiff::Timestamp,
    /// Said instead of an empty table, so an empty list is never mistaken for "all is well".
    pub empty_message: String,
}

impl Widget for TableView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height < 2 {
            return;
        }
        let shown: Vec<usize> = self
            .spec
            .columns()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.hide_below <= area.width)
            .map(|(i, _)| i)
            .collect();
        let columns: Vec<Column> = shown.iter().map(|&i| self.spec.columns()[i]).collect();
        let header = Row::new(columns.iter().zip(&shown).map(|(c, &i)| {
            let (mark, key) = if i == self.state.sort.column {
                (
                    if self.state.sort.descending {
                        "↓"
                    } else {
                        "↑"
                    },
                    "table.header.sorted",
                )
            } else {
                ("", "table.header")
            };
            Cell::from(format!("{}{mark}", c.title)).style(self.theme.style(key))
        }))
        .style(self.theme.style("table.header"));
        let body_height = area.height.saturating_sub(1) as usize;
        if self.state.rows.is_empty() {
            let widths: Vec<Constraint> = columns.iter().map(|c| c.width).collect();
            Table::new(Vec::<Row>::new(), widths)
                .header(header)
                .render(area, buf);
            let msg = Rect {
                y: area.y + 1,
                height: 1,
                ..area
            };
            Line::styled(
                format!("  {}", self.empty_message),
                self.theme.style("table.dim"),
            )
            .render(msg, buf);
            return;
        }
        let offset = self.state.offset_for(body_height);
        let mut group_labels: Vec<(usize, String, Style)> = Vec::new();
        let visible = self
            .state
            .rows
            .iter()
            .enumerate()
            .skip(offset)
            .take(body_height);
        let rows: Vec<Row> = visible
            .map(|(index, row)| {
                let style = if index == self.state.selected {
                    self.theme.style("table.selected")
                } else if index % 2 == 1 {
                    self.theme.style("table.row.alt")
                } else {
                    self.theme.style("table.row")
                };
                match *row {
                    RowRef::Group(item) => {
                        // Drawn across the whole width after the table, not in one column.
                        let label = self.spec.group(self.fleet, item).unwrap_or_default();
                        let marker = if index == self.state.selected {
                            "▶ "
                        } else {
                            "▾ "
                        };
                        group_labels.push((index - offset, format!("{marker}{label}"), style));
                        Row::new(Vec::<Cell>::new()).style(style)
                    }
                    RowRef::Item(item) => {
                        let mut cells = self.spec.cells(self.fleet, item, self.now);
                        let shown_cells = shown.iter().filter_map(|&i| {
                            cells
                                .get_mut(i)
                                .map(|c| std::mem::replace(c, CellText::plain("")))
                        });
                        Row::new(shown_cells.map(|c| {
                            Cell::from(c.text).style(if c.style == "table.row" {
                                Style::default()
                            } else {
                                self.theme.style(c.style)
                            })
                        }))
                        .style(style)
                    }
                }
            })
            .collect();
        let widths: Vec<Constraint> = columns.iter().map(|c| c.width).collect();
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .render(area, buf);
        for (row, label, style) in group_labels {
            let line_area = Rect {
                y: area.y + 1 + row as u16,
                height: 1,
                ..area
            };
            Line::from(Span::styled(label, self.theme.style("table.group")))
                .style(style)
                .render(line_area, buf);
        }
    }
}
