//! The loop: one `select!` over terminal events, source events and timers (DESIGN.md §3).
//!
//! Renders only when something changed, each frame wrapped in a synchronized update: at
//! most ~30 frames/s after a key, ~15 after source events alone. An idle screen is
//! redrawn only when an age on it would change.

use std::time::Duration;

use crossterm::event::{Event, EventStream};
use crossterm::execute;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::terminal::Term;
use super::{Action, App};
use crate::store::SourceEvent;
use crate::ui::{self, Screen};

/// The shortest gap between two frames after a key or a resize: ~30 frames/s.
const FRAME_INTERVAL: Duration = Duration::from_millis(33);
/// The shortest gap between two frames that only sources asked for. A busy cluster changes
/// something all the time (100 pod changes a second on 50,000 pods), and drawing was most
/// of what the console then spent; 15 frames/s halves that, and a change still reaches
/// the screen well within 100 ms.
const SOURCE_FRAME_INTERVAL: Duration = Duration::from_millis(66);
/// The most source events applied before the screen gets a chance to redraw.
const BURST: usize = 1024;

/// The handles through which the app steers its sources. Each `set_interest` returns at
/// once and wakes its source only when what is wanted changed.
#[derive(Default)]
pub struct SourceControls {
    pub docker: Option<crate::sources::docker::DockerControl>,
    pub kube: Option<crate::sources::kube::KubeControl>,
}

impl SourceControls {
    /// Tell every source what is on screen: whose stats stream, which logs are followed,
    /// which contexts and namespaces are watched.
    pub fn tell(&self, app: &App) {
        if let Some(docker) = &self.docker {
            docker.set_interest(app.docker_interest());
        }
        if let Some(kube) = &self.kube {
            kube.set_interest(app.kube_interest());
        }
    }
}

/// Run until the user quits. Sources send on `events`; the loop never blocks on them.
pub async fn run(
    terminal: &mut Term,
    app: &mut App,
    mut events: mpsc::Receiver<SourceEvent>,
    controls: SourceControls,
) -> color_eyre::Result<()> {
    let mut input = EventStream::new();
    let mut batch = Vec::with_capacity(BURST);
    let mut last_frame = Instant::now() - FRAME_INTERVAL;
    let size = terminal.size()?;
    app.update(Action::Resize {
        width: size.width,
        height: size.height,
    });
    let mut next_age_tick: Option<Instant> = None;
    let mut sources_open = true;
    let mut mouse_captured = false;
    // Whether the person at the keyboard is waiting for the next frame.
    let mut answering = true;
    while !app.should_quit {
        if app.ui.mouse != mouse_captured {
            mouse_captured = app.ui.mouse;
            super::terminal::set_mouse_capture(terminal, mouse_captured)?;
        }
        let interval = if answering {
            FRAME_INTERVAL
        } else {
            SOURCE_FRAME_INTERVAL
        };
        if app.is_dirty() && last_frame.elapsed() >= interval {
            answering = false;
            app.ui.now = Timestamp::now();
            app.prepare_frame();
            draw(terminal, app)?;
            last_frame = Instant::now();
            // Tell the sources what is on screen: it decides whose stats stream, which logs
            // are followed, which contexts and namespaces are watched.
            controls.tell(app);
            if app.test_panic {
                panic!("PILOTHOUSE_TEST_PANIC: deliberate panic after the first frame");
            }
            next_age_tick = ui::format::take_youngest_age().map(|youngest| {
                // Seconds-old ages change every second; older ones once a minute.
                let wait = if youngest < 60 {
                    1
                } else {
                    60 - youngest.rem_euclid(60)
                };
                Instant::now() + Duration::from_secs(wait.max(1) as u64)
            });
        }
        let frame_due = last_frame + interval;
        let age_due = next_age_tick.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            maybe = input.next() => match maybe {
                Some(Ok(event)) => {
                    on_terminal_event(app, event);
                    answering = true;
                }
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            received = events.recv_many(&mut batch, BURST), if sources_open => {
                if received == 0 {
                    sources_open = false;
                }
                for event in batch.drain(..) {
                    app.update(Action::Source(event));
                }
            },
            _ = tokio::time::sleep_until(frame_due), if app.is_dirty() => {},
            _ = tokio::time::sleep_until(age_due), if next_age_tick.is_some() && !app.is_dirty() => {
                next_age_tick = None;
                app.update(Action::Tick(Timestamp::now()));
            },
            _ = std::future::ready(()), if app.has_background_work() => {
                app.do_background_work();
            },
        }
    }
    Ok(())
}

fn on_terminal_event(app: &mut App, event: Event) {
    match event {
        Event::Key(key) => app.update(Action::Key(key)),
        Event::Mouse(mouse) => app.update(Action::Mouse(mouse)),
        Event::Resize(width, height) => app.update(Action::Resize { width, height }),
        _ => {}
    }
}

fn draw(terminal: &mut Term, app: &App) -> std::io::Result<()> {
    execute!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let screen = Screen {
        fleet: &app.fleet,
        logs: &app.logs,
        log_pane: app.log_pane.as_ref(),
        ui: &app.ui,
        theme: &app.theme,
        chrome: &app.chrome,
    };
    let result = terminal
        .draw(|frame| ui::render(&screen, frame))
        .map(|_| ());
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    result
}
