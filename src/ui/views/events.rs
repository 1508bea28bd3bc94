//! Kubernetes events: warnings first, then grouped by object, newest first.

use std::cmp::Ordering;

use ratatui::layout::Constraint;

use crate::model::{EventType, KubeEvent};
use crate::store::Fleet;
use crate::ui::format;
use crate::ui::state::ScopeFilter;
use crate::ui::table::{CellText, Column, TableSpec};

pub struct EventsTable;

const COLUMNS: &[Column] = &[
    Column::new("TYPE", Constraint::Length(9)),
    Column::wide("CONTEXT", Constraint::Length(13), 120),
    Column::wide("NAMESPACE", Constraint::Length(11), 100),
    Column::new("OBJECT", Constraint::Fill(2)),
    Column::new("REASON", Constraint::Length(20)),
    Column::new("MESSAGE", Constraint::Fill(5)),
    Column::wide("COUNT", Constraint::Length(5), 100),
    Column::new("LAST", Constraint::Length(4)),
];

fn get(fleet: &Fleet, i: u32) -> Option<&KubeEvent> {
    fleet.events.get_index(i as usize)
}

impl TableSpec for EventsTable {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn revision(&self, fleet: &Fleet) -> u64 {
        fleet.events.revision()
    }

    fn items(&self, fleet: &Fleet, scope: &ScopeFilter) -> Vec<u32> {
        fleet
            .events
            .values()
            .enumerate()
            .filter(|(_, e)| scope.admits(&e.context, &e.namespace))
            .map(|(i, _)| i as u32)
            .collect()
    }

    fn compare(&self, fleet: &Fleet, a: u32, b: u32, column: usize) -> Ordering {
        let (Some(x), Some(y)) = (get(fleet, a), get(fleet, b)) else {
            return Ordering::Equal;
        };
        // Warnings first, then grouped by the object they are about (its events adjacent,
        // newest first), so "what is wrong with api-7d9f" reads as one block.
        let default = || {
            x.kind
                .cmp(&y.kind)
                .then_with(|| x.context.cmp(&y.context))
                .then_with(|| x.namespace.cmp(&y.namespace))
                .then_with(|| x.object.cmp(&y.object))
                .then(y.last_seen.cmp(&x.last_seen))
                .then(x.name.cmp(&y.name))
        };
        match column {
            1 => x.context.cmp(&y.context).then_with(default),
            2 => x.namespace.cmp(&y.namespace).then_with(default),
            3 => x.object.cmp(&y.object).then_with(default),
            4 => x.reason.cmp(&y.reason).then_with(default),
            6 => y.count.cmp(&x.count).then_with(default),
            7 => y.last_seen.cmp(&x.last_seen).then_with(default),
            _ => default(),
        }
    }

    fn haystack(&self, fleet: &Fleet, item: u32, out: &mut String) {
        if let Some(e) = get(fleet, item) {
            out.push_str(&e.namespace);
            out.push(' ');
            out.push_str(&e.object.kind);
            out.push('/');
            out.push_str(&e.object.name);
            out.push(' ');
            out.push_str(&e.reason);
            out.push(' ');
            out.push_str(&e.message);
        }
    }

    fn cells(&self, fleet: &Fleet, item: u32, now: jiff::Timestamp) -> Vec<CellText> {
        let Some(e) = get(fleet, item) else {
            return Vec::new();
        };
        let (word, style) = match e.kind {
            EventType::Warning => ("! Warning", "event.warning"),
            EventType::Normal => ("  Normal", "event.normal"),
        };
        vec![
            CellText::new(word, style),
            CellText::plain(e.context.clone()),
            CellText::plain(e.namespace.clone()),
            CellText::plain(format!("{}/{}", e.object.kind, e.object.name)),
            CellText::new(e.reason.clone(), style),
            CellText::plain(e.message.clone()),
            CellText::plain(e.count.to_string()),
            CellText::plain(format::age(e.last_seen, now)),
        ]
    }
}
