//! The throwaway PostgreSQL cluster `cargo xtask test` and `cargo xtask bench server`
//! start (`pli_testkit::Cluster`): in `target/pg`, or in the temporary folder when the
//! `postgres` user cannot reach the checkout (e.g. under /root). Tests find it through
//! `PLI_TEST_DATABASE_URL`; it is stopped when the [`Postgres`] guard drops.

use anyhow::{Context as _, Result};
use pli_testkit::Cluster;

use crate::Workspace;

/// The environment variable the test suites read.
pub(crate) const URL_VAR: &str = "PLI_TEST_DATABASE_URL";

/// A running throwaway cluster; stopped on drop.
#[derive(Debug)]
pub(crate) struct Postgres {
    cluster: Cluster,
}

impl Postgres {
    /// Creates a fresh cluster in `target/pg` and starts it.
    pub(crate) fn start(ws: &Workspace) -> Result<Self> {
        let postgres = Self::start_named(ws, "pg")?;
        println!("{URL_VAR}={}", postgres.url());
        Ok(postgres)
    }

    /// Creates a fresh cluster in `target/<name>` and starts it.
    pub(crate) fn start_named(ws: &Workspace, name: &str) -> Result<Self> {
        let base = ws.target.join(name);
        let cluster = match Cluster::start(&base) {
            Ok(cluster) => cluster,
            Err(error) => {
                let fallback = std::env::temp_dir().join(format!("pli-test-{name}"));
                println!(
                    "cannot start PostgreSQL under {} ({error:#}): trying {}",
                    base.display(),
                    fallback.display()
                );
                Cluster::start(&fallback).context("cannot start the throwaway PostgreSQL")?
            }
        };
        Ok(Self { cluster })
    }

    /// The connection URL (unix socket) for `PLI_TEST_DATABASE_URL`.
    pub(crate) fn url(&self) -> &str {
        self.cluster.url()
    }

    /// The server's processes at this moment (postmaster and children).
    pub(crate) fn pids(&self) -> Result<Vec<u32>> {
        self.cluster.pids()
    }
}
