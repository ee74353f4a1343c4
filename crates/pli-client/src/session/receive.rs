//! Receiving: the inbox and outbox, opening an exchange (its envelope and sender
//! verified), downloading its files while verifying every hash, the signed read receipt.

use super::*;
use futures_util::TryStreamExt as _;
use futures_util::io::AsyncReadExt as _;
use pli_api::messages::ExchangeQuery;
use pli_crypto::envelope::Hashing;

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
    /// serves for it ([`file_object`](Self::file_object)), into `out`, streaming: the
    /// ciphertext's SHA-256 and size are checked against the envelope and the plaintext's
    /// against the manifest. On error, what was written must be discarded.
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
        let expected = received
            .exchange
            .envelope
            .files
            .get(index)
            .ok_or_else(|| ClientError::verification("no such file"))?;
        let entry = received
            .manifest
            .files
            .get(index)
            .ok_or_else(|| ClientError::verification("no such file"))?;
        let mut decryptor =
            pli_crypto::age::Decryptor::new(vec![received.key.clone()]).without_hash();
        let mut ciphertext_hash = received.exchange.envelope.hashing.hasher();
        let mut plaintext = Vec::new();
        let mut plaintext_hash = Sha256::new();
        let mut written = 0u64;
        let mut received_bytes = 0u64;
        let mut buffer = vec![0u8; READ];
        loop {
            let read = body.read(&mut buffer).await.map_err(ClientError::reading)?;
            let Some(chunk) = buffer.get(..read).filter(|c| !c.is_empty()) else {
                break;
            };
            received_bytes += chunk.len() as u64;
            ciphertext_hash.update(chunk);
            decryptor.update(chunk, &mut plaintext)?;
            plaintext_hash.update(&plaintext);
            out.write_all(&plaintext).await?;
            written += plaintext.len() as u64;
            zeroize::Zeroize::zeroize(&mut plaintext);
            plaintext.clear();
            progress(Progress {
                phase: Phase::Download,
                done: received_bytes,
                total: expected.size,
                busy_ms: 0,
            });
        }
        decryptor.finish(&mut plaintext)?;
        plaintext_hash.update(&plaintext);
        out.write_all(&plaintext).await?;
        out.flush().await?;
        written += plaintext.len() as u64;
        zeroize::Zeroize::zeroize(&mut plaintext);
        if ciphertext_hash.finish()? != *expected {
            return Err(ClientError::verification(
                "the file's ciphertext does not match the envelope",
            ));
        }
        if written != entry.size || <[u8; 32]>::from(plaintext_hash.finalize()) != entry.sha256 {
            return Err(ClientError::verification(
                "the decrypted file does not match the manifest",
            ));
        }
        Ok(())
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
