//! The ingest benchmark's durable baseline: a minimal HTTP/1.1 `PUT` sink that does the
//! durable work the relay must do for a part and nothing else — it reads the body in
//! [`BUFFER`] pieces, hashes every byte with SHA-256 (once) and checks it against the
//! request's `Content-Digest`, writes the bytes to a new file and `fdatasync`s it before it
//! answers `201`. No authentication, no database, no rename, no second (object) hash: what
//! the relay spends beyond this sink is its own overhead.
//!
//! It runs as its own process (`cargo xtask bench server sink <address> <folder>`, started by
//! [`Sink::start`] from xtask's own binary) so that its CPU time is counted apart from the
//! client's. One thread per connection, which reads, hashes, writes and syncs in turn (the
//! relay overlaps these on two cores, so compare CPU seconds per GiB as well as speed);
//! std only.

use std::fs::{self, File};
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

use super::process::{stop, wait_ready};

/// Bytes read, hashed and written at a time.
const BUFFER: usize = 1 << 20;

/// The sink running as a subprocess; stopped on drop.
#[derive(Debug)]
pub(super) struct Sink {
    child: Child,
    pub(super) address: SocketAddr,
    pub(super) www: PathBuf,
}

impl Sink {
    /// Starts the sink writing under `dir/sink/www`.
    pub(super) fn start(dir: &Path) -> Result<Self> {
        let www = dir.join("sink/www");
        fs::create_dir_all(&www).with_context(|| format!("cannot create {}", www.display()))?;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, pli_testkit::free_port()?));
        let exe = std::env::current_exe().context("cannot find xtask's own binary")?;
        println!(
            "$ {} bench server sink {address} {} &",
            exe.display(),
            www.display()
        );
        let child = Command::new(&exe)
            .args(["bench", "server", "sink"])
            .arg(address.to_string())
            .arg(&www)
            .stdin(Stdio::null())
            .spawn()
            .context("cannot start the sink")?;
        let mut sink = Self {
            child,
            address,
            www,
        };
        wait_ready(&mut sink.child, "sink", address, None)?;
        Ok(sink)
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        stop(&mut self.child, "sink");
    }
}

/// The sink's process: serves `address` until killed, writing files into `www`.
pub(crate) fn serve(args: &[String]) -> Result<()> {
    let [address, www] = args else {
        bail!("usage: cargo xtask bench server sink <address> <folder>");
    };
    let www = PathBuf::from(www);
    let listener = TcpListener::bind(address).with_context(|| format!("cannot bind {address}"))?;
    for stream in listener.incoming() {
        let stream = stream.context("cannot accept")?;
        let www = www.clone();
        std::thread::spawn(move || {
            if let Err(error) = connection(stream, &www) {
                eprintln!("sink: {error:#}");
            }
        });
    }
    Ok(())
}

/// One keep-alive connection: requests one after the other until the client closes it.
fn connection(stream: TcpStream, www: &Path) -> Result<()> {
    stream.set_nodelay(true).context("cannot set TCP_NODELAY")?;
    let mut writer = stream.try_clone().context("cannot clone the socket")?;
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let mut buffer = vec![0u8; BUFFER];
    let mut line = String::new();
    loop {
        // The request line, then headers up to the empty line.
        line.clear();
        if reader
            .read_line(&mut line)
            .context("cannot read a request")?
            == 0
        {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut length: Option<u64> = None;
        let mut digest: Option<Vec<u8>> = None;
        loop {
            line.clear();
            if reader
                .read_line(&mut line)
                .context("cannot read a header")?
                == 0
            {
                bail!("the connection closed in a request head");
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse().context("bad Content-Length")?);
            } else if name.eq_ignore_ascii_case("content-digest") {
                digest = value
                    .strip_prefix("sha-256=:")
                    .and_then(|rest| rest.strip_suffix(':'))
                    .and_then(|b64| STANDARD.decode(b64).ok());
            }
        }
        let status = match length {
            Some(length) => put(&mut reader, &mut buffer, www, &path, length, digest)?,
            None => "411 Length Required",
        };
        // One write: the head in pieces would meet Nagle's algorithm and the client's
        // delayed acknowledgement (tens of milliseconds per request).
        let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
        writer
            .write_all(answer.as_bytes())
            .context("cannot answer")?;
        writer.flush().context("cannot answer")?;
    }
}

/// Reads a body of `length` bytes into a new file, hashing it; `fdatasync` before the
/// status is returned.
fn put(
    reader: &mut impl std::io::Read,
    buffer: &mut [u8],
    www: &Path,
    path: &str,
    length: u64,
    digest: Option<Vec<u8>>,
) -> Result<&'static str> {
    let name: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let file_path = www.join(name);
    let mut file = File::create(&file_path)
        .with_context(|| format!("cannot create {}", file_path.display()))?;
    let mut hasher = Sha256::new();
    let mut left = length;
    while left > 0 {
        let want = usize::try_from(left.min(buffer.len() as u64))?;
        let filled = buffer.get_mut(..want).context("buffer")?;
        reader.read_exact(filled).context("the body ended early")?;
        hasher.update(&*filled);
        file.write_all(filled).context("cannot write")?;
        left -= want as u64;
    }
    file.sync_data().context("cannot fdatasync")?;
    let matches = digest.is_some_and(|digest| hasher.finalize().as_slice() == digest.as_slice());
    Ok(if matches {
        "201 Created"
    } else {
        "400 Bad Digest"
    })
}
