//! Standard output through a dedicated thread, so the async task that records never blocks on a
//! slow terminal or a full pipe (`capflow record | slow-consumer`).
//!
//! [`ThreadedOut`] is a [`Write`]: each write hands its bytes to the thread and returns at once;
//! `flush` asks the thread to flush. The first error the thread meets (a closed pipe, a full
//! disk) is kept and returned by the next write or flush, and by [`ThreadedOut::finish`], which
//! waits (off the async threads) for everything to be written.

use std::io::{self, Write};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// A message to the output thread.
enum Chunk {
    Bytes(Vec<u8>),
    Flush,
}

/// A writer whose IO happens on its own thread.
pub struct ThreadedOut {
    tx: Option<Sender<Chunk>>,
    error: Arc<Mutex<Option<io::Error>>>,
    thread: Option<JoinHandle<()>>,
}

impl ThreadedOut {
    /// Starts the thread that owns `out`.
    pub fn spawn<W: Write + Send + 'static>(mut out: W) -> io::Result<Self> {
        let (tx, rx) = channel::<Chunk>();
        let error = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&error);
        let thread = std::thread::Builder::new()
            .name("capflow-output".into())
            .spawn(move || {
                for chunk in rx {
                    let r = match chunk {
                        Chunk::Bytes(b) => out.write_all(&b),
                        Chunk::Flush => out.flush(),
                    };
                    if let Err(e) = r {
                        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                        return;
                    }
                }
                if let Err(e) = out.flush() {
                    *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                }
            })?;
        Ok(ThreadedOut {
            tx: Some(tx),
            error,
            thread: Some(thread),
        })
    }

    /// The thread's first error, if any (taken: reported once).
    fn take_error(&self) -> io::Result<()> {
        match self
            .error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn send(&self, chunk: Chunk) -> io::Result<()> {
        self.take_error()?;
        let sent = self.tx.as_ref().map(|tx| tx.send(chunk));
        match sent {
            Some(Ok(())) => Ok(()),
            // The thread ended: it stored why, unless it was already reported.
            _ => Err(self
                .take_error()
                .err()
                .unwrap_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "output closed"))),
        }
    }

    /// Writes what is queued, ends the thread (waiting on a blocking-pool thread, not on the
    /// async one) and returns the first error it met.
    pub async fn finish(mut self) -> io::Result<()> {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let joined = tokio::task::spawn_blocking(move || thread.join()).await;
            if !matches!(joined, Ok(Ok(()))) {
                return Err(io::Error::other("the output thread failed"));
            }
        }
        self.take_error()
    }
}

impl Write for ThreadedOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.send(Chunk::Bytes(buf.to_vec()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send(Chunk::Flush)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that records into a shared buffer, or fails after `ok` writes.
    #[derive(Clone)]
    struct Probe {
        buf: Arc<Mutex<Vec<u8>>>,
        ok: usize,
    }

    impl Write for Probe {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if self.ok == 0 {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "pipe closed"));
            }
            self.ok -= 1;
            self.buf.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn lines_arrive_in_order() {
        let probe = Probe {
            buf: Arc::default(),
            ok: usize::MAX,
        };
        let mut out = ThreadedOut::spawn(probe.clone()).unwrap();
        for i in 0..100 {
            writeln!(out, "line {i}").unwrap();
            out.flush().unwrap();
        }
        out.finish().await.unwrap();
        let text = String::from_utf8(probe.buf.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 100);
        assert_eq!((lines[0], lines[99]), ("line 0", "line 99"));
    }

    #[tokio::test]
    async fn a_write_error_is_reported() {
        let probe = Probe {
            buf: Arc::default(),
            ok: 1,
        };
        let mut out = ThreadedOut::spawn(probe).unwrap();
        out.write_all(b"first\n").unwrap();
        out.write_all(b"second\n").unwrap(); // queued; the thread fails on it
        let err = loop {
            // The error surfaces on a later write once the thread has met it.
            match out.flush() {
                Err(e) => break e,
                Ok(()) => tokio::task::yield_now().await,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
