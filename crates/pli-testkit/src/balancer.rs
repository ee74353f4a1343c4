//! Debian's nginx as the load balancer in front of several relays, as production runs
//! it (round robin, no sticky sessions): the tests of replicas send through it, and
//! `cargo xtask cluster` serves through it.
//!
//! Requests go to the next relay in turn; one whose connection is refused (a relay that
//! died) is marked failed for 30 s and the request goes to the next one, its body not yet
//! sent (`proxy_next_upstream error timeout non_idempotent`). Bodies and answers stream
//! through (no buffering: parts of 16 MiB, live events). Each request is logged with the
//! relay that answered it, for the tests to read ([`LoadBalancer::answered`]).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// nginx balancing requests over relays; stopped when dropped.
#[derive(Debug)]
pub struct LoadBalancer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    access_log: PathBuf,
    child: Child,
}

/// One request as the balancer logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// `PUT`, `GET`…
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The status sent to the client.
    pub status: u16,
    /// The relays tried, in order (`127.0.0.1:port`), the last one answering.
    pub upstreams: Vec<String>,
}

impl LoadBalancer {
    /// Starts nginx in `dir` (created) on a free loopback port, balancing over the relays
    /// at `upstreams` (`http://127.0.0.1:port` each).
    pub fn start(dir: &Path, upstreams: &[&str]) -> anyhow::Result<Self> {
        let address = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .context("no free loopback port")?;
        Self::start_on(dir, address, upstreams)
    }

    /// [`start`](Self::start) on `address`. The relays see the client's address in
    /// `X-Forwarded-For` (appended to what the client sent: a relay trusts only the
    /// right-most hops it is told are its proxies).
    pub fn start_on(dir: &Path, address: SocketAddr, upstreams: &[&str]) -> anyhow::Result<Self> {
        for sub in [
            "client_body_temp",
            "proxy_temp",
            "fastcgi_temp",
            "uwsgi_temp",
            "scgi_temp",
        ] {
            std::fs::create_dir_all(dir.join(sub))
                .with_context(|| format!("cannot create {}", dir.join(sub).display()))?;
        }
        let servers: String = upstreams
            .iter()
            .map(|u| {
                format!(
                    "        server {} max_fails=1 fail_timeout=30s;\n",
                    u.trim_start_matches("http://")
                )
            })
            .collect();
        let p = dir.display();
        let config = format!(
            "daemon off;\n\
             master_process off;\n\
             worker_processes 1;\n\
             pid {p}/nginx.pid;\n\
             error_log {p}/error.log warn;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n\
             \x20   log_format balanced '$request_method $uri $status $upstream_addr';\n\
             \x20   access_log {p}/access.log balanced;\n\
             \x20   client_max_body_size 0;\n\
             \x20   client_body_temp_path {p}/client_body_temp;\n\
             \x20   proxy_temp_path {p}/proxy_temp;\n\
             \x20   fastcgi_temp_path {p}/fastcgi_temp;\n\
             \x20   uwsgi_temp_path {p}/uwsgi_temp;\n\
             \x20   scgi_temp_path {p}/scgi_temp;\n\
             \x20   upstream relays {{\n{servers}        keepalive 32;\n        keepalive_timeout 20s;\n    }}\n\
             \x20   server {{\n\
             \x20       listen {address};\n\
             \x20       location / {{\n\
             \x20           proxy_pass http://relays;\n\
             \x20           proxy_http_version 1.1;\n\
             \x20           proxy_set_header Connection \"\";\n\
             \x20           proxy_set_header Host $http_host;\n\
             \x20           proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
             \x20           proxy_request_buffering off;\n\
             \x20           proxy_buffering off;\n\
             \x20           proxy_read_timeout 300s;\n\
             \x20           proxy_send_timeout 300s;\n\
             \x20           proxy_next_upstream error timeout non_idempotent;\n\
             \x20       }}\n\
             \x20   }}\n\
             }}\n"
        );
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config)
            .with_context(|| format!("cannot write {}", conf.display()))?;
        let nginx = if Path::new("/usr/sbin/nginx").exists() {
            PathBuf::from("/usr/sbin/nginx")
        } else {
            PathBuf::from("nginx")
        };
        let child = Command::new(&nginx)
            .arg("-p")
            .arg(format!("{p}/"))
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {} (Debian's nginx: `cargo xtask test` installs it)",
                    nginx.display()
                )
            })?;
        let mut balancer = Self {
            base: format!("http://{address}"),
            access_log: dir.join("access.log"),
            child,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(address).is_err() {
            if let Some(status) = balancer.child.try_wait()? {
                let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
                bail!("nginx ended ({status}): {log}");
            }
            if started.elapsed() > Duration::from_secs(10) {
                bail!("nginx did not listen on {address} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(balancer)
    }

    /// The requests answered so far, in order.
    pub fn answered(&self) -> anyhow::Result<Vec<Answered>> {
        let text = match std::fs::read_to_string(&self.access_log) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).context("cannot read nginx's access log"),
        };
        text.lines()
            .map(|line| {
                let mut words = line.splitn(4, ' ');
                let (Some(method), Some(path), Some(status), Some(upstreams)) =
                    (words.next(), words.next(), words.next(), words.next())
                else {
                    bail!("an access log line of another shape: {line}");
                };
                Ok(Answered {
                    method: method.to_owned(),
                    path: path.to_owned(),
                    status: status.parse().context("a status")?,
                    upstreams: upstreams.split(", ").map(str::to_owned).collect(),
                })
            })
            .collect()
    }
}

impl Drop for LoadBalancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
