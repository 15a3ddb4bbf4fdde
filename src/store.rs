//! What capflow keeps on disk between runs. Today: the cache of stock names
//! ([`names::NameCache`]), so the next start shows names before OpenD answers.
//!
//! The store sits beside the poller and depends only on [`crate::flow`]: it never talks to
//! OpenD, never reads the config (callers hand it paths) and never renders. Its file IO is
//! blocking; async callers go through `tokio::task::spawn_blocking`.

pub mod names;

pub use names::NameCache;
