//! Sending: encrypting files and a manifest for an organisation, uploading them part by
//! part while the next part is encrypted, signing the envelope, completing — and
//! resuming such an upload after the program (or the page) that started it is gone.
//!
//! Resuming works because encryption is made repeatable: every object of an exchange is
//! encrypted from an [`EncryptionSeed`] drawn when the exchange is created, and the seeds
//! travel in a `Plan` that is sealed (age) to the sender's own key and handed to the
//! caller, which keeps it until the send ends. To resume, the files are read and encrypted
//! again from the same seeds — giving the same bytes — and only the parts the relay does
//! not have yet are uploaded.
//!
//! Encrypting again from a seed is only safe for the same plaintext: other content under
//! the same key and nonces, next to a ciphertext already out, gives away the XOR of the
//! two. So each file is read one plaintext segment (16 MiB, see `plan.rs`) at a time and
//! hashed before any of it is encrypted; the hash is checked against the plan (a resume:
//! [`ClientError::FileChanged`] on a difference) or recorded in it, and a plan holding
//! every hash recorded so far is handed to the caller again before the next part leaves.
//! Nothing made from a segment whose hash the caller has not been handed ever leaves; a
//! resume therefore never sends other ciphertext where some was sent — whatever the relay
//! says it holds. The manifest, made from the files' whole hashes, is encrypted last, once
//! every segment is recorded: its plaintext can no longer change.

use futures_util::io::AsyncReadExt as _;
use pli_api::endpoints as ep;
use pli_api::messages::{
    CompleteExchange, CreateExchange, ExchangeCreated, ExchangeSummary, ObjectProgress,
};
use pli_api::{Base64, ExchangeId, OrgId};
use pli_crypto::age::{EncryptionSeed, Encryptor};
use pli_crypto::codec::Canonical;
use pli_crypto::envelope::{Envelope, ObjectRef, Priority};
use pli_crypto::manifest::Category;
use pli_crypto::sign::Signed;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::plan::{self, PendingSend, Plan, PlannedFile};
use super::{FileInput, Phase, Progress, Reader, SendOptions, Session, put_part, random_id};
use crate::{Client, ClientError, rt};

/// How much plaintext is encrypted at a time (progress is reported after each).
const SLICE: usize = 1 << 20;

impl Session {
    /// Sends files to an organisation: verifies its key, encrypts each file and the
    /// manifest, uploads them part by part (retrying a part after a network failure),
    /// signs the envelope and completes. Returns the exchange id.
    pub async fn send(
        &self,
        recipient: &OrgId,
        files: Vec<FileInput>,
        options: &SendOptions,
    ) -> Result<ExchangeId, ClientError> {
        self.send_with_progress(recipient, files, options, &|_| {})
            .await
    }

    /// [`send`](Self::send), reporting encryption and upload progress; the encryption of
    /// a part overlaps the upload of the previous one.
    pub async fn send_with_progress(
        &self,
        recipient: &OrgId,
        files: Vec<FileInput>,
        options: &SendOptions,
        progress: &dyn Fn(Progress),
    ) -> Result<ExchangeId, ClientError> {
        self.send_resumable(recipient, files, options, progress, &|_| {})
            .await
    }

    /// [`send_with_progress`](Self::send_with_progress), handing `on_plan` — once the
    /// exchange is created, before any upload — the sealed plan that
    /// [`resume_send`](Self::resume_send) needs to finish the upload if this call never
    /// returns (a page reload), and again, updated, before each part whose plaintext it
    /// does not cover yet is sent (about every 16 MiB): keep the latest one, in place of
    /// the earlier ones, until this call returns. The upload goes on when `on_plan`
    /// returns: what it keeps must be kept by then. Only this person's keys open it.
    ///
    /// Takes `&self`: concurrent sends on one session all record the key generations
    /// they saw.
    pub async fn send_resumable(
        &self,
        recipient: &OrgId,
        files: Vec<FileInput>,
        options: &SendOptions,
        progress: &dyn Fn(Progress),
        on_plan: &dyn Fn(&[u8]),
    ) -> Result<ExchangeId, ClientError> {
        let key = self.recipient_key(recipient).await?;
        let own = if options.copy_to_sender {
            self.org_keys
                .iter()
                .next_back()
                .map(|(g, k)| (*g, k.recipient()))
        } else {
            None
        };
        let mut recipients = vec![key.recipient()];
        recipients.extend(own.map(|(_, r)| r));
        let category = Category::ALL
            .iter()
            .position(|c| *c == options.category)
            .and_then(|i| u8::try_from(i).ok())
            .ok_or_else(|| ClientError::verification("unknown category"))?;
        let mut plan = Plan {
            version: plan::VERSION,
            user_id: self.me.user_id,
            exchange_id: ExchangeId::from_bytes([0; 16]),
            created_at: 0,
            expires_at: 0,
            part_size: 0,
            recipient_org_id: *recipient,
            recipient_generation: key.key.generation,
            sender_generation: own.map(|(g, _)| g),
            category,
            subject: options.subject.clone(),
            message: options.message.clone(),
            case_reference: options.case_reference.clone(),
            urgent: options.urgent,
            in_reply_to: options.in_reply_to,
            files: files
                .iter()
                .map(|f| PlannedFile {
                    name: f.name.clone(),
                    size: f.size,
                    media_type: f.media_type.clone(),
                })
                .collect(),
            seeds: Vec::new(),
            segment_len: plan::SEGMENT_LEN,
            segments: files.iter().map(|_| Base64(Vec::new())).collect(),
        };
        // The manifest's size is known before the files' hashes are: they are fixed-size.
        let manifest_len = plan.manifest(&[])?.to_canonical()?.len() as u64;
        let mut sizes = vec![
            pli_crypto::age::encrypted_len(recipients.len(), manifest_len).unwrap_or(u64::MAX),
        ];
        sizes.extend(
            plan.files.iter().map(|f| {
                pli_crypto::age::encrypted_len(recipients.len(), f.size).unwrap_or(u64::MAX)
            }),
        );
        let request = CreateExchange {
            recipient_org_id: *recipient,
            recipient_generation: key.key.generation,
            sender_generation: own.map(|(g, _)| g),
            urgent: options.urgent,
            sizes,
            in_reply_to: options.in_reply_to,
        };
        let idempotency_key = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            random_id::<()>()?.as_bytes(),
        );
        let created: ExchangeCreated = Client::send(
            self.client
                .request_to(&ep::CreateExchange {})
                .header("idempotency-key", &idempotency_key)
                .json(&request),
        )
        .await?
        .json()
        .await?;
        plan.exchange_id = created.exchange_id;
        plan.created_at = created.created_at;
        plan.expires_at = created.expires_at;
        plan.part_size = created.part_size;
        for _ in 0..=plan.files.len() {
            let seed = EncryptionSeed::new(&recipients)?;
            plan.seeds.push(Base64(seed.to_bytes().to_vec()));
        }
        on_plan(&self.seal_plan(&plan)?);
        self.upload(&mut plan, files, &created.objects, progress, on_plan)
            .await
    }

    /// What the sealed plan of an interrupted send says.
    pub fn pending_send(&self, sealed: &[u8]) -> Result<PendingSend, ClientError> {
        let plan = self.open_plan(sealed)?;
        Ok(PendingSend {
            exchange_id: plan.exchange_id,
            recipient_org_id: plan.recipient_org_id,
            subject: plan.subject.clone(),
            files: plan.files.clone(),
        })
    }

    /// Finishes the send whose sealed plan [`send_resumable`](Self::send_resumable)
    /// handed out (the latest one), with the same files picked again (in any order):
    /// encrypts them again and uploads only what the relay lacks. Each plaintext segment
    /// already encrypted for upload is checked against the plan before it is encrypted
    /// again: a file whose content differs stops the resume with
    /// [`ClientError::FileChanged`] before anything of the difference is encrypted (the
    /// send can then only be abandoned). Like `send_resumable`, hands `on_plan` the plan
    /// again before sending segments it does not cover: keep it in place of `sealed`.
    ///
    /// A plan written before segment hashes existed is refused
    /// ([`ClientError::PlanOutdated`]).
    pub async fn resume_send(
        &self,
        sealed: &[u8],
        files: Vec<FileInput>,
        progress: &dyn Fn(Progress),
        on_plan: &dyn Fn(&[u8]),
    ) -> Result<ExchangeId, ClientError> {
        let mut plan = self.open_plan(sealed)?;
        plan.resumable()?;
        let mut files: Vec<Option<FileInput>> = files.into_iter().map(Some).collect();
        let mut ordered = Vec::with_capacity(plan.files.len());
        for wanted in &plan.files {
            let found = files.iter_mut().find(|f| {
                f.as_ref()
                    .is_some_and(|f| f.name == wanted.name && f.size == wanted.size)
            });
            let Some(file) = found.and_then(Option::take) else {
                return Err(ClientError::ResumeFiles);
            };
            ordered.push(file);
        }
        if files.iter().any(Option::is_some) {
            return Err(ClientError::ResumeFiles);
        }
        let status: ExchangeCreated = self
            .client
            .fetch(&ep::UploadStatus {
                id: plan.exchange_id,
            })
            .await?;
        self.upload(&mut plan, ordered, &status.objects, progress, on_plan)
            .await
    }

    /// Gives up the send of a sealed plan: the relay erases what it received.
    pub async fn abandon_send(&self, sealed: &[u8]) -> Result<(), ClientError> {
        let plan = self.open_plan(sealed)?;
        self.client
            .act(&ep::CancelExchange {
                id: plan.exchange_id,
            })
            .await
    }

    fn seal_plan(&self, plan: &Plan) -> Result<Vec<u8>, ClientError> {
        let json = Zeroizing::new(
            serde_json::to_vec(plan).map_err(|e| ClientError::verification(e.to_string()))?,
        );
        let recipient = self.keys.encryption.to_recipient();
        Ok(pli_crypto::age::encrypt_to_vec(&[recipient], &json)?.0)
    }

    fn open_plan(&self, sealed: &[u8]) -> Result<Plan, ClientError> {
        let json = Zeroizing::new(pli_crypto::age::decrypt_to_vec(
            std::slice::from_ref(&self.keys.encryption),
            sealed,
        )?);
        let plan = Plan::from_json(&json)?;
        if plan.user_id != self.me.user_id {
            return Err(ClientError::verification(
                "this interrupted send is not yours",
            ));
        }
        Ok(plan)
    }

    /// Encrypts and uploads every object of `plan` (skipping the parts `stored` says the
    /// relay has), then signs the envelope and completes. Each file's segments are
    /// checked against `plan` or recorded in it (handed to `on_plan` before they leave).
    async fn upload(
        &self,
        plan: &mut Plan,
        files: Vec<FileInput>,
        stored: &[ObjectProgress],
        progress: &dyn Fn(Progress),
        on_plan: &dyn Fn(&[u8]),
    ) -> Result<ExchangeId, ClientError> {
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
            let (summary, hash) = self
                .upload_object(object, plaintext, &mut keeper, &mut counters)
                .await?;
            if summary.plaintext_len != file.size {
                return Err(ClientError::FileChanged(file.name.clone()));
            }
            hashes.push(hash);
            objects.push(ObjectRef {
                size: summary.ciphertext_len,
                sha256: summary.ciphertext_sha256,
            });
        }
        // The manifest's plaintext holds the files' whole hashes: fixed only once every
        // segment is recorded (checked again on any resume), so only then is it encrypted.
        if !keeper.plan.every_segment_recorded() {
            return Err(ClientError::verification(
                "the manifest would be encrypted before every file was recorded",
            ));
        }
        let manifest_bytes = Zeroizing::new(keeper.plan.manifest(&hashes)?.to_canonical()?);
        let (summary, _) = self
            .upload_object(
                &manifest_object,
                Plaintext::Manifest(&manifest_bytes),
                &mut keeper,
                &mut counters,
            )
            .await?;
        let plan = keeper.plan;
        if let Some(first) = objects.first_mut() {
            *first = ObjectRef {
                size: summary.ciphertext_len,
                sha256: summary.ciphertext_sha256,
            };
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
            manifest: *manifest_ref,
            files: file_refs.to_vec(),
        };
        let complete = CompleteExchange {
            envelope: Signed::sign(&envelope, &self.keys.signing)?.to_wire(),
        };
        let _: ExchangeSummary = self
            .client
            .call(
                &ep::Complete {
                    id: plan.exchange_id,
                },
                &complete,
            )
            .await?;
        Ok(plan.exchange_id)
    }

    /// Encrypts one object and uploads it part by part, the upload of each part running
    /// while the next one is encrypted; the parts the relay has already are encrypted (the
    /// hashes need them) but not sent. A file is read one segment at a time, and each
    /// segment is checked against the plan (or recorded in it) before any of it is
    /// encrypted. Returns the encryption's summary and the plaintext's SHA-256.
    async fn upload_object(
        &self,
        object: &Object,
        plaintext: Plaintext<'_>,
        keeper: &mut Keeper<'_>,
        counters: &mut Counters<'_>,
    ) -> Result<(pli_crypto::age::EncryptSummary, [u8; 32]), ClientError> {
        let part_size = usize::try_from(object.part_size)
            .map_err(|_| ClientError::verification("part size"))?;
        let mut encryptor = Encryptor::from_seed(&object.seed)?;
        let mut upload = Upload {
            object,
            part_size,
            part: Vec::with_capacity(part_size + SLICE),
            part_no: 0,
            in_flight: None,
        };
        let mut whole = Sha256::new();
        match plaintext {
            Plaintext::Manifest(bytes) => {
                whole.update(bytes);
                self.encrypt(
                    &mut upload,
                    &mut encryptor,
                    bytes,
                    rt::now_ms(),
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
                let segment_len = keeper.plan.segment_len;
                let count = plan::segment_count(size, segment_len);
                let mut segment = Vec::new();
                for k in 0..count {
                    let since = rt::now_ms();
                    let len = plan::segment(size, segment_len, k)
                        .and_then(|(_, len)| usize::try_from(len).ok())
                        .ok_or_else(|| ClientError::verification("segment out of range"))?;
                    // The whole segment, hashed, before any of it is encrypted.
                    if !read_exactly(&mut reader, &mut segment, len).await? {
                        return Err(ClientError::FileChanged(name));
                    }
                    if k + 1 == count && !at_end(&mut reader).await? {
                        return Err(ClientError::FileChanged(name));
                    }
                    let sha256: [u8; 32] = Sha256::digest(&segment).into();
                    if keeper.plan.check_segment(index, k, &sha256)? {
                        keeper.unsaved = true;
                    }
                    whole.update(&segment);
                    self.encrypt(
                        &mut upload,
                        &mut encryptor,
                        &segment,
                        since,
                        keeper,
                        counters,
                    )
                    .await?;
                }
                if count == 0 && !at_end(&mut reader).await? {
                    return Err(ClientError::FileChanged(name));
                }
            }
        }
        let summary = encryptor.finish(&mut upload.part)?;
        loop {
            let rest = upload.part.split_off(upload.part.len().min(part_size));
            let this = std::mem::replace(&mut upload.part, rest);
            if this.is_empty() {
                if let Some(previous) = upload.in_flight.take() {
                    counters.uploaded(previous.finish().await?);
                }
                break;
            }
            self.ship(&mut upload, this, keeper, counters).await?;
        }
        Ok((summary, whole.finalize().into()))
    }

    /// Encrypts `plaintext` (already checked or recorded), sending each part it fills.
    async fn encrypt(
        &self,
        upload: &mut Upload<'_>,
        encryptor: &mut Encryptor,
        plaintext: &[u8],
        mut since: f64,
        keeper: &mut Keeper<'_>,
        counters: &mut Counters<'_>,
    ) -> Result<(), ClientError> {
        for slice in plaintext.chunks(SLICE) {
            encryptor.update(slice, &mut upload.part)?;
            counters.encrypted(slice.len() as u64, since);
            while upload.part.len() >= upload.part_size {
                let rest = upload.part.split_off(upload.part_size);
                let full = std::mem::replace(&mut upload.part, rest);
                self.ship(upload, full, keeper, counters).await?;
            }
            since = rt::now_ms();
        }
        Ok(())
    }

    /// Sends the next part of an object, once the previous one arrived — and once the
    /// caller holds a plan recording every segment the part's ciphertext comes from.
    async fn ship(
        &self,
        upload: &mut Upload<'_>,
        bytes: Vec<u8>,
        keeper: &mut Keeper<'_>,
        counters: &mut Counters<'_>,
    ) -> Result<(), ClientError> {
        keeper.hand_out(self)?;
        if let Some(previous) = upload.in_flight.take() {
            counters.uploaded(previous.finish().await?);
        }
        upload.in_flight = Some(self.start_part(upload.object, upload.part_no, bytes));
        upload.part_no += 1;
        Ok(())
    }

    /// Starts uploading a part in the background (nothing, if the relay has it).
    fn start_part(&self, object: &Object, part: u32, bytes: Vec<u8>) -> PendingPart {
        let len = bytes.len() as u64;
        let start = rt::now_ms();
        if part < object.skip {
            return PendingPart {
                len,
                start,
                task: Box::pin(async move { Ok(Ok(start)) }),
            };
        }
        let client = self.client.clone();
        let (exchange, idx) = (object.exchange, object.idx);
        let task = rt::spawn(async move {
            put_part(&client, &exchange, idx, part, bytes::Bytes::from(bytes)).await?;
            Ok(rt::now_ms())
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
    on_plan: &'a dyn Fn(&[u8]),
    /// Segment hashes were recorded since the caller was last handed the plan.
    unsaved: bool,
}

impl Keeper<'_> {
    /// Hands the caller the plan, sealed, if it recorded segments since the last time:
    /// called before every part leaves.
    fn hand_out(&mut self, session: &Session) -> Result<(), ClientError> {
        if self.unsaved {
            (self.on_plan)(&session.seal_plan(self.plan)?);
            self.unsaved = false;
        }
        Ok(())
    }
}

/// What an object's plaintext is.
enum Plaintext<'a> {
    /// File `index` of the plan, read from `reader`, checked against the plan (or
    /// recorded in it) one segment at a time before it is encrypted.
    File { index: usize, reader: Reader },
    /// The manifest, encrypted once every file segment is recorded.
    Manifest(&'a [u8]),
}

/// One object being encrypted and uploaded.
struct Upload<'a> {
    object: &'a Object,
    part_size: usize,
    /// Ciphertext not sent yet.
    part: Vec<u8>,
    part_no: u32,
    in_flight: Option<PendingPart>,
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
    Box<dyn std::future::Future<Output = Result<Result<f64, ClientError>, ClientError>> + Send>,
>;
/// The background upload of a part (`Send` natively; the browser has one thread).
#[cfg(target_arch = "wasm32")]
type PartTask = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Result<f64, ClientError>, ClientError>>>,
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

/// A part the relay acknowledged.
struct Uploaded {
    len: u64,
    start: f64,
    end: f64,
}

impl PendingPart {
    /// Waits for the upload; its length and timing once acknowledged.
    async fn finish(self) -> Result<Uploaded, ClientError> {
        let end = self.task.await??;
        Ok(Uploaded {
            len: self.len,
            start: self.start,
            end,
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
        put_part(
            &self.client,
            exchange,
            idx,
            part,
            bytes::Bytes::copy_from_slice(bytes),
        )
        .await
    }
}
