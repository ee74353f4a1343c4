//! `pli-fuzz-seeds [--generated] [--cctv] DIR`: writes the seed inputs of every target
//! into `DIR/<target>/<name>` (files already there with the same name are replaced,
//! others kept).
//!
//! * `--generated` (the default): the real objects of `pli_fuzz::seeds::generated`; this
//!   is how `fuzz/seeds/` was written (`cargo run -p pli-fuzz --bin pli-fuzz-seeds --
//!   fuzz/seeds`).
//! * `--cctv`: the seeds taken from the CCTV vectors; `cargo xtask fuzz` writes them into
//!   its working corpus before each run.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: printing is its interface"
)]

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut generated = false;
    let mut cctv = false;
    let mut dir = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--generated" => generated = true,
            "--cctv" => cctv = true,
            flag if flag.starts_with('-') => {
                eprintln!("usage: pli-fuzz-seeds [--generated] [--cctv] DIR (unknown {flag})");
                return ExitCode::FAILURE;
            }
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: pli-fuzz-seeds [--generated] [--cctv] DIR");
        return ExitCode::FAILURE;
    };
    if !cctv {
        generated = true;
    }
    let mut written = 0usize;
    for target in pli_fuzz::TARGETS {
        let mut seeds = Vec::new();
        if generated {
            seeds.extend(pli_fuzz::seeds::generated(target.name));
        }
        if cctv {
            seeds.extend(pli_fuzz::seeds::cctv(target.name));
        }
        let folder = dir.join(target.name);
        if let Err(error) = std::fs::create_dir_all(&folder) {
            eprintln!("cannot create {}: {error}", folder.display());
            return ExitCode::FAILURE;
        }
        for seed in seeds {
            let path = folder.join(&seed.name);
            if let Err(error) = std::fs::write(&path, &seed.data) {
                eprintln!("cannot write {}: {error}", path.display());
                return ExitCode::FAILURE;
            }
            written += 1;
        }
    }
    println!("{written} seeds written under {}", dir.display());
    ExitCode::SUCCESS
}
