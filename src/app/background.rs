//! Work the event loop does in bounded slices when no key or source event is waiting
//! (DESIGN.md §3): a key arriving meanwhile waits for one slice at most.

use super::App;
use crate::ui::state::PromptKind;
use crate::ui::views::table_spec;

/// Rows whose filter haystacks one slice builds: about half a millisecond of work.
const HAYSTACK_BUDGET_ROWS: usize = 5_000;

impl App {
    /// Whether anything is left to do between events.
    pub fn has_background_work(&self) -> bool {
        self.has_log_work() || self.filter_warm_up_due()
    }

    /// One bounded slice of that work.
    pub fn do_background_work(&mut self) {
        if self.has_log_work() {
            self.do_log_work();
        } else if self.filter_warm_up_due() {
            let view = self.ui.view;
            if let Some(spec) = table_spec(view) {
                let cache = &mut self.ui.table_mut(view).cache;
                cache.warm_haystacks(spec, &self.fleet, HAYSTACK_BUDGET_ROWS);
            }
        }
    }

    /// The filter prompt is open over a table whose rows' haystacks are not all built: the
    /// first keystroke would build them all before it could answer.
    fn filter_warm_up_due(&self) -> bool {
        let filtering = self
            .ui
            .prompt
            .as_ref()
            .is_some_and(|p| p.kind == PromptKind::Filter);
        filtering
            && table_spec(self.ui.view).is_some_and(|spec| {
                self.ui
                    .table(self.ui.view)
                    .cache
                    .haystacks_cold(spec, &self.fleet)
            })
    }
}
