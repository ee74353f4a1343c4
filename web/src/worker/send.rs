//! The worker's answers about sending: the verified recipients, a send and a resume
//! (each cancellable by the page, and erased from the relay when cancelled), an
//! interrupted send's plan read or abandoned, and the files the page hands over.

use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_util::future::{AbortHandle, Abortable};
use pli_api::{ErrorCode, ExchangeId};
use pli_client::{DirectoryEntry, FileInput, PlanKept, Progress, SendOptions, Session};

use super::io::BodyReader;
use super::lock::{SendLock, lock_send};
use super::{answer, progress, progress_report, session};
use crate::protocol::{
    Phase, ProgressReport, ReadPlan, Recipient, Recipients, Resume, SendExchange, WorkerError,
};

thread_local! {
    /// Sends in progress, by request id, so that a `cancel` request can abort them.
    static SENDS: RefCell<HashMap<u32, AbortHandle>> = RefCell::new(HashMap::new());
    /// The plans of the sends in progress, handed to the page and stored by it.
    static PLANS: RefCell<HashMap<u32, Handed>> = RefCell::new(HashMap::new());
    /// Resumes waiting for the page to say which plan it keeps now.
    static ASKED: RefCell<HashMap<u32, Asked>> = RefCell::new(HashMap::new());
}

/// The page's answer to a resume's question (`plan_wanted`), and the resume waiting.
#[derive(Default)]
struct Asked {
    answer: Option<Option<String>>,
    waker: Option<Waker>,
}

/// Where a send keeps its exchange's lock once taken.
type LockSlot = Rc<RefCell<Option<SendLock>>>;

/// How many plans a send handed to the page, how many the page said it stored, and the
/// send waiting for the page.
#[derive(Default)]
struct Handed {
    handed: u64,
    stored: u64,
    waker: Option<Waker>,
}

/// The organisations one can send to, each verified (or with the reason it cannot be).
pub(super) async fn recipients(r: Recipients) -> Result<String, WorkerError> {
    let directory = session()?.verified_directory().await?;
    let recipients: Vec<Recipient> = directory
        .into_iter()
        .map(
            |DirectoryEntry {
                 org,
                 key,
                 refused_in_log,
             }| {
                let refused_in_log = refused_in_log.len();
                match key {
                    Ok(key) => Recipient {
                        org_id: org.org_id,
                        name: key.org.name.clone(),
                        kind: org.kind,
                        generation: Some(key.key.generation),
                        fingerprint: Some(key.fingerprint().to_string()),
                        problem: None,
                        refused_in_log,
                    },
                    Err(error) => Recipient {
                        org_id: org.org_id,
                        name: org.name,
                        kind: org.kind,
                        generation: None,
                        fingerprint: None,
                        problem: Some(error.code()),
                        refused_in_log,
                    },
                }
            },
        )
        .collect();
    answer(&r, &recipients)
}

/// Encrypts and uploads an exchange; its sealed plan goes to the page first.
pub(super) async fn send(
    id: u32,
    r: SendExchange,
    files: Vec<web_sys::File>,
) -> Result<String, WorkerError> {
    let inputs = file_inputs(files);
    let options = SendOptions {
        category: r.category,
        subject: r.subject.clone(),
        message: r.message.clone(),
        case_reference: r.case_reference.clone(),
        urgent: r.urgent,
        copy_to_sender: true,
        in_reply_to: r.in_reply_to,
    };
    let session = session()?;
    let report = move |p: Progress| progress(id, progress_report(&p));
    // The sealed plan goes to the page, which keeps it to resume after a reload,
    // and stays here to erase the upload if the person cancels.
    let plan = std::cell::RefCell::new(None::<Vec<u8>>);
    // The exchange's lock, taken before its first plan leaves for the page (where
    // another tab could read it), held until this function returns.
    let lock: LockSlot = Rc::default();
    let on_plan = |sealed: &[u8]| {
        *plan.borrow_mut() = Some(sealed.to_vec());
        // The first plan: its exchange is locked before the plan leaves (a plan this
        // session cannot read, which cannot be, locks nothing and so sends nothing).
        let to_lock = lock.borrow().is_none().then(|| {
            let exchange = session.pending_send(sealed).map(|p| p.exchange_id);
            (exchange, lock.clone())
        });
        hand_to_page(id, sealed, to_lock)
    };
    let sending = session.send_resumable(&r.recipient, inputs, &options, &report, &on_plan);
    let result = cancellable(id, sending).await;
    let plan = plan.borrow_mut().take();
    let exchange = finish_send(&session, result, plan.as_deref()).await?;
    answer(&r, &exchange)
}

/// An interrupted send, as its sealed plan says.
pub(super) fn pending(r: ReadPlan) -> Result<String, WorkerError> {
    let pending = session()?.pending_send(&plan_bytes(&r.plan)?)?;
    answer(
        &r,
        &crate::protocol::Pending {
            exchange_id: pending.exchange_id,
            recipient: pending.recipient_org_id,
            subject: pending.subject,
            files: pending
                .files
                .into_iter()
                .map(|f| crate::protocol::PendingFile {
                    name: f.name,
                    size: f.size,
                })
                .collect(),
        },
    )
}

/// Resumes an interrupted send with its files picked again.
pub(super) async fn resume(
    id: u32,
    r: Resume,
    files: Vec<web_sys::File>,
) -> Result<String, WorkerError> {
    let given = plan_bytes(&r.plan)?;
    let session = session()?;
    let exchange = session.pending_send(&given)?.exchange_id;
    // Held until this function returns: no other tab sends this exchange meanwhile.
    let _lock = lock_send(&exchange).await.map_err(|_| {
        WorkerError::new(
            ErrorCode::SendUnderWay,
            "this send is under way in another tab or window",
        )
    })?;
    // The plan the page read may be older than what left since (another tab sent more
    // of it before ending): resume only from the one kept now, read under the lock.
    let plan = kept_now(id)
        .await
        .and_then(|kept| plan_bytes(&kept).ok())
        .filter(|kept| {
            session
                .pending_send(kept)
                .is_ok_and(|p| p.exchange_id == exchange)
        })
        .ok_or_else(|| {
            WorkerError::new(
                ErrorCode::PlanNotLatest,
                "the plan this page holds is not the latest kept for this send",
            )
        })?;
    let report = move |p: Progress| progress(id, progress_report(&p));
    // The plan again, each time it records more of the files: the page keeps it.
    let on_plan = |sealed: &[u8]| hand_to_page(id, sealed, None);
    let resuming = session.resume_send(&plan, file_inputs(files), &report, &on_plan);
    let result = cancellable(id, resuming).await;
    let exchange = finish_send(&session, result, Some(&plan)).await?;
    answer(&r, &exchange)
}

/// Hands the page the sealed plan of send `id`; ready once the page says it stored it
/// (`plan_stored`), so that no part leaves before a reload would find the plan that
/// covers it: a resume from an older plan could encrypt other content under the same
/// key and nonce. With `lock`, first takes the exchange's lock into it: a lock another
/// tab holds (which cannot be, the plan not having left yet) stops the send there, for
/// good, before anything leaves.
fn hand_to_page(
    id: u32,
    sealed: &[u8],
    lock: Option<(Result<ExchangeId, pli_client::ClientError>, LockSlot)>,
) -> PlanKept {
    let sealed = sealed.to_vec();
    Box::pin(async move {
        if let Some((exchange, slot)) = lock {
            let held = match exchange {
                Ok(exchange) => lock_send(&exchange).await.ok(),
                Err(_) => None,
            };
            match held {
                Some(held) => *slot.borrow_mut() = Some(held),
                None => std::future::pending::<()>().await,
            }
        }
        let want = PLANS.with(|plans| {
            let mut plans = plans.borrow_mut();
            let handed = plans.entry(id).or_default();
            handed.handed += 1;
            handed.handed
        });
        progress(id, plan_report(&sealed));
        PlanStored { id, want }.await;
    })
}

/// The page stored the latest plan it was handed for send `id`.
pub(super) fn plan_stored(id: u32) {
    PLANS.with(|plans| {
        if let Some(handed) = plans.borrow_mut().get_mut(&id) {
            handed.stored = handed.handed.min(handed.stored + 1);
            if let Some(waker) = handed.waker.take() {
                waker.wake();
            }
        }
    });
}

/// Ready once the page stored the `want`-th plan of send `id` (or the send ended).
struct PlanStored {
    id: u32,
    want: u64,
}

impl Future for PlanStored {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        PLANS.with(|plans| match plans.borrow_mut().get_mut(&self.id) {
            Some(handed) if handed.stored < self.want => {
                handed.waker = Some(cx.waker().clone());
                Poll::Pending
            }
            _ => Poll::Ready(()),
        })
    }
}

/// The plan the page keeps now, asked for resume `id` (`plan_wanted`, answered by
/// `plan_current`).
async fn kept_now(id: u32) -> Option<String> {
    ASKED.with(|asked| asked.borrow_mut().insert(id, Asked::default()));
    super::post(id, "plan_wanted", None, None);
    let answer = std::future::poll_fn(|cx| {
        ASKED.with(|asked| {
            let mut asked = asked.borrow_mut();
            match asked.get_mut(&id) {
                Some(waiting) => match waiting.answer.take() {
                    Some(answer) => Poll::Ready(answer),
                    None => {
                        waiting.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                },
                None => Poll::Ready(None),
            }
        })
    })
    .await;
    ASKED.with(|asked| asked.borrow_mut().remove(&id));
    answer
}

/// The page's answer to `plan_wanted`: `{"plan": <base64 or null>}`.
pub(super) fn plan_current(id: u32, json: &str) {
    let plan = serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| v.get("plan").and_then(|p| p.as_str().map(str::to_owned)));
    ASKED.with(|asked| {
        if let Some(waiting) = asked.borrow_mut().get_mut(&id) {
            waiting.answer = Some(plan);
            if let Some(waker) = waiting.waker.take() {
                waker.wake();
            }
        }
    });
}

/// Aborts the send or resume `id`, if it is running.
pub(super) fn cancel(id: u32) {
    let abort = SENDS.with(|s| s.borrow_mut().remove(&id));
    if let Some(abort) = abort {
        abort.abort();
    }
}

/// The files the page handed over, to read in turn.
fn file_inputs(files: Vec<web_sys::File>) -> Vec<FileInput> {
    files
        .into_iter()
        .map(|file| FileInput {
            name: file.name(),
            media_type: if file.type_().is_empty() {
                "application/octet-stream".into()
            } else {
                file.type_()
            },
            size: file.size() as u64,
            reader: Box::new(BodyReader::of_blob(&file)),
        })
        .collect()
}

/// The report that hands the page a sealed plan (phase `plan`).
fn plan_report(sealed: &[u8]) -> ProgressReport {
    use base64::Engine as _;
    ProgressReport {
        phase: Phase::Plan,
        done: 0,
        total: 0,
        busy_ms: 0,
        pooled: 0,
        hashed: 0,
        plan: Some(base64::engine::general_purpose::STANDARD.encode(sealed)),
    }
}

pub(super) fn plan_bytes(plan: &str) -> Result<Vec<u8>, WorkerError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(plan)
        .map_err(|_| WorkerError::new(ErrorCode::BadRequest, "the interrupted send is not base64"))
}

/// Runs a send that a `cancel` request with the same id can abort.
async fn cancellable<T>(
    id: u32,
    sending: impl Future<Output = Result<T, pli_client::ClientError>>,
) -> Result<Result<T, pli_client::ClientError>, futures_util::future::Aborted> {
    // Registered before anything is awaited, so that a `cancel` always finds it.
    let (abort, registration) = AbortHandle::new_pair();
    SENDS.with(|s| s.borrow_mut().insert(id, abort));
    let result = Abortable::new(sending, registration).await;
    SENDS.with(|s| s.borrow_mut().remove(&id));
    PLANS.with(|plans| plans.borrow_mut().remove(&id));
    result
}

/// The answer to a send or a resume. A cancelled one is erased from the relay at once
/// (through its plan); a failed one is kept, for the page to offer resuming it.
async fn finish_send(
    session: &Session,
    result: Result<Result<ExchangeId, pli_client::ClientError>, futures_util::future::Aborted>,
    plan: Option<&[u8]>,
) -> Result<ExchangeId, WorkerError> {
    match result {
        Ok(Ok(exchange)) => Ok(exchange),
        Ok(Err(error)) => Err(error.into()),
        Err(_aborted) => {
            if let Some(plan) = plan {
                let _ = session.abandon_send(plan).await;
            }
            Err(WorkerError::new(
                ErrorCode::Cancelled,
                "the send was cancelled",
            ))
        }
    }
}
