//! Embeds the C2SP CCTV age vectors vendored in `vectors/` (see `vectors/PROVENANCE.md`)
//! so that tests run the same data natively and in the browser, where there is no file
//! system. `PLI_CCTV_DIR` overrides the folder.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

/// Files of the folder that are not vectors (dotfiles are skipped too).
const NOT_VECTORS: &[&str] = &["README.md", "LICENSE", "PROVENANCE.md"];

fn main() {
    println!("cargo::rerun-if-env-changed=PLI_CCTV_DIR");
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dir = env::var_os("PLI_CCTV_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("vectors"));
    println!("cargo::rerun-if-changed={}", dir.display());

    let mut names: Vec<String> = fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|name| !name.starts_with('.') && !NOT_VECTORS.contains(&name.as_str()))
                .collect()
        })
        .unwrap_or_default();
    names.sort();

    let mut code = String::new();
    let _ = writeln!(code, "/// Where the vectors were looked for.");
    let _ = writeln!(
        code,
        "pub const SOURCE_DIR: &str = {:?};",
        dir.display().to_string()
    );
    let _ = writeln!(code, "/// Every vector file: its name and raw contents.");
    let _ = writeln!(code, "pub(crate) static FILES: &[(&str, &[u8])] = &[");
    for name in &names {
        let path = dir.join(name);
        let _ = writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    let _ = writeln!(code, "];");
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default()).join("cctv.rs");
    if let Err(error) = fs::write(&out, code) {
        println!("cargo::error=cannot write {}: {error}", out.display());
    }
}
