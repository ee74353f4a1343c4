//! What Pli's tests and benchmarks start around the code under test, written once: a
//! throwaway PostgreSQL cluster ([`Cluster`]), free loopback ports ([`free_port`]), the
//! relay's command line when it runs as a process of its own ([`relay_command`]), a
//! disk that fills up ([`Tmpfs`], [`Filler`]), nginx balancing relays ([`LoadBalancer`]),
//! an S3-compatible server ([`S3Server`]) and an OpenID Connect provider shaped like
//! ProConnect ([`OidcProvider`]).
//! Used by `cargo xtask test` (the cluster every PostgreSQL test connects to), the
//! relay's fault tests (a cluster of their own, restarted under load) and
//! `cargo xtask bench server`. std and anyhow only: xtask links it.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod balancer;
mod disk;
pub mod oidc;
mod postgres;
mod relay;
pub mod s3;

pub use balancer::{Answered, LoadBalancer};
pub use disk::{Filler, Tmpfs};
pub use oidc::{OidcAccount, OidcClient, OidcProvider};
pub use postgres::Cluster;
pub use relay::relay_command;
pub use s3::S3Server;

/// A TCP port free on 127.0.0.1 right now (the OS picks it; another process could take
/// it before it is used, which on a test machine does not happen in practice).
pub fn free_port() -> anyhow::Result<u16> {
    use anyhow::Context as _;
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
    Ok(listener
        .local_addr()
        .context("cannot read the bound address")?
        .port())
}

/// The processes whose parent is `parent` right now (`/proc/<pid>/stat`; none where
/// `/proc` cannot be read).
pub fn children(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // `pid (command) state ppid …`: the parent is the second field after the
            // command's closing parenthesis.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let (_, rest) = stat.rsplit_once(") ")?;
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

/// `text` as a JSON string literal (this crate has no JSON library, and needs none
/// beyond this: the OpenID provider's configuration, xtask's Chromium preferences).
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
