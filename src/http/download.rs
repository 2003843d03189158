//! Downloads written as they are read: a blocking job on a pooled reader
//! writes into a [`ChunkSink`], whose chunks travel through a small bounded
//! channel into the response body. The server holds a few chunks of a
//! download at a time, whatever its size; a client that stops reading stops
//! the job (its next send fails).

use std::io::{self, Write};

use axum::body::{Body, Bytes};
use rusqlite::Connection;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::store::Store;

/// Bytes a chunk gathers before it is sent.
const CHUNK: usize = 64 << 10;

/// Chunks in flight between the job and the client.
const IN_FLIGHT: usize = 4;

/// A `Write` that sends what it is given to the response body in chunks.
pub struct ChunkSink {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChunkSink {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client left"))
    }
}

impl Write for ChunkSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// The body of a download that `job` writes on a reader connection. A job
/// that fails midway ends the body with an error, so the client sees a cut
/// transfer, never a short file that looks whole; check what can be checked
/// (the query) before calling this, so those errors are answered properly.
pub fn body<F>(store: &Store, job: F) -> Body
where
    F: FnOnce(&Connection, &mut ChunkSink) -> Result<()> + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel::<io::Result<Bytes>>(IN_FLIGHT);
    let store = store.clone();
    let failed = tx.clone();
    tokio::spawn(async move {
        let outcome = store
            .read(move |conn| {
                let mut sink = ChunkSink { tx, buf: Vec::with_capacity(CHUNK) };
                job(conn, &mut sink)?;
                sink.send().map_err(|e| Error::Internal(e.into()))
            })
            .await;
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "a download stopped before its end");
            let _ = failed.send(Err(io::Error::other(e.to_string()))).await;
        }
    });
    Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}
