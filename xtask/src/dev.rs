//! `cargo xtask dev`: Pli on this machine in one command. Builds the web bundle
//! ([`crate::web`]) and `pli-server`, then runs the server on `127.0.0.1:8080` with SQLite
//! and local storage in `./data`, serving `target/web/dist`, until Ctrl-C.
//!
//! The server's log (stderr) goes straight to the terminal; its stdout is relayed line by
//! line so that the one-time set-up link it prints on a fresh platform is caught and
//! repeated with instructions once the server answers `/healthz`.
//!
//! As in production, the key directory's log has two witnesses: `pli witness serve`
//! processes on free loopback ports, their keys and state kept in the data folder
//! (`witness-1/`, `witness-2/`), named to the relay with `PLI_WITNESSES` (unless it is
//! set already). The platform's set-up page shows them before the authority signs them.
//!
//! `PLI_LISTEN`, `PLI_DATA_DIR`, `PLI_LOG_FORMAT` and `PLI_PUBLIC_URL` from the environment
//! win over these defaults, like every other `PLI_*` variable the server reads.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdout};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::Workspace;
use crate::cmd::{Cmd, human};
use crate::web;

/// How long a starting server may take to answer (the first start creates the database).
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// `cargo xtask dev [--fast] [--release]`.
pub(crate) fn run(ws: &Workspace, args: &[String]) -> Result<()> {
    let mut fast = false;
    let mut release = false;
    for arg in args {
        match arg.as_str() {
            "--fast" => fast = true,
            "--release" => release = true,
            other => {
                bail!("`cargo xtask dev` takes --fast and --release only (got `{other}`)")
            }
        }
    }
    let started = Instant::now();
    let listen = env_or("PLI_LISTEN", "127.0.0.1:8080");
    let address = probe_address(&listen)?;
    if TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok() {
        bail!(
            "something already listens on {listen} (another `cargo xtask dev`?): stop it, or \
             choose another address with PLI_LISTEN=127.0.0.1:<port> cargo xtask dev"
        );
    }

    let (bundle, bin) = build(ws, fast, release)?;
    let sh = Shell::new()?;
    let server = bin.join("pli-server");

    let data_dir = env_or("PLI_DATA_DIR", "data");
    let shown_data_dir = if data_dir.starts_with('/') || data_dir.starts_with('.') {
        data_dir.clone()
    } else {
        format!("./{data_dir}")
    };
    // Served as `localhost` when it listens on 127.0.0.1: passkeys need a domain name.
    // The log keeps the origin it always had here (its key and the witnesses' state are
    // named after it).
    let default_url = match listen.strip_prefix("127.0.0.1:") {
        Some(port) => format!("http://localhost:{port}"),
        None => format!("http://{listen}"),
    };
    let public_url = env_or("PLI_PUBLIC_URL", &default_url);
    let public_url = public_url.trim_end_matches('/').to_owned();
    let log_origin = env_or("PLI_LOG_ORIGIN", &format!("{listen}/annuaire"));
    std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {data_dir}"))?;
    let (_witnesses, named) = match std::env::var("PLI_WITNESSES") {
        Ok(named) if !named.is_empty() => (None, named),
        _ => {
            let log_vkey = sh
                .cmd(&server)
                .arg("log-key")
                .env("PLI_LISTEN", &listen)
                .env("PLI_LOG_ORIGIN", &log_origin)
                .env("PLI_DATA_DIR", &data_dir)
                .read()
                .context("cannot read the relay's log key")?;
            let (witnesses, named) = start_witnesses(&sh, &bin.join("pli"), &data_dir, &log_vkey)?;
            (Some(witnesses), named)
        }
    };
    let mut child = Cmd::new(&server)
        .env("PLI_LISTEN", &listen)
        .env("PLI_PUBLIC_URL", &public_url)
        .env("PLI_LOG_ORIGIN", &log_origin)
        .env("PLI_DATA_DIR", &data_dir)
        .env("PLI_WEB_DIR", &bundle.dist)
        .env("PLI_LOG_FORMAT", env_or("PLI_LOG_FORMAT", "pretty"))
        .env("PLI_WITNESSES", &named)
        .spawn_piped_stdout()?;
    let stdout = child
        .stdout
        .take()
        .context("pli-server's stdout is not piped")?;
    let (links, link) = mpsc::channel();
    let relay = std::thread::spawn(move || relay(stdout, &links));

    if wait_until_ready(&mut child, address)? {
        // The link is printed before the server starts answering: it is in the pipe.
        let link = link.recv_timeout(Duration::from_secs(2)).ok();
        print_how_to_log_in(
            &public_url,
            &shown_data_dir,
            link.as_deref(),
            started.elapsed(),
        );
    }
    let status = child.wait().context("cannot wait for pli-server")?;
    let _ = relay.join();
    if !status.success() {
        bail!("pli-server stopped: {status}");
    }
    Ok(())
}

/// The web bundle (with `wasm-opt` unless `fast`), then `pli-server` and `pli` (optimised
/// if `release`); the folder of the binaries.
pub(crate) fn build(ws: &Workspace, fast: bool, release: bool) -> Result<(web::Bundle, PathBuf)> {
    let bundle = web::build(
        ws,
        web::Options {
            wasm_opt: !fast,
            locked: false,
        },
    )?;
    let sh = Shell::new()?;
    let release_flag = release.then_some("--release");
    cmd!(sh, "cargo build -p pli-server -p pli-cli {release_flag...}")
        .run()
        .context("cannot build pli-server and pli")?;
    Ok((
        bundle,
        ws.target.join(if release { "release" } else { "debug" }),
    ))
}

/// The witnesses started for the relay, stopped with it.
pub(crate) struct Witnesses(pub(crate) Vec<Child>);

impl Drop for Witnesses {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts the two witnesses of the log whose verifier key is `log_vkey`, in `data_dir`;
/// returns them and their `PLI_WITNESSES` list.
pub(crate) fn start_witnesses(
    sh: &Shell,
    pli: &std::path::Path,
    data_dir: &str,
    log_vkey: &str,
) -> Result<(Witnesses, String)> {
    let mut witnesses = Witnesses(Vec::new());
    let mut named = Vec::new();
    for n in 1..=2 {
        let (child, endpoint) = start_witness(sh, pli, data_dir, n, log_vkey.trim())?;
        witnesses.0.push(child);
        named.push(endpoint);
    }
    Ok((witnesses, named.join(",")))
}

/// Starts witness `n` (its key made on first use) for the log whose verifier key is
/// `log_vkey`; returns it and its `VKEY@URL` for `PLI_WITNESSES`.
fn start_witness(
    sh: &Shell,
    pli: &std::path::Path,
    data_dir: &str,
    n: u8,
    log_vkey: &str,
) -> Result<(Child, String)> {
    let dir = std::path::Path::new(data_dir).join(format!("witness-{n}"));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = format!("temoin-{n}.localhost");
    let key = dir.join("witness.key");
    if !key.exists() {
        cmd!(sh, "{pli} witness keygen --name {name} --key {key}")
            .quiet()
            .ignore_stdout()
            .run()
            .context("cannot make a witness key")?;
    }
    let vkey = cmd!(sh, "{pli} witness vkey --name {name} --key {key}")
        .read()
        .context("cannot read a witness's verifier key")?;
    // A free port: taken, then released for the witness.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let listen = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(pli)
        .args(["witness", "serve", "--name", &name, "--key"])
        .arg(&key)
        .arg("--state")
        .arg(dir.join("state"))
        .args(["--log-vkey", log_vkey, "--listen", &listen])
        .spawn()
        .context("cannot start a witness")?;
    Ok((child, format!("{}@http://{listen}", vkey.trim())))
}

/// The environment's value of `name`, or `default` if it is unset or empty.
pub(crate) fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Where to reach a server listening on `listen` (`0.0.0.0` and `[::]` mean this machine).
pub(crate) fn probe_address(listen: &str) -> Result<SocketAddr> {
    let mut address: SocketAddr = listen
        .parse()
        .with_context(|| format!("PLI_LISTEN {listen:?} is not an address:port"))?;
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    Ok(address)
}

/// Copies the server's stdout to ours, and sends the set-up link when it goes by.
fn relay(stdout: ChildStdout, links: &mpsc::Sender<String>) {
    let mut out = std::io::stdout();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
        let text = line.trim();
        if text.starts_with("http") && text.contains("/#/setup/") {
            let _ = links.send(text.to_owned());
        }
    }
}

/// Polls `GET /healthz` until the server answers 200 (`true`) or exits (`false` if it
/// exited successfully, an error otherwise).
pub(crate) fn wait_until_ready(child: &mut Child, address: SocketAddr) -> Result<bool> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("cannot watch pli-server")? {
            if status.success() {
                return Ok(false);
            }
            bail!("pli-server stopped before it answered ({status}): see its log above");
        }
        if answers(address) {
            return Ok(true);
        }
        if started.elapsed() > READY_TIMEOUT {
            bail!(
                "pli-server did not answer on http://{address}/healthz within {}",
                human(READY_TIMEOUT)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Whether `GET /healthz` on `address` answers `200`.
fn answers(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut status_line = [0u8; 12];
    stream.read_exact(&mut status_line).is_ok() && status_line.starts_with(b"HTTP/1.1 200")
}

fn print_how_to_log_in(public_url: &str, data_dir: &str, link: Option<&str>, took: Duration) {
    let rule = "─".repeat(78);
    println!("\n{rule}");
    println!(
        "Pli is running at {public_url} (started in {}; data in {data_dir}, web app from \
         target/web/dist)\n",
        human(took)
    );
    match link {
        Some(link) => {
            println!("First run: set up the platform administrator.");
            println!("  1. Open this one-time link in Chromium or Firefox:\n");
            println!("       {link}\n");
            println!(
                "  2. Enter your name, e-mail address and a password (twice). Your browser\n     \
                 generates the platform authority key and your personal keys."
            );
            println!(
                "  3. In « Mon compte », turn on two-factor authentication (TOTP) with an\n     \
                 authenticator app: administrators must have it."
            );
            println!(
                "  4. In « Plateforme », create the organisations (courts, Départements) and\n     \
                 invite their first administrators; the invitation links are shown there\n     \
                 (and e-mailed when PLI_SMTP_URL is set)."
            );
            println!(
                "Afterwards, log in at {public_url}/#/login with your e-mail address, password\n\
                 and two-factor code."
            );
        }
        None => {
            println!(
                "The platform is already set up. Open {public_url}/#/login in Chromium or\n\
                 Firefox and log in with your e-mail address, password and two-factor code."
            );
            println!(
                "To start again from an empty platform: stop the server, delete {data_dir},\n\
                 and run `cargo xtask dev` again (a new set-up link is printed)."
            );
        }
    }
    println!("\nCtrl-C stops the server.\n{rule}\n");
}
