//! Running commands. Plain runs go through `xshell` (`Shell`, `cmd!`): `.run()` echoes
//! `$ program args…` to stderr, `.read()` captures stdout, `.quiet()` drops the echo,
//! `.ignore_stderr()` plus `.read().ok()` is a silent probe, and its errors name the
//! command. xshell gives every child an empty stdin (`/dev/null`, where [`Cmd::run`]
//! passes the terminal's): none of the commands run through it reads stdin. This module
//! keeps only what xshell 0.2 does not do, as small functions:
//!
//! - [`Cmd::run_tee`]: stream a child's stdout and stderr to the terminal while capturing
//!   them (`cargo xtask test`'s step reports, the browser benchmark). xshell either
//!   inherits a stream or captures it, never both.
//! - [`Cmd::spawn_piped_stdout`]: start a child and return without waiting (`cargo xtask
//!   dev` keeps the relay running). xshell only runs a command to completion.
//! - [`Cmd::stdout_file`]: send stdout to a file (the crypto benchmark's 1 GiB outputs, and
//!   its timed runs to `/dev/null`). xshell can only inherit, capture or discard stdout.
//!   [`Cmd::run`] and [`Cmd::status_quiet`] remain to run those.
//! - [`read_echoed`]: xshell's `.read()` does not echo; commands whose output is parsed are
//!   still shown before they run.
//! - [`run_with_env`]: xshell's echo leaves out the environment a command is given; the
//!   variables a developer needs to reproduce it are shown in the echoed line. [`Cmd`]
//!   does the same for the three functions above (`PLI_TEST_DATABASE_URL=… cargo nextest
//!   …`, `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=… cargo test …`).
//!
//! [`Cmd`] echoes to stdout (the lines `cargo xtask test` shows next to the output it
//! streams), xshell to stderr.

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

/// Runs `cmd` with `env` added, echoing `$ KEY=value … program args` (xshell's own echo
/// would leave the variables out).
pub(crate) fn run_with_env(cmd: xshell::Cmd<'_>, env: &[(&str, &OsStr)]) -> Result<()> {
    let shown: String = env
        .iter()
        .map(|(key, value)| format!("{key}={} ", quote(value)))
        .collect();
    eprintln!("$ {shown}{cmd}");
    cmd.quiet().envs(env.iter().copied()).run()?;
    Ok(())
}

/// Echoes `cmd` like `.run()` does, then returns its stdout (trailing newline removed);
/// fails unless it exits with 0.
pub(crate) fn read_echoed(cmd: xshell::Cmd<'_>) -> Result<String> {
    eprintln!("$ {cmd}");
    Ok(cmd.read()?)
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

#[cfg(test)]
mod tests {
    use xshell::{Shell, cmd};

    use super::{read_echoed, run_with_env};

    #[test]
    fn run_with_env_sets_the_variables_and_names_a_failing_command() {
        let sh = Shell::new().unwrap();
        let check = r#"test "$PLI_XTASK_PROBE" = 'a b'"#;
        run_with_env(
            cmd!(sh, "sh -c {check}"),
            &[("PLI_XTASK_PROBE", "a b".as_ref())],
        )
        .unwrap();
        let error = run_with_env(
            cmd!(sh, "sh -c {check}"),
            &[("PLI_XTASK_PROBE", "c".as_ref())],
        )
        .unwrap_err();
        assert!(format!("{error:#}").contains("sh -c"), "{error:#}");
    }

    #[test]
    fn read_echoed_returns_stdout_without_the_last_newline() {
        let sh = Shell::new().unwrap();
        assert_eq!(read_echoed(cmd!(sh, "echo one two")).unwrap(), "one two");
        assert!(read_echoed(cmd!(sh, "false")).is_err());
    }
}
