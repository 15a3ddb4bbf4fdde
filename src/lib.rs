//! capflow: a terminal dashboard of capital flow through Futu/moomoo OpenD.
//!
//! # Layers
//!
//! Imports run one way, from the top of this picture down; nothing imports a module above it
//! or beside it (`tests/it/layers.rs` reads the sources and fails, naming file and line, when one
//! does):
//!
//! ```text
//!  commands   commands::{fetch, record, sim, serve, config, dashboard, export, store, doctor}: what a
//!             user can run (not each other; only the dashboard reaches app, ui and tui); beside
//!             them commands::target: OpenD address and key or the demo simulator, the store
//!             policy; below it commands::failure: the exit codes, mapped from each layer's
//!             typed error (no layer below names one)
//!  cli            cli: clap definitions
//!  tui            tui: terminal, event loop, input, side tasks      crossterm lives here only
//!  ui             ui: pure render functions, a file per panel       ratatui: ui and tui only
//!  app serve      app: state changed only by actions, the keymap (key → action)
//!                 serve: the OpenD-protocol gateway (`capflow serve`): the poller upstream, a
//!                 cache of OpenD's reply bodies, the budgets shared by every client (not sim)
//!  poller store   poller: the request budget, group resolution; each event's Fetched view
//!                 store: names, SQLite, the batch of a fetch or of alerts (flow only)
//!  alert          alert: rules evaluated over the poller's data (flow, clock, config only)
//!  opend sim      opend: client + Gateway trait   sim: simulated OpenD (wire, flow, clock, server)
//!  config logging config: data and validation (flow and key only)   logging: the log file
//!  server         server: the server side of the protocol (accept, connection limits, the
//!                 InitConnect handshake with RSA + AES, framing) behind a Handler trait
//!  wire flow      wire: IO-free codec   clock: time sources   flow: the domain (codes, series,
//!                 sessions; what one fetch brought, the alerts that fired, as plain data)
//!  clock key      key: the keys the config's [keys] and the app's keymap share (one type)
//!  shutdown       shutdown: the signals that end a long-running command, in order
//! ```
//!
//! Within a folder no two files import each other: what both need sits in a third they share.
//! No file holds more than 600 lines before its `#[cfg(test)]`, no function more than 100
//! (`tests/it/rooms.rs`).
//!
//! The simulator encodes its replies with its own code ([`sim::encode`]), so the client's
//! decoding ([`opend::convert`]) is checked against an independent encoder. Test doubles (the
//! fake gateway, the app fixture) exist only under `cfg(test)` or the `test-util` feature.

pub mod alert;
pub mod app;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod flow;
pub mod key;
pub mod logging;
pub mod opend;
pub mod poller;
pub mod serve;
pub mod server;
pub mod shutdown;
pub mod sim;
pub mod store;
pub mod tui;
pub mod ui;
pub mod wire;

pub use commands::run;
