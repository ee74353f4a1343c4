//! The relay as a process of its own (the fault tests kill it with SIGKILL; the server
//! bench measures it): its command line, built once.

use std::path::Path;
use std::process::Command;

/// The command that runs the relay binary at `binary` on `127.0.0.1:port` with its data
/// in `data_dir`, every `PLI_*` variable this process inherited removed and `RUST_LOG`
/// too (so a developer's own settings never leak into a test: the relay logs at its
/// default level) and standard input closed. Callers add their
/// settings (`PLI_DATABASE_URL`, `PLI_CONFIG`…) and where its output goes.
pub fn relay_command(binary: &Path, port: u16, data_dir: &Path) -> Command {
    let mut command = Command::new(binary);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PLI_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command
        .env("PLI_LISTEN", format!("127.0.0.1:{port}"))
        .env("PLI_DATA_DIR", data_dir)
        .stdin(std::process::Stdio::null());
    command
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::relay_command;

    #[test]
    fn the_relay_command_listens_where_asked_and_inherits_no_pli_setting() {
        let command = relay_command(Path::new("/bin/pli-server"), 4242, Path::new("/tmp/d"));
        for (name, value) in command.get_envs() {
            let name = name.to_string_lossy();
            let value = value.map(|v| v.to_string_lossy().into_owned());
            match name.as_ref() {
                "PLI_LISTEN" => assert_eq!(value.as_deref(), Some("127.0.0.1:4242")),
                "PLI_DATA_DIR" => assert_eq!(value.as_deref(), Some("/tmp/d")),
                // Anything else is an inherited PLI_* setting or RUST_LOG, removed.
                other => assert!(
                    (other.starts_with("PLI_") || other == "RUST_LOG") && value.is_none(),
                    "{other}"
                ),
            }
        }
        assert_eq!(command.get_program(), "/bin/pli-server");
    }
}
