//! `pli send`: files to an organisation, resumable. The sealed plan pli-client hands out
//! (see `pli_client::Session::send_resumable`) is kept in the profile's `sends/` folder,
//! replaced at once each time a newer one comes, and removed once the exchange is
//! delivered. The same command run again after a cut (a kill, a reboot, the network)
//! finds the plan of the same file names and subject to the same organisation and resumes
//! it: only what the relay lacks is sent, and the recipient gets one exchange. A file
//! whose content changed since is refused by pli-client before anything of it is
//! encrypted again; `--restart` then abandons the interrupted send and starts a new one.
//! A plan whose exchange the relay already delivered (cut just before the plan was
//! removed) ends the command with that exchange, unless a file is newer than the plan:
//! then it is a new send of files with the same names. [`deliver`] is that send, and
//! also what `pli watch` sends each file of an outbox folder with, its plan kept in the
//! folder's journal rather than here.

use std::cell::RefCell;
use std::fs;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use pli_api::endpoints as ep;
use pli_api::{Category, ExchangeId, ExchangeState, OrgId};
use pli_client::{FileInput, SendOptions, Session};
use serde::Serialize;

use crate::output::{Meter, Output};
use crate::profile;

/// `pli send` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct SendArgs {
    /// The recipient organisation: its code (TJ-MEAUX-PARQUET) or its id, as pli
    /// directory lists them.
    #[arg(long, value_name = "ORG")]
    to: String,
    /// What the files are: signalement, rapport, decision, demande_evaluation or autre.
    #[arg(long)]
    category: Category,
    /// Mark the exchange urgent (listed first).
    #[arg(long)]
    urgent: bool,
    /// The subject (encrypted: the relay never reads it).
    #[arg(long)]
    subject: String,
    /// The case reference (encrypted).
    #[arg(long, value_name = "REF", default_value = "")]
    case_ref: String,
    /// A message to go with the files (encrypted).
    #[arg(long, default_value = "")]
    message: String,
    /// Abandon an interrupted send of the same files to the same organisation and send
    /// them anew (after a file changed, say).
    #[arg(long)]
    restart: bool,
    /// The files to send (their names travel encrypted).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    output: Output,
}

/// What `pli send` prints.
#[derive(Debug, Serialize)]
pub(crate) struct Sent {
    pub(crate) exchange_id: String,
    /// Whether an interrupted send was finished rather than a new one made.
    pub(crate) resumed: bool,
}

/// The plans of the interrupted sends kept in `home`.
pub(crate) fn pending_plans(home: &Path) -> Result<Vec<PathBuf>> {
    let dir = profile::sends_dir(home);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    let mut plans = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "plan") {
            plans.push(path);
        }
    }
    plans.sort();
    Ok(plans)
}

/// Abandons the send of the plan at `path` (the relay erases what it received), then
/// forgets the plan; a send another `pli` is sending is left alone.
pub(crate) async fn abandon(session: &Session, path: &Path) -> Result<()> {
    let _held = lock_send(path)?;
    abandon_locked(session, path).await
}

/// [`abandon`], the send's lock held by the caller.
async fn abandon_locked(session: &Session, path: &Path) -> Result<()> {
    let sealed = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    match session.abandon_send(&sealed).await {
        Ok(()) => {}
        // Already gone from the relay (delivered, expired or erased): nothing to abandon.
        Err(e) if e.status() == Some(404) => {}
        Err(e) => return Err(e).context("cannot abandon an interrupted send"),
    }
    forget_plan(path)
}

/// Removes the plan at `plan` and its lock, if they are there.
pub(crate) fn forget_plan(plan: &Path) -> Result<()> {
    for path in [plan.to_path_buf(), lock_path(plan)] {
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove {}", path.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Where the lock of the send whose plan is at `plan` lives.
fn lock_path(plan: &Path) -> PathBuf {
    plan.with_extension("lock")
}

/// Takes the lock of the send whose plan is at `plan` (an advisory lock on a file
/// beside it, freed when the process ends, even killed): one `pli` at a time sends an
/// exchange. Another resuming it meanwhile, from a plan the first is still extending,
/// could read a file changed since and seal other content under keys and nonces whose
/// ciphertext already left.
fn lock_send(plan: &Path) -> Result<fs::File> {
    pli_witness::state::lock_file(&lock_path(plan))?.with_context(|| {
        format!(
            "this send is under way in another pli process (its plan {} is locked): let it finish",
            plan.display()
        )
    })
}

/// The media type a file's extension suggests (the recipient's software may use it).
fn media_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("pdf") => "application/pdf",
        Some("odt") => "application/vnd.oasis.opendocument.text",
        Some("ods") => "application/vnd.oasis.opendocument.spreadsheet",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("doc") => "application/msword",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("xml") => "application/xml",
        Some("json") => "application/json",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

/// The files to send, opened: each read as it is encrypted, never whole in memory.
pub(crate) fn open_files(paths: &[PathBuf]) -> Result<Vec<FileInput>> {
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{}: the file name is not UTF-8", path.display()))?;
        let file =
            fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            bail!("{} is not a file", path.display());
        }
        files.push(FileInput {
            name: name.to_owned(),
            media_type: media_type(path).to_owned(),
            size: metadata.len(),
            reader: Box::new(futures_util::io::AllowStdIo::new(BufReader::with_capacity(
                1 << 20,
                file,
            ))),
        });
    }
    let mut names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|pair| pair.first() == pair.last()) {
        bail!(
            "two files are named {}: the recipient could not tell them apart",
            pair.first().copied().unwrap_or_default()
        );
    }
    Ok(files)
}

/// The recipient named by `to`: an organisation id, or the code of an organisation of
/// the verified directory.
pub(crate) async fn recipient(session: &Session, to: &str) -> Result<OrgId> {
    if let Ok(id) = to.parse::<OrgId>() {
        return Ok(id);
    }
    let directory = session.verified_directory().await?;
    directory
        .iter()
        .find_map(|entry| {
            let key = entry.key.as_ref().ok()?;
            (key.org.code == to).then_some(key.org.org_id)
        })
        .with_context(|| format!("no verified organisation has the code {to} (see pli directory)"))
}

/// The kept plan of an interrupted send.
pub(crate) struct Found {
    path: PathBuf,
    sealed: Vec<u8>,
    exchange_id: ExchangeId,
}

impl Found {
    /// The plan kept at `path`, if there is one and this account can open it.
    pub(crate) fn at(session: &Session, path: &Path) -> Result<Option<Self>> {
        let sealed = match fs::read(path) {
            Ok(sealed) => sealed,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(session.pending_send(&sealed).ok().map(|pending| Self {
            path: path.to_owned(),
            sealed,
            exchange_id: pending.exchange_id,
        }))
    }
}

/// Where the plan of a send is kept, and who removes it once the exchange is delivered.
pub(crate) enum KeepPlan {
    /// In this folder, as `<exchange id>.plan`; removed once delivered.
    In(PathBuf),
    /// At this path, and left there once delivered: the caller removes it once it has
    /// recorded the delivery (until then the plan is what says the send was made).
    At(PathBuf),
}

/// Where the relay says the exchange of a kept plan stands: none if it erased it.
async fn state_of(session: &Session, id: ExchangeId) -> Result<Option<ExchangeState>> {
    match session.client().fetch(&ep::Exchange { id }).await {
        Ok(detail) => Ok(Some(detail.summary.state)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e).context("cannot read the interrupted send's state"),
    }
}

/// Whether none of `files` was modified after the plan at `plan` was last written.
fn unchanged_since(files: &[PathBuf], plan: &Path) -> bool {
    let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    let Some(kept) = modified(plan) else {
        return false;
    };
    files
        .iter()
        .all(|file| modified(file).is_some_and(|at| at <= kept))
}

/// The plan among `plans` of a send of exactly these file names to `to` with this
/// subject, if any.
fn matching_plan(
    session: &Session,
    plans: &[PathBuf],
    to: &OrgId,
    subject: &str,
    files: &[FileInput],
) -> Result<Option<Found>> {
    let mut names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    for path in plans {
        let sealed = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        // A plan this account cannot open (another account's, logged in before) is not
        // this send's.
        let Ok(pending) = session.pending_send(&sealed) else {
            continue;
        };
        let mut planned: Vec<&str> = pending.files.iter().map(|f| f.name.as_str()).collect();
        planned.sort_unstable();
        if pending.recipient_org_id == *to && pending.subject == subject && planned == names {
            return Ok(Some(Found {
                path: path.clone(),
                sealed,
                exchange_id: pending.exchange_id,
            }));
        }
    }
    Ok(None)
}

/// Keeps the latest sealed plan of a send, in place of the earlier one, holding the
/// send's lock from before the first one is written.
struct PlanKeeper<'a> {
    session: &'a Session,
    dir: PathBuf,
    path: RefCell<Option<PathBuf>>,
    lock: RefCell<Option<fs::File>>,
}

impl PlanKeeper<'_> {
    /// Takes the send's lock, if its plan's place is known and the lock not yet held.
    fn lock(&self) -> Result<()> {
        if let Some(path) = self.path.borrow().as_ref()
            && self.lock.borrow().is_none()
        {
            *self.lock.borrow_mut() = Some(lock_send(path)?);
        }
        Ok(())
    }

    fn keep(&self, sealed: &[u8]) -> Result<()> {
        if self.path.borrow().is_none() {
            let pending = self.session.pending_send(sealed)?;
            *self.path.borrow_mut() = Some(self.dir.join(format!("{}.plan", pending.exchange_id)));
        }
        self.lock()?;
        let path = self.path.borrow();
        let path = path.as_ref().context("the plan has no place")?;
        profile::write_private(path, sealed)
    }

    /// For pli-client's `on_plan`, which cannot fail: the upload goes on once the plan is
    /// kept, and must not go on if the plan covering it was not kept (a resume could otherwise
    /// encrypt other content under the same keys), so the process ends there.
    fn keep_or_exit(&self, sealed: &[u8]) {
        if let Err(error) = self.keep(sealed).context("cannot keep the send's plan") {
            crate::exit_on(&error);
        }
    }
}

/// `pli send`.
pub(crate) fn run(args: SendArgs) -> Result<()> {
    let files = open_files(&args.files)?;
    let options = SendOptions {
        category: args.category,
        subject: args.subject.clone(),
        message: args.message.clone(),
        case_reference: args.case_ref.clone(),
        urgent: args.urgent,
        copy_to_sender: true,
        in_reply_to: None,
    };
    let sent = crate::account::with_session(async |session, home| {
        let to = recipient(session, &args.to).await?;
        let dir = profile::sends_dir(home);
        profile::create_private_dir(&dir)?;
        let plans = pending_plans(home)?;
        let found = matching_plan(session, &plans, &to, &args.subject, &files)?;
        let keep = KeepPlan::In(dir);
        deliver(
            session,
            &to,
            &args.files,
            files,
            &options,
            found,
            args.restart,
            keep,
        )
        .await
    })?;
    args.output
        .print(&sent, || format!("{}\n", sent.exchange_id))
}

/// Sends `files` (opened from `paths`) to `to`, or finishes the interrupted send of
/// `found` (abandoned first if `restart`), keeping its sealed plan as `keep` says (or
/// where `found` was) until the exchange is delivered; then the plan is removed, unless
/// `keep` is [`KeepPlan::At`].
#[allow(
    clippy::too_many_arguments,
    reason = "what one send needs; the two callers name each"
)]
pub(crate) async fn deliver(
    session: &Session,
    to: &OrgId,
    paths: &[PathBuf],
    files: Vec<FileInput>,
    options: &SendOptions,
    mut found: Option<Found>,
    restart: bool,
    keep: KeepPlan,
) -> Result<Sent> {
    // The send found is locked before anything is done to it (resumed, abandoned), and
    // its plan read again under the lock: another pli may have moved it on since.
    let mut held = None;
    if let Some(plan) = &mut found {
        held = Some(lock_send(&plan.path)?);
        plan.sealed = match fs::read(&plan.path) {
            Ok(sealed) => sealed,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "this send was finished or abandoned by another pli process meanwhile: \
                 see pli outbox"
            ),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", plan.path.display()));
            }
        };
    }
    if let Some(plan) = &found {
        match state_of(session, plan.exchange_id).await? {
            Some(ExchangeState::Uploading) => {}
            // Cut after the relay delivered it, before the plan was removed: done — if the
            // files are the ones sent then, not newer ones of the same names.
            Some(ExchangeState::Delivered) if unchanged_since(paths, &plan.path) => {
                if matches!(keep, KeepPlan::In(_)) {
                    forget_plan(&plan.path)?;
                }
                return Ok(Sent {
                    exchange_id: plan.exchange_id.to_string(),
                    resumed: true,
                });
            }
            // Erased unfinished (too old: it never reached anyone), or delivered and these
            // are newer files: send anew.
            Some(_) | None => {
                forget_plan(&plan.path)?;
                found = None;
                held = None;
            }
        }
    }
    if restart && let Some(plan) = found.take() {
        abandon_locked(session, &plan.path).await?;
        held = None;
    }
    let (dir, at) = match keep {
        KeepPlan::In(dir) => (dir, None),
        KeepPlan::At(path) => (PathBuf::new(), Some(path)),
    };
    let remove_once_delivered = at.is_none();
    let keeper = PlanKeeper {
        session,
        dir,
        path: RefCell::new(found.as_ref().map(|plan| plan.path.clone()).or(at)),
        lock: RefCell::new(held),
    };
    // A plan kept at a given place is locked before anything is encrypted too.
    keeper.lock()?;
    let on_plan = |sealed: &[u8]| {
        keeper.keep_or_exit(sealed);
        pli_client::plan_kept()
    };
    let meter = Meter::new();
    let progress = |p| meter.report(p);
    let (id, resumed): (ExchangeId, bool) = match &found {
        Some(plan) => {
            let id = session
                .resume_send(&plan.sealed, files, &progress, &on_plan)
                .await
                .context(
                    "cannot resume the interrupted send of these files (pli send --restart \
                     abandons it and sends anew)",
                )?;
            (id, true)
        }
        None => {
            let id = session
                .send_resumable(to, files, options, &progress, &on_plan)
                .await
                .context("cannot send")?;
            (id, false)
        }
    };
    if let Some(path) = keeper.path.borrow().as_ref()
        && remove_once_delivered
    {
        forget_plan(path)?;
    }
    Ok(Sent {
        exchange_id: id.to_string(),
        resumed,
    })
}
