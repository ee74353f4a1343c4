//! A small HTTP/1.1 client on `std::net`, for the server benchmark: the same code sends
//! parts to the relay and to nginx, so both see the identical client. Keep-alive
//! connections, bodies written with one `write_all`, responses read by `Content-Length`
//! or chunked encoding; a body is kept only if asked for, otherwise read and discarded.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

/// Bytes read at a time from a body that is thrown away.
const DISCARD_CHUNK: usize = 256 * 1024;

/// A response: its status, its body if it was kept (else empty), its body's length.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    pub(crate) length: u64,
}

impl Response {
    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Fails unless the status is 2xx.
    pub(crate) fn success(self, what: &str) -> Result<Self> {
        if !(200..300).contains(&self.status) {
            let text = self.text();
            bail!("{what}: HTTP {} {}", self.status, text.trim());
        }
        Ok(self)
    }
}

/// One keep-alive connection to `address`, opened again if the server closed it.
#[derive(Debug)]
pub(crate) struct Conn {
    address: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    pub(crate) fn new(address: SocketAddr) -> Self {
        Self {
            address,
            stream: None,
        }
    }

    fn stream(&mut self) -> Result<&mut BufReader<TcpStream>> {
        if self.stream.is_none() {
            let stream = TcpStream::connect_timeout(&self.address, Duration::from_secs(5))
                .with_context(|| format!("cannot connect to {}", self.address))?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(300)))?;
            self.stream = Some(BufReader::with_capacity(64 * 1024, stream));
        }
        self.stream.as_mut().context("the connection is not open")
    }

    /// Sends one request and reads the whole response. `headers` are `(name, value)`;
    /// `Host` and `Content-Length` (when there is a body) are added. With `keep_body`, the
    /// response body is returned; otherwise it is read and thrown away.
    pub(crate) fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        keep_body: bool,
    ) -> Result<Response> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.address);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || matches!(method, "PUT" | "POST") {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let result = self.exchange(method, head.as_bytes(), body, keep_body);
        if result.is_err() {
            // Never reuse a connection in an unknown state.
            self.stream = None;
        }
        result
    }

    fn exchange(
        &mut self,
        method: &str,
        head: &[u8],
        body: &[u8],
        keep_body: bool,
    ) -> Result<Response> {
        let address = self.address;
        let stream = self.stream()?;
        let socket = stream.get_mut();
        socket
            .write_all(head)
            .and_then(|()| socket.write_all(body))
            .and_then(|()| socket.flush())
            .with_context(|| format!("cannot send {method} to {address}"))?;

        let mut line = String::new();
        stream
            .read_line(&mut line)
            .with_context(|| format!("no answer from {address}"))?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .with_context(|| format!("not an HTTP status line: {:?}", line.trim_end()))?;
        let mut content_length = None;
        let mut chunked = false;
        let mut close = false;
        loop {
            line.clear();
            stream
                .read_line(&mut line)
                .context("cannot read a header")?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                bail!("malformed header {header:?}");
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => {
                    content_length = Some(value.parse::<u64>().context("bad Content-Length")?)
                }
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        let mut sink = Sink::new(keep_body);
        let has_body = !(method == "HEAD" || status == 204 || status == 304 || status < 200);
        if has_body && chunked {
            loop {
                line.clear();
                stream.read_line(&mut line).context("cannot read a chunk")?;
                let size = line.trim_end().split(';').next().unwrap_or_default();
                let size = u64::from_str_radix(size.trim(), 16).context("bad chunk size")?;
                if size == 0 {
                    // Trailers, then the empty line.
                    loop {
                        line.clear();
                        stream
                            .read_line(&mut line)
                            .context("cannot read a trailer")?;
                        if line.trim_end().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                sink.copy(stream, size)?;
                line.clear();
                stream
                    .read_line(&mut line)
                    .context("cannot read a chunk end")?;
            }
        } else if has_body && let Some(length) = content_length {
            sink.copy(stream, length)?;
        } else if has_body {
            // Delimited by the end of the connection.
            sink.copy(stream, u64::MAX)?;
            close = true;
        }
        if close {
            self.stream = None;
        }
        Ok(Response {
            status,
            body: sink.kept,
            length: sink.length,
        })
    }
}

/// Where a body goes: kept, or counted and thrown away.
struct Sink {
    keep: bool,
    kept: Vec<u8>,
    length: u64,
    scratch: Vec<u8>,
}

impl Sink {
    fn new(keep: bool) -> Self {
        Self {
            keep,
            kept: Vec::new(),
            length: 0,
            scratch: if keep {
                Vec::new()
            } else {
                vec![0; DISCARD_CHUNK]
            },
        }
    }

    /// Reads `length` bytes (or up to the end of the stream if `u64::MAX`).
    fn copy(&mut self, stream: &mut BufReader<TcpStream>, length: u64) -> Result<()> {
        let until_eof = length == u64::MAX;
        if self.keep {
            let read = stream
                .take(length)
                .read_to_end(&mut self.kept)
                .context("cannot read the body")?;
            self.length += read as u64;
            if !until_eof && (read as u64) < length {
                bail!("the body ended after {read} of {length} bytes");
            }
            return Ok(());
        }
        let mut left = length;
        while left > 0 {
            let want = usize::try_from(left.min(DISCARD_CHUNK as u64)).unwrap_or(DISCARD_CHUNK);
            let buffer = self.scratch.get_mut(..want).context("scratch buffer")?;
            let n = stream.read(buffer).context("cannot read the body")?;
            if n == 0 {
                if until_eof {
                    return Ok(());
                }
                bail!("the body ended {left} bytes early");
            }
            self.length += n as u64;
            left -= n as u64;
        }
        Ok(())
    }
}

/// The value of a top-level field of a flat JSON object (a string or a number), as text.
/// Enough for the few answers the benchmark reads; not a JSON parser.
pub(crate) fn json_field(text: &str, name: &str) -> Option<String> {
    let key = format!("\"{name}\"");
    let (_, rest) = text.split_once(&key)?;
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    if let Some(string) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = string.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => out.push(chars.next()?),
                c => out.push(c),
            }
        }
        None
    } else {
        let end = rest
            .find(|c: char| c == ',' || c == '}' || c == ']' || c.is_whitespace())
            .unwrap_or(rest.len());
        let value = rest.get(..end)?;
        (!value.is_empty() && value != "null").then(|| value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::json_field;

    #[test]
    fn reads_flat_json_fields() {
        let text = r#"{"exchange_id":"ab-cd","n": 12, "next_cursor":null,"s":"a\"b"}"#;
        assert_eq!(json_field(text, "exchange_id").as_deref(), Some("ab-cd"));
        assert_eq!(json_field(text, "n").as_deref(), Some("12"));
        assert_eq!(json_field(text, "next_cursor"), None);
        assert_eq!(json_field(text, "s").as_deref(), Some("a\"b"));
        assert_eq!(json_field(text, "missing"), None);
    }
}
