//! `[kline]`: how much of the account's history K-line quota capflow may spend on prices.
//! Both keys are whole numbers in a range; a value outside it is an error with its position,
//! never clamped. No IO.

use super::file::KlineFile;
use super::report::Report;
use super::{Config, MAX_KLINE_STOCKS};

/// Checks `[kline]` into `c.kline`, reporting every bad value.
pub(super) fn section(kline: KlineFile, c: &mut Config, r: &mut Report<'_>) {
    if let Some(max) = kline.max_stocks {
        match u32::try_from(*max.get_ref()) {
            Ok(n) if (1..=MAX_KLINE_STOCKS).contains(&n) => c.kline.max_stocks = Some(n),
            _ => r.at(
                Some(max.span()),
                format!(
                    "max_stocks = {} is out of range: expected 1 to {MAX_KLINE_STOCKS} stocks that may spend history K-line quota (leave it out for: the watched stocks)",
                    max.get_ref()
                ),
            ),
        }
    }
    if let Some(reserve) = kline.reserve {
        match u32::try_from(*reserve.get_ref()) {
            Ok(n) if n <= MAX_KLINE_STOCKS => c.kline.reserve = n,
            _ => r.at(
                Some(reserve.span()),
                format!(
                    "reserve = {} is out of range: expected 0 to {MAX_KLINE_STOCKS} units of history K-line quota left for your own scripts",
                    reserve.get_ref()
                ),
            ),
        }
    }
}
