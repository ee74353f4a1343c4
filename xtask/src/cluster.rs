//! `cargo xtask cluster [--replicas N] [--fast]`: Pli laid out on this machine as the
//! national service runs it — PostgreSQL, an S3-compatible bucket, two witnesses, N
//! release relays (2 by default, 1 to 3) that share the database, the bucket and one
//! server key and keep nothing of their own, and Debian's nginx balancing them round
//! robin (no sticky sessions) on `127.0.0.1:8080` (`PLI_CLUSTER_LISTEN`). It prints the
//! URL, the one-time set-up link and where each piece logs, then watches: a relay killed
//! by hand (`kill -9 <pid>`, to see the failover) is reported and the others serve on.
//! Ctrl-C stops the processes of the terminal's group; PostgreSQL, which `pg_ctl`
//! detaches, is stopped by the next start.
//!
//! The S3 server is moto's (`moto[server]` from PyPI, [`deps::moto`]): written to behave
//! as AWS does, refusals included, where `s3s-fs` maps the protocol onto a folder without
//! AWS's rules. Everything lives in `target/cluster`, made anew at each start (moto keeps
//! its objects in memory: a cluster to try and measure, not to keep data in).

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use xshell::Shell;

use crate::Workspace;
use crate::cmd::human;
use crate::deps;
use crate::dev::{env_or, probe_address, start_witnesses, wait_until_ready};
use crate::pg::Postgres;

/// `cargo xtask cluster [--replicas N] [--fast]`.
pub(crate) fn run(ws: &Workspace, args: &[String]) -> Result<()> {
    let mut replicas = 2usize;
    let mut fast = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fast" => fast = true,
            "--replicas" => {
                replicas = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| (1..=3).contains(n))
                    .context("--replicas takes 1, 2 or 3")?;
            }
            other => bail!("`cargo xtask cluster` takes --replicas N and --fast (got `{other}`)"),
        }
    }
    let started = Instant::now();
    let listen = env_or("PLI_CLUSTER_LISTEN", "127.0.0.1:8080");
    let address = probe_address(&listen)?;
    if std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok() {
        bail!(
            "something already listens on {listen}: stop it, or choose another address with \
             PLI_CLUSTER_LISTEN=127.0.0.1:<port> cargo xtask cluster"
        );
    }

    deps::debian_packages(&["postgresql", "nginx"])?;
    let moto = deps::moto(ws)?;
    let (bundle, bin) = crate::dev::build(ws, fast, true)?;
    let sh = Shell::new()?;

    let dir = ws.target.join("cluster");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot empty {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let postgres = Postgres::start_named(ws, "cluster/pg")?;
    let bucket = pli_testkit::S3Server::start(&moto, "pli", Some(&dir.join("s3.log")))?;
    let config = dir.join("relay.toml");
    std::fs::write(&config, bucket.section())
        .with_context(|| format!("cannot write {}", config.display()))?;

    // One server key for every replica: sessions, tokens and the log's signing key are
    // derived from it. Production passes it the same way (a secret in the environment).
    let server_key = base64::engine::general_purpose::STANDARD.encode(os_random::<32>()?);
    let public_url = format!("http://localhost:{}", address.port());
    let log_origin = format!("{listen}/annuaire");
    let relay_bin = bin.join("pli-server");
    let log_vkey = sh
        .cmd(&relay_bin)
        .arg("log-key")
        .env("PLI_SERVER_KEY", &server_key)
        .env("PLI_LOG_ORIGIN", &log_origin)
        .env("PLI_DATA_DIR", &dir)
        .read()
        .context("cannot read the relay's log key")?;
    let data_dir = dir.display().to_string();
    let (witnesses, named) = start_witnesses(&sh, &bin.join("pli"), &data_dir, &log_vkey)?;

    let mut relays = Relays(Vec::new());
    let mut link = None;
    for n in 1..=replicas {
        let port = pli_testkit::free_port()?;
        let relay_dir = dir.join(format!("relay-{n}"));
        std::fs::create_dir_all(&relay_dir)
            .with_context(|| format!("cannot create {}", relay_dir.display()))?;
        let out = dir.join(format!("relay-{n}.log"));
        let log = std::fs::File::create(&out)
            .with_context(|| format!("cannot create {}", out.display()))?;
        let child = pli_testkit::relay_command(&relay_bin, port, &relay_dir)
            .env("PLI_DATABASE_URL", postgres.url())
            .env("PLI_CONFIG", &config)
            .env("PLI_SERVER_KEY", &server_key)
            .env("PLI_PUBLIC_URL", &public_url)
            .env("PLI_LOG_ORIGIN", &log_origin)
            .env("PLI_WEB_DIR", &bundle.dist)
            .env("PLI_WITNESSES", &named)
            .env("PLI_TRUSTED_PROXIES", "127.0.0.1/32")
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .context("cannot start pli-server")?;
        let mut relay = Relay {
            n,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            log: out,
            child,
            stopped: false,
        };
        // One after the other: the first creates the schema and the set-up link.
        if !wait_until_ready(&mut relay.child, relay.address)? {
            bail!(
                "relay {n} stopped as it started: see {}",
                relay.log.display()
            );
        }
        link = link.or_else(|| setup_link(&relay.log));
        relays.0.push(relay);
    }

    let upstreams: Vec<String> = relays
        .0
        .iter()
        .map(|r| format!("http://{}", r.address))
        .collect();
    let upstreams: Vec<&str> = upstreams.iter().map(String::as_str).collect();
    let balancer = pli_testkit::LoadBalancer::start_on(&dir.join("nginx"), address, &upstreams)?;

    print_layout(
        &public_url,
        link.as_deref(),
        &relays,
        &postgres,
        &bucket,
        &dir,
        started.elapsed(),
    );
    // Watch: a relay that stops is reported; the cluster ends when none is left.
    loop {
        std::thread::sleep(Duration::from_millis(500));
        for relay in relays.0.iter_mut().filter(|r| !r.stopped) {
            if let Some(status) = relay.child.try_wait()? {
                relay.stopped = true;
                println!(
                    "relay {} ({}) stopped: {status}; nginx sends its requests to the others",
                    relay.n, relay.address
                );
            }
        }
        if relays.0.iter().all(|r| r.stopped) {
            drop(balancer);
            drop(witnesses);
            bail!("every relay stopped: see their logs in {}", dir.display());
        }
    }
}

/// One relay of the cluster.
struct Relay {
    n: usize,
    address: SocketAddr,
    log: PathBuf,
    child: Child,
    stopped: bool,
}

/// The relays, stopped with the cluster.
struct Relays(Vec<Relay>);

impl Drop for Relays {
    fn drop(&mut self) {
        for relay in &mut self.0 {
            let _ = relay.child.kill();
            let _ = relay.child.wait();
        }
    }
}

/// `N` bytes from the operating system.
pub(crate) fn os_random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("cannot read /dev/urandom")?;
    Ok(bytes)
}

/// The one-time set-up link a fresh relay printed in its log, if any.
fn setup_link(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("http") && l.contains("/#/setup/"))
        .map(str::to_owned)
}

fn print_layout(
    public_url: &str,
    link: Option<&str>,
    relays: &Relays,
    postgres: &Postgres,
    bucket: &pli_testkit::S3Server,
    dir: &Path,
    took: Duration,
) {
    let rule = "─".repeat(78);
    println!("\n{rule}");
    println!(
        "Pli runs at {public_url}: nginx balancing {} relay(s) round robin (started in {})\n",
        relays.0.len(),
        human(took)
    );
    for relay in &relays.0 {
        println!(
            "  relay {}  http://{}  pid {}  log {}",
            relay.n,
            relay.address,
            relay.child.id(),
            relay.log.display()
        );
    }
    println!("  PostgreSQL  {}", postgres.url());
    println!(
        "  S3 (moto)   {} bucket {}  log {}",
        bucket.endpoint,
        bucket.bucket,
        dir.join("s3.log").display()
    );
    println!("  nginx       {}", dir.join("nginx").display());
    match link {
        Some(link) => println!(
            "\nSet up the platform administrator with this one-time link (Chromium or \
             Firefox):\n\n    {link}\n\nthen log in at {public_url}/#/login."
        ),
        None => println!("\nLog in at {public_url}/#/login."),
    }
    println!(
        "\nTo see a failover: `kill -9 <pid>` of a relay; nginx sends its requests to the \
         others.\nCtrl-C stops the relays, the witnesses, nginx and moto; PostgreSQL (detached \
         from the terminal by pg_ctl) is stopped at the next start, which empties \
         target/cluster.\n{rule}\n"
    );
}
