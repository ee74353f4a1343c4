//! Where a received file is written while it downloads: a file with no name, so that
//! plaintext of a file not yet verified is never visible in the destination, and a
//! receive killed midway (SIGKILL, a power cut) leaves nothing behind — the kernel frees
//! a file without a name with its last descriptor.
//!
//! On Linux the file is opened with `O_TMPFILE` in the destination folder (same file
//! system, so naming it is a link, no copy) and takes its name by `linkat` through
//! `/proc/self/fd`, which fails if the name exists: no file is ever replaced. Where that
//! is not available (another system, a file system without `O_TMPFILE`, no `/proc`), the
//! file is a hidden named one, `.pli-receive-<pid>-…`, renamed without replacing; what a
//! killed process left that way is removed by the next receive in that folder
//! ([`sweep`]), which knows it is left because the process named in it is gone.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context as _, Result};

/// How the hidden files and folders a receive writes in a destination begin (the pid of
/// the process that writes them follows, then `-`).
const TEMPORARY_PREFIX: &str = ".pli-receive-";

/// The prefix of this process's hidden files and folders.
fn own_prefix() -> String {
    format!("{TEMPORARY_PREFIX}{}-", std::process::id())
}

/// A file being received, without a name until [`name`](Staged::name).
#[derive(Debug)]
pub(crate) struct Staged {
    file: File,
    /// The hidden name, where the file could not be made without one.
    fallback: Option<tempfile::TempPath>,
}

impl Staged {
    /// A new empty file in `dir`, written and read only by this user.
    pub(crate) fn new_in(dir: &Path) -> io::Result<Self> {
        #[cfg(target_os = "linux")]
        if let Some(file) = unnamed(dir)? {
            return Ok(Self {
                file,
                fallback: None,
            });
        }
        let (file, path) = tempfile::Builder::new()
            .prefix(&own_prefix())
            .tempfile_in(dir)?
            .into_parts();
        Ok(Self {
            file,
            fallback: Some(path),
        })
    }

    /// Writes its data to the disk and gives it the name `target` (in the folder it was
    /// made in), failing if `target` exists.
    pub(crate) fn name(self, target: &Path) -> io::Result<()> {
        self.file.sync_all()?;
        match self.fallback {
            Some(path) => path.persist_noclobber(target).map_err(|e| e.error),
            #[cfg(target_os = "linux")]
            None => {
                use std::os::fd::AsRawFd as _;
                let this = format!("/proc/self/fd/{}", self.file.as_raw_fd());
                rustix::fs::linkat(
                    rustix::fs::CWD,
                    this.as_str(),
                    rustix::fs::CWD,
                    target,
                    rustix::fs::AtFlags::SYMLINK_FOLLOW,
                )
                .map_err(io::Error::from)
            }
            #[cfg(not(target_os = "linux"))]
            None => Err(io::Error::other("a file without a name outside Linux")),
        }
    }
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.file.write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A file with no name in `dir` (`O_TMPFILE`), or `None` where that cannot be had.
#[cfg(target_os = "linux")]
fn unnamed(dir: &Path) -> io::Result<Option<File>> {
    use rustix::fs::{Mode, OFlags};
    use rustix::io::Errno;
    // Naming it goes through /proc/self/fd: without /proc it could never be named.
    if !Path::new("/proc/self/fd").is_dir() {
        return Ok(None);
    }
    match rustix::fs::open(
        dir,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    ) {
        Ok(fd) => Ok(Some(File::from(fd))),
        // The file system (or an old kernel) does not have it.
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => Ok(None),
        Err(errno) => Err(errno.into()),
    }
}

/// A hidden folder of this process in `dir`, for an exchange's files before the folder
/// takes its name.
pub(crate) fn folder_in(dir: &Path) -> io::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(&own_prefix())
        .tempdir_in(dir)
}

/// Makes what was named in `dir` durable: the folder's entries written to the disk.
pub(crate) fn sync_folder(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Removes from `dir` the hidden files and folders of receives whose process is gone (a
/// receive killed where files without a name could not be had, or between naming an
/// exchange's files and naming its folder). A process still running keeps its own.
pub(crate) fn sweep(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(TEMPORARY_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if running(pid) {
            continue;
        }
        let path = entry.path();
        let removed = if entry.file_type()?.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        match removed {
            // Another sweep was first.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            removed => removed.with_context(|| format!("cannot remove {}", path.display()))?,
        }
    }
    Ok(())
}

/// Whether process `pid` is running (where that cannot be known, it is taken as running:
/// nothing of it is removed).
fn running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_staged_file_is_invisible_until_named_and_never_replaces_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut staged = Staged::new_in(dir.path()).unwrap();
        staged.write_all(b"verified").unwrap();
        #[cfg(target_os = "linux")]
        assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
        staged.name(&dir.path().join("a.pdf")).unwrap();
        assert_eq!(fs::read(dir.path().join("a.pdf")).unwrap(), b"verified");

        let mut other = Staged::new_in(dir.path()).unwrap();
        other.write_all(b"other").unwrap();
        let refused = other.name(&dir.path().join("a.pdf")).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(dir.path().join("a.pdf")).unwrap(), b"verified");
        assert_eq!(names(dir.path()), ["a.pdf"]);
    }

    #[test]
    fn a_staged_file_dropped_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut staged = Staged::new_in(dir.path()).unwrap();
        staged.write_all(b"half of a file").unwrap();
        drop(staged);
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn the_sweep_removes_only_what_ended_processes_left() {
        let dir = tempfile::tempdir().unwrap();
        // A process that ran and ended: its pid is free (until reused, when what it left
        // stays: never something of a running process removed).
        let mut ended = std::process::Command::new("true").spawn().unwrap();
        let gone = ended.id();
        ended.wait().unwrap();
        fs::create_dir(dir.path().join(format!("{TEMPORARY_PREFIX}{gone}-abc"))).unwrap();
        fs::write(
            dir.path().join(format!("{TEMPORARY_PREFIX}{gone}-def")),
            b"x",
        )
        .unwrap();
        let own = folder_in(dir.path()).unwrap();
        fs::write(dir.path().join(".pli-receive-notapid"), b"x").unwrap();
        fs::write(dir.path().join("rapport.pdf"), b"x").unwrap();
        sweep(dir.path()).unwrap();
        let own_name = own
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mut expected = vec![
            ".pli-receive-notapid".to_owned(),
            own_name,
            "rapport.pdf".to_owned(),
        ];
        expected.sort();
        assert_eq!(names(dir.path()), expected);
    }
}
