//! Reading what the person picked (a `Blob`'s stream) and what the relay serves (a
//! fetched body), each into one reused buffer, as `pli-client`'s `AsyncRead`, without
//! loading either whole.

use std::cell::RefCell;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::io::AsyncRead;
use js_sys::{ArrayBuffer, Reflect, Uint8Array};
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Reads a stream of bytes (a fetched file's ciphertext, a `File` the person picked: up to
/// gigabytes) through a BYOB reader: the browser writes each piece into the one buffer
/// this reader lends it and gets back, so that reading makes no garbage here. A default
/// reader's pieces (as reqwest's, or `Blob.arrayBuffer()` slices) are each a fresh
/// `ArrayBuffer`, outside V8's heap and collected late: saving 1 GiB grew the renderer by
/// +89 MiB with them, most of it this worker's (`cargo xtask bench web`; the figures are
/// in the README). A stream that is not a byte stream is read with a default reader.
///
/// A reader that ends with its buffer in hand (read to its end, or dropped between two
/// reads) wipes it and leaves it to the next file read (of a send's several, or the next
/// saved), which reads into it rather than into 1 MiB of new garbage; a picked file's
/// plaintext then does not wait in it for a collection. A buffer lent to a read still
/// under way when the reader is dropped (a send cancelled mid-read, a stream failed) is
/// the stream's, and goes unwiped with it, as every buffer did before.
pub(super) struct BodyReader {
    reader: Reader,
    /// The buffer the next BYOB read fills, when none is under way.
    spare: Option<ArrayBuffer>,
    pending: Option<JsFuture>,
    /// The piece read last, and how much of it was handed out.
    piece: Option<(Uint8Array, u32)>,
    done: bool,
}

enum Reader {
    /// A file not read yet: its stream is opened at the first read (a send opens its files
    /// one after the other, not all at once).
    Unopened(web_sys::Blob),
    Byob(web_sys::ReadableStreamByobReader),
    Default(web_sys::ReadableStreamDefaultReader),
}

thread_local! {
    /// The buffers of readers that ended, lent again by the next ones.
    static SPARES: RefCell<Vec<ArrayBuffer>> = const { RefCell::new(Vec::new()) };
}

impl BodyReader {
    /// The largest piece asked for at once, whatever the caller reads: its buffer is
    /// handed out over as many reads as it takes.
    const PIECE: u32 = 1024 * 1024;

    /// The most buffers kept between readers: about as many as are read at once (a
    /// send's file, a few files being saved).
    const KEPT: usize = 4;

    /// Reads the file `blob`.
    pub(super) fn of_blob(blob: &web_sys::Blob) -> Self {
        Self::with(Reader::Unopened(blob.clone()))
    }

    /// Reads `body`.
    pub(super) fn new(body: &web_sys::ReadableStream) -> std::io::Result<Self> {
        Ok(Self::with(Self::reader_of(body)?))
    }

    fn with(reader: Reader) -> Self {
        Self {
            reader,
            spare: None,
            pending: None,
            piece: None,
            done: false,
        }
    }

    /// A BYOB reader of `stream`, or a default one if it is not a byte stream.
    fn reader_of(stream: &web_sys::ReadableStream) -> std::io::Result<Reader> {
        Ok(match web_sys::ReadableStreamByobReader::new(stream) {
            Ok(reader) => Reader::Byob(reader),
            Err(_) => Reader::Default(
                stream
                    .get_reader()
                    .dyn_into::<web_sys::ReadableStreamDefaultReader>()
                    .map_err(|reader| js_error(reader.into()))?,
            ),
        })
    }

    /// Starts reading the next piece.
    fn read_next(&mut self) -> std::io::Result<JsFuture> {
        if let Reader::Unopened(blob) = &self.reader {
            self.reader = Self::reader_of(&blob.stream())?;
        }
        let promise = match &self.reader {
            Reader::Byob(reader) => {
                let buffer = self
                    .spare
                    .take()
                    .or_else(|| SPARES.with(|spares| spares.borrow_mut().pop()))
                    .unwrap_or_else(|| ArrayBuffer::new(Self::PIECE));
                reader.read_with_array_buffer_view(&Uint8Array::new(&buffer))
            }
            Reader::Default(reader) => reader.read(),
            Reader::Unopened(_) => return Err(std::io::Error::other("a file not opened")),
        };
        Ok(JsFuture::from(promise))
    }
}

impl AsyncRead for BodyReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        loop {
            if let Some((piece, taken)) = self.piece.take() {
                let left = piece.length() - taken;
                let n = left.min(u32::try_from(buf.len()).unwrap_or(u32::MAX));
                if let Some(into) = buf.get_mut(..n as usize) {
                    piece.subarray(taken, taken + n).copy_to(into);
                }
                if n < left {
                    self.piece = Some((piece, taken + n));
                } else if matches!(self.reader, Reader::Byob(_)) {
                    // Handed out whole: its buffer is lent again for the next piece.
                    self.spare = Some(piece.buffer());
                }
                if n > 0 || buf.is_empty() {
                    return Poll::Ready(Ok(n as usize));
                }
            }
            if self.done {
                return Poll::Ready(Ok(0));
            }
            if self.pending.is_none() {
                let next = self.read_next()?;
                self.pending = Some(next);
            }
            let Some(pending) = self.pending.as_mut() else {
                continue;
            };
            let result = match Pin::new(pending).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => result,
            };
            self.pending = None;
            let result = result.map_err(js_error)?;
            let value = Reflect::get(&result, &"value".into()).map_err(js_error)?;
            let piece = value.dyn_into::<Uint8Array>().ok();
            if Reflect::get(&result, &"done".into())
                .map_err(js_error)?
                .is_truthy()
            {
                self.done = true;
                // A BYOB reader gives its buffer back, empty, with the end (bytes with
                // it, which the standard never sends, would still be handed out).
                match piece {
                    Some(piece) if piece.length() > 0 => self.piece = Some((piece, 0)),
                    Some(empty) if matches!(self.reader, Reader::Byob(_)) => {
                        self.spare = Some(empty.buffer());
                    }
                    _ => {}
                }
                continue;
            }
            let piece = piece.ok_or_else(|| std::io::Error::other("the body gave no bytes"))?;
            self.piece = Some((piece, 0));
        }
    }
}

impl Drop for BodyReader {
    /// Leaves the buffer in hand, wiped, to the next reader; a download given up
    /// (cancelled, or its bytes refused) stops fetching.
    fn drop(&mut self) {
        // A buffer handed out whole goes to the next reader (one lent to a read under
        // way is the stream's, and lost with it).
        let spare = self.spare.take().or_else(|| {
            self.piece
                .take()
                .filter(|_| matches!(self.reader, Reader::Byob(_)))
                .map(|(piece, _)| piece.buffer())
        });
        if let Some(spare) = spare.filter(|b| b.byte_length() == Self::PIECE) {
            // What it held (a file's plaintext, when sending) does not outlive the reader.
            Uint8Array::new(&spare).fill(0, 0, Self::PIECE);
            SPARES.with(|spares| {
                let mut spares = spares.borrow_mut();
                if spares.len() < Self::KEPT {
                    spares.push(spare);
                }
            });
        }
        if !self.done {
            let cancelled = match &self.reader {
                Reader::Byob(reader) => reader.cancel(),
                Reader::Default(reader) => reader.cancel(),
                Reader::Unopened(_) => return,
            };
            // Awaited, so that a stream that had failed already rejects into nothing.
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(cancelled).await;
            });
        }
    }
}

fn js_error(value: JsValue) -> std::io::Error {
    std::io::Error::other(format!("{value:?}"))
}
