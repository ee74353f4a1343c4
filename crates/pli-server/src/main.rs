//! The `pli-server` binary: reads the configuration from `PLI_*` variables (and the file
//! `PLI_CONFIG` names), sets up JSON logs, and runs the relay until Ctrl-C or SIGTERM.
//!
//! `pli-server log-key` prints the signed-note verifier key of the relay's transparency
//! log (what its witnesses are configured with: `pli witness serve --log-vkey …`) and
//! exits; it creates the server key on first use, as a start would.
//!
//! Its global allocator is jemalloc (`ALLOCATOR`), for memory that stays bounded under
//! load without any setting of the operator's.

use anyhow::Context as _;
use pli_server::app::Application;
use pli_server::config::Config;

/// jemalloc, not glibc's malloc: under the 200-person load run glibc kept what the relay
/// freed (its 1 MiB part buffers and Argon2id's 19 MiB land in per-thread arenas once its
/// dynamic mmap threshold has risen) and the relay grew to GiB; jemalloc hands freed
/// pages back to the system after its decay time, and the same run stays near 100 MiB
/// (docs/security.md, "The relay's memory"). Here, not in the library: the tests and the
/// other binaries keep the system allocator.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env(std::env::vars()).context("invalid configuration")?;
    if std::env::args().nth(1).as_deref() == Some("log-key") {
        let server_key = pli_server::auth::secrets::ServerKey::load(
            std::env::var("PLI_SERVER_KEY").ok().as_deref(),
            &config.data_dir,
        )?;
        let vkey = pli_server::log::log_key(&server_key, &config.log.origin)?
            .verifier_key(pli_log::note::ED25519)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        #[allow(clippy::print_stdout, reason = "the command's output")]
        {
            println!("{vkey}");
        }
        return Ok(());
    }
    pli_server::metrics::init_logging(&config.log_format);
    let app = Application::build(config).await?;
    let address = app.address();
    tracing::info!(%address, "listening");
    if let Some(link) = app.setup_link() {
        // Printed for the operator on the terminal, never written to the structured log.
        #[allow(
            clippy::print_stdout,
            reason = "the one-time set-up link is for the operator's eyes"
        )]
        {
            println!(
                "\nPli is running at http://{address}\nSet up the platform administrator (one-time link):\n\n  {link}\n"
            );
        }
    }
    app.run_until(shutdown_signal())
        .await
        .context("server error")
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
}
