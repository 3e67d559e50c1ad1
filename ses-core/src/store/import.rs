//! Importing a blob of known size: its bytes are read once, and written to the data file on
//! one thread while the other hashes them into the outboard, so hashing hides behind the
//! write instead of adding to it.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::sync::{Arc, mpsc};

use bao_tree::BaoTree;

use super::{BLOCK_SIZE, IO_BUF, Result, StoreError};

/// Chunks in flight between the reader and the writer: bounds an import's memory to
/// (QUEUE + 2) × IO_BUF whatever the blob's size.
const QUEUE: usize = 4;

/// Reads exactly `size` bytes from `input`, writing them to `data` and the BLAKE3 outboard
/// to `outboard`; returns the root hash. Does not sync either file.
pub(super) fn write_and_hash(
    input: &mut dyn Read,
    size: u64,
    data: &File,
    outboard: &File,
) -> Result<blake3::Hash> {
    std::thread::scope(|s| {
        let (full_tx, full_rx) = mpsc::sync_channel::<Arc<Vec<u8>>>(QUEUE);
        let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
        let writer = s.spawn(move || -> io::Result<()> {
            let mut out = data;
            for chunk in full_rx {
                out.write_all(&chunk)?;
                // Hand the buffer back once the hasher is done with it too.
                if let Ok(buf) = Arc::try_unwrap(chunk) {
                    let _ = free_tx.send(buf);
                }
            }
            Ok(())
        });
        let mut feed = Feed {
            input: input.take(size),
            current: Arc::new(Vec::new()),
            pos: 0,
            full_tx: Some(full_tx),
            free_rx,
            read_error: None,
        };
        let mut ob = BufWriter::with_capacity(64 * 1024, outboard);
        let hashed = bao_tree::io::sync::outboard_post_order(
            &mut feed,
            BaoTree::new(size, BLOCK_SIZE),
            &mut ob,
        );
        let ob_done = ob.flush();
        let read_error = feed.read_error.take();
        // Closing the queue lets the writer finish.
        drop(feed);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer panicked")));
        if let Some(e) = read_error {
            return Err(StoreError::Input(e));
        }
        written.map_err(|e| StoreError::Io {
            action: "write",
            path: "the store's data file".into(),
            error: e,
        })?;
        let root = hashed.map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => {
                StoreError::InputChanged(format!("it ended before {size} bytes"))
            }
            _ => StoreError::Input(e),
        })?;
        ob_done.map_err(|e| StoreError::Io {
            action: "write",
            path: "the store's outboard file".into(),
            error: e,
        })?;
        Ok(root)
    })
}

/// The hasher's `Read`: serves bytes from the current chunk and, when it runs out, reads
/// the next chunk from the input and queues it for the writer.
struct Feed<R> {
    input: R,
    current: Arc<Vec<u8>>,
    pos: usize,
    full_tx: Option<mpsc::SyncSender<Arc<Vec<u8>>>>,
    free_rx: mpsc::Receiver<Vec<u8>>,
    /// A read error of the input, kept apart from the writer's errors.
    read_error: Option<io::Error>,
}

impl<R: Read> Read for Feed<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.current.len() {
            let mut buf = self.free_rx.try_recv().unwrap_or_default();
            buf.resize(IO_BUF, 0);
            let mut filled = 0;
            while filled < buf.len() {
                match self.input.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let kind = e.kind();
                        self.read_error = Some(e);
                        return Err(kind.into());
                    }
                }
            }
            if filled == 0 {
                return Ok(0);
            }
            buf.truncate(filled);
            self.current = Arc::new(buf);
            self.pos = 0;
            let queued = self
                .full_tx
                .as_ref()
                .map(|tx| tx.send(self.current.clone()).is_ok());
            if queued != Some(true) {
                // The writer stopped: its own error is reported.
                return Err(io::ErrorKind::BrokenPipe.into());
            }
        }
        let n = out.len().min(self.current.len() - self.pos);
        out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
