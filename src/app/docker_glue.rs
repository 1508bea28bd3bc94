//! What the Docker sources should watch closely, read off the screen (issue 5).
//!
//! Not yet wired: add `mod docker_glue;` to `app/mod.rs`, and after each frame is drawn
//! in `event_loop::run`, call `docker.set_interest(app.docker_interest())` on the
//! `DockerControl` that `main` got from `sources::docker::spawn_sources`. The call returns
//! at once and wakes the sources only when the interest changed.

use crate::logs::StreamKey;
use crate::model::ContainerId;
use crate::sources::docker::{DockerInterest, LogStart};
use crate::ui::state::ViewKind;
use crate::ui::table::RowRef;

use super::App;

/// Rows of the screen that are not table rows: header, tab bar, table header, status bar
/// (the same count as `state::CHROME_ROWS`).
const CHROME_ROWS: u16 = 5;

impl App {
    /// Stats for the containers whose rows are on screen (when the containers view is
    /// shown), streamed for the selected container; logs for the Docker streams of the open log
    /// pane, which keep being followed while the pane exists so returning to it loses
    /// nothing.
    pub fn docker_interest(&self) -> DockerInterest {
        let mut interest = DockerInterest::default();
        let table = self.ui.table(ViewKind::Containers);
        let container = |item: u32| self.fleet.containers.get_index(item as usize);
        if self.ui.view == ViewKind::Containers {
            let height = usize::from(self.size.1.saturating_sub(CHROME_ROWS));
            let on_screen = table.rows.iter().skip(table.offset.get()).take(height);
            for row in on_screen {
                if let RowRef::Item(item) = row
                    && let Some(c) = container(*item)
                {
                    interest.visible.insert(c.id.clone());
                }
            }
        }
        interest.selected = table
            .selected_item()
            .and_then(container)
            .map(|c| c.id.clone());
        if let Some(pane) = &self.log_pane {
            for stream in pane.streams() {
                if let StreamKey::Docker { host, id } = stream {
                    interest.logs.insert(
                        ContainerId::new(host.clone(), id.clone()),
                        LogStart::default(),
                    );
                }
            }
        }
        interest
    }
}
