//! Remote engines for the TLS and SSH tests, built from real programs on this machine:
//! a second `dockerd` that only speaks TLS with client certificates (made here with
//! `openssl`), and an `sshd` on a loopback port that lets a throw-away key in, so the
//! source's `ssh … docker system dial-stdio` reaches the local engine as it would a remote
//! one. Each is stopped (and its files removed) when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pilothouse::sources::docker::{SshTarget, TlsFiles};

/// Whether missing programs fail the test rather than skip it.
pub fn required() -> bool {
    std::env::var("PILOTHOUSE_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// `Some(value)`, or `None` after printing why the test is skipped; a panic instead when
/// the services are required.
pub fn or_skip<T>(what: &str, started: Result<T, String>) -> Option<T> {
    match started {
        Ok(value) => Some(value),
        Err(why) if required() => panic!("PILOTHOUSE_REQUIRE_SERVICES=1 but {what}: {why}"),
        Err(why) => {
            eprintln!("skip: {what}: {why}");
            None
        }
    }
}

fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

fn must_be_root() -> Result<(), String> {
    match run("id", &["-u"])?.as_str() {
        "0" => Ok(()),
        uid => Err(format!("needs root to start a daemon (uid {uid})")),
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Wait until `port` accepts connections or `child` exits; the log explains a failure.
fn wait_for_port(port: u16, child: &mut Child, log: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        let tail = || std::fs::read_to_string(log).unwrap_or_default();
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited ({status}) before listening:\n{}", tail()));
        }
        if Instant::now() > deadline {
            return Err(format!("not listening on {port} within 60 s:\n{}", tail()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stop `child` with SIGTERM (so a dockerd stops its containerd too), then SIGKILL.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

// ---------------------------------------------------------------------------------------
// A TLS engine
// ---------------------------------------------------------------------------------------

/// A CA, and certificates it signed, made with `openssl` in a directory.
pub struct Authority {
    dir: PathBuf,
    name: String,
}

impl Authority {
    pub fn new(dir: &Path, name: &str) -> Result<Authority, String> {
        let authority = Authority {
            dir: dir.to_path_buf(),
            name: name.to_string(),
        };
        let (key, cert) = (authority.file("ca-key.pem"), authority.file("ca.pem"));
        run(
            "openssl",
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                &format!("/CN={name} test CA"),
                "-keyout",
                path(&key),
                "-out",
                path(&cert),
            ],
        )?;
        Ok(authority)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{}-{name}", self.name))
    }

    pub fn ca(&self) -> PathBuf {
        self.file("ca.pem")
    }

    /// A key and a certificate for `who`, signed by this CA, with the extensions written
    /// (`subjectAltName`, `extendedKeyUsage`); returns (key, cert).
    pub fn issue(&self, who: &str, extensions: &str) -> Result<(PathBuf, PathBuf), String> {
        let (key, csr, cert, ext) = (
            self.file(&format!("{who}-key.pem")),
            self.file(&format!("{who}.csr")),
            self.file(&format!("{who}-cert.pem")),
            self.file(&format!("{who}.ext")),
        );
        std::fs::write(&ext, extensions).map_err(|e| e.to_string())?;
        run(
            "openssl",
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                &format!("/CN={who}"),
                "-keyout",
                path(&key),
                "-out",
                path(&csr),
            ],
        )?;
        run(
            "openssl",
            &[
                "x509",
                "-req",
                "-days",
                "1",
                "-in",
                path(&csr),
                "-CA",
                path(&self.ca()),
                "-CAkey",
                path(&self.file("ca-key.pem")),
                "-CAcreateserial",
                "-extfile",
                path(&ext),
                "-out",
                path(&cert),
            ],
        )?;
        Ok((key, cert))
    }

    /// A client directory as `DOCKER_CERT_PATH` wants it: ca.pem, cert.pem, key.pem.
    pub fn client_dir(&self, who: &str, ca_of_engine: &Path) -> Result<PathBuf, String> {
        let (key, cert) = self.issue(who, "extendedKeyUsage=clientAuth\n")?;
        let dir = self.dir.join(format!("{who}-client"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        for (from, to) in [
            (ca_of_engine, "ca.pem"),
            (&cert, "cert.pem"),
            (&key, "key.pem"),
        ] {
            std::fs::copy(from, dir.join(to)).map_err(|e| e.to_string())?;
        }
        Ok(dir)
    }
}

/// A second Docker Engine, with its own data, exec root and sockets, that accepts only TLS
/// connections from clients whose certificate its CA signed (`--tlsverify`).
pub struct TlsEngine {
    pub dir: tempfile::TempDir,
    child: Child,
    pub port: u16,
    pub authority: Authority,
    /// The client files, as `DOCKER_CERT_PATH` holds them.
    pub client: PathBuf,
}

impl TlsEngine {
    pub fn start() -> Result<TlsEngine, String> {
        must_be_root()?;
        run("openssl", &["version"])?;
        run("dockerd", &["--version"])?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let authority = Authority::new(dir.path(), "engine")?;
        let (server_key, server_cert) = authority.issue(
            "server",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        )?;
        let client = authority.client_dir("client", &authority.ca())?;
        let port = free_port();
        let log = dir.path().join("dockerd.log");
        let root = dir.path();
        let mut child = Command::new("dockerd")
            .args([
                "--data-root",
                path(&root.join("data")),
                "--exec-root",
                path(&root.join("exec")),
                "--pidfile",
                path(&root.join("dockerd.pid")),
                "-H",
                &format!("unix://{}", path(&root.join("docker.sock"))),
                "-H",
                &format!("tcp://127.0.0.1:{port}"),
                "--tlsverify",
                "--tlscacert",
                path(&authority.ca()),
                "--tlscert",
                path(&server_cert),
                "--tlskey",
                path(&server_key),
                "--storage-driver",
                "vfs",
                "--bridge",
                "none",
                "--iptables=false",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).map_err(|e| e.to_string())?)
            .spawn()
            .map_err(|e| format!("cannot start dockerd: {e}"))?;
        if let Err(why) = wait_for_port(port, &mut child, &log) {
            stop(&mut child);
            return Err(format!("the TLS dockerd {why}"));
        }
        Ok(TlsEngine {
            dir,
            child,
            port,
            authority,
            client,
        })
    }

    pub fn client_files(&self) -> TlsFiles {
        TlsFiles::in_dir(&self.client)
    }
}

impl Drop for TlsEngine {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

// ---------------------------------------------------------------------------------------
// An SSH server in front of the local engine
// ---------------------------------------------------------------------------------------

/// `sshd` on a loopback port, letting in one throw-away key; `docker system dial-stdio`
/// run through it reaches this machine's engine.
pub struct SshServer {
    /// Keys and configs; removed when dropped.
    _dir: tempfile::TempDir,
    child: Child,
    /// An ssh client config whose host `pilothouse-test` is this server, with the key.
    pub config: PathBuf,
    /// The same without the key that is let in (another key instead).
    pub config_wrong_key: PathBuf,
}

/// The `Host` name of the client configs.
pub const SSH_ALIAS: &str = "pilothouse-test";

impl SshServer {
    pub fn start() -> Result<SshServer, String> {
        must_be_root()?;
        let sshd = ["/usr/sbin/sshd", "/usr/local/sbin/sshd"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .ok_or("no sshd (Debian: openssh-server)")?;
        run("ssh", &["-V"])?;
        run("docker", &["--version"])?;
        let user = run("id", &["-un"])?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let file = |name: &str| dir.path().join(name);
        for key in ["host_key", "client_key", "wrong_key"] {
            run(
                "ssh-keygen",
                &["-q", "-t", "ed25519", "-N", "", "-f", path(&file(key))],
            )?;
        }
        std::fs::copy(file("client_key.pub"), file("authorized_keys"))
            .map_err(|e| e.to_string())?;
        // sshd refuses to start without its privilege separation directory, which the
        // package's service would create.
        std::fs::create_dir_all("/run/sshd").map_err(|e| e.to_string())?;
        let port = free_port();
        let server_config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\n\
             AuthorizedKeysFile {}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
             PermitRootLogin prohibit-password\n",
            path(&file("host_key")),
            path(&file("sshd.pid")),
            path(&file("authorized_keys")),
        );
        std::fs::write(file("sshd_config"), server_config).map_err(|e| e.to_string())?;
        let client_config = |key: &str| {
            format!(
                "Host {SSH_ALIAS}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  \
                 IdentityFile {}\n  IdentitiesOnly yes\n  IdentityAgent none\n  \
                 UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  LogLevel ERROR\n",
                path(&file(key)),
            )
        };
        std::fs::write(file("ssh_config"), client_config("client_key"))
            .map_err(|e| e.to_string())?;
        std::fs::write(file("ssh_config_wrong"), client_config("wrong_key"))
            .map_err(|e| e.to_string())?;
        let log = file("sshd.log");
        let mut child = Command::new(sshd)
            .args(["-D", "-e", "-f", path(&file("sshd_config"))])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).map_err(|e| e.to_string())?)
            .spawn()
            .map_err(|e| format!("cannot start sshd: {e}"))?;
        if let Err(why) = wait_for_port(port, &mut child, &log) {
            stop(&mut child);
            return Err(format!("sshd {why}"));
        }
        Ok(SshServer {
            config: file("ssh_config"),
            config_wrong_key: file("ssh_config_wrong"),
            _dir: dir,
            child,
        })
    }

    /// The target as a config file's `{ url = "ssh://pilothouse-test", ssh_options =
    /// ["-F", CONFIG] }` gives it.
    pub fn target(&self, config: &Path) -> SshTarget {
        SshTarget {
            user: None,
            host: SSH_ALIAS.to_string(),
            port: None,
            options: vec!["-F".to_string(), path(config).to_string()],
        }
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}
