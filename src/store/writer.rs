//! [`Writer`]: the store on its own thread, so that writing never blocks an async caller (the
//! dashboard's event loop, the poller, `capflow record`).
//!
//! Callers hand it one [`Batch`] per fetch with [`Writer::send`], which never waits: the batch
//! goes into a bounded queue ([`QUEUE`] batches), and a full queue (the disk stalled for
//! minutes) drops the batch and counts it rather than growing without bound. The thread commits
//! each batch in one transaction; a transient failure (locked by another process, disk full, an
//! IO error) is retried after [`RETRY_DELAYS`], and a batch that still fails is dropped and
//! counted. Nothing panics: callers poll [`Writer::status`] for the counts and the last error,
//! and show it (the dashboard's status bar, `record`'s log).

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{Batch, Store, StoreError};

/// Batches the queue holds before [`Writer::send`] drops new ones.
pub const QUEUE: usize = 1024;

/// Pauses before each retry of a batch that failed with a transient error.
pub const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
];

/// What the writer has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterStatus {
    /// Batches committed.
    pub batches: u64,
    /// Rows inserted or replaced.
    pub rows: u64,
    /// Batches given up after their retries (or not retryable).
    pub failed: u64,
    /// Batches dropped because the queue was full.
    pub dropped: u64,
    /// Write attempts that failed and were retried.
    pub retries: u64,
    /// The last error, as its one-line message; cleared by the next committed batch.
    pub last_error: Option<String>,
}

enum Msg {
    Write(Batch),
    Flush(mpsc::Sender<()>),
}

/// A store owned by a writer thread. Dropping it finishes the queued batches and joins the
/// thread.
#[derive(Debug)]
pub struct Writer {
    tx: Option<SyncSender<Msg>>,
    thread: Option<JoinHandle<()>>,
    status: Arc<Mutex<WriterStatus>>,
}

impl Writer {
    /// Moves `store` to a new thread that writes what [`Writer::send`] queues.
    pub fn spawn(store: Store) -> Result<Writer, StoreError> {
        Self::spawn_with(store, &RETRY_DELAYS)
    }

    /// [`Writer::spawn`] with other retry pauses (tests).
    pub fn spawn_with(store: Store, retry: &[Duration]) -> Result<Writer, StoreError> {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let status = Arc::new(Mutex::new(WriterStatus::default()));
        let shared = Arc::clone(&status);
        let retry = retry.to_vec();
        let thread = std::thread::Builder::new()
            .name("capflow-store".into())
            .spawn(move || run(store, &rx, &shared, &retry))
            .map_err(|e| StoreError::Writer(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
            status,
        })
    }

    /// Queues one fetch's results; never waits. A full queue or a stopped writer is an error
    /// (the batch is lost, and counted in [`WriterStatus::dropped`]).
    pub fn send(&self, batch: Batch) -> Result<(), StoreError> {
        let Some(tx) = &self.tx else {
            return Err(StoreError::Writer("the writer is closed".into()));
        };
        match tx.try_send(Msg::Write(batch)) {
            Ok(()) => Ok(()),
            Err(e) => {
                let why = match e {
                    TrySendError::Full(_) => {
                        format!("queue full ({QUEUE} batches): a batch was dropped")
                    }
                    TrySendError::Disconnected(_) => "the writer thread has stopped".to_owned(),
                };
                let mut s = lock(&self.status);
                s.dropped += 1;
                s.last_error = Some(format!("store writer: {why}"));
                Err(StoreError::Writer(why))
            }
        }
    }

    /// Waits until every batch queued before this call is committed or given up (blocking:
    /// async callers use `spawn_blocking`). Returns the status then.
    pub fn flush(&self) -> WriterStatus {
        if let Some(tx) = &self.tx {
            let (done, wait) = mpsc::channel();
            if tx.send(Msg::Flush(done)).is_ok() {
                let _ = wait.recv();
            }
        }
        self.status()
    }

    /// What the writer has done so far.
    pub fn status(&self) -> WriterStatus {
        lock(&self.status).clone()
    }

    /// Writes what is queued, stops the thread and returns the final status (blocking).
    pub fn close(mut self) -> WriterStatus {
        self.stop();
        self.status()
    }

    fn stop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            lock(&self.status).last_error = Some("store writer: the thread panicked".into());
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock(m: &Mutex<WriterStatus>) -> std::sync::MutexGuard<'_, WriterStatus> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn run(mut store: Store, rx: &Receiver<Msg>, status: &Mutex<WriterStatus>, retry: &[Duration]) {
    while let Ok(msg) = rx.recv() {
        match msg {
            Msg::Flush(done) => {
                let _ = done.send(());
            }
            Msg::Write(batch) => write_with_retry(&mut store, &batch, status, retry),
        }
    }
}

fn write_with_retry(
    store: &mut Store,
    batch: &Batch,
    status: &Mutex<WriterStatus>,
    retry: &[Duration],
) {
    let mut delays = retry.iter();
    loop {
        match store.write(batch) {
            Ok(w) => {
                let mut s = lock(status);
                s.batches += 1;
                s.rows += w.rows as u64;
                s.last_error = None;
                return;
            }
            Err(e) => {
                let message = e.to_string();
                let next = if e.is_transient() {
                    delays.next()
                } else {
                    None
                };
                let mut s = lock(status);
                s.last_error = Some(message.clone());
                if let Some(&pause) = next {
                    s.retries += 1;
                    drop(s);
                    tracing::warn!("store write failed, retrying in {pause:?}: {message}");
                    std::thread::sleep(pause);
                } else {
                    s.failed += 1;
                    drop(s);
                    tracing::error!("store write failed, batch dropped: {message}");
                    return;
                }
            }
        }
    }
}
