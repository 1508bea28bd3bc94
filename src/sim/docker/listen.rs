//! Binding the Docker API to a TCP port or a unix socket.

use std::io;
use std::path::Path;

use std::sync::Arc;

use super::http::DockerSim;
use crate::sim::launch::DockerListen;

/// Bind `listen`, serve the API over `sim` on a spawned task, and return the
/// `DOCKER_HOST` value.
pub async fn serve(listen: &DockerListen, sim: Arc<DockerSim>) -> io::Result<String> {
    let service = super::http::service(sim);
    match listen {
        DockerListen::Tcp(addr) => {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            let local = listener.local_addr()?;
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, service).await {
                    tracing::error!("docker sim: server stopped: {e}");
                }
            });
            Ok(format!("tcp://{local}"))
        }
        DockerListen::Unix(path) => {
            let path = std::path::absolute(path)?;
            remove_stale_socket(&path)?;
            let listener = tokio::net::UnixListener::bind(&path)?;
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, service).await {
                    tracing::error!("docker sim: server stopped: {e}");
                }
            });
            Ok(format!("unix://{}", path.display()))
        }
    }
}

/// A socket file left by a previous run blocks `bind`; remove it, but never a file that
/// is not a socket, nor one a live server still answers on.
fn remove_stale_socket(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !metadata.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a socket", path.display()),
        ));
    }
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("a server is already listening on {}", path.display()),
        ));
    }
    std::fs::remove_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_socket_is_removed_but_other_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join("docker.sock");
        drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
        remove_stale_socket(&stale).unwrap();
        assert!(!stale.exists());

        let live = dir.path().join("live.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&live).unwrap();
        assert_eq!(
            remove_stale_socket(&live).unwrap_err().kind(),
            io::ErrorKind::AddrInUse
        );

        let file = dir.path().join("notes.txt");
        std::fs::write(&file, "keep me").unwrap();
        assert!(remove_stale_socket(&file).is_err());
        assert!(file.exists());
        remove_stale_socket(&dir.path().join("absent.sock")).unwrap();
    }
}
