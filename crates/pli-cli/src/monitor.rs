//! `pli monitor`: an organisation's security officer runs it (from cron) to list every
//! entry of the key directory's log about the organisation since the last run, after
//! verifying the log as the web app does, and to be alerted (status 3) by any entry none
//! of the organisation's admins signed, or any entry the directory's rules refused.
//!
//! The account is read from the environment (`PLI_EMAIL`, `PLI_PASSWORD`,
//! `PLI_ACCOUNT_KEY` — the kit de secours's key —, and `PLI_TOTP` if two-factor is on),
//! never from the command line, where other users could read it.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use pli_api::OrgId;
use pli_client::{Client, KnownLog};
use pli_crypto::sign::Fingerprint;
use serde::{Deserialize, Serialize};

use crate::account::{Person, Unlock as _};

/// `pli monitor` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct MonitorArgs {
    /// The relay's address (https://pli.example.fr; http:// only to this machine).
    #[arg(long, value_parser = crate::account::relay_url)]
    url: String,
    /// The organisation to watch (its id).
    #[arg(long)]
    org: OrgId,
    /// The full signing-key fingerprint (64 hexadecimal digits) of each of the
    /// organisation's admins; an entry signed by anyone else is an alert.
    #[arg(long = "admin", required = true)]
    admins: Vec<String>,
    /// Where the monitor keeps, between runs, what it verified of the log and where it
    /// stopped (created on the first run).
    #[arg(long)]
    state: PathBuf,
}

/// What is kept between runs.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    /// The log as verified (the next run refuses an older or forked one).
    known: KnownLog,
    /// The first entry the next run reports.
    next: u64,
}

fn fingerprint(text: &str) -> Result<Fingerprint> {
    let text = text.trim();
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .with_context(|| format!("{text:?} is not 64 hexadecimal digits"))
        })
        .collect::<Result<_>>()?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("{text:?} is not 64 hexadecimal digits"))?;
    Ok(Fingerprint(bytes))
}

/// Runs one pass; `Ok(true)` if something needs a human (status 3).
pub(crate) fn run(args: MonitorArgs) -> Result<bool> {
    let admins = args
        .admins
        .iter()
        .map(|a| fingerprint(a))
        .collect::<Result<Vec<_>>>()?;
    let previous: Option<State> = match std::fs::read(&args.state) {
        Ok(bytes) => Some(
            serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a monitor state", args.state.display()))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", args.state.display())),
    };
    let account = Person::from_env()?;
    let (report, known) = crate::account::runtime()?.block_on(async {
        let mut client = Client::new(&args.url);
        if let Some(previous) = &previous {
            client = client.with_known_log(previous.known.clone());
        }
        let session = account
            .unlock(&client, None)
            .await
            .context("cannot log in and verify the log")?;
        let since = previous.as_ref().map_or(0, |p| p.next);
        let report = session.monitor(&args.org, since).await?;
        let known = session.known_log().context("the log was not verified")?;
        let _ = session.logout().await;
        anyhow::Ok((report, known))
    })?;

    let mut out = String::new();
    for entry in &report.entries {
        let by = if admins.contains(&entry.signer) {
            "an admin".to_owned()
        } else {
            format!("NOT AN ADMIN ({})", entry.signer.to_hex())
        };
        out.push_str(&format!(
            "#{} {} — signed by {by}\n",
            entry.index, entry.what
        ));
    }
    for (index, why) in &report.refused {
        out.push_str(&format!(
            "#{index} REFUSED by the directory's rules: {why}\n"
        ));
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes())?;
    let state = State {
        known,
        next: report.size,
    };
    let json = serde_json::to_vec(&state)?;
    let dir = args
        .state
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let mut file = tempfile::NamedTempFile::new_in(&dir)?;
    std::io::Write::write_all(&mut file, &json)?;
    file.as_file().sync_all()?;
    file.persist(&args.state)
        .with_context(|| format!("cannot write {}", args.state.display()))?;
    let alerts = report.unexpected(&admins).count() + report.refused.len();
    if alerts > 0 {
        let line =
            format!("pli: {alerts} entries about the organisation need a look (see above)\n");
        // The status says it too if standard error is gone.
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
    }
    if report.size < state.next {
        bail!("the log shrank");
    }
    Ok(alerts > 0)
}
