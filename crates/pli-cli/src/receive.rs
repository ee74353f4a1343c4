//! `pli receive` and `pli ack`: an exchange opened (its envelope and sender verified to
//! the pinned root), its files downloaded and decrypted as they stream in, each into a
//! file without a name in the destination ([`staging`](crate::staging)) that takes its
//! name only once every file of the exchange verified — so on any failure, a kill
//! included, nothing is left — then the signed read receipt.

use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use pli_api::messages::ExchangeQuery;
use pli_api::{ExchangeId, ExchangeState};
use pli_client::file_name::{distinct_names, safe_file_name};
use pli_client::protocol::Mailbox;
use pli_client::{Received, Session};
use serde::Serialize;

use crate::output::{Meter, Output};
use crate::staging::{self, Staged};

/// `pli receive` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ReceiveArgs {
    /// The exchange to receive (its id, as pli inbox lists it); its files are written
    /// into DIR.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    id: Option<ExchangeId>,
    /// Receive every delivered exchange of the inbox that nobody of the organisation has
    /// read yet, each into a folder DIR/ID of its own (one that exists is skipped).
    #[arg(long)]
    all: bool,
    /// The folder the files are written into (it must exist); an existing file is never
    /// overwritten.
    #[arg(long, value_name = "DIR")]
    to: PathBuf,
    /// Do not send the signed read receipt (pli ack sends it later).
    #[arg(long)]
    no_ack: bool,
    #[command(flatten)]
    output: Output,
}

/// What `pli receive` prints.
#[derive(Debug, Serialize)]
struct ReceivedAll {
    received: Vec<ReceivedOne>,
    /// With --all, the exchanges that could not be received (the others still were).
    failed: Vec<Failed>,
}

#[derive(Debug, Serialize)]
struct Failed {
    exchange_id: String,
    error: String,
}

/// One exchange received, as `pli receive` and `pli watch --inbox` print it.
#[derive(Debug, Serialize)]
pub(crate) struct ReceivedOne {
    pub(crate) exchange_id: String,
    /// The sender, verified: their certificate chains to the pinned root and their
    /// signature covers the envelope, which covers every file's hash.
    pub(crate) sender: Sender,
    category: String,
    pub(crate) subject: String,
    case_reference: String,
    message: String,
    pub(crate) files: Vec<SavedFile>,
    /// Whether the signed read receipt was sent.
    acknowledged: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct Sender {
    pub(crate) name: String,
    user_id: String,
    pub(crate) organisation: String,
    organisation_id: String,
    signing_key: String,
    /// A service account (a program, not a person), as its signed certificate says.
    pub(crate) service: bool,
    /// When the keys that signed replaced earlier keys of the sender (a reset), if that
    /// was lately: worth checking with them that it was them.
    keys_renewed_at: Option<u64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct SavedFile {
    name: String,
    pub(crate) size: u64,
    pub(crate) path: PathBuf,
}

/// Where an exchange's files go.
#[derive(Debug, Clone, Copy)]
enum Destination<'a> {
    /// Into this folder, beside what it holds.
    Files(&'a Path),
    /// Into a new folder of this path, which appears only once it holds every file.
    Folder(&'a Path),
}

/// Opens exchange `id` and writes its files to `destination` (nothing is left there if
/// that fails); the receipt is the caller's, once the files are where they belong.
async fn receive_into(
    session: &Session,
    id: &ExchangeId,
    destination: Destination<'_>,
) -> Result<(ReceivedOne, Received)> {
    let received = session
        .open(id)
        .await
        .with_context(|| format!("cannot open exchange {id}"))?;
    let files = save_files(session, &received, destination).await?;
    let keys_renewed_at = session.sender_keys_renewed(&received).await?;
    let sender = &received.exchange.sender;
    let organisation = session
        .certified_org_names()
        .await?
        .into_iter()
        .find(|(org, _)| *org == sender.org_id)
        .map(|(_, name)| name)
        .unwrap_or_default();
    let manifest = &received.manifest;
    let one = ReceivedOne {
        exchange_id: id.to_string(),
        sender: Sender {
            name: sender.display_name.clone(),
            user_id: sender.user_id.to_string(),
            organisation,
            organisation_id: sender.org_id.to_string(),
            signing_key: sender.signing_key.fingerprint().to_hex(),
            service: sender.service,
            keys_renewed_at,
        },
        category: manifest.category.to_string(),
        subject: manifest.subject.clone(),
        case_reference: manifest.case_reference.clone(),
        message: manifest.message.clone(),
        files,
        acknowledged: false,
    };
    Ok((one, received))
}

/// Sends the signed read receipt of `received`, whose files are saved.
pub(crate) async fn acknowledge(
    session: &Session,
    received: &Received,
    one: &mut ReceivedOne,
) -> Result<()> {
    session
        .acknowledge(received)
        .await
        .context("the files are saved, but the read receipt could not be sent (pli ack)")?;
    one.acknowledged = true;
    Ok(())
}

/// Downloads and decrypts every file of `received` into files without a name, then gives
/// each its name at `destination`, never replacing an existing file; on failure removes
/// what it named (what it did not name vanishes by itself).
async fn save_files(
    session: &Session,
    received: &Received,
    destination: Destination<'_>,
) -> Result<Vec<SavedFile>> {
    let dir = match destination {
        Destination::Files(dir) => dir,
        Destination::Folder(folder) => folder
            .parent()
            .with_context(|| format!("{} has no parent folder", folder.display()))?,
    };
    let entries = &received.manifest.files;
    let names = distinct_names(
        &entries
            .iter()
            .enumerate()
            .map(|(i, f)| safe_file_name(&f.name, &format!("fichier-{}", i + 1)))
            .collect::<Vec<_>>(),
    );
    let taken = match destination {
        Destination::Files(dir) => names
            .iter()
            .map(|n| dir.join(n))
            .find(|t| t.symlink_metadata().is_ok()),
        Destination::Folder(folder) => {
            Some(folder.to_path_buf()).filter(|t| t.symlink_metadata().is_ok())
        }
    };
    if let Some(taken) = taken {
        bail!(
            "{} already exists: refusing to overwrite it",
            taken.display()
        );
    }
    let mut staged = Vec::with_capacity(entries.len());
    for index in 0..entries.len() {
        let file = Staged::new_in(dir)
            .with_context(|| format!("cannot create a file in {}", dir.display()))?;
        let mut out = futures_util::io::AllowStdIo::new(BufWriter::with_capacity(1 << 20, file));
        let meter = Meter::new();
        session
            .download_file_with_progress(received, index, &mut out, &|p| meter.report(p))
            .await
            .context("cannot download and decrypt a file")?;
        let file = out
            .into_inner()
            .into_inner()
            .map_err(|e| e.into_error())
            .context("cannot write a received file")?;
        staged.push(file);
    }
    // Every file verified: they take their names, all or none; for a folder of their own,
    // in a hidden folder, which then takes its name.
    let hidden = match destination {
        Destination::Files(_) => None,
        Destination::Folder(_) => Some(
            staging::folder_in(dir)
                .with_context(|| format!("cannot create a folder in {}", dir.display()))?,
        ),
    };
    let named_in = hidden.as_ref().map_or(dir, |hidden| hidden.path());
    let targets: Vec<PathBuf> = names.iter().map(|n| named_in.join(n)).collect();
    let mut saved: Vec<SavedFile> = Vec::with_capacity(entries.len());
    for ((file, target), (entry, name)) in staged
        .into_iter()
        .zip(&targets)
        .zip(entries.iter().zip(&names))
    {
        if let Err(error) = file.name(target) {
            for done in &saved {
                let _ = fs::remove_file(&done.path);
            }
            return Err(error).with_context(|| format!("cannot write {}", target.display()));
        }
        saved.push(SavedFile {
            name: name.clone(),
            size: entry.size,
            path: target.clone(),
        });
    }
    if let (Some(hidden), Destination::Folder(folder)) = (hidden, destination) {
        staging::sync_folder(hidden.path())
            .with_context(|| format!("cannot write {}", hidden.path().display()))?;
        fs::rename(hidden.path(), folder)
            .with_context(|| format!("cannot write {}", folder.display()))?;
        let _kept = hidden.keep();
        for file in &mut saved {
            file.path = folder.join(&file.name);
        }
    }
    staging::sync_folder(dir).with_context(|| format!("cannot write {}", dir.display()))?;
    Ok(saved)
}

/// Every delivered exchange of the inbox nobody of the organisation has read yet.
pub(crate) async fn unread(session: &Session) -> Result<Vec<ExchangeId>> {
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let query = ExchangeQuery {
            cursor,
            unread: Some(true),
            ..ExchangeQuery::default()
        };
        let page = session.list(Mailbox::Inbox, query).await?;
        ids.extend(
            page.rows
                .iter()
                .filter(|row| row.summary.state == ExchangeState::Delivered)
                .map(|row| row.summary.exchange_id),
        );
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(ids),
        }
    }
}

/// `pli receive`.
pub(crate) fn run(args: ReceiveArgs) -> Result<()> {
    if !args.to.is_dir() {
        bail!("{} is not a folder", args.to.display());
    }
    staging::sweep(&args.to)?;
    let ack = !args.no_ack;
    let (received, failures) = crate::account::with_session(async |session, _| {
        let mut received = Vec::new();
        let mut failures: Vec<(ExchangeId, anyhow::Error)> = Vec::new();
        match &args.id {
            Some(id) => {
                let (mut one, opened) =
                    receive_into(session, id, Destination::Files(&args.to)).await?;
                if ack {
                    acknowledge(session, &opened, &mut one).await?;
                }
                received.push(one);
            }
            None => {
                // One exchange that does not verify must not hold up the others.
                for id in unread(session).await? {
                    let outcome = async {
                        let Some((mut one, opened)) =
                            receive_folder(session, &id, &args.to).await?
                        else {
                            return Ok(None);
                        };
                        if ack {
                            acknowledge(session, &opened, &mut one).await?;
                        }
                        anyhow::Ok(Some(one))
                    };
                    match outcome.await {
                        Ok(Some(one)) => received.push(one),
                        Ok(None) => {}
                        Err(error) => failures.push((id, error)),
                    }
                }
            }
        }
        Ok((received, failures))
    })?;
    let received = ReceivedAll {
        received,
        failed: failures
            .iter()
            .map(|(id, error)| Failed {
                exchange_id: id.to_string(),
                error: crate::one_line(error),
            })
            .collect(),
    };
    args.output.print(&received, || {
        let mut text = String::new();
        for one in &received.received {
            text.push_str(&format!(
                "{} from {}{} ({}), verified — {}\n",
                one.exchange_id,
                one.sender.name,
                if one.sender.service {
                    ", a program"
                } else {
                    ""
                },
                one.sender.organisation,
                one.subject
            ));
            if let Some(at) = one.sender.keys_renewed_at {
                text.push_str(&format!(
                    "  the sender's keys were renewed on {}: check with them that it was them\n",
                    crate::output::utc(at)
                ));
            }
            for file in &one.files {
                text.push_str(&format!(
                    "  {} ({} bytes)\n",
                    file.path.display(),
                    file.size
                ));
            }
        }
        for failed in &received.failed {
            text.push_str(&format!(
                "{} NOT RECEIVED: {}\n",
                failed.exchange_id, failed.error
            ));
        }
        text
    })?;
    match failures.into_iter().next() {
        Some((_, first)) => Err(first.context(format!(
            "{} exchange(s) could not be received, the first",
            received.failed.len()
        ))),
        None => Ok(()),
    }
}

/// Receives exchange `id` into a folder `DIR/ID` of its own, which appears only once
/// every file verified (its files are named in a hidden folder, which then takes its
/// name); `None` if `DIR/ID` exists (received here before). The receipt is the caller's.
pub(crate) async fn receive_folder(
    session: &Session,
    id: &ExchangeId,
    to: &Path,
) -> Result<Option<(ReceivedOne, Received)>> {
    let target = to.join(id.to_string());
    if target.symlink_metadata().is_ok() {
        return Ok(None);
    }
    receive_into(session, id, Destination::Folder(&target))
        .await
        .map(Some)
}

/// `pli ack` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct AckArgs {
    /// The exchange to acknowledge.
    id: ExchangeId,
}

/// `pli ack`: sends the signed read receipt of an exchange received with `--no-ack`.
pub(crate) fn ack(args: AckArgs) -> Result<()> {
    crate::account::with_session(async |session, _| ack_id(session, &args.id).await)
}

/// Opens exchange `id` (verifying it) and sends its signed read receipt.
pub(crate) async fn ack_id(session: &Session, id: &ExchangeId) -> Result<()> {
    let received = session
        .open(id)
        .await
        .with_context(|| format!("cannot open exchange {id}"))?;
    session.acknowledge(&received).await?;
    Ok(())
}
