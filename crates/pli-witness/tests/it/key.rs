//! The key file: 32 random bytes, owner only, never overwritten.

use std::fs;

use pli_witness::key::{generate_key_file, read_key_file};

#[test]
fn a_key_file_is_made_once_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("witness.key");
    let seed = generate_key_file(&path).unwrap();
    assert_eq!(fs::read(&path).unwrap(), seed.as_slice());
    assert_eq!(read_key_file(&path).unwrap(), seed);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    assert_ne!(
        *generate_key_file(&dir.path().join("other.key")).unwrap(),
        *seed
    );

    let error = generate_key_file(&path).unwrap_err();
    assert!(format!("{error:#}").contains("cannot create"), "{error:#}");
    assert_eq!(fs::read(&path).unwrap(), seed.as_slice(), "not overwritten");
}

#[test]
fn a_key_file_open_to_others_or_of_another_size_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("witness.key");
    generate_key_file(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let error = read_key_file(&path).unwrap_err();
        assert!(format!("{error:#}").contains("open to others"), "{error:#}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    }
    for size in [0, 31, 33, 64] {
        fs::write(&path, vec![7; size]).unwrap();
        let error = read_key_file(&path).unwrap_err();
        assert!(
            format!("{error:#}").contains("32 bytes"),
            "{size}: {error:#}"
        );
    }
}
