//! The pool of cipher workers: a send's runs of chunks sealed, and a download's opened,
//! on every core.
//!
//! The worker that holds the keys reads each file and uploads its parts; the
//! ChaCha20-Poly1305 sealing, half of a send's work, goes to helpers, and so does each
//! file's own SHA-256 (for the manifest: [`Hasher`], on one helper that keeps its state
//! between the runs it is sent, in order). The helpers are dedicated workers
//! it starts itself from its own script (`worker.js`, named [`NAME`]), one per core as
//! `navigator.hardwareConcurrency` says (at most [`MOST`]), on the first send or
//! download, and ends them once no run nor hash has been under way for [`IDLE_MS`] (the next one
//! starts them again). Each gets the module already compiled (`wasm_bindgen::module()`:
//! no second download nor compilation), runs [`serve`] and says it is ready; until one
//! is, the keys' worker seals, opens and hashes alone (a file's hash waits up to a second
//! for a helper starting, then stays where it began), so a helper that cannot start (a
//! browser without nested workers, a script gone after an update) costs nothing but the
//! pool.
//!
//! A download's is the same the other way: the keys' worker fetches each part and checks
//! it against the signed envelope, lends its runs of whole chunks to the helpers to open
//! ([`Lent`]), and writes their plaintext out in order, hashing it.
//!
//! A run crosses as its [`Reserved`] or [`Lent`] encoding (the payload key of one file,
//! its chunks' counters), its input and a buffer for its output; both buffers are
//! transferred, not copied, and come back with the answer to be lent again (each of a
//! whole run's size, so there are never more of them than runs under way, a hash's
//! runs on their way to its helper included), so that a
//! send of gigabytes makes no garbage outside V8's heap (where it would be collected
//! late). The helper wipes its input and the key as soon as it has read them, and keeps
//! nothing between runs but a hash under way (its state, wiped when it ends; a hash left
//! before its end is ended all the same); the keys' worker wipes an opened run's plaintext in the buffer
//! as soon as it has copied it out. `pli-client` keeps a fixed number of runs under way
//! ([`CipherPool::width`]) and puts them back in order.
//!
//! A helper that fails (its error event, a message that cannot be read, an answer of the
//! wrong length, or no answer within [`PATIENCE_MS`]) is ended: the runs it held fail
//! (the send fails and can be resumed, with the `io` error code), and it gets no more. A
//! run that does not authenticate fails its download as the decryptor's own chunks would
//! (`decrypt`), not as a worker's failure.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use futures_util::future::{Either, select};
use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use pli_client::{CipherPool, ClientError, Output, PoolHasher, PoolRun, SEAL_RUN};
use pli_crypto::age::{CHUNK_SIZE, Lent, Reserved, TAG_SIZE};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, Worker, WorkerOptions, WorkerType};
use zeroize::Zeroizing;

use hash::{HashEnd, Hasher};

mod hash;

/// The name a helper is started with: `worker.js` then runs [`serve`].
pub(crate) const NAME: &str = "pli-sealer";

/// The most helpers started, whatever the number of cores: beyond, reading each file
/// (and hashing its parts) on the keys' worker is what bounds a send (and
/// a download).
const MOST: usize = 4;

/// How long a run may wait for its helper's answer before the helper is taken for dead.
/// A 4 MiB run takes some 30 ms on one core; a minute allows for a machine busy
/// elsewhere and still ends a send that would otherwise wait forever.
const PATIENCE_MS: u32 = 60_000;

/// How long the helpers are kept once no run is under way: a send's files follow each
/// other without a pause this long, and a tab left open all day does not keep a
/// worker per core (each with its own WebAssembly memory) after its last send or
/// download.
const IDLE_MS: u32 = 30_000;

/// How long a helper may take to say it is ready and still be waited for by a hash
/// ([`CipherPool::starting`]): one starts in some tens of milliseconds; past this, a
/// helper that never says it is ready, nor fails, does not cost each file a wait.
const START_MS: f64 = 5_000.0;

/// The bytes of a whole run's ciphertext: its plaintext and a tag per chunk. The
/// buffers lent to the helpers are as large, whichever way a run goes.
const SEALED_RUN: usize = SEAL_RUN + SEAL_RUN.div_ceil(CHUNK_SIZE) * TAG_SIZE;

thread_local! {
    /// Runs the helpers sealed or opened since this worker started.
    static POOLED: Cell<u64> = const { Cell::new(0) };
    /// Hash jobs the helpers did since this worker started (a run of plaintext each, and
    /// each file's hash given back).
    static HASHED: Cell<u64> = const { Cell::new(0) };
}

/// How many runs the helpers sealed or opened since this worker started (progress
/// reports carry it: see `ProgressReport::pooled`).
pub(super) fn pooled() -> u64 {
    POOLED.with(Cell::get)
}

/// How many hash jobs the helpers did since this worker started
/// (`ProgressReport::hashed`).
pub(super) fn hashed() -> u64 {
    HASHED.with(Cell::get)
}

/// The keys' worker's side: the helpers, started on the first run.
pub(super) struct Pool {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    helpers: Vec<Helper>,
    started: bool,
    /// Counts the moments the pool went idle or got a run: an idle timer ends the
    /// helpers only if nothing happened since it was set.
    epoch: u64,
    /// Runs sent to a helper, by id, and where their answer goes.
    waiting: HashMap<u32, Waiting>,
    next_id: u32,
    /// Buffers back from the helpers, to lend again: for runs' inputs, for their outputs.
    spare_in: Vec<ArrayBuffer>,
    spare_out: Vec<ArrayBuffer>,
    /// Hashes under way ([`Hasher`]): the helpers are not ended while one is, since one of
    /// them holds its state.
    hashers: usize,
}

struct Helper {
    worker: Worker,
    /// It said it is ready (its module runs [`serve`]).
    ready: bool,
    /// It failed: ended, it gets no more runs.
    failed: bool,
    /// When it was started (`Date.now()`): one not ready [`START_MS`] later is no
    /// longer waited for.
    since: f64,
    /// Runs it has not answered yet.
    busy: usize,
    /// Its handlers, kept for as long as it runs.
    _handlers: [Closure<dyn FnMut(JsValue)>; 3],
}

struct Waiting {
    helper: usize,
    /// The output's length the run must give.
    length: usize,
    /// The run opens chunks: its output is plaintext, wiped in the buffer once copied.
    opening: bool,
    /// What it counts as once done; its output buffer is lent again only if a run's.
    tally: Tally,
    answer: Rc<RefCell<Answer>>,
}

/// What a job done counts as in the progress reports.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tally {
    /// A run sealed or opened ([`pooled`]).
    Run,
    /// A run of plaintext hashed, or a hash given back ([`hashed`]).
    Hash,
    /// Nothing: a hash forgotten.
    Nothing,
}

/// What a helper is asked to do with a message's input.
#[derive(Clone, Copy)]
enum Job {
    /// Seal it as a run of chunks.
    Seal,
    /// Open it as a run of chunks.
    Open,
    /// Add it to hash `session`, which it starts (`first`); then, at `end`, answer with
    /// the hash or forget it.
    Hash {
        session: u32,
        first: bool,
        end: HashEnd,
    },
}

/// Where a helper's answer to one run goes, and the send waiting for it.
#[derive(Default)]
struct Answer {
    result: Option<Result<Output, ClientError>>,
    waker: Option<std::task::Waker>,
}

impl Answer {
    fn give(slot: &RefCell<Self>, result: Result<Output, ClientError>) {
        let mut slot = slot.borrow_mut();
        slot.result = Some(result);
        if let Some(waker) = slot.waker.take() {
            waker.wake();
        }
    }

    /// The answer, once given.
    async fn wait(slot: Rc<RefCell<Self>>) -> Result<Output, ClientError> {
        std::future::poll_fn(|cx| {
            let mut slot = slot.borrow_mut();
            match slot.result.take() {
                Some(result) => std::task::Poll::Ready(result),
                None => {
                    slot.waker = Some(cx.waker().clone());
                    std::task::Poll::Pending
                }
            }
        })
        .await
    }
}

impl Pool {
    /// A pool that starts its helpers at the first run.
    pub(super) fn new() -> Self {
        Self {
            inner: Rc::new(RefCell::new(Inner {
                helpers: Vec::new(),
                started: false,
                epoch: 0,
                waiting: HashMap::new(),
                next_id: 0,
                spare_in: Vec::new(),
                spare_out: Vec::new(),
                hashers: 0,
            })),
        }
    }

    /// The helpers to start: one per core, at most [`MOST`].
    fn cores() -> usize {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let cores = scope.navigator().hardware_concurrency();
        if cores.is_finite() && cores >= 1.0 {
            (cores as usize).min(MOST)
        } else {
            1
        }
    }

    /// Starts the helpers, once; one that cannot start is left out.
    fn start(&self) {
        let mut inner = self.inner.borrow_mut();
        if inner.started {
            return;
        }
        inner.started = true;
        drop(inner);
        for index in 0..Self::cores() {
            match spawn(&self.inner, index) {
                Ok(helper) => self.inner.borrow_mut().helpers.push(helper),
                Err(error) => {
                    web_sys::console::warn_2(&"Pli: a cipher worker cannot start".into(), &error);
                    break;
                }
            }
        }
    }

    /// Sends a job (with `encoded`, a [`Reserved`] to seal or a [`Lent`] to open) and its
    /// input to helper `to` or, if `None`, the least busy ready one, which must give
    /// `length` bytes; the answer comes through the returned slot.
    fn send(
        &self,
        (job, encoded): (Job, &[u8]),
        input: &[u8],
        length: usize,
        to: Option<usize>,
    ) -> Result<Rc<RefCell<Answer>>, JsValue> {
        let mut inner = self.inner.borrow_mut();
        let helper = to
            .or_else(|| inner.least_busy())
            .filter(|&i| inner.helpers.get(i).is_some_and(|h| h.ready && !h.failed))
            .ok_or_else(|| JsValue::from_str("no cipher worker"))?;
        let opening = matches!(job, Job::Open);
        // A hash job's input is a run, lent as a run's is, or nothing (at its end); its
        // output is nothing or the hash, in a buffer of its own.
        let hashing = matches!(job, Job::Hash { .. });
        let given = if hashing && input.is_empty() {
            ArrayBuffer::new(0)
        } else {
            lend(&mut inner.spare_in, input.len())?
        };
        let output = if hashing {
            ArrayBuffer::new(len32(length)?)
        } else {
            lend(&mut inner.spare_out, length)?
        };
        let view = Uint8Array::new_with_byte_offset_and_length(&given, 0, len32(input.len())?);
        let key = Uint8Array::new_with_length(len32(encoded.len())?);
        // Copied last, after everything that can fail but the post (which wipes them).
        view.copy_from(input);
        key.copy_from(encoded);
        let id = inner.next_id;
        inner.next_id = inner.next_id.wrapping_add(1);
        let posted = inner
            .helpers
            .get(helper)
            .ok_or_else(|| JsValue::from_str("no cipher worker"))
            .and_then(|h| {
                let message = Object::new();
                for (name, value) in [
                    ("id", JsValue::from(id)),
                    ("run", key.clone().into()),
                    ("open", JsValue::from(opening)),
                    ("input", view.clone().into()),
                    ("output", output.clone().into()),
                ] {
                    Reflect::set(&message, &name.into(), &value)?;
                }
                if let Job::Hash {
                    session,
                    first,
                    end,
                } = job
                {
                    Reflect::set(&message, &"hash".into(), &session.into())?;
                    Reflect::set(&message, &"first".into(), &first.into())?;
                    if let Some(word) = end.word() {
                        Reflect::set(&message, &"end".into(), &word.into())?;
                    }
                }
                let transfer = Array::of3(&key.buffer(), &given, &output);
                h.worker.post_message_with_transfer(&message, &transfer)
            });
        if let Err(error) = posted {
            // Not sent: nothing secret stays in a buffer of ours.
            key.fill(0, 0, key.length());
            view.fill(0, 0, view.length());
            return Err(error);
        }
        let answer = Rc::new(RefCell::new(Answer::default()));
        let waiting = Waiting {
            helper,
            length,
            opening,
            tally: match job {
                Job::Seal | Job::Open => Tally::Run,
                Job::Hash {
                    end: HashEnd::Cancel,
                    ..
                } => Tally::Nothing,
                Job::Hash { .. } => Tally::Hash,
            },
            answer: Rc::clone(&answer),
        };
        inner.waiting.insert(id, waiting);
        inner.epoch += 1;
        if let Some(h) = inner.helpers.get_mut(helper) {
            h.busy += 1;
        }
        Ok(answer)
    }
}

impl CipherPool for Pool {
    fn width(&self) -> usize {
        self.start();
        self.inner.borrow().ready().max(1)
    }

    fn seal(&self, run: Reserved, plaintext: &[u8]) -> PoolRun {
        self.start();
        if self.inner.borrow().ready() == 0 {
            return Box::pin(std::future::ready(pli_client::seal_here(run, plaintext)));
        }
        let length = run.ciphertext_len();
        self.run((Job::Seal, &run.to_bytes()), plaintext, length, None)
    }

    fn open(&self, lent: Lent, ciphertext: &[u8]) -> PoolRun {
        self.start();
        if self.inner.borrow().ready() == 0 {
            return Box::pin(std::future::ready(pli_client::open_here(lent, ciphertext)));
        }
        let length = lent.plaintext_len();
        self.run((Job::Open, &lent.to_bytes()), ciphertext, length, None)
    }

    fn starting(&self) -> bool {
        self.start();
        let now = js_sys::Date::now();
        self.inner
            .borrow()
            .helpers
            .iter()
            .any(|h| !h.ready && !h.failed && now - h.since < START_MS)
    }

    fn hasher(&self) -> Option<Box<dyn PoolHasher>> {
        self.start();
        let mut inner = self.inner.borrow_mut();
        let helper = inner.least_busy()?;
        let session = inner.next_id;
        inner.next_id = inner.next_id.wrapping_add(1);
        drop(inner);
        Some(Box::new(Hasher::new(&self.inner, helper, session)))
    }
}

impl Pool {
    /// Sends a job to a helper (`to`, or the least busy) and waits for its answer, at most
    /// [`PATIENCE_MS`].
    fn run(&self, job: (Job, &[u8]), input: &[u8], length: usize, to: Option<usize>) -> PoolRun {
        let answer = self.send(job, input, length, to);
        let inner = Rc::downgrade(&self.inner);
        Box::pin(async move {
            let answer = answer.map_err(|e| lost(&format!("{e:?}")))?;
            let waiting = Answer::wait(Rc::clone(&answer));
            let patience = gloo_timers::future::TimeoutFuture::new(PATIENCE_MS);
            match select(Box::pin(waiting), patience).await {
                Either::Left((result, _)) => result,
                Either::Right(((), _)) => {
                    // The helper holding this run, if it still does (a helper that
                    // failed meanwhile gave its runs up), is taken for dead, with them.
                    if let Some(inner) = inner.upgrade() {
                        let holder = inner
                            .borrow()
                            .waiting
                            .values()
                            .find(|w| Rc::ptr_eq(&w.answer, &answer))
                            .map(|w| w.helper);
                        if let Some(holder) = holder {
                            failed(&inner, holder, "no answer in time");
                        }
                    }
                    Err(lost("no answer in time"))
                }
            }
        })
    }
}

impl Inner {
    /// The helpers ready that have not failed.
    fn ready(&self) -> usize {
        self.helpers.iter().filter(|h| h.ready && !h.failed).count()
    }

    /// The ready helper with the fewest jobs under way, if any.
    fn least_busy(&self) -> Option<usize> {
        self.helpers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.ready && !h.failed)
            .min_by_key(|(_, h)| h.busy)
            .map(|(i, _)| i)
    }
}

/// Starts helper `index` from this worker's own script, and hands it the module.
fn spawn(pool: &Rc<RefCell<Inner>>, index: usize) -> Result<Helper, JsValue> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    options.set_name(NAME);
    let worker = Worker::new_with_options(&scope.location().href(), &options)?;
    let handler = |pool: Weak<RefCell<Inner>>, on: fn(&Rc<RefCell<Inner>>, usize, JsValue)| {
        Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            if let Some(pool) = pool.upgrade() {
                on(&pool, index, event);
            }
        })
    };
    let on_message = handler(Rc::downgrade(pool), |pool, index, event| {
        if let Some(event) = event.dyn_ref::<MessageEvent>() {
            answered(pool, index, &event.data());
        }
    });
    let on_error = handler(Rc::downgrade(pool), |pool, index, event| {
        // Handled here: not passed on to the page, whose other requests it would fail.
        if let Some(event) = event.dyn_ref::<web_sys::Event>() {
            event.prevent_default();
        }
        failed(pool, index, "it stopped");
    });
    let on_message_error = handler(Rc::downgrade(pool), |pool, index, _| {
        failed(pool, index, "a message it sent could not be read");
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    worker.set_onmessageerror(Some(on_message_error.as_ref().unchecked_ref()));
    let message = Object::new();
    let posted = Reflect::set(&message, &"module".into(), &wasm_bindgen::module())
        .and_then(|_| worker.post_message(&message));
    if let Err(error) = posted {
        worker.terminate();
        return Err(error);
    }
    Ok(Helper {
        worker,
        ready: false,
        failed: false,
        since: js_sys::Date::now(),
        busy: 0,
        _handlers: [on_message, on_error, on_message_error],
    })
}

/// A buffer of at least `len` bytes: one lent before and given back, or a new one of a
/// whole run's ciphertext ([`SEALED_RUN`]) or `len` if more.
fn lend(spare: &mut Vec<ArrayBuffer>, len: usize) -> Result<ArrayBuffer, JsValue> {
    Ok(
        match spare.iter().position(|b| b.byte_length() as usize >= len) {
            Some(at) => spare.swap_remove(at),
            None => ArrayBuffer::new(len32(len.max(SEALED_RUN))?),
        },
    )
}

fn len32(len: usize) -> Result<u32, JsValue> {
    u32::try_from(len).map_err(|_| JsValue::from_str("a run too large"))
}

/// A run the pool could not carry out: the send or download fails with the `io` code (it
/// can be retried, and a send resumed), not as a verification failure, which it is not.
fn lost(why: &str) -> ClientError {
    ClientError::Io(std::io::Error::other(format!(
        "a cipher worker failed: {why}"
    )))
}

/// A message from helper `index`: that it is ready, or its answer to a run (its output
/// copied here, and wiped in the buffer if it is plaintext; the buffers kept to lend
/// again).
fn answered(pool: &Rc<RefCell<Inner>>, index: usize, data: &JsValue) {
    let get = |name: &str| Reflect::get(data, &name.into()).ok();
    if get("ready").is_some_and(|v| v.is_truthy()) {
        if let Some(h) = pool.borrow_mut().helpers.get_mut(index) {
            h.ready = !h.failed;
        }
        return;
    }
    let Some(id) = get("id").and_then(|v| v.as_f64()) else {
        failed(pool, index, "an answer without its run");
        return;
    };
    let mut inner = pool.borrow_mut();
    let Some(waiting) = inner.waiting.remove(&(id as u32)) else {
        // A run no longer waited for (its helper was taken for dead): its output may be
        // plaintext, wiped all the same.
        if let Some(output) = get("output").and_then(|v| v.dyn_into::<Uint8Array>().ok()) {
            output.fill(0, 0, output.length());
        }
        return;
    };
    if let Some(h) = inner.helpers.get_mut(waiting.helper) {
        h.busy = h.busy.saturating_sub(1);
    }
    // Only a run's buffers are lent again (a hash job's last one has an empty input).
    if let Some(input) = get("input").and_then(|v| v.dyn_into::<ArrayBuffer>().ok())
        && input.byte_length() > 0
    {
        inner.spare_in.push(input);
    }
    let output = get("output").and_then(|v| v.dyn_into::<Uint8Array>().ok());
    let corrupted = get("corrupted").is_some_and(|v| v.is_truthy());
    let mut wrong_length = false;
    let result = match (get("error").and_then(|v| v.as_string()), output) {
        // Only an opening's own verdict on the chunks it was lent.
        (Some(_), _) if corrupted && waiting.opening => {
            Err(pli_crypto::DecryptError::Corrupted.into())
        }
        (Some(error), _) => Err(lost(&error)),
        (None, Some(output)) if output.length() as usize == waiting.length => {
            let bytes = Output::new(output.to_vec());
            if waiting.opening {
                output.fill(0, 0, output.length());
            }
            match waiting.tally {
                Tally::Run => {
                    inner.spare_out.push(output.buffer());
                    POOLED.with(|n| n.set(n.get() + 1));
                }
                Tally::Hash => HASHED.with(|n| n.set(n.get() + 1)),
                Tally::Nothing => {}
            }
            Ok(bytes)
        }
        (None, output) => {
            if let Some(output) = output.filter(|_| waiting.opening) {
                output.fill(0, 0, output.length());
            }
            wrong_length = true;
            Err(lost(WRONG_LENGTH))
        }
    };
    drop(inner);
    Answer::give(&waiting.answer, result);
    if wrong_length {
        // A helper that answers with the wrong length is broken: ended, with its runs.
        failed(pool, waiting.helper, WRONG_LENGTH);
    } else {
        end_when_idle(pool);
    }
}

/// Why a helper is ended whose answer is not as long as its job must give.
const WRONG_LENGTH: &str = "an answer of the wrong length";

/// Once no run nor hash is under way, ends the helpers after [`IDLE_MS`] unless one comes
/// meanwhile; the next send starts them again.
fn end_when_idle(pool: &Rc<RefCell<Inner>>) {
    let epoch = {
        let mut inner = pool.borrow_mut();
        if !inner.waiting.is_empty() || inner.hashers > 0 {
            return;
        }
        inner.epoch += 1;
        inner.epoch
    };
    let pool = Rc::downgrade(pool);
    wasm_bindgen_futures::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(IDLE_MS).await;
        let Some(pool) = pool.upgrade() else {
            return;
        };
        let mut inner = pool.borrow_mut();
        if inner.epoch == epoch && inner.waiting.is_empty() && inner.hashers == 0 {
            for helper in inner.helpers.drain(..) {
                helper.worker.terminate();
            }
            inner.started = false;
            inner.spare_in.clear();
            inner.spare_out.clear();
        }
    });
}

/// Helper `index` failed: it is ended, every run it holds fails, and it gets no more.
fn failed(pool: &Rc<RefCell<Inner>>, index: usize, why: &str) {
    let mut inner = pool.borrow_mut();
    let ids: Vec<u32> = inner
        .waiting
        .iter()
        .filter(|(_, w)| w.helper == index)
        .map(|(id, _)| *id)
        .collect();
    let answers: Vec<_> = ids
        .into_iter()
        .filter_map(|id| inner.waiting.remove(&id))
        .map(|w| w.answer)
        .collect();
    if let Some(h) = inner.helpers.get_mut(index) {
        h.failed = true;
        h.busy = 0;
        h.worker.terminate();
    }
    drop(inner);
    for answer in answers {
        Answer::give(&answer, Err(lost(why)));
    }
    end_when_idle(pool);
}

/// A helper's side (started by `worker.js` under the name [`NAME`]): seals, opens or
/// hashes each run it is sent and answers with its output, giving both buffers back.
pub fn serve() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let replies = scope.clone();
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let id = Reflect::get(&data, &"id".into()).unwrap_or_default();
        let (answer, transfer) = run_one(&data).unwrap_or_else(|error| match error {
            Refused::Corrupted => (refusal(&id, &"corrupted".into(), true), Array::new()),
            Refused::Other(error) => (refusal(&id, &error, false), Array::new()),
        });
        if let Err(error) = replies.post_message_with_transfer(&answer, &transfer) {
            // Said without the buffers, so that the run fails rather than waits; what
            // they hold (an opened run's plaintext) is wiped first.
            for buffer in transfer.iter() {
                if let Ok(buffer) = buffer.dyn_into::<ArrayBuffer>() {
                    let view = Uint8Array::new(&buffer);
                    view.fill(0, 0, view.length());
                }
            }
            let _ = replies.post_message(&refusal(&id, &error, false));
        }
    });
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // Lives as long as the helper does.
    handler.forget();
    let ready = Object::new();
    if Reflect::set(&ready, &"ready".into(), &JsValue::TRUE).is_ok() {
        let _ = scope.post_message(&ready);
    }
}

/// Why a helper gives no output for a run.
enum Refused {
    /// The chunks it was lent to open do not authenticate.
    Corrupted,
    /// Anything else: a message it cannot read, a buffer it cannot have.
    Other(JsValue),
}

impl From<JsValue> for Refused {
    fn from(error: JsValue) -> Self {
        Self::Other(error)
    }
}

/// The answer that run `id` could not be carried out, and why (`corrupted`: its chunks do
/// not authenticate).
fn refusal(id: &JsValue, error: &JsValue, corrupted: bool) -> Object {
    let answer = Object::new();
    let why = error.as_string().unwrap_or_else(|| format!("{error:?}"));
    let _ = Reflect::set(&answer, &"id".into(), id);
    let _ = Reflect::set(&answer, &"error".into(), &why.into());
    if corrupted {
        let _ = Reflect::set(&answer, &"corrupted".into(), &JsValue::TRUE);
    }
    answer
}

/// Seals, opens or hashes what `data` carries: the answer and what it transfers, or why
/// not. The key and the input are copied out of their buffers and wiped there first
/// thing.
fn run_one(data: &JsValue) -> Result<(Object, Array), Refused> {
    let get = |name: &str| Reflect::get(data, &name.into());
    let view = |name: &str| -> Result<Uint8Array, JsValue> { get(name)?.dyn_into::<Uint8Array>() };
    if let Some(session) = get("hash")?.as_f64() {
        let given = view("input")?;
        let output = hash::hash_one(data, &given, session as u32)?;
        return answer(data, &output, &given);
    }
    let key = view("run")?;
    let encoded = Zeroizing::new(key.to_vec());
    key.fill(0, 0, key.length());
    let given = view("input")?;
    let input = Zeroizing::new(given.to_vec());
    given.fill(0, 0, given.length());
    let unreadable = |e: pli_crypto::Error| Refused::Other(JsValue::from_str(&e.to_string()));
    let output: Output = if get("open")?.is_truthy() {
        let lent = Lent::from_bytes(&encoded).map_err(unreadable)?;
        pli_client::open_here(lent, &input).map_err(|e| match e {
            ClientError::Decrypt(_) => Refused::Corrupted,
            other => Refused::Other(JsValue::from_str(&other.to_string())),
        })?
    } else {
        let run = Reserved::from_bytes(&encoded).map_err(unreadable)?;
        pli_client::seal_here(run, &input)
            .map_err(|e| Refused::Other(JsValue::from_str(&e.to_string())))?
    };
    answer(data, &output, &given)
}

/// The answer to the job `data` carried: `output`, copied into the buffer it lent (or a
/// larger one), and its input's buffer `given` back.
fn answer(data: &JsValue, output: &[u8], given: &Uint8Array) -> Result<(Object, Array), Refused> {
    let get = |name: &str| Reflect::get(data, &name.into());
    let buffer: ArrayBuffer = get("output")?.dyn_into()?;
    let length = len32(output.len())?;
    let out = if buffer.byte_length() >= length {
        buffer
    } else {
        ArrayBuffer::new(length)
    };
    let out_view = Uint8Array::new_with_byte_offset_and_length(&out, 0, length);
    out_view.copy_from(output);
    let answer = Object::new();
    Reflect::set(&answer, &"id".into(), &get("id")?)?;
    Reflect::set(&answer, &"output".into(), &out_view)?;
    Reflect::set(&answer, &"input".into(), &given.buffer())?;
    Ok((answer, Array::of2(&out, &given.buffer())))
}
