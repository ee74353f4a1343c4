//! The fuzz targets' smoke test, on stable, in `cargo xtask test`: every target of
//! `pli_fuzz::TARGETS` runs over its seeds (the CCTV vectors', the generated objects,
//! the committed `fuzz/seeds/<target>/` and the crashes kept as regressions in
//! `fuzz/regressions/<target>/`), then over a fixed number of deterministic mutations of
//! them. An input that breaks a property is written to the test's temporary folder
//! (`target/tmp/fuzz-smoke/`), named in the failure, ready to become a regression.
//!
//! The real fuzzing, with libFuzzer on nightly, is `cargo xtask fuzz`; this checks that
//! every target still runs and holds on what is known, in a few seconds.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on the first unexpected value"
)]

use std::path::{Path, PathBuf};

use pli_fuzz::mutate::Mutator;
use pli_fuzz::seeds::{self, Seed};

/// Mutated inputs per target: fewer for the targets that encrypt and decrypt up to
/// 200 KiB per input, so that each target takes about a second.
fn mutations(target: &str) -> usize {
    match target {
        "age_decrypt" | "age_tamper" => 300,
        "signed" => 1_000,
        _ => 2_000,
    }
}

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The files of `fuzz/<folder>/<target>/` (none if it does not exist).
fn committed(folder: &str, target: &str) -> Vec<Seed> {
    let dir = root().join("fuzz").join(folder).join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<Seed> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .map(|path| Seed {
            name: format!(
                "{folder}/{target}/{}",
                path.file_name().unwrap().to_string_lossy()
            ),
            data: std::fs::read(&path).unwrap(),
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Runs `target` on `data`; if it panics, saves the input and fails naming it.
fn run(target: &pli_fuzz::Target, label: &str, data: &[u8]) {
    if std::panic::catch_unwind(|| (target.run)(data)).is_ok() {
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-smoke");
    std::fs::create_dir_all(&dir).unwrap();
    let file = format!(
        "{}-{:016x}",
        target.name,
        data.iter()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b))
                .wrapping_mul(0x0000_0100_0000_01b3))
    );
    let path = dir.join(file);
    std::fs::write(&path, data).unwrap();
    panic!(
        "{} breaks a property on {label}; the input is in {} (copy it into \
         fuzz/regressions/{}/ once fixed)",
        target.name,
        path.display(),
        target.name
    );
}

fn smoke(name: &str) {
    let target = pli_fuzz::target(name).unwrap();
    let mut inputs = seeds::cctv(name);
    inputs.extend(seeds::generated(name));
    inputs.extend(committed("seeds", name));
    inputs.extend(committed("regressions", name));
    assert!(!inputs.is_empty(), "{name} has no seed");
    for seed in &inputs {
        run(target, &seed.name, &seed.data);
    }
    let others: Vec<&[u8]> = inputs.iter().map(|seed| seed.data.as_slice()).collect();
    let start = name
        .bytes()
        .fold(17u64, |h, b| h.wrapping_mul(31) ^ u64::from(b));
    let mut mutator = Mutator::new(start);
    for index in 0..mutations(name) {
        let base = others[mutator.below(others.len())];
        let input = mutator.mutate(base, &others);
        run(target, &format!("mutation {index}"), &input);
    }
}

macro_rules! smoke_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                smoke(stringify!($name));
            }
        )*

        /// Every target has its smoke test above.
        const SMOKED: &[&str] = &[$(stringify!($name)),*];
    };
}

smoke_tests! {
    age_header,
    age_armor,
    age_decrypt,
    age_tamper,
    canonical,
    signed,
    api_json,
    upload_headers,
}

#[test]
fn every_target_is_smoked_and_has_its_libfuzzer_entry_point() {
    let names: Vec<&str> = pli_fuzz::TARGETS.iter().map(|t| t.name).collect();
    assert_eq!(names, SMOKED);
    let fuzz = root().join("fuzz");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).unwrap();
    let mut files: Vec<String> = std::fs::read_dir(fuzz.join("fuzz_targets"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = names.iter().map(|name| format!("{name}.rs")).collect();
    expected.sort();
    assert_eq!(
        files, expected,
        "fuzz/fuzz_targets/ and pli_fuzz::TARGETS differ"
    );
    for name in &names {
        let source =
            std::fs::read_to_string(fuzz.join("fuzz_targets").join(format!("{name}.rs"))).unwrap();
        assert!(
            source.contains(&format!("pli_fuzz::targets::{name}(")),
            "fuzz/fuzz_targets/{name}.rs does not call pli_fuzz::targets::{name}"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\""))
                && manifest.contains(&format!("path = \"fuzz_targets/{name}.rs\"")),
            "fuzz/Cargo.toml does not declare {name}"
        );
    }
    for folder in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(folder)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            if entry.path().is_dir() {
                let dir = entry.file_name().to_string_lossy().into_owned();
                assert!(
                    names.contains(&dir.as_str()),
                    "fuzz/{folder}/{dir} names no target"
                );
            }
        }
    }
}
