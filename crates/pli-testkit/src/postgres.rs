//! A throwaway PostgreSQL cluster: `initdb` into a folder, listening only on a unix socket
//! there, no fsync, trust authentication; stopped when dropped.
//!
//! `initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user
//! (its programs run through `runuser`), and the folder must be one that user can write.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};

/// A running cluster.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    base: PathBuf,
    socket_dir: PathBuf,
    as_postgres: bool,
    url: String,
}

impl Cluster {
    /// Creates a fresh cluster in `base` (emptied first; a cluster an earlier run left
    /// there is stopped) and starts it. Fails with the install command if PostgreSQL's
    /// server programs are missing, or if the cluster's user cannot write to `base`.
    pub fn start(base: &Path) -> Result<Self> {
        let bin = server_binaries()?;
        let as_postgres = is_root()?;
        let data = base.join("data");
        if data.join("postmaster.pid").exists() {
            let _ = run_quiet(&mut pg_ctl(
                &bin,
                &data,
                as_postgres,
                base,
                &["stop", "-m", "immediate", "-w"],
            ));
        }
        if base.exists() {
            fs::remove_dir_all(base)
                .with_context(|| format!("cannot remove {}", base.display()))?;
        }
        fs::create_dir_all(base).with_context(|| format!("cannot create {}", base.display()))?;
        // A unix socket path is limited to 107 bytes: fall back to /tmp for deep folders.
        let mut socket_dir = base.join("sock");
        if socket_dir.as_os_str().len() + "/.s.PGSQL.5432".len() > 100 {
            socket_dir = std::env::temp_dir().join(format!("pli-pg-{}", std::process::id()));
        }
        fs::create_dir_all(&socket_dir)
            .with_context(|| format!("cannot create {}", socket_dir.display()))?;
        if as_postgres {
            for dir in [base, socket_dir.as_path()] {
                run(Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(dir))
                .with_context(|| format!("cannot hand {} to the postgres user", dir.display()))?;
            }
            let writable = run_quiet(as_user(true, Path::new("test")).arg("-w").arg(base))?;
            if !writable {
                bail!("the postgres user cannot write to {}", base.display());
            }
        }
        run(as_user(as_postgres, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
            .args(["--locale=C", "--no-instructions"]))
        .context("cannot create the throwaway PostgreSQL cluster")?;
        let url = format!(
            "postgres://postgres@localhost/postgres?host={}",
            socket_dir.display()
        );
        let cluster = Self {
            bin,
            base: base.to_owned(),
            socket_dir,
            as_postgres,
            url,
        };
        cluster.start_server()?;
        Ok(cluster)
    }

    /// The connection URL (unix socket), for `PLI_TEST_DATABASE_URL` or a relay's
    /// `PLI_DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's processes: the postmaster (the first line of `postmaster.pid`) and
    /// its children (backends, background workers) at this moment.
    pub fn pids(&self) -> Result<Vec<u32>> {
        let file = self.base.join("data").join("postmaster.pid");
        let text =
            fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let postmaster: u32 = text
            .lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .with_context(|| format!("no process id in {}", file.display()))?;
        let mut pids = vec![postmaster];
        pids.extend(crate::children(postmaster));
        Ok(pids)
    }

    /// The server's log file.
    pub fn log(&self) -> PathBuf {
        self.base.join("log")
    }

    /// `pg_ctl restart -m <mode>` (`fast`, `immediate`…), keeping the start's options.
    pub fn restart(&self, mode: &str) -> Result<()> {
        run(&mut self.pg_ctl(&["restart", "-m", mode, "-w", "-t", "60"]))
            .context("cannot restart PostgreSQL")
    }

    fn start_server(&self) -> Result<()> {
        // Unix socket only (no TCP), no fsync.
        let options = format!("-k {} -h '' -F", shell_quote(&self.socket_dir));
        run(&mut self.pg_ctl(&["start", "-w", "-t", "60", "-o", &options]))
            .with_context(|| format!("cannot start PostgreSQL (log: {})", self.log().display()))
    }

    fn pg_ctl(&self, args: &[&str]) -> Command {
        pg_ctl(
            &self.bin,
            &self.base.join("data"),
            self.as_postgres,
            &self.base,
            args,
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = run_quiet(&mut self.pg_ctl(&["stop", "-m", "immediate", "-w"]));
    }
}

/// `pg_ctl -D data -l base/log args…`.
fn pg_ctl(bin: &Path, data: &Path, as_postgres: bool, base: &Path, args: &[&str]) -> Command {
    let mut command = as_user(as_postgres, &bin.join("pg_ctl"));
    command
        .arg("-D")
        .arg(data)
        .arg("-l")
        .arg(base.join("log"))
        .args(args);
    command
}

/// `program`, run as the `postgres` user when this process is root.
fn as_user(as_postgres: bool, program: &Path) -> Command {
    if as_postgres {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn is_root() -> Result<bool> {
    use std::os::unix::fs::MetadataExt as _;
    Ok(fs::metadata("/proc/self")
        .context("cannot read /proc/self")?
        .uid()
        == 0)
}

/// Runs a command to its end; an error carries its output if it fails.
fn run(command: &mut Command) -> Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Runs a command, its output discarded; whether it succeeded.
fn run_quiet(command: &mut Command) -> Result<bool> {
    Ok(command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {command:?}"))?
        .success())
}

/// `/usr/lib/postgresql/<newest>/bin`.
fn server_binaries() -> Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir(root)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| {
                    let version = entry.file_name().to_string_lossy().parse().ok()?;
                    let bin = entry.path().join("bin");
                    bin.join("initdb").is_file().then_some((version, bin))
                })
                .collect()
        })
        .unwrap_or_default();
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
