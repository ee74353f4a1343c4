//! Receiving: the inbox and outbox, opening an exchange (its envelope and sender
//! verified), downloading its files while verifying every hash, the signed read receipt.

use super::*;
use futures_util::TryStreamExt as _;
use futures_util::io::AsyncReadExt as _;
use pli_api::messages::ExchangeQuery;
use pli_crypto::envelope::{Hashing, ObjectHasher, PartList};

impl Session {
    /// A page of my organisation's inbox.
    pub async fn inbox(&self) -> Result<ExchangePage, ClientError> {
        self.inbox_page(ExchangeQuery::default()).await
    }

    /// A page of my organisation's outbox.
    pub async fn outbox(&self) -> Result<ExchangePage, ClientError> {
        self.outbox_page(ExchangeQuery::default()).await
    }

    /// A page of my organisation's inbox or outbox, each row's envelope verified and its
    /// preview decrypted ([`protocol::verify_listing`]). Reading a list signs no receipt.
    pub async fn list(
        &self,
        mailbox: protocol::Mailbox,
        query: ExchangeQuery,
    ) -> Result<protocol::ListedPage, ClientError> {
        let page = match mailbox {
            protocol::Mailbox::Inbox => self.inbox_page(query).await?,
            protocol::Mailbox::Outbox => self.outbox_page(query).await?,
        };
        Ok(protocol::verify_listing(
            &self.trust,
            page,
            mailbox,
            &self.me.org_id,
            &self.org_keys,
        ))
    }

    /// Opens an exchange: verifies the envelope and sender to the root, downloads and
    /// checks the manifest against the envelope, decrypts it.
    pub async fn open(&self, id: &ExchangeId) -> Result<Received, ClientError> {
        let detail: ExchangeDetail = self.client.fetch(&ep::Exchange { id: *id }).await?;
        let exchange = protocol::verify_exchange(&self.trust, id, &detail)?;
        let generation =
            protocol::generation_for(&exchange.envelope, &self.me.org_id).ok_or_else(|| {
                ClientError::verification("this exchange is not encrypted for my organisation")
            })?;
        let key = self
            .org_keys
            .get(&generation)
            .ok_or_else(|| {
                ClientError::verification(format!("I hold no key of generation {generation}"))
            })?
            .identity
            .clone();
        let mut sealed = Vec::new();
        let envelope = &exchange.envelope;
        self.download_verified(id, 0, &envelope.manifest, envelope.hashing, &mut sealed)
            .await?;
        let manifest = Manifest::open(std::slice::from_ref(&key), &sealed)?;
        if manifest.exchange_id != *id || manifest.files.len() != exchange.envelope.files.len() {
            return Err(ClientError::verification(
                "the manifest does not belong to this exchange",
            ));
        }
        let receipts = detail
            .receipts
            .iter()
            .filter_map(|r| protocol::verify_receipt(&self.trust, &exchange, r).ok())
            .collect();
        Ok(Received {
            detail,
            exchange,
            manifest,
            receipts,
            key,
        })
    }

    /// When the keys that signed `received` replaced earlier keys of its sender (a reset)
    /// not long ago ([`protocol::keys_renewed`]): the date of the new keys' certificate.
    /// The directory's log is verified again first if it does not hold these keys yet
    /// (they were certified since it was last verified).
    pub async fn sender_keys_renewed(
        &self,
        received: &Received,
    ) -> Result<Option<u64>, ClientError> {
        let sender = &received.exchange.sender;
        let fingerprint = sender.signing_key.fingerprint();
        let known = self
            .directory_log()
            .is_some_and(|directory| directory.person(&fingerprint).is_some());
        if !known {
            self.sync_log().await?;
        }
        Ok(self
            .directory_log()
            .and_then(|directory| protocol::keys_renewed(&directory, sender, now_ms())))
    }

    /// Downloads an object, checking its size and SHA-256 against the envelope's (hashed
    /// as `hashing`, the envelope's format, says).
    async fn download_verified(
        &self,
        id: &ExchangeId,
        idx: u32,
        expected: &ObjectRef,
        hashing: Hashing,
        out: &mut Vec<u8>,
    ) -> Result<(), ClientError> {
        // Only a manifest is read whole, and the signed envelope bounds it; a relay that
        // streams more than it declares is cut off at once.
        if expected.size > pli_crypto::manifest::MAX_SEALED_LEN {
            return Err(ClientError::verification("the manifest is too large"));
        }
        let response = Client::send(self.client.request_to(&ep::Download { id: *id, idx })).await?;
        let mut hash = hashing.hasher();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if (out.len() + chunk.len()) as u64 > expected.size {
                return Err(ClientError::verification(
                    "the object does not match the envelope",
                ));
            }
            hash.update(&chunk);
            out.extend_from_slice(&chunk);
        }
        if hash.finish()? != *expected {
            return Err(ClientError::verification(
                "the object does not match the envelope",
            ));
        }
        Ok(())
    }

    /// Downloads, verifies and decrypts file `index` (0-based) into `out`, streaming: the
    /// ciphertext's SHA-256 and size are checked against the envelope and the plaintext's
    /// against the manifest. On error, what was written must be discarded.
    pub async fn download_file(
        &self,
        received: &Received,
        index: usize,
        out: &mut (dyn AsyncWrite + Unpin),
    ) -> Result<(), ClientError> {
        self.download_file_with_progress(received, index, out, &|_| {})
            .await
    }

    /// [`download_file`](Self::download_file), reporting progress.
    pub async fn download_file_with_progress(
        &self,
        received: &Received,
        index: usize,
        out: &mut (dyn AsyncWrite + Unpin),
        progress: &dyn Fn(Progress),
    ) -> Result<(), ClientError> {
        let response =
            Client::send(self.client.request_to(&self.file_object(received, index)?)).await?;
        let mut body = response
            .bytes_stream()
            .map(|chunk| chunk.map_err(std::io::Error::other))
            .into_async_read();
        self.decrypt_file(received, index, &mut body, out, progress)
            .await
    }

    /// The endpoint that serves file `index` (0-based) of `received`'s exchange, for a
    /// caller that fetches it itself and hands the body to
    /// [`decrypt_file`](Self::decrypt_file) (the browser's worker, which reads it into one
    /// reused buffer).
    pub fn file_object(
        &self,
        received: &Received,
        index: usize,
    ) -> Result<ep::Download, ClientError> {
        let idx =
            u32::try_from(index + 1).map_err(|_| ClientError::verification("no such file"))?;
        if index >= received.exchange.envelope.files.len() {
            return Err(ClientError::verification("no such file"));
        }
        Ok(ep::Download {
            id: received.exchange.envelope.exchange_id,
            idx,
        })
    }

    /// Decrypts file `index` (0-based) of `received` from `body`, the ciphertext the relay
    /// serves for it ([`file_object`](Self::file_object)), into `out`, streaming; the
    /// plaintext's SHA-256 and size are checked against the manifest at the end.
    ///
    /// In a format 2 envelope (part hashes), the relay's list of the file's part hashes
    /// is checked against the envelope first, then each part of the body against the
    /// list before any of it is decrypted: nothing reaches `out` that the sender did not
    /// sign. In a format 1 envelope (the whole ciphertext's hash), the ciphertext is
    /// checked only at the end. Either way, on error, what was written must be discarded.
    pub async fn decrypt_file(
        &self,
        received: &Received,
        index: usize,
        body: &mut (dyn AsyncRead + Unpin),
        out: &mut (dyn AsyncWrite + Unpin),
        progress: &dyn Fn(Progress),
    ) -> Result<(), ClientError> {
        /// What one read takes from the body: a few of age's 64 KiB chunks.
        const READ: usize = 256 * 1024;
        let envelope = &received.exchange.envelope;
        let expected = envelope
            .files
            .get(index)
            .ok_or_else(|| ClientError::verification("no such file"))?;
        let entry = received
            .manifest
            .files
            .get(index)
            .ok_or_else(|| ClientError::verification("no such file"))?;
        let mut gate = match envelope.hashing {
            Hashing::Whole => Gate::Whole(Hashing::Whole.hasher()),
            Hashing::Parts { part_size } => {
                Gate::Parts(self.part_gate(received, index, part_size, expected).await?)
            }
        };
        let mut opened = Opened {
            decryptor: pli_crypto::age::Decryptor::new(vec![received.key.clone()]).without_hash(),
            left: expected.size,
            buffer: zeroize::Zeroizing::new(Vec::new()),
            queue: std::collections::VecDeque::new(),
            out: Plaintext {
                hash: Sha256::new(),
                written: 0,
                out,
            },
        };
        let mut received_bytes = 0u64;
        let mut buffer = vec![0u8; READ];
        loop {
            let read = body.read(&mut buffer).await.map_err(ClientError::reading)?;
            let Some(chunk) = buffer.get(..read).filter(|c| !c.is_empty()) else {
                break;
            };
            received_bytes += chunk.len() as u64;
            if received_bytes > expected.size {
                return Err(ClientError::verification(
                    "the file's ciphertext does not match the envelope",
                ));
            }
            match &mut gate {
                Gate::Whole(hash) => {
                    hash.update(chunk);
                    opened.decrypt(chunk).await?;
                }
                Gate::Parts(parts) => {
                    let mut rest = chunk;
                    while !rest.is_empty() {
                        rest = parts.take(rest);
                        if parts.is_full() {
                            opened.decrypt(parts.verified().await?).await?;
                        }
                    }
                }
            }
            progress(Progress {
                phase: Phase::Download,
                done: received_bytes,
                total: expected.size,
                busy_ms: 0,
            });
        }
        let whole = match gate {
            Gate::Whole(hash) => hash.finish()? == *expected,
            Gate::Parts(mut parts) => {
                if parts.holds_some() {
                    opened.decrypt(parts.verified().await?).await?;
                }
                parts.next == parts.hashes.len()
            }
        };
        if !whole || received_bytes != expected.size {
            return Err(ClientError::verification(
                "the file's ciphertext does not match the envelope",
            ));
        }
        let (written, hash) = opened.finish().await?;
        if written != entry.size || hash != entry.sha256 {
            return Err(ClientError::verification(
                "the decrypted file does not match the manifest",
            ));
        }
        Ok(())
    }

    /// The relay's list of file `index`'s part hashes, checked against the envelope's
    /// reference for it, ready to check each part.
    async fn part_gate(
        &self,
        received: &Received,
        index: usize,
        part_size: u64,
        expected: &ObjectRef,
    ) -> Result<PartGate, ClientError> {
        let endpoint = self.file_object(received, index)?;
        let answer = self
            .client
            .fetch(&ep::PartHashes {
                id: endpoint.id,
                idx: endpoint.idx,
            })
            .await?;
        let hashes: Vec<[u8; 32]> = answer
            .sha256
            .0
            .chunks(32)
            .map(<[u8; 32]>::try_from)
            .collect::<Result<_, _>>()
            .map_err(|_| ClientError::verification("the relay's part hashes are malformed"))?;
        let list = PartList {
            part_size,
            size: expected.size,
            parts: hashes,
        };
        if answer.part_size != part_size || list.object_ref().ok().as_ref() != Some(expected) {
            return Err(ClientError::verification(
                "the relay's part hashes do not match the envelope",
            ));
        }
        let part_size =
            usize::try_from(part_size).map_err(|_| ClientError::verification("part size"))?;
        Ok(PartGate {
            part_size,
            hashes: list.parts,
            next: 0,
            pending: Vec::new(),
            released: false,
        })
    }
    /// Signs and sends the read receipt.
    pub async fn acknowledge(&self, received: &Received) -> Result<(), ClientError> {
        let receipt = Receipt {
            exchange_id: received.exchange.envelope.exchange_id,
            envelope_sha256: received.exchange.signed.sha256(),
            reader_user_id: self.me.user_id,
            reader_key: self.keys.signing.verifying_key().fingerprint(),
            reader_org_id: self.me.org_id,
            read_at: now_ms(),
        };
        let request = PostReceipt {
            receipt: Signed::sign(&receipt, &self.keys.signing)?.to_wire(),
        };
        self.client
            .submit(
                &ep::PostReceipt {
                    id: receipt.exchange_id,
                },
                &request,
            )
            .await
    }
}

/// How a download's ciphertext is checked against the envelope.
enum Gate {
    /// Format 1: hashed whole, compared at the end.
    Whole(ObjectHasher),
    /// Format 2: each part compared with the signed list before it is decrypted.
    Parts(PartGate),
}

/// The parts of a download, each held until its hash is the one the signed list has.
struct PartGate {
    part_size: usize,
    hashes: Vec<[u8; 32]>,
    /// The part being received.
    next: usize,
    /// Its bytes so far (the buffer is reused from part to part).
    pending: Vec<u8>,
    /// Whether `pending` holds a part already verified and handed out.
    released: bool,
}

impl PartGate {
    /// Takes from `bytes` what fits in the current part; gives back the rest.
    fn take<'a>(&mut self, bytes: &'a [u8]) -> &'a [u8] {
        if std::mem::take(&mut self.released) {
            self.pending.clear();
        }
        let room = self.part_size.saturating_sub(self.pending.len());
        let (head, rest) = bytes.split_at(room.min(bytes.len()));
        self.pending.extend_from_slice(head);
        rest
    }

    /// Whether the current part has all its bytes (every part but the last).
    fn is_full(&self) -> bool {
        !self.released && self.pending.len() >= self.part_size
    }

    /// Whether bytes are held that were not handed out (the last part, at the end).
    fn holds_some(&self) -> bool {
        !self.released && !self.pending.is_empty()
    }

    /// The current part, once its SHA-256 is the listed one.
    async fn verified(&mut self) -> Result<&[u8], ClientError> {
        let listed = self.hashes.get(self.next).copied();
        if listed != Some(rt::sha256(&self.pending).await) {
            return Err(ClientError::verification(
                "a part of the file does not match the envelope",
            ));
        }
        self.next += 1;
        self.released = true;
        Ok(&self.pending)
    }
}

/// A file being decrypted into its destination, its plaintext hashed on the way.
///
/// Runs of whole chunks are lent to the runtime's pool (in the browser, the workers that
/// also seal sends: `rt::open`), a few under way at once; the decryptor opens the rest
/// itself (the header, the chunk cut by each part's end, the file's final chunk, and
/// runs too short to be worth a worker). Whatever opened them, plaintext is written in
/// the ciphertext's order, and only once authenticated.
struct Opened<'a> {
    decryptor: pli_crypto::age::Decryptor<pli_crypto::age::Lengths>,
    /// Bytes of the file's ciphertext not given to [`decrypt`](Self::decrypt) yet.
    left: u64,
    /// The decryptor's own plaintext. Wiped once written or queued, and on drop (an
    /// error or a cancelled download leaves no plaintext behind in it).
    buffer: zeroize::Zeroizing<Vec<u8>>,
    /// Plaintext to write, in order: runs under way, and what the decryptor opened after
    /// them.
    queue: std::collections::VecDeque<Pending>,
    out: Plaintext<'a>,
}

/// Plaintext waiting its turn to be written.
enum Pending {
    /// A run of chunks being opened elsewhere.
    Run(rt::PoolRun),
    /// What the decryptor opened after a run still under way.
    Opened(zeroize::Zeroizing<Vec<u8>>),
}

/// Where an [`Opened`] file's plaintext goes: written out, counted and hashed.
struct Plaintext<'a> {
    hash: Sha256,
    written: u64,
    out: &'a mut (dyn AsyncWrite + Unpin),
}

impl Plaintext<'_> {
    /// What one write hands the destination at most: a run's plaintext goes out in pieces
    /// of the size the decryptor's own always had, so that what the browser's writer
    /// holds at once (a message to the service worker, a write to a file) does not grow
    /// with the runs.
    const PIECE: usize = 256 * 1024;

    async fn write(&mut self, plaintext: &[u8]) -> Result<(), ClientError> {
        for piece in plaintext.chunks(Self::PIECE) {
            self.hash.update(piece);
            self.out.write_all(piece).await?;
            self.written += piece.len() as u64;
        }
        Ok(())
    }
}

impl Opened<'_> {
    /// The most chunks lent at once: 1 MiB of plaintext, a quarter of a send's runs,
    /// since each run under way holds its bytes several times over (the worker's copy,
    /// the helper's, the plaintext back) in memories that do not shrink.
    const RUN: usize = (1 << 20) / pli_crypto::age::CHUNK_SIZE;
    /// Fewer whole chunks than this are opened here: a worker's round trip would cost
    /// more than it saves (the pieces of a format 1 download, 256 KiB, stay here).
    const LEAST: usize = 8;
    /// What the decryptor opens at a time, outside runs.
    const PIECE: usize = 256 * 1024;

    /// Decrypts the next ciphertext (already checked, as far as it can be) and writes
    /// what it gives, in order.
    async fn decrypt(&mut self, mut ciphertext: &[u8]) -> Result<(), ClientError> {
        use pli_crypto::age::ENCRYPTED_CHUNK_SIZE;
        while !ciphertext.is_empty() {
            let boundary = self.decryptor.to_chunk_boundary();
            let lendable = if boundary == Some(0) {
                // Never the file's final chunk, which the decryptor must see end: its
                // last byte is kept back.
                let ends_file = self.left == ciphertext.len() as u64;
                let usable = ciphertext.len() - usize::from(ends_file);
                (usable / ENCRYPTED_CHUNK_SIZE).min(Self::RUN)
            } else {
                0
            };
            let step = if lendable >= Self::LEAST {
                lendable * ENCRYPTED_CHUNK_SIZE
            } else {
                match boundary {
                    Some(to_boundary) if to_boundary > 0 => to_boundary,
                    _ => Self::PIECE,
                }
                .min(ciphertext.len())
            };
            let (piece, rest) = ciphertext.split_at(step);
            if lendable >= Self::LEAST {
                let lent = self.decryptor.lend(piece)?;
                self.queue.push_back(Pending::Run(rt::open(lent, piece)));
                self.write_ready(rt::pool_width()).await?;
            } else {
                self.decryptor.update(piece, &mut self.buffer)?;
                self.release().await?;
            }
            self.left = self.left.saturating_sub(piece.len() as u64);
            ciphertext = rest;
        }
        Ok(())
    }

    /// Writes what the decryptor opened, or queues it behind the runs under way.
    async fn release(&mut self) -> Result<(), ClientError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        if self.queue.is_empty() {
            self.out.write(&self.buffer).await?;
            zeroize::Zeroize::zeroize(&mut *self.buffer);
            self.buffer.clear();
        } else {
            // Copied out, so that the buffer keeps its room (growing it again would free
            // plaintext unwiped) and is wiped here.
            let opened = zeroize::Zeroizing::new(self.buffer.to_vec());
            self.queue.push_back(Pending::Opened(opened));
            zeroize::Zeroize::zeroize(&mut *self.buffer);
            self.buffer.clear();
        }
        Ok(())
    }

    /// Writes the queue's plaintext, in order, until at most `under_way` entries are left.
    async fn write_ready(&mut self, under_way: usize) -> Result<(), ClientError> {
        while self.queue.len() > under_way {
            let plaintext = match self.queue.pop_front() {
                Some(Pending::Run(run)) => run.await?,
                Some(Pending::Opened(plaintext)) => plaintext,
                None => break,
            };
            self.out.write(&plaintext).await?;
        }
        Ok(())
    }

    /// The plaintext's length and SHA-256, once the file's end is authenticated.
    async fn finish(mut self) -> Result<(u64, [u8; 32]), ClientError> {
        self.write_ready(0).await?;
        let Self {
            decryptor,
            mut buffer,
            mut out,
            ..
        } = self;
        decryptor.finish(&mut buffer)?;
        out.write(&buffer).await?;
        out.out.flush().await?;
        Ok((out.written, out.hash.finalize().into()))
    }
}
