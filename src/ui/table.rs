//! The table every list view shares: columns, sorting by index, fuzzy filtering, and drawing
//! only the rows that are visible.
//!
//! A view describes its rows with [`TableSpec`]; the generic code keeps a cached order of row
//! references (plain `u32` positions into the fleet's collections) that is rebuilt only when
//! the data, the filter, the sort or the scope change.

use std::cmp::Ordering;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
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
    /// The group an item belongs to, when the view groups rows (compose projects).
    fn group(&self, _fleet: &Fleet, _item: u32) -> Option<String> {
        None
    }
}

/// Recompute a table's row order if anything it depends on changed. Cheap when nothing did.
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
    let mut items = spec.items(fleet, scope);
    if !state.filter.is_empty() {
        items = fuzzy_filter(spec, fleet, items, &state.filter);
    }
    // Usually little moved since the last order: start from it, and the stable sort below
    // finds its long sorted runs and merges them in about n comparisons, not n log n.
    let mut items = in_previous_order(items, &state.rows);
    let column = state
        .sort
        .column
        .min(spec.columns().len().saturating_sub(1));
    items.sort_by(|&a, &b| {
        let group = match (spec.group(fleet, a), spec.group(fleet, b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        let by_column = spec.compare(fleet, a, b, column);
        group.then(if state.sort.descending {
            by_column.reverse()
        } else {
            by_column
        })
    });
    let mut rows = Vec::with_capacity(items.len());
    let mut last_group: Option<String> = None;
    for item in items {
        let group = spec.group(fleet, item);
        if group.is_some() && group != last_group {
            rows.push(RowRef::Group(item));
        }
        last_group = group;
        rows.push(RowRef::Item(item));
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

/// `items`, those in `previous` first and in its order, then the others in theirs.
fn in_previous_order(items: Vec<u32>, previous: &[RowRef]) -> Vec<u32> {
    let Some(&last) = items.iter().max() else {
        return items;
    };
    let mut unplaced = vec![false; last as usize + 1];
    for &item in &items {
        unplaced[item as usize] = true;
    }
    let mut ordered = Vec::with_capacity(items.len());
    for row in previous {
        if let RowRef::Item(item) = *row
            && unplaced.get(item as usize).is_some_and(|&u| u)
        {
            unplaced[item as usize] = false;
            ordered.push(item);
        }
    }
    ordered.extend(items.into_iter().filter(|&item| unplaced[item as usize]));
    ordered
}

fn fuzzy_filter(spec: &dyn TableSpec, fleet: &Fleet, items: Vec<u32>, filter: &str) -> Vec<u32> {
    let pattern = Pattern::new(
        filter,
        CaseMatching::Smart,
        Normalization::Smart,
        AtomKind::Fuzzy,
    );
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut text = String::new();
    let mut utf32 = Vec::new();
    items
        .into_iter()
        .filter(|&item| {
            text.clear();
            spec.haystack(fleet, item, &mut text);
            matches(&pattern, Utf32Str::new(&text, &mut utf32), &mut matcher)
        })
        .collect()
}

/// Whether every word of the filter matches, as `pattern.score(..).is_some()` decides.
///
/// Rows are ordered by column, never by score, so only a yes or no is needed: an ASCII
/// word (nearly every filter) uses nucleo's linear greedy matcher, which accepts the same
/// haystacks as the optimal one `score` runs but does not score every alignment; several
/// times faster over 50k rows. Other words go through `Atom::score`.
fn matches(pattern: &Pattern, haystack: Utf32Str<'_>, matcher: &mut Matcher) -> bool {
    pattern.atoms.iter().all(|atom| match atom.needle_text() {
        needle @ Utf32Str::Ascii(bytes) if !atom.negative && atom.kind == AtomKind::Fuzzy => {
            // What `Atom::new` decides for an ASCII word with smart case and normalization.
            matcher.config.ignore_case = !bytes.iter().any(u8::is_ascii_uppercase);
            matcher.config.normalize = true;
            matcher.fuzzy_match_greedy(haystack, needle).is_some()
        }
        _ => atom.score(haystack, matcher).is_some(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_matching_accepts_exactly_what_scoring_accepts() {
        let haystacks = [
            "prod-eu-west-1 shop-a api-7d9f8b6c5d-x2k4q CrashLoopBackOff prod-eu-west-1-node-007",
            "shop-staging shop frontend-6f8d9c7b4-abcde Running stg-node-1",
            "shop-prod payments ledger-5c4b7f9d8-9qz7w ImagePullBackOff node-b",
            "shop-prod monitoring node-exporter-2d69v Running node-c",
            "local shop shop-redis-1 redis:7.4 restarting Ünïcode-naïve",
            "a",
            "",
        ];
        let filters = [
            "api-7",
            "api 7",
            "x2k4q",
            "API",
            "Api",
            "ledger",
            "shop prod",
            "crash loop",
            "ImagePull",
            "imagepull",
            "zzz",
            "7d9f8b6c5d-x2k4qq",
            "node-b",
            "naive",
            "naïve",
            "ü",
            "e",
            "a b c",
            "\\ ",
            "back\\ off",
        ];
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut utf32 = Vec::new();
        for filter in filters {
            let pattern = Pattern::new(
                filter,
                CaseMatching::Smart,
                Normalization::Smart,
                AtomKind::Fuzzy,
            );
            for text in haystacks {
                let haystack = Utf32Str::new(text, &mut utf32);
                let scored = pattern.score(haystack, &mut matcher).is_some();
                let haystack = Utf32Str::new(text, &mut utf32);
                assert_eq!(
                    matches(&pattern, haystack, &mut matcher),
                    scored,
                    "filter {filter:?} on {text:?}"
                );
            }
        }
    }

    #[test]
    fn previous_order_comes_first_then_new_items_in_their_order() {
        let previous = [
            RowRef::Group(4),
            RowRef::Item(4),
            RowRef::Item(2),
            RowRef::Item(9),
            RowRef::Item(0),
        ];
        // 9 is gone, 7 and 1 are new.
        assert_eq!(
            in_previous_order(vec![0, 1, 2, 4, 7], &previous),
            vec![4, 2, 0, 1, 7]
        );
        assert_eq!(in_previous_order(vec![], &previous), Vec::<u32>::new());
        assert_eq!(in_previous_order(vec![3, 1], &[]), vec![3, 1]);
    }
}
