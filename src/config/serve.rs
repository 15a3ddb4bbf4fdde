//! `[serve]`: `capflow serve`'s adoption of stocks the clients ask for often. Both keys are
//! whole numbers in a range; a value outside it is an error with its position, never clamped.
//! No IO.

use super::file::ServeFile;
use super::report::Report;
use super::{Config, MAX_ADOPT_AFTER, MAX_ADOPT_MAX};

/// Checks `[serve]` into `c.serve`, reporting every bad value.
pub(super) fn section(serve: ServeFile, c: &mut Config, r: &mut Report<'_>) {
    if let Some(after) = serve.adopt_after {
        match usize::try_from(*after.get_ref()) {
            Ok(n) if (1..=MAX_ADOPT_AFTER).contains(&n) => c.serve.adopt_after = n,
            _ => r.at(
                Some(after.span()),
                format!(
                    "adopt_after = {} is out of range: expected 1 to {MAX_ADOPT_AFTER} requests (within 10 minutes) before capflow serve polls a stock nobody watches",
                    after.get_ref()
                ),
            ),
        }
    }
    if let Some(max) = serve.adopt_max {
        match usize::try_from(*max.get_ref()) {
            Ok(n) if n <= MAX_ADOPT_MAX => c.serve.adopt_max = n,
            _ => r.at(
                Some(max.span()),
                format!(
                    "adopt_max = {} is out of range: expected 0 (never) to {MAX_ADOPT_MAX} stocks",
                    max.get_ref()
                ),
            ),
        }
    }
}
