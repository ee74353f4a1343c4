//! `pli witness`: run a witness of a Pli key directory (C2SP `tlog-witness`), the
//! independent party that cosigns the relay's checkpoints only if each extends the last
//! one it cosigned. The witness itself is the `pli-witness` crate; this module reads its
//! key file and command line.
//!
//! * `keygen`: a new key file (32 random bytes, mode 0600, never overwritten); prints
//!   the witness's verifier key, which the platform's log policy names.
//! * `vkey`: prints the verifier key of an existing key file.
//! * `serve`: answers `POST /add-checkpoint` until Ctrl-C or SIGTERM, logging to
//!   standard error (`RUST_LOG` filters; `info` by default).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use pli_crypto::statement::is_note_key_name;
use pli_witness::key::{generate_key_file, read_key_file, verifier_key};
use pli_witness::{KnownLog, Witness, WitnessConfig};

/// `pli witness`.
#[derive(Debug, Args)]
pub(crate) struct WitnessArgs {
    #[command(subcommand)]
    command: WitnessCommand,
}

#[derive(Debug, Subcommand)]
enum WitnessCommand {
    /// Make a witness key file and print the witness's verifier key.
    Keygen(KeyArgs),
    /// Print the verifier key of a witness key file.
    Vkey(KeyArgs),
    /// Serve the witness (C2SP tlog-witness: POST /add-checkpoint).
    Serve(ServeArgs),
}

/// The witness's identity: a name and a key file.
#[derive(Debug, Args)]
struct KeyArgs {
    /// The witness's name, as its cosignatures carry it (a signed-note key name, such as
    /// `temoin.example.fr`: no spaces, no `+`).
    #[arg(long, value_name = "NAME")]
    name: String,
    /// The key file (32 bytes, readable by its owner only).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
}

/// `pli witness serve`.
#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    identity: KeyArgs,
    /// The folder where the witness keeps what it last cosigned for each log (created if
    /// missing; one witness at a time).
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    /// A log to witness: its origin and its Ed25519 verifier key, separated by a space;
    /// may be repeated.
    #[arg(long = "log", value_name = "ORIGIN VKEY")]
    logs: Vec<String>,
    /// A log to witness, by its verifier key alone (its key's name is its origin); may
    /// be repeated.
    #[arg(long = "log-vkey", value_name = "VKEY")]
    log_vkeys: Vec<String>,
    /// The address to listen on (port 0: any free port, logged).
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:7380")]
    listen: SocketAddr,
    /// Connections served at once from one address (an IPv6 one by its /64); the next
    /// are closed unread. Behind a reverse proxy every connection is the proxy's: raise
    /// it, and let the proxy bound its clients.
    #[arg(long, value_name = "N", default_value_t = 16)]
    max_connections_per_address: usize,
    /// Connections served at once in all.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_connections: usize,
}

/// Runs a `pli witness` command.
pub(crate) fn run(args: WitnessArgs) -> Result<()> {
    match args.command {
        WitnessCommand::Keygen(args) => keygen(&args),
        WitnessCommand::Vkey(args) => vkey(&args),
        WitnessCommand::Serve(args) => serve(args),
    }
}

fn keygen(args: &KeyArgs) -> Result<()> {
    // Checked before a key file is left behind under a name that cannot be used.
    check_name(&args.name)?;
    let seed = generate_key_file(&args.key)?;
    print_line(&verifier_key(&args.name, &seed)?)
}

fn vkey(args: &KeyArgs) -> Result<()> {
    check_name(&args.name)?;
    let seed = read_key_file(&args.key)?;
    print_line(&verifier_key(&args.name, &seed)?)
}

fn serve(args: ServeArgs) -> Result<()> {
    check_name(&args.identity.name)?;
    let mut logs = Vec::new();
    for log in &args.logs {
        let Some((origin, vkey)) = log.split_once(' ') else {
            bail!("--log {log:?}: give the origin and the verifier key, separated by a space");
        };
        logs.push(KnownLog {
            origin: origin.to_owned(),
            log_vkey: vkey.trim().to_owned(),
        });
    }
    for vkey in &args.log_vkeys {
        logs.push(KnownLog::from_vkey(vkey).with_context(|| format!("--log-vkey {vkey:?}"))?);
    }
    if logs.is_empty() {
        bail!("no log to witness: give one with --log 'ORIGIN VKEY' or --log-vkey VKEY");
    }
    let config = WitnessConfig {
        name: args.identity.name,
        seed: read_key_file(&args.identity.key)?,
        state_dir: args.state,
        logs,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async move {
        init_logging();
        let witness = Witness::open(config)?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener
            .local_addr()
            .context("cannot read the bound address")?;
        tracing::info!(%address, vkey = witness.verifier_key(), "listening");
        let limits = pli_witness::server::Limits {
            per_peer: Some(args.max_connections_per_address.max(1)),
            total: Some(args.max_connections.max(1)),
            ..pli_witness::LIMITS
        };
        pli_witness::serve_with(listener, witness, limits, shutdown_signal())
            .await
            .context("server error")
    })
}

fn check_name(name: &str) -> Result<()> {
    if !is_note_key_name(name) {
        bail!("invalid witness name {name:?}: a key name has no spaces and no '+'");
    }
    Ok(())
}

fn print_line(text: &str) -> Result<()> {
    std::io::stdout()
        .lock()
        .write_all(format!("{text}\n").as_bytes())
        .context("cannot write to standard output")
}

/// Logs to standard error, filtered by `RUST_LOG` (`info` by default).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("stopping");
}
