//! A disk that fills up: a tmpfs of a given size mounted on a folder ([`Tmpfs`], needs
//! root or `CAP_SYS_ADMIN`), and a file that takes all its free space ([`Filler`]). The
//! relay's full-disk tests and the chaos driver's disk-full rounds use them.

use std::fs::File;
use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};

/// A tmpfs mounted on a folder, unmounted when dropped.
#[derive(Debug)]
pub struct Tmpfs {
    dir: PathBuf,
    /// The size it was mounted with.
    bytes: u64,
}

impl Tmpfs {
    /// Mounts a tmpfs of `bytes` on `dir` (created if missing). The error says why it
    /// could not be mounted (not root, say).
    pub fn mount(dir: &Path, bytes: u64) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir)
            .stdin(Stdio::null())
            .output()
            .context("cannot run mount")?;
        if !output.status.success() {
            bail!(
                "cannot mount a tmpfs on {}: {}",
                dir.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(Self {
            dir: dir.to_owned(),
            bytes,
        })
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Gives it `bytes` in all (at least what it holds: a tmpfs cannot shrink below).
    pub fn resize(&self, bytes: u64) -> Result<()> {
        let output = Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}")])
            .arg(&self.dir)
            .stdin(Stdio::null())
            .output()
            .context("cannot run mount")?;
        if !output.status.success() {
            bail!(
                "cannot resize the tmpfs on {} to {bytes} bytes: {}",
                self.dir.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }

    /// The bytes it holds.
    pub fn used(&self) -> Result<u64> {
        let output = Command::new("df")
            .args(["--output=used", "-B1"])
            .arg(&self.dir)
            .stdin(Stdio::null())
            .output()
            .context("cannot run df")?;
        let text = String::from_utf8_lossy(&output.stdout);
        text.lines()
            .nth(1)
            .and_then(|line| line.trim().parse().ok())
            .with_context(|| format!("df said: {text}"))
    }

    /// Full at once, without writing anything: its size brought down to what it holds,
    /// so that the next write that needs a new page fails with `ENOSPC`. Files being
    /// written meanwhile can make the first tries fail; it tries again.
    /// [`give_room_back`](Self::give_room_back) undoes it.
    pub fn fill_up(&self) -> Result<()> {
        let mut last = None;
        for _ in 0..20 {
            match self.resize(self.used()?) {
                Ok(()) => return Ok(()),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("cannot fill the tmpfs up")))
    }

    /// Back to the size it was mounted with.
    pub fn give_room_back(&self) -> Result<()> {
        self.resize(self.bytes)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            // Something still holds a file open there: detach it now, free it when closed.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

/// A file that takes up all the free space of its file system but what is asked.
#[derive(Debug)]
pub struct Filler {
    path: PathBuf,
    file: File,
}

impl Filler {
    /// Creates the (empty) file at `path`.
    pub fn new(path: &Path) -> Result<Self> {
        Ok(Self {
            path: path.to_owned(),
            file: File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        })
    }

    /// Grows the file until the disk is full, then gives back `spare` bytes.
    pub fn fill(&mut self, spare: u64) -> Result<()> {
        self.file.seek(SeekFrom::End(0))?;
        let block = vec![0x5a; 64 << 10];
        loop {
            match self.file.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::StorageFull => break,
                Err(error) => return Err(error).context("cannot fill the disk"),
            }
        }
        let len = self.file.metadata()?.len();
        self.file.set_len(len.saturating_sub(spare))?;
        Ok(())
    }

    /// Deletes the file: its space is free again.
    pub fn remove(self) -> Result<()> {
        drop(self.file);
        std::fs::remove_file(&self.path)
            .with_context(|| format!("cannot remove {}", self.path.display()))
    }
}
