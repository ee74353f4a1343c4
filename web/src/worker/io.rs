//! Reading what the person picked: a `Blob` read by slices into `pli-client`'s
//! `AsyncRead`, without loading the file whole.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::io::AsyncRead;
use js_sys::Uint8Array;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// Reads a `Blob` (a `File` the person dropped) by slices, without loading it whole.
pub(super) struct BlobReader {
    blob: web_sys::Blob,
    offset: f64,
    pending: Option<JsFuture>,
    buffered: Vec<u8>,
    position: usize,
}

const SLICE: f64 = 4.0 * 1024.0 * 1024.0;

impl BlobReader {
    pub(super) fn new(blob: web_sys::Blob) -> Self {
        Self {
            blob,
            offset: 0.0,
            pending: None,
            buffered: Vec::new(),
            position: 0,
        }
    }
}

impl AsyncRead for BlobReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        loop {
            if self.position < self.buffered.len() {
                let available = self.buffered.get(self.position..).unwrap_or_default();
                let n = available.len().min(buf.len());
                buf.iter_mut().zip(available).for_each(|(d, s)| *d = *s);
                self.position += n;
                return Poll::Ready(Ok(n));
            }
            if self.pending.is_none() {
                if self.offset >= self.blob.size() {
                    return Poll::Ready(Ok(0));
                }
                let end = (self.offset + SLICE).min(self.blob.size());
                let slice = self
                    .blob
                    .slice_with_f64_and_f64(self.offset, end)
                    .map_err(js_error)?;
                self.offset = end;
                self.pending = Some(JsFuture::from(slice.array_buffer()));
            }
            let Some(pending) = self.pending.as_mut() else {
                continue;
            };
            match Pin::new(pending).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => {
                    self.pending = None;
                    let buffer = result.map_err(js_error)?;
                    self.buffered = Uint8Array::new(&buffer).to_vec();
                    self.position = 0;
                }
            }
        }
    }
}

fn js_error(value: JsValue) -> std::io::Error {
    std::io::Error::other(format!("{value:?}"))
}
