//! The integration tests, as modules of one test binary: cargo links each top-level file under
//! `tests/` as a binary of its own against the whole crate, so every change relinked ~30 of
//! them; now it links this one (and `tests/interop_python.rs`, which says why it stays apart).
//! `cargo test --test it NAME` runs the tests whose path contains NAME (`cargo test --test it
//! faults::` one module's). Shared helpers are in `common/`, insta snapshots in `snapshots/`
//! (named `it__MODULE__NAME.snap`).
//!
//! The modules run as threads of one process: a test sets no environment variable, current
//! directory or other process-wide state; it hands its environment to the child processes it
//! starts (`Command::env`), and listens on 127.0.0.1:0. A test that needs a process of its own
//! runs this binary again as a child with `--exact` ([`common::exact_name`]), as
//! `signals::a_second_signal_exits_at_once` and `store::kill_9_mid_run_loses_no_committed_batch`
//! do. `test_binaries` keeps it so: a new file under `tests/` fails it until it is a module here.

mod common;

mod alerts_cli;
mod assets;
mod big_replies;
mod cli_help;
mod cli_words;
mod config_cli;
mod config_fixtures;
mod demo_clock;
mod doctor;
mod faults;
mod fetch_cli;
mod fetch_encrypted;
mod fetch_kline;
mod fetch_plates;
mod fuzz_render;
mod fuzz_sim;
mod fuzz_wire;
mod layers;
mod options_before;
mod plate_lists;
mod prices_poll;
mod record_cli;
mod record_clock;
mod record_counts;
mod record_errors;
mod record_fake;
mod record_sim;
mod record_store;
mod rooms;
mod search_cli;
mod serve;
mod serve_cli;
mod signals;
mod sim_cli;
mod sim_encrypted;
mod sim_limits;
mod sim_pinned;
mod sim_server;
mod store;
mod table_cli;
mod test_binaries;
mod tui_edit;
mod tui_pty;
mod tui_pty_columns;
mod tui_pty_map;
mod tui_pty_sectors;
mod watchlist_cli;
