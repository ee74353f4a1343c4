//! The server benchmark's HTTP client: one [`ureq`] agent per upload stream, configured
//! once in [`Client::new`], so the relay and nginx see the identical client (same
//! headers, same keep-alive connection reuse, same buffers). Plain HTTP to localhost: no
//! proxy from the environment, no redirects followed, no compression asked for. A request
//! body is one slice; a response body is either kept (small JSON answers) or read in
//! [`DISCARD_CHUNK`] pieces and thrown away, so a multi-GiB download is never held in
//! memory.

use std::io::Read as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use ureq::http::{Method, Request};

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

/// A client for `address` that keeps its connection alive between requests (one request
/// at a time: one connection).
#[derive(Debug)]
pub(crate) struct Client {
    address: SocketAddr,
    agent: ureq::Agent,
}

impl Client {
    pub(crate) fn new(address: SocketAddr) -> Self {
        let config = ureq::Agent::config_builder()
            // Statuses are the caller's to judge (`Response::success`).
            .http_status_as_error(false)
            // Localhost only: never through a proxy named by HTTP_PROXY and the like.
            .proxy(None)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_recv_response(Some(Duration::from_secs(300)))
            // A whole 1 GiB download, on a slow machine.
            .timeout_recv_body(Some(Duration::from_secs(1800)))
            .build();
        Self {
            address,
            agent: config.into(),
        }
    }

    /// Sends one request and reads the whole response. `headers` are `(name, value)`;
    /// `Content-Length` is added for `PUT` and `POST` (and any request with a body). With
    /// `keep_body`, the response body is returned; otherwise it is read and thrown away.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        keep_body: bool,
    ) -> Result<Response> {
        let address = self.address;
        let method = Method::from_bytes(method.as_bytes())
            .with_context(|| format!("not an HTTP method: {method}"))?;
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(format!("http://{address}{path}"));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let sent = if !body.is_empty() || matches!(method, Method::PUT | Method::POST) {
            let request = builder
                .body(body)
                .with_context(|| format!("cannot build {method} {path}"))?;
            self.agent.run(request)
        } else {
            let request = builder
                .body(())
                .with_context(|| format!("cannot build {method} {path}"))?;
            self.agent.run(request)
        };
        let response = sent.with_context(|| format!("{method} {path} to {address} failed"))?;
        let status = response.status().as_u16();
        let mut reader = response.into_body().into_reader();
        let mut kept = Vec::new();
        let length = if keep_body {
            let read = reader
                .read_to_end(&mut kept)
                .context("cannot read the body")?;
            read as u64
        } else {
            discard(&mut reader)?
        };
        Ok(Response {
            status,
            body: kept,
            length,
        })
    }
}

/// Reads `reader` to its end and returns how many bytes it gave.
fn discard(reader: &mut impl std::io::Read) -> Result<u64> {
    let mut scratch = vec![0; DISCARD_CHUNK];
    let mut length = 0u64;
    loop {
        let n = reader.read(&mut scratch).context("cannot read the body")?;
        if n == 0 {
            return Ok(length);
        }
        length += n as u64;
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
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    use std::net::TcpListener;

    use super::{Client, json_field};

    /// Answers `answers` requests on the first connection only, each with `body_len`
    /// bytes, and returns what it read: the requests' heads and bodies.
    fn one_connection_server(
        answers: usize,
        body_len: usize,
    ) -> (std::net::SocketAddr, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            // A request on another connection fails the test instead of hanging it.
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            let mut seen = Vec::new();
            for _ in 0..answers {
                let mut head = String::new();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap();
                    }
                    head.push_str(&line);
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                seen.push(format!("{head}{}", String::from_utf8_lossy(&body)));
                write!(
                    writer,
                    "HTTP/1.1 200 OK\r\nContent-Length: {body_len}\r\n\r\n"
                )
                .unwrap();
                writer.write_all(&vec![b'x'; body_len]).unwrap();
            }
            seen
        });
        (address, handle)
    }

    #[test]
    fn keeps_the_connection_alive_and_streams_bodies_away() {
        let big = 3 * 1024 * 1024 + 7;
        let (address, server) = one_connection_server(3, big);
        let client = Client::new(address);
        let put = client
            .request(
                "PUT",
                "/part",
                &[("Authorization", "Bearer t")],
                b"abc",
                true,
            )
            .unwrap();
        assert_eq!(
            (put.status, put.length, put.body.len()),
            (200, big as u64, big)
        );
        let get = client.request("GET", "/object", &[], &[], false).unwrap();
        assert_eq!(
            (get.status, get.length, get.body.len()),
            (200, big as u64, 0)
        );
        let delete = client.request("DELETE", "/x", &[], &[], false).unwrap();
        assert_eq!(delete.length, big as u64);

        // All three on the one connection the server accepts.
        let seen = server.join().unwrap();
        let put = seen[0].to_ascii_lowercase();
        assert!(put.starts_with("put /part http/1.1"), "{put}");
        assert!(
            put.contains("authorization: bearer t") && put.ends_with("abc"),
            "{put}"
        );
        assert!(put.contains("content-length: 3"), "{put}");
        assert!(
            !seen[1].to_ascii_lowercase().contains("content-length"),
            "{}",
            seen[1]
        );
        assert!(seen[2].starts_with("DELETE /x"), "{}", seen[2]);
    }

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
