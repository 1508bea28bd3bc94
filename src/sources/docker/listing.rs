//! The full list of a host's containers: one list call, then one inspect per container
//! (the list lacks restart counts, exit codes, the OOM flag and start times).

use bollard::Docker;
use bollard::query_parameters::ListContainersOptions;
use futures::StreamExt;

use super::connect::ConnectError;
use super::convert::{container_from_inspect, container_from_summary};
use crate::model::DockerContainer;

/// Inspects in flight at once: quick on a big host without flooding the engine.
const INSPECT_CONCURRENCY: usize = 8;

/// Every container on the host, running or not.
pub async fn list_containers(
    docker: &Docker,
    host: &str,
    url: &str,
) -> Result<Vec<DockerContainer>, ConnectError> {
    let options = ListContainersOptions {
        all: true,
        ..ListContainersOptions::default()
    };
    let summaries = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| ConnectError::from_bollard(url, e))?;
    let inspected: Vec<Option<DockerContainer>> = futures::stream::iter(summaries)
        .map(|summary| async move {
            let id = summary.id.clone()?;
            match docker.inspect_container(&id, None).await {
                Ok(inspect) => container_from_inspect(host, &inspect),
                // Removed between the list and the inspect: it is gone, not missing.
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => None,
                Err(error) => {
                    tracing::warn!(host, container = %id, %error, "inspect failed; showing the list's view");
                    container_from_summary(host, &summary)
                }
            }
        })
        .buffer_unordered(INSPECT_CONCURRENCY)
        .collect()
        .await;
    Ok(inspected.into_iter().flatten().collect())
}

/// One container, freshly inspected; `Ok(None)` when it no longer exists.
pub async fn inspect_one(
    docker: &Docker,
    host: &str,
    id: &str,
) -> Result<Option<DockerContainer>, bollard::errors::Error> {
    match docker.inspect_container(id, None).await {
        Ok(inspect) => Ok(container_from_inspect(host, &inspect)),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(error) => Err(error),
    }
}
