//! The tasks that fetch stats: one stream per watched container, one-shot samples for the
//! rest. Both send what they read back to their host's source, which owns the containers.

use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::StatsOptions;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::usage::StatsReading;

/// How long a one-shot sample may take before it is given up.
const ONE_SHOT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a stats task tells its host's source.
#[derive(Debug, Clone, PartialEq)]
pub enum StatsMessage {
    /// A reading of container `id`.
    Reading { id: String, reading: StatsReading },
    /// Stream number `serial` of `id` ended (the container stopped, or the connection
    /// broke). The serial tells an old stream's end from the end of its successor's.
    StreamEnded { id: String, serial: u64 },
    /// A one-shot sample of `id` finished, with or without a reading.
    SampleDone { id: String },
}

/// Stream stats of container `id` until cancelled or the stream ends; `serial` comes
/// back with the end.
pub fn spawn_stream(
    docker: Docker,
    id: String,
    serial: u64,
    tx: mpsc::Sender<StatsMessage>,
    cancel: CancellationToken,
) {
    tokio::spawn(async move {
        let options = StatsOptions {
            stream: true,
            one_shot: false,
        };
        let mut stream = docker.stats(&id, Some(options));
        loop {
            let item = tokio::select! {
                _ = cancel.cancelled() => return,
                item = stream.next() => item,
            };
            match item {
                Some(Ok(stats)) => {
                    let Some(reading) = StatsReading::from_response(&stats) else {
                        continue;
                    };
                    let message = StatsMessage::Reading {
                        id: id.clone(),
                        reading,
                    };
                    if tx.send(message).await.is_err() {
                        return;
                    }
                }
                Some(Err(error)) => {
                    tracing::debug!(container = %id, %error, "stats stream failed");
                    break;
                }
                None => break,
            }
        }
        let _ = tx.send(StatsMessage::StreamEnded { id, serial }).await;
    });
}

/// Take one sample of container `id` and report it. `one-shot` makes the engine answer at
/// once with one reading instead of waiting a second to fill in the previous one: the
/// previous reading is our own last sample.
pub fn spawn_one_shot(docker: Docker, id: String, tx: mpsc::Sender<StatsMessage>) {
    tokio::spawn(async move {
        let options = StatsOptions {
            stream: false,
            one_shot: true,
        };
        let mut stream = docker.stats(&id, Some(options));
        let answer = tokio::time::timeout(ONE_SHOT_TIMEOUT, stream.next()).await;
        if let Ok(Some(Ok(stats))) = answer
            && let Some(reading) = StatsReading::from_response(&stats)
            && tx
                .send(StatsMessage::Reading {
                    id: id.clone(),
                    reading,
                })
                .await
                .is_err()
        {
            return;
        }
        let _ = tx.send(StatsMessage::SampleDone { id }).await;
    });
}
