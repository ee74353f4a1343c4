//! The pool of sealing workers: a send's runs of chunks sealed on every core.
//!
//! The worker that holds the keys reads each file, hashes it and uploads its parts; the
//! ChaCha20-Poly1305 sealing, half of a send's work, goes to helpers: dedicated workers
//! it starts itself from its own script (`worker.js`, named [`NAME`]), one per core as
//! `navigator.hardwareConcurrency` says (at most [`MOST`]), on the first send. Each gets
//! the module already compiled (`wasm_bindgen::module()`: no second download nor
//! compilation) and then runs [`serve`].
//!
//! A run crosses as its [`Reserved`] encoding (the payload key of one file, its chunks'
//! counters), its plaintext and a buffer for the ciphertext; both buffers are
//! transferred, not copied, and come back with the answer to be lent again, so that a
//! send of gigabytes makes no garbage outside V8's heap (where it would be collected
//! late). The helper wipes the plaintext and the key it was lent as soon as it has read
//! them, and keeps nothing between runs. `pli-client` keeps a fixed number of runs under
//! way ([`Sealer::width`]) and puts them back in order.
//!
//! If a helper cannot start (a browser without nested workers), the send seals on the
//! worker itself, as before the pool.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use pli_client::{ClientError, Sealer, Sealing};
use pli_crypto::age::Reserved;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, Worker, WorkerOptions, WorkerType};
use zeroize::Zeroize as _;

/// The name a sealing worker is started with: `worker.js` then runs [`serve`].
pub(crate) const NAME: &str = "pli-sealer";

/// The most sealing workers started, whatever the number of cores: beyond, reading and
/// hashing each file on the keys' worker is what bounds a send.
const MOST: usize = 4;

thread_local! {
    /// Runs the helpers sealed since this worker started.
    static POOLED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many runs the helpers sealed since this worker started (progress reports carry
/// it: see `ProgressReport::pooled`).
pub(super) fn pooled() -> u64 {
    POOLED.with(std::cell::Cell::get)
}

/// The keys' worker's side: the helpers, started on the first run.
pub(super) struct Pool {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    /// The helpers (none before the first run; none either if they could not start).
    helpers: Vec<Helper>,
    started: bool,
    /// Runs sent to a helper, by id, and where their answer goes.
    waiting: HashMap<u32, Waiting>,
    next_id: u32,
    /// Buffers come back from the helpers, to lend again: for plaintext, for ciphertext.
    spare_plain: Vec<ArrayBuffer>,
    spare_sealed: Vec<ArrayBuffer>,
}

struct Helper {
    worker: Worker,
    /// Runs it has not answered yet.
    busy: usize,
    /// It failed: it gets no more runs.
    failed: bool,
    /// Its message and error handlers, kept for as long as it runs.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

struct Waiting {
    helper: usize,
    answer: Rc<RefCell<Answer>>,
}

/// Where a helper's answer to one run goes, and the send waiting for it.
#[derive(Default)]
struct Answer {
    result: Option<Result<Vec<u8>, ClientError>>,
    waker: Option<std::task::Waker>,
}

impl Answer {
    fn give(slot: &RefCell<Self>, result: Result<Vec<u8>, ClientError>) {
        let mut slot = slot.borrow_mut();
        slot.result = Some(result);
        if let Some(waker) = slot.waker.take() {
            waker.wake();
        }
    }

    /// The answer, once given.
    async fn wait(slot: Rc<RefCell<Self>>) -> Result<Vec<u8>, ClientError> {
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
                waiting: HashMap::new(),
                next_id: 0,
                spare_plain: Vec::new(),
                spare_sealed: Vec::new(),
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

    /// Starts the helpers, once; those that cannot start are left out.
    fn start(&self) {
        let mut inner = self.inner.borrow_mut();
        if inner.started {
            return;
        }
        inner.started = true;
        let count = Self::cores();
        drop(inner);
        for index in 0..count {
            match self.spawn(index) {
                Ok(helper) => self.inner.borrow_mut().helpers.push(helper),
                Err(error) => {
                    web_sys::console::warn_2(&"Pli: a sealing worker cannot start".into(), &error);
                    break;
                }
            }
        }
    }

    /// Starts helper `index` from this worker's own script, and hands it the module.
    fn spawn(&self, index: usize) -> Result<Helper, JsValue> {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        options.set_name(NAME);
        let worker = Worker::new_with_options(&scope.location().href(), &options)?;
        let inner = Rc::downgrade(&self.inner);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(inner) = inner.upgrade() {
                answered(&inner, &event.data());
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let inner = Rc::downgrade(&self.inner);
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |error: JsValue| {
            if let Some(inner) = inner.upgrade() {
                failed(&inner, index, &error);
            }
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let message = Object::new();
        Reflect::set(&message, &"module".into(), &wasm_bindgen::module())?;
        worker.post_message(&message)?;
        Ok(Helper {
            worker,
            busy: 0,
            failed: false,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Sends `run` and its plaintext to the least busy helper; the answer comes through
    /// the returned channel.
    fn send(&self, run: Reserved, plaintext: &[u8]) -> Result<Rc<RefCell<Answer>>, JsValue> {
        let mut inner = self.inner.borrow_mut();
        let helper = inner
            .helpers
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.failed)
            .min_by_key(|(_, h)| h.busy)
            .map(|(i, _)| i)
            .ok_or_else(|| JsValue::from_str("no sealing worker"))?;
        let plain = lend(&mut inner.spare_plain, plaintext.len());
        let view = Uint8Array::new_with_byte_offset_and_length(&plain, 0, len32(plaintext.len())?);
        view.copy_from(plaintext);
        let sealed = lend(&mut inner.spare_sealed, run.ciphertext_len());
        let encoded = run.to_bytes();
        let key = Uint8Array::new_with_length(len32(encoded.len())?);
        key.copy_from(&encoded);
        let id = inner.next_id;
        inner.next_id = inner.next_id.wrapping_add(1);
        let message = Object::new();
        Reflect::set(&message, &"id".into(), &id.into())?;
        Reflect::set(&message, &"run".into(), &key)?;
        Reflect::set(&message, &"plaintext".into(), &view)?;
        Reflect::set(&message, &"sealed".into(), &sealed)?;
        let transfer = Array::of3(&key.buffer(), &plain, &sealed);
        let worker = inner
            .helpers
            .get(helper)
            .map(|h| h.worker.clone())
            .ok_or_else(|| JsValue::from_str("no sealing worker"))?;
        worker.post_message_with_transfer(&message, &transfer)?;
        let answer = Rc::new(RefCell::new(Answer::default()));
        let waiting = Waiting {
            helper,
            answer: Rc::clone(&answer),
        };
        inner.waiting.insert(id, waiting);
        if let Some(h) = inner.helpers.get_mut(helper) {
            h.busy += 1;
        }
        Ok(answer)
    }
}

impl Sealer for Pool {
    fn width(&self) -> usize {
        self.start();
        self.inner.borrow().alive().max(1)
    }

    fn seal(&self, run: Reserved, plaintext: &[u8]) -> Sealing {
        self.start();
        if self.inner.borrow().alive() == 0 {
            return Box::pin(std::future::ready(pli_client::seal_here(run, plaintext)));
        }
        let answer = self.send(run, plaintext);
        Box::pin(async move {
            let answer = answer.map_err(|e| lost(&format!("{e:?}")))?;
            Answer::wait(answer).await
        })
    }
}

impl Inner {
    /// The helpers that have not failed.
    fn alive(&self) -> usize {
        self.helpers.iter().filter(|h| !h.failed).count()
    }
}

/// A buffer of at least `len` bytes: one lent before and given back, or a new one.
fn lend(spare: &mut Vec<ArrayBuffer>, len: usize) -> ArrayBuffer {
    match spare.iter().position(|b| b.byte_length() as usize >= len) {
        Some(at) => spare.swap_remove(at),
        None => ArrayBuffer::new(u32::try_from(len).unwrap_or(u32::MAX)),
    }
}

fn len32(len: usize) -> Result<u32, JsValue> {
    u32::try_from(len).map_err(|_| JsValue::from_str("a run too large"))
}

fn lost(why: &str) -> ClientError {
    ClientError::Verification(format!("a sealing worker failed: {why}"))
}

/// A helper's answer: the ciphertext (copied here), the buffers kept to lend again.
fn answered(inner: &Rc<RefCell<Inner>>, data: &JsValue) {
    let get = |name: &str| Reflect::get(data, &name.into()).ok();
    let Some(id) = get("id").and_then(|v| v.as_f64()) else {
        return;
    };
    let mut inner = inner.borrow_mut();
    let Some(waiting) = inner.waiting.remove(&(id as u32)) else {
        return;
    };
    if let Some(h) = inner.helpers.get_mut(waiting.helper) {
        h.busy = h.busy.saturating_sub(1);
    }
    if let Some(plain) = get("plaintext").and_then(|v| v.dyn_into::<ArrayBuffer>().ok()) {
        inner.spare_plain.push(plain);
    }
    let result = match get("error").and_then(|v| v.as_string()) {
        Some(error) => Err(lost(&error)),
        None => match get("sealed").and_then(|v| v.dyn_into::<Uint8Array>().ok()) {
            Some(sealed) => {
                let bytes = sealed.to_vec();
                POOLED.with(|n| n.set(n.get() + 1));
                inner.spare_sealed.push(sealed.buffer());
                Ok(bytes)
            }
            None => Err(lost("no ciphertext")),
        },
    };
    Answer::give(&waiting.answer, result);
}

/// Helper `index` failed (its script, its module): every run it holds fails, and it
/// gets no more (a send under way then fails, and can be resumed).
fn failed(inner: &Rc<RefCell<Inner>>, index: usize, error: &JsValue) {
    let mut inner = inner.borrow_mut();
    let ids: Vec<u32> = inner
        .waiting
        .iter()
        .filter(|(_, w)| w.helper == index)
        .map(|(id, _)| *id)
        .collect();
    for id in ids {
        if let Some(waiting) = inner.waiting.remove(&id) {
            Answer::give(&waiting.answer, Err(lost(&format!("{error:?}"))));
        }
    }
    if let Some(h) = inner.helpers.get_mut(index) {
        h.failed = true;
        h.worker.terminate();
    }
}

/// A sealing worker's side (started by `worker.js` under the name [`NAME`]): seals each
/// run it is sent and answers with the ciphertext, giving both buffers back.
pub fn serve() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let replies = scope.clone();
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let answer = seal_one(&data).unwrap_or_else(|error| {
            let answer = Object::new();
            let _ = Reflect::set(
                &answer,
                &"id".into(),
                &Reflect::get(&data, &"id".into()).unwrap_or_default(),
            );
            let _ = Reflect::set(&answer, &"error".into(), &error);
            (answer, Array::new())
        });
        if let Err(error) = replies.post_message_with_transfer(&answer.0, &answer.1) {
            web_sys::console::error_2(&"Pli: a sealing worker cannot answer".into(), &error);
        }
    });
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // Lives as long as the helper does.
    handler.forget();
}

/// Seals the run `data` carries: the answer and what it transfers, or the error's text.
fn seal_one(data: &JsValue) -> Result<(Object, Array), JsValue> {
    let get = |name: &str| Reflect::get(data, &name.into());
    let view = |name: &str| -> Result<Uint8Array, JsValue> { get(name)?.dyn_into::<Uint8Array>() };
    let key = view("run")?;
    let plain = view("plaintext")?;
    let sealed: ArrayBuffer = get("sealed")?.dyn_into()?;
    let mut encoded = zeroize::Zeroizing::new(key.to_vec());
    key.fill(0, 0, key.length());
    let run = Reserved::from_bytes(&encoded).map_err(|e| JsValue::from_str(&e.to_string()))?;
    encoded.zeroize();
    let mut plaintext = zeroize::Zeroizing::new(plain.to_vec());
    plain.fill(0, 0, plain.length());
    let ciphertext =
        pli_client::seal_here(run, &plaintext).map_err(|e| JsValue::from_str(&e.to_string()))?;
    plaintext.zeroize();
    let length = len32(ciphertext.len())?;
    let out = if sealed.byte_length() >= length {
        sealed
    } else {
        ArrayBuffer::new(length)
    };
    let out_view = Uint8Array::new_with_byte_offset_and_length(&out, 0, length);
    out_view.copy_from(&ciphertext);
    let answer = Object::new();
    Reflect::set(&answer, &"id".into(), &get("id")?)?;
    Reflect::set(&answer, &"sealed".into(), &out_view)?;
    Reflect::set(&answer, &"plaintext".into(), &plain.buffer())?;
    Ok((answer, Array::of2(&out, &plain.buffer())))
}
