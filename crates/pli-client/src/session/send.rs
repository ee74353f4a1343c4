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
//! two. So each part's hash (its `Content-Digest`) is checked against the plan (a resume:
//! [`ClientError::FileChanged`] on a difference) or recorded in it, and a plan holding
//! every hash recorded so far is handed to the caller again, before the part leaves (see
//! `plan.rs`). No part whose hash the caller has not been handed ever leaves; a resume
//! therefore never sends other ciphertext where some was sent — whatever the relay says
//! it holds. The manifest, made from the files' whole hashes, is encrypted last.

use pli_api::endpoints as ep;
use pli_api::messages::{CreateExchange, ExchangeCreated};
use pli_api::{Base64, ExchangeId, OrgId};
use pli_crypto::age::EncryptionSeed;
use pli_crypto::codec::Canonical;
use pli_crypto::manifest::Category;
use zeroize::Zeroizing;

use super::plan::{self, PendingSend, Plan, PlannedFile};
use super::{FileInput, Progress, SendOptions, Session, random_id};
use crate::{Client, ClientError};

/// How many times a send starts when a key changes under it (a rotation of either
/// organisation's key as it starts): two rotations in a row are rare, three are a relay
/// that keeps serving another key than the log's, refused like any.
const KEY_CHANGE_ATTEMPTS: u32 = 3;

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
        self.send_resumable(recipient, files, options, progress, &|_| super::plan_kept())
            .await
    }

    /// [`send_with_progress`](Self::send_with_progress), handing `on_plan` — once the
    /// exchange is created, before any upload — the sealed plan that
    /// [`resume_send`](Self::resume_send) needs to finish the upload if this call never
    /// returns (a page reload), and again, updated, before each part it does not record
    /// yet is sent (every part, 16 MiB on the relay): keep the latest one, in place of
    /// the earlier ones, until this call returns. The upload goes on when the future
    /// `on_plan` returns is ready: what it keeps must be kept by then (a plan older than
    /// the parts sent would let a resume encrypt other content under the same key and
    /// nonce). Only this person's keys open it.
    ///
    /// Takes `&self`: concurrent sends on one session all record the key generations
    /// they saw.
    pub async fn send_resumable(
        &self,
        recipient: &OrgId,
        files: Vec<FileInput>,
        options: &SendOptions,
        progress: &dyn Fn(Progress),
        on_plan: &super::OnPlan<'_>,
    ) -> Result<ExchangeId, ClientError> {
        // A rotation of either organisation's key may land while the send starts: the
        // send then starts again with the new key (nothing was created, nothing read).
        let mut attempts = 1;
        let (mut plan, created, recipients) = loop {
            match self.create(recipient, &files, options).await {
                Err(error) if error.key_changed_meanwhile() && attempts < KEY_CHANGE_ATTEMPTS => {
                    attempts += 1;
                }
                outcome => break outcome?,
            }
        };
        for _ in 0..=plan.files.len() {
            let seed = EncryptionSeed::new_allowing_mix(&recipients)?;
            plan.seeds.push(Base64(seed.to_bytes().to_vec()));
        }
        plan.preview = Base64(plan.preview()?.seal(&recipients)?);
        on_plan(&self.seal_plan(&plan)?).await;
        self.upload(&mut plan, files, &created.objects, progress, on_plan)
            .await
    }

    /// Reads and verifies the keys the send goes to, and creates the exchange: the plan
    /// (without its seeds and preview yet), the relay's answer, and the age recipients.
    async fn create(
        &self,
        recipient: &OrgId,
        files: &[FileInput],
        options: &SendOptions,
    ) -> Result<(Plan, ExchangeCreated, Vec<pli_crypto::age::AnyRecipient>), ClientError> {
        let key = self.recipient_key(recipient).await?;
        // The copy for my own organisation goes to its latest key as the log holds it,
        // verified like the recipient's: not to the newest generation the relay granted
        // me, which a relay withholding a grant could keep old (or suspended).
        let own = if options.copy_to_sender {
            let own = self.recipient_key(&self.me.org_id).await?;
            Some((own.key.generation, own.recipient()?))
        } else {
            None
        };
        // Post-quantum and X25519 keys may meet here (an exchange between an organisation
        // that has moved to post-quantum keys and one that has not yet): the files are
        // then as safe as X25519, which is what the not-yet-migrated side has anyway.
        let mut recipients = vec![key.recipient()?];
        recipients.extend(own.as_ref().map(|(_, r)| r.clone()));
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
            sender_generation: own.as_ref().map(|(g, _)| *g),
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
            segment_len: 0,
            segments: Vec::new(),
            parts: (0..=files.len()).map(|_| Base64(Vec::new())).collect(),
            preview: Base64(Vec::new()),
        };
        // The manifest's size is known before the files' hashes are: they are fixed-size.
        let manifest_len = plan.manifest(&[])?.to_canonical()?.len() as u64;
        let mut sizes =
            vec![pli_crypto::age::encrypted_len_to(&recipients, manifest_len).unwrap_or(u64::MAX)];
        sizes.extend(
            plan.files.iter().map(|f| {
                pli_crypto::age::encrypted_len_to(&recipients, f.size).unwrap_or(u64::MAX)
            }),
        );
        let request = CreateExchange {
            recipient_org_id: *recipient,
            recipient_generation: key.key.generation,
            sender_generation: own.as_ref().map(|(g, _)| *g),
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
        // The envelope signs parts of this size: one it cannot sign is refused now, not
        // after the upload (and a size of 0 would never fill a part).
        if !pli_crypto::envelope::part_size_allowed(created.part_size) {
            return Err(ClientError::verification(
                "the relay asks for parts of a size an envelope cannot sign",
            ));
        }
        if created.part_size < plan::MIN_PART_SIZE {
            return Err(ClientError::verification(
                "the relay asks for parts too small for a send to be resumed",
            ));
        }
        plan.part_size = created.part_size;
        Ok((plan, created, recipients))
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
    /// encrypts them again and uploads only what the relay lacks. Each part that may have
    /// left before is made again and checked against the plan before it leaves (sent
    /// again, or counted as the relay's): a file whose content differs there stops the
    /// resume with [`ClientError::FileChanged`] before anything of the difference leaves
    /// (the send can then only be abandoned). Like `send_resumable`, hands `on_plan` the
    /// plan again before sending parts it does not cover: keep it in place of `sealed`.
    ///
    /// A plan written before part hashes were recorded (version 1 or 2) is refused
    /// ([`ClientError::PlanOutdated`]).
    pub async fn resume_send(
        &self,
        sealed: &[u8],
        files: Vec<FileInput>,
        progress: &dyn Fn(Progress),
        on_plan: &super::OnPlan<'_>,
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
        // Every part the relay holds left after the plan recording it was kept: a relay
        // holding more is ahead of this plan (an older copy, a write lost in a crash),
        // which does not say what those parts were made from.
        if status
            .objects
            .iter()
            .any(|o| o.parts_stored as usize > plan.recorded(o.idx))
        {
            return Err(ClientError::PlanNotLatest);
        }
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

    pub(super) fn seal_plan(&self, plan: &Plan) -> Result<Vec<u8>, ClientError> {
        let json = Zeroizing::new(
            serde_json::to_vec(plan).map_err(|e| ClientError::verification(e.to_string()))?,
        );
        let recipient = self.newest_identity().to_recipient();
        Ok(pli_crypto::age::encrypt_to_vec(&[recipient], &json)?.0)
    }

    fn open_plan(&self, sealed: &[u8]) -> Result<Plan, ClientError> {
        // Sealed to the key the person had then: the bundle's, or a later one.
        let json = Zeroizing::new(pli_crypto::age::decrypt_to_vec(
            &self.identities().cloned().collect::<Vec<_>>(),
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
}
