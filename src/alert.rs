//! Alerts: the `[[alert]]` rules of the config, evaluated over the poller's data.
//!
//! The same [`Evaluator`] serves the dashboard (through `app`) and `capflow record`: it is fed
//! the poller's data as flow types ([`CapitalFlow`](crate::flow::CapitalFlow),
//! [`Distribution`](crate::flow::Distribution), [`Quote`](crate::flow::Quote)) together with the
//! market-clock time of each update, and returns the [`Alert`]s that fire (plain data of `flow`,
//! so the store keeps them without knowing the rules). It does no IO and never reads a clock
//! itself, so it is deterministic and tested with explicit times.
//!
//! - [`eval`]: the rule state machine (arming, cooldown, `flip`'s hysteresis) and each kind's value.
//! - [`command`]: the optional command hook: an argv list (never a shell), placeholders
//!   substituted per argument, killed after [`command::TIMEOUT`], run on its own task.
//!
//! This module imports only `flow`, `clock` and `config` (tests/it/layers.rs).

pub mod command;
pub mod eval;

pub use crate::config::alert::{AlertRule, AlertScope, Threshold};
pub use crate::flow::{Alert, AlertKind};
pub use eval::Evaluator;
