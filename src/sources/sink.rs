//! The sending end of the app's event channel.
//!
//! The channel is bounded. State changes (upserts, deletes, health) wait for room: they must
//! not be lost, and waiting only slows the one source. Log lines never wait: when the
//! channel is full they are dropped, counted per stream, and the count is sent as a
//! `LogDropped` once there is room, so the log view can say what is missing.

use std::collections::HashMap;

use tokio::sync::mpsc;

use crate::logs::{RawLogLine, StreamKey};
use crate::model::{SourceHealth, SourceKey};
use crate::store::SourceEvent;

/// The app has gone: the source should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the console has closed its event channel")]
pub struct Closed;

#[derive(Debug)]
pub struct EventSink {
    tx: mpsc::Sender<SourceEvent>,
    /// Lines dropped per stream and not yet reported.
    dropped: HashMap<StreamKey, u64>,
}

impl Clone for EventSink {
    /// A clone starts with no drops of its own to report.
    fn clone(&self) -> EventSink {
        EventSink::new(self.tx.clone())
    }
}

impl EventSink {
    pub fn new(tx: mpsc::Sender<SourceEvent>) -> EventSink {
        EventSink {
            tx,
            dropped: HashMap::new(),
        }
    }

    /// Send a state change, waiting for room.
    pub async fn send(&mut self, event: SourceEvent) -> Result<(), Closed> {
        self.tx.send(event).await.map_err(|_| Closed)
    }

    pub async fn health(&mut self, source: &SourceKey, health: SourceHealth) -> Result<(), Closed> {
        self.send(SourceEvent::Health {
            source: source.clone(),
            health,
        })
        .await
    }

    /// Offer log lines without waiting; on a full channel they are counted as dropped.
    pub fn offer_logs(&mut self, lines: Vec<RawLogLine>) -> Result<(), Closed> {
        if lines.is_empty() {
            return Ok(());
        }
        self.report_drops()?;
        match self.tx.try_send(SourceEvent::Log(lines)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(SourceEvent::Log(lines))) => {
                for line in lines {
                    *self.dropped.entry(line.stream).or_default() += 1;
                }
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(_)) => Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Closed),
        }
    }

    /// Send pending drop counts if there is room; keep them otherwise.
    fn report_drops(&mut self) -> Result<(), Closed> {
        let streams: Vec<StreamKey> = self.dropped.keys().cloned().collect();
        for stream in streams {
            let Some(&lines) = self.dropped.get(&stream) else {
                continue;
            };
            match self.tx.try_send(SourceEvent::LogDropped {
                stream: stream.clone(),
                lines,
            }) {
                Ok(()) => {
                    self.dropped.remove(&stream);
                }
                Err(mpsc::error::TrySendError::Full(_)) => return Ok(()),
                Err(mpsc::error::TrySendError::Closed(_)) => return Err(Closed),
            }
        }
        Ok(())
    }

    /// Lines dropped and not yet reported, over all streams.
    pub fn unreported_drops(&self) -> u64 {
        self.dropped.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: u8) -> RawLogLine {
        RawLogLine {
            stream: StreamKey::Docker {
                host: "h".into(),
                id: "c".into(),
            },
            timestamp: None,
            stderr: false,
            bytes: vec![b'0' + n],
        }
    }

    #[tokio::test]
    async fn full_channel_drops_and_counts_log_lines_then_reports_them() {
        let (tx, mut rx) = mpsc::channel(1);
        let mut sink = EventSink::new(tx);
        sink.offer_logs(vec![line(1)]).expect("open");
        // The channel is full now: these two are dropped, not waited for.
        sink.offer_logs(vec![line(2), line(3)]).expect("open");
        assert_eq!(sink.unreported_drops(), 2);
        assert!(matches!(rx.recv().await, Some(SourceEvent::Log(l)) if l.len() == 1));
        // Room for one event again: the next offer reports the drops first, so the report
        // takes the room and line 4 is dropped (and counted) in turn.
        sink.offer_logs(vec![line(4)]).expect("open");
        assert!(matches!(
            rx.recv().await,
            Some(SourceEvent::LogDropped { lines: 2, .. })
        ));
        assert_eq!(sink.unreported_drops(), 1);
        sink.offer_logs(vec![line(5)]).expect("open");
        assert!(matches!(
            rx.recv().await,
            Some(SourceEvent::LogDropped { lines: 1, .. })
        ));
    }

    #[tokio::test]
    async fn a_closed_channel_tells_the_source_to_stop() {
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let mut sink = EventSink::new(tx);
        assert_eq!(sink.offer_logs(vec![line(1)]), Err(Closed));
        assert_eq!(sink.send(SourceEvent::Log(vec![])).await, Err(Closed));
    }
}
