//! An S3-compatible server: moto's (PyPI `moto[server]`, installed by `cargo xtask`), on
//! a loopback port, with a fresh bucket; stopped when dropped.
//!
//! moto is written to answer as AWS does, refusals included (a multipart part under
//! 5 MiB, an unknown upload, a range past the end), which is what the relay's S3 client
//! must cope with in production. It keeps objects in its own memory (spilling large ones
//! to temporary files): a test server, not a store.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// The region the bucket is reached with.
pub const REGION: &str = "eu-west-3";
/// The access key id the clients sign with (moto checks no signature).
pub const ACCESS_KEY_ID: &str = "pli-test";
/// The secret access key the clients sign with.
pub const SECRET_ACCESS_KEY: &str = "pli-test-secret";

/// A running moto S3 server with one bucket.
#[derive(Debug)]
pub struct S3Server {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    child: Child,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// Starts moto's `moto_server` (at `program`) on a free loopback port, its log going
    /// to `log` (or nowhere), and makes the bucket `bucket` in it.
    pub fn start(program: &Path, bucket: &str, log: Option<&Path>) -> anyhow::Result<Self> {
        Self::start_on(program, crate::free_port()?, bucket, log)
    }

    /// [`start`](Self::start) on `port`.
    pub fn start_on(
        program: &Path,
        port: u16,
        bucket: &str,
        log: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let (stdout, stderr) = match log {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                (Stdio::from(file.try_clone()?), Stdio::from(file))
            }
            None => (Stdio::null(), Stdio::null()),
        };
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {} (moto's S3 server: `cargo xtask test` installs it)",
                    program.display()
                )
            })?;
        let mut server = Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: bucket.to_owned(),
            child,
        };
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let started = Instant::now();
        while TcpStream::connect(address).is_err() {
            if let Some(status) = server.child.try_wait()? {
                bail!("moto's S3 server ended as it started ({status})");
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("moto's S3 server did not listen on {address} within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server.create_bucket(address)?;
        Ok(server)
    }

    /// `PUT /<bucket>`, which moto takes unsigned.
    fn create_bucket(&mut self, address: SocketAddr) -> anyhow::Result<()> {
        let mut stream = TcpStream::connect(address).context("cannot reach moto")?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "PUT /{} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.bucket
        )?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        let answer = String::from_utf8_lossy(&answer);
        if !answer.starts_with("HTTP/1.1 200") {
            bail!(
                "moto refused the bucket {}: {}",
                self.bucket,
                answer.lines().next().unwrap_or("no answer")
            );
        }
        Ok(())
    }

    /// The relay's `[s3]` configuration section for this bucket (TOML).
    pub fn section(&self) -> String {
        format!(
            "[s3]\nbucket = \"{}\"\nregion = \"{REGION}\"\nendpoint = \"{}\"\n\
             access_key_id = \"{ACCESS_KEY_ID}\"\nsecret_access_key = \"{SECRET_ACCESS_KEY}\"\n\
             allow_http = true\n",
            self.bucket, self.endpoint
        )
    }
}
