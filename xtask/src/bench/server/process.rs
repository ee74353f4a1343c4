//! The processes the benchmark runs: `pli-server` and Debian's nginx as subprocesses,
//! waited for until they answer and stopped on drop (SIGTERM, then SIGKILL).

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::bench::http::Client;
use crate::deps;

use super::Tools;

/// Stops a child we started: SIGTERM, then SIGKILL after 15 s.
pub(super) fn stop(child: &mut Child, name: &str) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    if let Ok(sh) = Shell::new() {
        let pid = child.id().to_string();
        let _ = cmd!(sh, "kill -TERM {pid}").quiet().ignore_status().run();
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("{name} did not stop within 15 s: killing it");
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits until `address` accepts connections (and, if given, `GET path` answers 200).
pub(super) fn wait_ready(
    child: &mut Child,
    name: &str,
    address: SocketAddr,
    path: Option<&str>,
) -> Result<()> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("cannot watch the child")? {
            bail!("{name} exited before it answered ({status})");
        }
        if TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok() {
            let Some(path) = path else { return Ok(()) };
            let conn = Client::new(address);
            if conn
                .request("GET", path, &[], &[], true)
                .is_ok_and(|r| r.status == 200)
            {
                return Ok(());
            }
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("{name} did not answer on {address} within 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `pli-server` running as a subprocess; stopped on drop.
#[derive(Debug)]
pub(super) struct Relay {
    child: Child,
    pub(super) address: SocketAddr,
    pub(super) setup_token: String,
}

impl Relay {
    /// Starts the relay with its data in `dir/data`, its log in `dir/server.log`, on
    /// SQLite unless `database_url` says otherwise.
    pub(super) fn start(tools: &Tools, dir: &Path, database_url: Option<&str>) -> Result<Self> {
        Self::start_with(tools, dir, database_url, &[], true)
    }

    /// [`start`](Self::start) with more settings (`env`, whose values are not echoed),
    /// and (`fresh`) whether it must print a set-up link: a replica started on a
    /// platform already set up prints none.
    pub(super) fn start_with(
        tools: &Tools,
        dir: &Path,
        database_url: Option<&str>,
        env: &[(&str, &str)],
        fresh: bool,
    ) -> Result<Self> {
        let data = dir.join("data");
        fs::create_dir_all(&data).with_context(|| format!("cannot create {}", data.display()))?;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, pli_testkit::free_port()?));
        let stdout_path = dir.join("stdout.txt");
        let log_path = dir.join("server.log");
        let stdout = fs::File::create(&stdout_path)
            .with_context(|| format!("cannot create {}", stdout_path.display()))?;
        let log = fs::File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        let mut command = pli_testkit::relay_command(&tools.server, address.port(), &data);
        command.env_remove("RUST_LOG").env("PLI_LOG_FORMAT", "json");
        let mut shown = format!(
            "PLI_LISTEN={address} PLI_DATA_DIR={} PLI_LOG_FORMAT=json",
            data.display()
        );
        if let Some(url) = database_url {
            command.env("PLI_DATABASE_URL", url);
            shown.push_str(&format!(" PLI_DATABASE_URL='{url}'"));
        }
        for (name, value) in env {
            command.env(name, value);
            shown.push_str(&format!(" {name}=…"));
        }
        println!(
            "$ {shown} {} > {} 2> {} &",
            tools.server.display(),
            stdout_path.display(),
            log_path.display()
        );
        let child = command
            .stdout(stdout)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", tools.server.display()))?;
        let mut relay = Self {
            child,
            address,
            setup_token: String::new(),
        };
        wait_ready(&mut relay.child, "pli-server", address, Some("/healthz"))
            .with_context(|| format!("see {}", log_path.display()))?;
        if !fresh {
            return Ok(relay);
        }
        // The link is printed (and flushed: stdout is line-buffered) before serving.
        let printed = fs::read_to_string(&stdout_path)
            .with_context(|| format!("cannot read {}", stdout_path.display()))?;
        relay.setup_token = printed
            .lines()
            .find_map(|line| {
                line.trim()
                    .split_once("/#/setup/")
                    .map(|(_, t)| t.to_owned())
            })
            .context("the relay printed no set-up link: is its database fresh?")?;
        Ok(relay)
    }

    pub(super) fn base(&self) -> String {
        format!("http://{}", self.address)
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the relay with SIGKILL, as a crash would, and reaps it.
    pub(super) fn kill(mut self) -> Result<()> {
        self.child.kill().context("cannot kill pli-server")?;
        self.child.wait().context("cannot reap pli-server")?;
        Ok(())
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        stop(&mut self.child, "pli-server");
    }
}

/// Debian's nginx as a plain WebDAV `PUT` sink; stopped on drop.
#[derive(Debug)]
pub(super) struct Nginx {
    child: Child,
    pub(super) address: SocketAddr,
    pub(super) www: PathBuf,
}

impl Nginx {
    pub(super) fn start(dir: &Path) -> Result<Self> {
        let prefix = dir.join("nginx");
        let www = prefix.join("www");
        for sub in [
            "www",
            "client_body_temp",
            "proxy_temp",
            "fastcgi_temp",
            "uwsgi_temp",
            "scgi_temp",
        ] {
            let path = prefix.join(sub);
            fs::create_dir_all(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
        }
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, pli_testkit::free_port()?));
        let user = if deps::is_root()? {
            // Workers write the files: as root, keep them root so they can.
            "user root;\n"
        } else {
            ""
        };
        let p = prefix.display();
        let config = format!(
            "# Written by `cargo xtask bench server`: nginx as a WebDAV PUT sink.\n\
             daemon off;\n\
             master_process on;\n\
             worker_processes auto;\n\
             {user}\
             pid {p}/nginx.pid;\n\
             error_log {p}/error.log warn;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n\
             \x20   access_log off;\n\
             \x20   client_max_body_size 0;\n\
             \x20   client_body_temp_path {p}/client_body_temp;\n\
             \x20   proxy_temp_path {p}/proxy_temp;\n\
             \x20   fastcgi_temp_path {p}/fastcgi_temp;\n\
             \x20   uwsgi_temp_path {p}/uwsgi_temp;\n\
             \x20   scgi_temp_path {p}/scgi_temp;\n\
             \x20   server {{\n\
             \x20       listen {address};\n\
             \x20       root {p}/www;\n\
             \x20       location / {{\n\
             \x20           dav_methods PUT;\n\
             \x20           create_full_put_path on;\n\
             \x20       }}\n\
             \x20   }}\n\
             }}\n"
        );
        let conf = prefix.join("nginx.conf");
        fs::write(&conf, config).with_context(|| format!("cannot write {}", conf.display()))?;
        let nginx = if Path::new("/usr/sbin/nginx").exists() {
            PathBuf::from("/usr/sbin/nginx")
        } else {
            PathBuf::from("nginx")
        };
        let error_log = prefix.join("error.log");
        let sh = Shell::new()?;
        let prefix_dir = format!("{}/", prefix.display());
        cmd!(sh, "{nginx} -t -q -p {prefix_dir} -c {conf} -e {error_log}")
            .run()
            .context("nginx refuses the benchmark's configuration")?;
        let shown = cmd!(sh, "{nginx} -p {prefix_dir} -c {conf} -e {error_log}");
        println!("$ {shown} &");
        let mut command = Command::new(&nginx);
        command
            .arg("-p")
            .arg(format!("{}/", prefix.display()))
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(&error_log);
        let child = command
            .stdin(Stdio::null())
            .spawn()
            .context("cannot start nginx")?;
        let mut nginx = Self {
            child,
            address,
            www,
        };
        wait_ready(&mut nginx.child, "nginx", address, None)
            .with_context(|| format!("see {}", error_log.display()))?;
        Ok(nginx)
    }

    /// The master process and its workers.
    pub(super) fn pids(&self) -> Vec<u32> {
        let master = self.child.id();
        let mut pids = vec![master];
        pids.extend(pli_testkit::children(master));
        pids
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        stop(&mut self.child, "nginx");
    }
}
