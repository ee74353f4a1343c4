//! Running commands: each is echoed as `$ program args…` before it runs, its output goes to
//! the terminal, and a failure names the command.
//!
//! FIXME(issue: "xtask/src/cmd.rs re-implements xshell"): most of this is what `xshell`
//! 0.2 does (`Shell`, `cmd!`, `.env`, `Shell::change_dir`, `.run()`, `.read()`,
//! `.quiet()`, `.ignore_status()` for [`Cmd::probe`] and [`Cmd::status_quiet`]): about 45
//! of the 53 call sites would become `cmd!(sh, …)`. xshell does not stream a child's
//! output while capturing it ([`Cmd::run_tee`], `cargo xtask test`'s step reports),
//! spawn without waiting ([`Cmd::spawn_piped_stdout`], `cargo xtask dev`), or send stdout
//! to a file ([`Cmd::stdout_file`], the crypto benchmark): those stay here as small
//! functions. Differences to settle when switching: xshell echoes to stderr, not stdout,
//! and does not show the environment it sets in the echoed line.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, IsTerminal as _, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

use anyhow::{Context as _, Result, anyhow, bail};

/// A command to run, remembered in a printable form.
#[derive(Debug)]
pub(crate) struct Cmd {
    command: Command,
    shown_env: Vec<(OsString, OsString)>,
}

/// What a [`Cmd::run_tee`] saw: the exit status and everything printed (stdout then
/// stderr, ANSI colours removed).
#[derive(Debug)]
pub(crate) struct Captured {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Captured {
    /// Both streams, stdout first, colours removed.
    pub(crate) fn text(&self) -> String {
        strip_ansi(&format!("{}\n{}", self.stdout, self.stderr))
    }
}

impl Cmd {
    pub(crate) fn new(program: impl AsRef<OsStr>) -> Self {
        Self {
            command: Command::new(program),
            shown_env: Vec::new(),
        }
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    /// Sets an environment variable, and shows it in the echoed command line.
    pub(crate) fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(&key, &value);
        self.shown_env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    pub(crate) fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Sends the command's stdout to this file (created or truncated).
    pub(crate) fn stdout_file(mut self, path: &Path) -> Result<Self> {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {} for `{self}`", path.display()))?;
        self.command.stdout(file);
        Ok(self)
    }

    fn echo(&self) {
        println!("$ {self}");
        let _ = std::io::stdout().flush();
    }

    /// Runs with the terminal's stdin, stdout and stderr; fails unless it exits with 0.
    pub(crate) fn run(mut self) -> Result<()> {
        self.echo();
        let status = self
            .command
            .status()
            .with_context(|| format!("cannot start `{self}`"))?;
        check(status, &self)
    }

    /// Runs without echo and reports the exit status only (output goes to the terminal).
    pub(crate) fn status_quiet(mut self) -> Result<ExitStatus> {
        self.command
            .status()
            .with_context(|| format!("cannot start `{self}`"))
    }

    /// Runs with stdout captured (stderr to the terminal); fails unless it exits with 0.
    pub(crate) fn read(mut self) -> Result<String> {
        self.echo();
        self.read_inner()
    }

    /// Like [`Cmd::read`] without the echo: for probes whose output is the point.
    pub(crate) fn read_quiet(mut self) -> Result<String> {
        self.read_inner()
    }

    fn read_inner(&mut self) -> Result<String> {
        let output = self
            .command
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("cannot start `{self}`"))?;
        check(output.status, self)?;
        String::from_utf8(output.stdout).with_context(|| format!("`{self}` printed non-UTF-8"))
    }

    /// Runs silently and returns stdout if the command exists and exits with 0.
    pub(crate) fn probe(mut self) -> Option<String> {
        let output = self
            .command
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        if !output.status.success() {
            return None;
        }
        String::from_utf8(output.stdout).ok()
    }

    /// Starts the command with its stdout piped to the caller (stdin and stderr are the
    /// terminal's) and returns without waiting.
    pub(crate) fn spawn_piped_stdout(mut self) -> Result<Child> {
        self.echo();
        self.command
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start `{self}`"))
    }

    /// Runs the command with its stdout and stderr copied line by line to the terminal as
    /// they arrive, and also captured for parsing. Does not fail on a non-zero exit: the
    /// caller reads the status.
    pub(crate) fn run_tee(mut self) -> Result<Captured> {
        self.echo();
        if std::io::stdout().is_terminal() && std::env::var_os("CARGO_TERM_COLOR").is_none() {
            // Piped output would lose its colours; the parser strips them.
            self.command.env("CARGO_TERM_COLOR", "always");
        }
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start `{self}`"))?;
        let stdout = child.stdout.take().context("child stdout is not piped")?;
        let stderr = child.stderr.take().context("child stderr is not piped")?;
        let err_thread = std::thread::spawn(move || copy_lines(stderr, std::io::stderr()));
        let out = copy_lines(stdout, std::io::stdout());
        let err = err_thread
            .join()
            .map_err(|_| anyhow!("the stderr copier panicked"))?;
        let status = child
            .wait()
            .with_context(|| format!("cannot wait for `{self}`"))?;
        Ok(Captured {
            status,
            stdout: out?,
            stderr: err?,
        })
    }
}

fn copy_lines(from: impl Read, mut to: impl Write) -> Result<String> {
    let mut reader = BufReader::new(from);
    let mut seen = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .context("cannot read child output")?;
        if n == 0 {
            break;
        }
        to.write_all(&line).context("cannot copy child output")?;
        to.flush().context("cannot copy child output")?;
        seen.extend_from_slice(&line);
    }
    Ok(String::from_utf8_lossy(&seen).into_owned())
}

fn check(status: ExitStatus, cmd: &Cmd) -> Result<()> {
    if status.success() {
        return Ok(());
    }
    match status.code() {
        Some(code) => bail!("`{cmd}` failed with exit code {code}"),
        None => bail!("`{cmd}` was killed ({status})"),
    }
}

impl std::fmt::Display for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (key, value) in &self.shown_env {
            write!(f, "{}={} ", key.to_string_lossy(), quote(value))?;
        }
        write!(f, "{}", quote(self.command.get_program()))?;
        for arg in self.command.get_args() {
            write!(f, " {}", quote(arg))?;
        }
        Ok(())
    }
}

/// Quotes an argument for display the way a shell would need it.
fn quote(arg: &OsStr) -> String {
    let text = arg.to_string_lossy();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c));
    if plain {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Removes ANSI escape sequences (colours, cursor movement) from `text`.
pub(crate) fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            // CSI: parameters and intermediates, then one final byte in '@'..='~'.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

/// Formats a duration as `1m02s` or `12.3s`.
pub(crate) fn human(duration: std::time::Duration) -> String {
    let secs = duration.as_secs_f64();
    let mut out = String::new();
    if secs >= 60.0 {
        let whole = duration.as_secs();
        let _ = write!(out, "{}m{:02}s", whole / 60, whole % 60);
    } else {
        let _ = write!(out, "{secs:.1}s");
    }
    out
}
