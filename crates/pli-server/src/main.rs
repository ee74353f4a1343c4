//! The `pli-server` binary: reads the configuration from `PLI_*` variables (and the file
//! `PLI_CONFIG` names), sets up JSON logs, and runs the relay until Ctrl-C or SIGTERM.

use anyhow::Context as _;
use pli_server::app::Application;
use pli_server::config::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env(std::env::vars()).context("invalid configuration")?;
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
