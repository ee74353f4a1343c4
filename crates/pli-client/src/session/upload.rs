//! The machinery under a send: each object encrypted and uploaded part by part, the
//! upload of one part running while the next is encrypted; each part hashed, checked
//! against the plan or recorded in it (and the plan handed out again) before it leaves;
//! then the envelope signed and the exchange completed.

use futures_util::io::AsyncReadExt as _;
use pli_api::ExchangeId;
use pli_api::endpoints as ep;
use pli_api::messages::{CompleteExchange, ObjectProgress};
use pli_crypto::age::{EncryptionSeed, Encryptor, Lengths};
use pli_crypto::codec::Canonical;
use pli_crypto::envelope::{Envelope, Hashing, ObjectRef, PartList, Priority};
use pli_crypto::sign::Signed;
use zeroize::Zeroizing;

use super::plan::Plan;
use super::{FileInput, Phase, Progress, Reader, Session, idempotent, put_part};
use crate::{Client, ClientError, rt};

/// How much plaintext is sealed at a time ([`rt::SEAL_RUN`]).
const RUN: usize = rt::SEAL_RUN;

/// How much of a file is read at a time (then handed out to be sealed, a run at a time).
const READ: u64 = 16 << 20;

impl Session {
    /// Encrypts and uploads every object of `plan` (skipping the parts `stored` says the
    /// relay has), then signs the envelope and completes. Each part is checked against
    /// `plan` or recorded in it (handed to `on_plan` before it leaves).
    pub(super) async fn upload(
        &self,
        plan: &mut Plan,
        files: Vec<FileInput>,
        stored: &[ObjectProgress],
        progress: &dyn Fn(Progress),
        on_plan: &super::OnPlan<'_>,
    ) -> Result<ExchangeId, ClientError> {
        if files.len() != plan.files.len() {
            return Err(ClientError::ResumeFiles);
        }
        let manifest_len = plan.manifest(&[])?.to_canonical()?.len() as u64;
        let mut counters = Counters {
            encrypted: 0,
            uploaded: 0,
            encrypt_ms: 0.0,
            upload_ms: 0.0,
            upload_end: 0.0,
            plaintext_total: plan
                .files
                .iter()
                .map(|f| f.size)
                .sum::<u64>()
                .saturating_add(manifest_len),
            ciphertext_total: stored.iter().map(|o| o.size).sum(),
            progress,
        };
        let object = |index: usize| -> Result<Object, ClientError> {
            let idx =
                u32::try_from(index).map_err(|_| ClientError::verification("too many files"))?;
            Ok(Object {
                exchange: plan.exchange_id,
                idx,
                part_size: plan.part_size,
                seed: plan.seed(index)?,
                skip: stored
                    .iter()
                    .find(|o| o.idx == idx)
                    .map_or(0, |o| o.parts_stored),
            })
        };
        let manifest_object = object(0)?;
        let file_objects = (1..=files.len())
            .map(object)
            .collect::<Result<Vec<_>, _>>()?;
        let mut keeper = Keeper {
            plan,
            on_plan,
            unsaved: false,
        };
        let mut objects = vec![ObjectRef {
            size: 0,
            sha256: [0; 32],
        }];
        let mut hashes = Vec::with_capacity(files.len());
        for (index, (file, object)) in files.into_iter().zip(&file_objects).enumerate() {
            let plaintext = Plaintext::File {
                index,
                reader: file.reader,
            };
            let (sent, hash) = self
                .upload_object(object, plaintext, &mut keeper, &mut counters)
                .await?;
            if sent.plaintext_len != file.size {
                return Err(ClientError::FileChanged(file.name.clone()));
            }
            hashes.push(hash.ok_or_else(|| ClientError::verification("a file without its hash"))?);
            objects.push(sent.object);
        }
        // The manifest's plaintext holds the files' whole hashes: made once every part of
        // every file is recorded (a resume checked each one made again).
        let manifest_bytes = Zeroizing::new(keeper.plan.manifest(&hashes)?.to_canonical()?);
        let (sent, _) = self
            .upload_object(
                &manifest_object,
                Plaintext::Manifest(&manifest_bytes),
                &mut keeper,
                &mut counters,
            )
            .await?;
        let plan = keeper.plan;
        if let Some(first) = objects.first_mut() {
            *first = sent.object;
        }
        let (manifest_ref, file_refs) = objects
            .split_first()
            .ok_or_else(|| ClientError::verification("no objects"))?;
        let envelope = Envelope {
            exchange_id: plan.exchange_id,
            sender_user_id: self.me.user_id,
            sender_key: self.keys.signing.verifying_key().fingerprint(),
            sender_org_id: self.me.org_id,
            sender_generation: plan.sender_generation,
            recipient_org_id: plan.recipient_org_id,
            recipient_generation: plan.recipient_generation,
            priority: if plan.urgent {
                Priority::Urgent
            } else {
                Priority::Normal
            },
            created_at: plan.created_at,
            expires_at: plan.expires_at,
            in_reply_to: plan.in_reply_to,
            hashing: Hashing::Parts {
                part_size: plan.part_size,
            },
            manifest: *manifest_ref,
            files: file_refs.to_vec(),
            preview: (!plan.preview.0.is_empty()).then(|| plan.preview.0.clone()),
        };
        let complete = CompleteExchange {
            envelope: Signed::sign(&envelope, &self.keys.signing)?.to_wire(),
        };
        // Sent again if the answer is lost or cut short: the relay answers a completion
        // it has already made with the same envelope as it answered the first. A success
        // says the exchange is delivered; what its body says of it is not needed (read
        // whole, so that an answer cut short counts as lost, and not parsed: a body this
        // client cannot read must not make a delivered send look failed).
        let endpoint = ep::Complete {
            id: plan.exchange_id,
        };
        idempotent(|| async {
            let answer = Client::send(self.client.request_to(&endpoint).json(&complete)).await?;
            Ok(answer.bytes().await?)
        })
        .await?;
        Ok(plan.exchange_id)
    }

    /// Encrypts one object and uploads it part by part, the upload of each part running
    /// while the next one is encrypted; the parts the relay has already are encrypted (the
    /// hashes need them) but not sent. Each part is checked against the plan (or recorded
    /// in it) before it leaves. Returns what was sent (the object's reference in a format 2 envelope:
    /// its parts' hashes, each computed once for its `Content-Digest`) and, for a file,
    /// the plaintext's SHA-256.
    async fn upload_object(
        &self,
        object: &Object,
        plaintext: Plaintext<'_>,
        keeper: &mut Keeper<'_>,
        counters: &mut Counters<'_>,
    ) -> Result<(Sent, Option<[u8; 32]>), ClientError> {
        let part_size = usize::try_from(object.part_size)
            .map_err(|_| ClientError::verification("part size"))?;
        // The envelope binds the parts' hashes, not a hash of the whole ciphertext.
        let mut encryptor = Encryptor::from_seed(&object.seed)?.without_hash();
        let mut upload = Upload {
            object,
            part_size,
            part: Vec::with_capacity(part_size + RUN),
            part_no: 0,
            in_flight: None,
            hashes: Vec::new(),
        };
        let mut runs = Runs::default();
        // A file's own hash, for the manifest (the manifest's own is not needed).
        let mut whole = matches!(plaintext, Plaintext::File { .. }).then(rt::FileHash::new);
        match plaintext {
            Plaintext::Manifest(bytes) => {
                self.encrypt(
                    &mut upload,
                    (&mut encryptor, &mut whole),
                    &mut runs,
                    (bytes, true),
                    keeper,
                    counters,
                )
                .await?;
            }
            Plaintext::File { index, mut reader } => {
                let (name, size) = keeper
                    .plan
                    .files
                    .get(index)
                    .map(|f| (f.name.clone(), f.size))
                    .ok_or_else(|| ClientError::verification("no such file"))?;
                // Plaintext: wiped once the file is read.
                let mut piece = Zeroizing::new(Vec::new());
                let mut left = size;
                while left > 0 {
                    let len = left.min(READ);
                    let bytes = usize::try_from(len)
                        .map_err(|_| ClientError::verification("piece out of range"))?;
                    if !read_exactly(&mut reader, &mut piece, bytes).await? {
                        return Err(ClientError::FileChanged(name));
                    }
                    left -= len;
                    let last = left == 0;
                    if last && !at_end(&mut reader).await? {
                        return Err(ClientError::FileChanged(name));
                    }
                    // The file's own hash (for the manifest) is computed run by run as
                    // they are being sealed.
                    self.encrypt(
                        &mut upload,
                        (&mut encryptor, &mut whole),
                        &mut runs,
                        (&piece, last),
                        keeper,
                        counters,
                    )
                    .await?;
                }
                if size == 0 && !at_end(&mut reader).await? {
                    return Err(ClientError::FileChanged(name));
                }
            }
        }
        while let Some(sealed) = runs.next(counters).await? {
            self.add(&mut upload, &sealed, keeper, counters).await?;
        }
        let summary = encryptor.finish(&mut upload.part)?;
        self.ship_parts(&mut upload, keeper, counters, Ending::Object)
            .await?;
        let object = PartList {
            part_size: object.part_size,
            size: summary.ciphertext_len,
            parts: upload.hashes,
        }
        .object_ref()?;
        let sent = Sent {
            plaintext_len: summary.plaintext_len,
            object,
        };
        let hash = match whole {
            Some(whole) => Some(whole.finish().await?),
            None => None,
        };
        Ok((sent, hash))
    }

    /// Hands `plaintext` (already checked or recorded; with `true` if its end is the
    /// object's) to be sealed, a run at a time, keeping at most the runtime's width of
    /// runs under way: each one sealed meanwhile, in order, goes into the parts, and
    /// each part it fills is sent. Each run is added to the plaintext's hash `whole`
    /// once it is handed over: in the browser one helper of the pool hashes it while the
    /// others seal ([`rt::FileHash`]; hashed by the keys' worker, a 1 GiB send took 15.3 s
    /// on average, against 13.8 s, twelve runs in turns; hashed whole before any of it was
    /// sealed, 15.4 to 16.9 s on another day).
    async fn encrypt(
        &self,
        upload: &mut Upload<'_>,
        (encryptor, whole): (&mut Encryptor<Lengths>, &mut Option<rt::FileHash>),
        runs: &mut Runs,
        (plaintext, ends): (&[u8], bool),
        keeper: &mut Keeper<'_>,
        counters: &mut Counters<'_>,
    ) -> Result<(), ClientError> {
        let count = plaintext.len().div_ceil(RUN);
        for (i, piece) in plaintext.chunks(RUN).enumerate() {
            while runs.under_way.len() >= rt::pool_width() {
                if let Some(sealed) = runs.next(counters).await? {
                    self.add(upload, &sealed, keeper, counters).await?;
                }
            }
            let last = ends && i + 1 == count;
            let run = encryptor.reserve(piece.len(), last, &mut upload.part)?;
            runs.start(piece.len() as u64, rt::seal(run, piece));
            if let Some(whole) = whole {
                whole.update(piece).await?;
            }
        }
        Ok(())
    }

    /// Puts a sealed run after the ciphertext before it, sending each part it fills.
    async fn add(
        &self,
        upload: &mut Upload<'_>,
        sealed: &[u8],
        keeper: &mut Keeper<'_>,
        counters: &mut Counters<'_>,
    ) -> Result<(), ClientError> {
        upload.part.extend_from_slice(sealed);
        self.ship_parts(upload, keeper, counters, Ending::Not).await
    }

    /// Sends every full part of the ciphertext held; at the object's end, the rest too
    /// (its last part, the only one that may be shorter), then waits until the last part
    /// has arrived.
    async fn ship_parts(
        &self,
        upload: &mut Upload<'_>,
        keeper: &mut Keeper<'_>,
        counters: &mut Counters<'_>,
        ending: Ending,
    ) -> Result<(), ClientError> {
        let end = ending == Ending::Object;
        while upload.part.len() >= upload.part_size || (end && !upload.part.is_empty()) {
            let rest = upload
                .part
                .split_off(upload.part.len().min(upload.part_size));
            let part = std::mem::replace(&mut upload.part, rest);
            self.ship(upload, part, keeper, counters).await?;
        }
        if end && let Some(last) = upload.in_flight.take() {
            upload.arrived(last.finish().await?, counters);
        }
        Ok(())
    }

    /// Sends the next part of an object, once the previous one arrived — and once its
    /// hash is checked against the plan or recorded in it, and the caller holds a plan
    /// recording it. The hash is also the part's `Content-Digest` and the envelope's.
    async fn ship(
        &self,
        upload: &mut Upload<'_>,
        bytes: Vec<u8>,
        keeper: &mut Keeper<'_>,
        counters: &mut Counters<'_>,
    ) -> Result<(), ClientError> {
        let sha256 = rt::sha256(&bytes).await;
        if keeper
            .plan
            .check_part(upload.object.idx, upload.part_no, &sha256)?
        {
            keeper.unsaved = true;
        }
        keeper.hand_out(self).await?;
        if let Some(previous) = upload.in_flight.take() {
            upload.arrived(previous.finish().await?, counters);
        }
        upload.in_flight = Some(self.start_part(upload.object, upload.part_no, bytes, sha256));
        upload.part_no += 1;
        Ok(())
    }

    /// Starts uploading a part whose hash is `sha256`, in the background (not at all if
    /// the relay has it: the envelope still binds its hash).
    fn start_part(
        &self,
        object: &Object,
        part: u32,
        bytes: Vec<u8>,
        sha256: [u8; 32],
    ) -> PendingPart {
        let len = bytes.len() as u64;
        let start = rt::now_ms();
        let client = self.client.clone();
        let (exchange, idx, stored) = (object.exchange, object.idx, part < object.skip);
        let task = rt::spawn(async move {
            if !stored {
                put_part(
                    &client,
                    &exchange,
                    idx,
                    part,
                    bytes::Bytes::from(bytes),
                    &sha256,
                )
                .await?;
            }
            Ok((rt::now_ms(), sha256))
        });
        PendingPart {
            len,
            start,
            task: Box::pin(task),
        }
    }
}

/// The plan of a send under way and the caller who keeps it.
struct Keeper<'a> {
    plan: &'a mut Plan,
    on_plan: &'a super::OnPlan<'a>,
    /// Part hashes were recorded since the caller was last handed the plan.
    unsaved: bool,
}

impl Keeper<'_> {
    /// Hands the caller the plan, sealed, if it recorded parts since the last time,
    /// and waits until the caller kept it: called before every part leaves.
    async fn hand_out(&mut self, session: &Session) -> Result<(), ClientError> {
        if self.unsaved {
            (self.on_plan)(&session.seal_plan(self.plan)?).await;
            self.unsaved = false;
        }
        Ok(())
    }
}

/// What an object's plaintext is.
enum Plaintext<'a> {
    /// File `index` of the plan, read from `reader`.
    File { index: usize, reader: Reader },
    /// The manifest, encrypted once every file's parts are recorded.
    Manifest(&'a [u8]),
}

/// The runs of an object being sealed, oldest first, each with its plaintext's length.
#[derive(Default)]
struct Runs {
    under_way: std::collections::VecDeque<(u64, rt::PoolRun)>,
    /// When the previous run came back sealed (or when the first started).
    since: f64,
}

impl Runs {
    /// Starts counting a run of `len` bytes of plaintext being sealed.
    fn start(&mut self, len: u64, sealing: rt::PoolRun) {
        if self.under_way.is_empty() {
            self.since = rt::now_ms();
        }
        self.under_way.push_back((len, sealing));
    }

    /// The oldest run under way, once sealed (`None` if none is): the time it was being
    /// waited for, from when it started or the previous one came back, counts as
    /// encrypting.
    async fn next(&mut self, counters: &mut Counters<'_>) -> Result<Option<Vec<u8>>, ClientError> {
        let Some((len, sealing)) = self.under_way.pop_front() else {
            return Ok(None);
        };
        // Ciphertext: taken out of its wrapper, not wiped.
        let sealed = std::mem::take(&mut *sealing.await?);
        counters.encrypted(len, self.since);
        self.since = rt::now_ms();
        Ok(Some(sealed))
    }
}

/// One object being encrypted and uploaded.
struct Upload<'a> {
    object: &'a Object,
    part_size: usize,
    /// Ciphertext not sent yet.
    part: Vec<u8>,
    part_no: u32,
    in_flight: Option<PendingPart>,
    /// The SHA-256 of each part the relay acknowledged (or had), in order.
    hashes: Vec<[u8; 32]>,
}

impl Upload<'_> {
    /// Counts a part the relay acknowledged, and keeps its hash for the envelope.
    fn arrived(&mut self, part: Uploaded, counters: &mut Counters<'_>) {
        self.hashes.push(part.sha256);
        counters.uploaded(part);
    }
}

/// What one object's upload sent.
struct Sent {
    /// Bytes of plaintext encrypted.
    plaintext_len: u64,
    /// Its reference in the envelope.
    object: ObjectRef,
}

/// Whether the ciphertext held ends the object ([`Session::ship_parts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// More is to come: only full parts leave.
    Not,
    /// The object's last bytes are in.
    Object,
}

/// Reads exactly `len` bytes into `buffer` (replacing what it held); `false` if the
/// reader ended first.
async fn read_exactly(
    reader: &mut Reader,
    buffer: &mut Vec<u8>,
    len: usize,
) -> Result<bool, ClientError> {
    buffer.clear();
    buffer.resize(len, 0);
    let mut filled = 0;
    while filled < len {
        let n = reader
            .read(buffer.get_mut(filled..).unwrap_or_default())
            .await?;
        if n == 0 {
            return Ok(false);
        }
        filled += n;
    }
    Ok(true)
}

/// Whether the reader has nothing more.
async fn at_end(reader: &mut Reader) -> Result<bool, ClientError> {
    let mut probe = [0u8; 1];
    Ok(reader.read(&mut probe).await? == 0)
}

/// One object to encrypt and upload.
struct Object {
    exchange: ExchangeId,
    idx: u32,
    part_size: u64,
    seed: EncryptionSeed,
    /// Parts the relay has already.
    skip: u32,
}

/// Progress counters of one sending.
struct Counters<'a> {
    encrypted: u64,
    uploaded: u64,
    /// Time spent reading and encrypting.
    encrypt_ms: f64,
    /// Time with a part on its way, and when the last one arrived.
    upload_ms: f64,
    upload_end: f64,
    plaintext_total: u64,
    ciphertext_total: u64,
    progress: &'a dyn Fn(Progress),
}

impl Counters<'_> {
    fn encrypted(&mut self, bytes: u64, since: f64) {
        self.encrypted += bytes;
        self.encrypt_ms += rt::now_ms() - since;
        (self.progress)(Progress {
            phase: Phase::Encrypt,
            done: self.encrypted,
            total: self.plaintext_total,
            busy_ms: whole_ms(self.encrypt_ms),
        });
    }

    fn uploaded(&mut self, part: Uploaded) {
        self.uploaded += part.len;
        // Parts go one after the other: count each one from when it left or the previous
        // one arrived, whichever is later.
        self.upload_ms += (part.end - part.start.max(self.upload_end)).max(0.0);
        self.upload_end = self.upload_end.max(part.end);
        (self.progress)(Progress {
            phase: Phase::Upload,
            done: self.uploaded,
            total: self.ciphertext_total,
            busy_ms: whole_ms(self.upload_ms),
        });
    }
}

/// The background upload of a part (`Send` natively; the browser has one thread).
#[cfg(not(target_arch = "wasm32"))]
type PartTask = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<Result<(f64, [u8; 32]), ClientError>, ClientError>>
            + Send,
    >,
>;
/// The background upload of a part (`Send` natively; the browser has one thread).
#[cfg(target_arch = "wasm32")]
type PartTask = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<Result<(f64, [u8; 32]), ClientError>, ClientError>>,
    >,
>;

/// Milliseconds, rounded down to whole ones.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a duration: `as` saturates, and a negative one (a clock step) reads 0"
)]
fn whole_ms(ms: f64) -> u64 {
    ms as u64
}

/// A part being uploaded in the background.
struct PendingPart {
    len: u64,
    start: f64,
    task: PartTask,
}

/// A part the relay acknowledged (or had).
struct Uploaded {
    len: u64,
    start: f64,
    end: f64,
    sha256: [u8; 32],
}

impl PendingPart {
    /// Waits for the upload; its length, timing and hash once acknowledged.
    async fn finish(self) -> Result<Uploaded, ClientError> {
        let (end, sha256) = self.task.await??;
        Ok(Uploaded {
            len: self.len,
            start: self.start,
            end,
            sha256,
        })
    }
}

impl Session {
    /// Uploads one part with its SHA-256, retrying network failures (the relay accepts
    /// a part again if it already has it).
    pub async fn put_part(
        &self,
        exchange: &ExchangeId,
        idx: u32,
        part: u32,
        bytes: &[u8],
    ) -> Result<(), ClientError> {
        let sha256 = rt::sha256(bytes).await;
        put_part(
            &self.client,
            exchange,
            idx,
            part,
            bytes::Bytes::copy_from_slice(bytes),
            &sha256,
        )
        .await
    }
}
