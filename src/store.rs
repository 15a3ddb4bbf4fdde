//! What capflow keeps on disk between runs: the cache of stock names ([`names::NameCache`]), so
//! the next start shows names before OpenD answers; and the SQLite store of recorded capital
//! flow ([`db::Store`]), so days OpenD no longer serves can be reviewed and exported.
//!
//! The store sits beside the poller and depends only on [`crate::flow`]: it never talks to
//! OpenD, never reads the config (callers hand it paths), never renders, and never decides an
//! exit code (the commands map [`StoreError`] to theirs). Its file IO is blocking: async callers
//! write through a [`writer::Writer`] (its own thread, fed by a channel) and run reads through
//! `tokio::task::spawn_blocking`.
//!
//! Submodules: `names` (the name cache), `index` (the cached local search index), `error` ([`StoreError`]), `batch` (what one write
//! holds: the batch of a fetch or of alerts, [`Batch::of`] and [`Batch::of_alerts`]), `db`
//! (open, schema, migrations, writes), `query` (reads, info), `prune` (old days, by each
//! market's trade date), `alerts` (the alert log's table), `days` (the day history's table),
//! `writer` (the writer thread). No two of them import each other: `batch` and `error` import no sibling, `alerts`
//! and `days` only `batch`.

pub mod alerts;
pub mod batch;
pub mod closes;
pub mod days;
pub mod db;
mod error;
pub mod index;
pub mod industries;
pub mod names;
pub mod prune;
pub mod query;
pub mod writer;

pub use batch::{Batch, DistributionSample, Record, SnapshotSample, StoredAlert, Written};
pub use db::{SCHEMA_VERSION, Store};
pub use error::StoreError;
pub use names::NameCache;
pub use prune::Pruned;
pub use query::{CodeInfo, StoreInfo};
pub use writer::{Writer, WriterStatus};

#[cfg(test)]
mod tests;
