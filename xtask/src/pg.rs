//! A throwaway PostgreSQL cluster for the tests: `initdb` into `target/pg/data`, listening
//! only on a unix socket under `target/pg`, no fsync, trust authentication. Tests find it
//! through `PLI_TEST_DATABASE_URL`; it is stopped when the [`Postgres`] guard drops.
//!
//! `initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use crate::Workspace;
use crate::cmd::Cmd;
use crate::deps;

/// The environment variable the test suites read.
pub(crate) const URL_VAR: &str = "PLI_TEST_DATABASE_URL";

/// A running throwaway cluster; stopped on drop.
#[derive(Debug)]
pub(crate) struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    as_postgres: bool,
    url: String,
}

impl Postgres {
    /// Creates a fresh cluster and starts it.
    pub(crate) fn start(ws: &Workspace) -> Result<Self> {
        let bin = server_binaries()?;
        let as_postgres = deps::is_root()?;
        let mut base = ws.target.join("pg");
        if !fresh_dir(&bin, &base, as_postgres)? {
            // The postgres user cannot reach the checkout (e.g. under /root).
            base = std::env::temp_dir().join("pli-test-pg");
            println!(
                "the postgres user cannot write under target/: using {}",
                base.display()
            );
            if !fresh_dir(&bin, &base, as_postgres)? {
                bail!("the postgres user cannot write to {}", base.display());
            }
        }
        let data = base.join("data");
        // A unix socket path is limited to 107 bytes: fall back to /tmp for deep checkouts.
        let mut socket_dir = base.join("sock");
        if socket_dir.as_os_str().len() + "/.s.PGSQL.5432".len() > 100 {
            socket_dir = std::env::temp_dir().join(format!("pli-pg-{}", std::process::id()));
        }
        fs::create_dir_all(&socket_dir)
            .with_context(|| format!("cannot create {}", socket_dir.display()))?;
        if as_postgres {
            give_to_postgres(&socket_dir)?;
        }
        user_cmd(as_postgres, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
            .args(["--locale=C", "--no-instructions"])
            .read()
            .context("cannot create the throwaway PostgreSQL cluster")?;
        let url = format!(
            "postgres://postgres@localhost/postgres?host={}",
            socket_dir.display()
        );
        let pg = Self {
            bin,
            data,
            as_postgres,
            url,
        };
        // Unix socket only (no TCP), no fsync.
        let options = format!("-k {} -h '' -F", shell_quote(&socket_dir));
        let log = base.join("log");
        pg.pg_ctl(&["start", "-w", "-t", "60", "-o", &options, "-l"])
            .arg(&log)
            .run()
            .with_context(|| format!("cannot start PostgreSQL (log: {})", log.display()))?;
        println!("{URL_VAR}={}", pg.url);
        Ok(pg)
    }

    /// The connection URL (unix socket) for `PLI_TEST_DATABASE_URL`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    fn pg_ctl(&self, args: &[&str]) -> Cmd {
        pg_ctl(&self.bin, &self.data, self.as_postgres, args)
    }
}

fn pg_ctl(bin: &Path, data: &Path, as_postgres: bool, args: &[&str]) -> Cmd {
    user_cmd(as_postgres, &bin.join("pg_ctl"))
        .arg("-D")
        .arg(data)
        .args(args)
}

impl Drop for Postgres {
    fn drop(&mut self) {
        match self.pg_ctl(&["stop", "-m", "fast", "-w"]).run() {
            Ok(()) => {}
            Err(error) => eprintln!("warning: cannot stop the throwaway PostgreSQL: {error:#}"),
        }
    }
}

/// Stops a cluster left in `base` by an earlier run, then makes `base` an empty directory
/// owned by the cluster's user. Returns whether that user can write to it.
fn fresh_dir(bin: &Path, base: &Path, as_postgres: bool) -> Result<bool> {
    let data = base.join("data");
    if data.join("postmaster.pid").exists() {
        println!("stopping a cluster left over by an earlier run");
        let _ = pg_ctl(bin, &data, as_postgres, &["stop", "-m", "immediate", "-w"]).status_quiet();
    }
    if base.exists() {
        fs::remove_dir_all(base).with_context(|| format!("cannot remove {}", base.display()))?;
    }
    fs::create_dir_all(base).with_context(|| format!("cannot create {}", base.display()))?;
    if !as_postgres {
        return Ok(true);
    }
    give_to_postgres(base)?;
    let writable = user_cmd(true, Path::new("test"))
        .arg("-w")
        .arg(base)
        .status_quiet()?;
    Ok(writable.success())
}

fn give_to_postgres(dir: &Path) -> Result<()> {
    Cmd::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(dir)
        .run()
        .with_context(|| format!("cannot hand {} to the postgres user", dir.display()))
}

/// `program`, run as the `postgres` user when xtask runs as root.
fn user_cmd(as_postgres: bool, program: &Path) -> Cmd {
    if as_postgres {
        Cmd::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(program)
    } else {
        Cmd::new(program)
    }
}

/// `/usr/lib/postgresql/<newest>/bin`.
fn server_binaries() -> Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = Vec::new();
    if let Ok(entries) = fs::read_dir(root) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if let Ok(version) = name.to_string_lossy().parse::<u32>() {
                let bin = entry.path().join("bin");
                if bin.join("initdb").is_file() {
                    versions.push((version, bin));
                }
            }
        }
    }
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "no PostgreSQL server under {}: install the Debian package postgresql",
            root.display()
        ),
    }
}

/// Quotes a path for the shell that `pg_ctl -o` goes through.
fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}
