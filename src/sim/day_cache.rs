//! The simulator's memory of whole trading days: the net inflow per order size of one listing on
//! one past day, which the model otherwise re-simulates minute by minute (332 random minutes for
//! a Hong Kong day) every time a DAY/WEEK/MONTH request covers that day.
//!
//! A day's total is a pure function of (seed, code, turnover, date): the cache only remembers what
//! [`model`](super::model) computed, so a reply is the same bytes whether its days were cached or
//! not, on any connection, in any order. It is one process-wide table behind a mutex, shared by
//! every connection and every simulator of the process (the key holds the seed); the lock is held
//! to look up or to store a request's days, never while a day is simulated.
//!
//! Bounded: entries live in two generations of at most [`GENERATION`] days each. New days go into
//! the young one, and a day found in the old one moves up; when the young one is full, the old
//! one is dropped and the young one becomes old. A day asked for again within [`GENERATION`]
//! other new days is never simulated twice, so a year of every listing in the universe (about
//! 300 × 261 = 78,300 days) stays cached; at most 2 × [`GENERATION`] days are held, about 13 MB
//! at worst (16-byte key, 32-byte value, hashbrown's buckets at 7/8 load). Listings are numbered
//! in a side table, cleared with the rest when it grows past [`MAX_LISTINGS`].
//!
//! It imports nothing of the simulator; the model imports it. No IO, no clock.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{Datelike, NaiveDate};

/// The most days in one generation.
pub const GENERATION: usize = 100_000;
/// The most distinct listings (code and turnover) numbered before everything is dropped.
pub const MAX_LISTINGS: usize = 65_536;

/// (seed, listing number, days since 0001-01-01).
type Key = (u64, u32, i32);

/// Net inflow per size (super, big, mid, small) of one whole day.
pub type Totals = [f64; 4];

#[derive(Debug, Default)]
struct Cache {
    listings: HashMap<(&'static str, u64), u32>,
    young: HashMap<Key, Totals>,
    old: HashMap<Key, Totals>,
}

impl Cache {
    fn listing(&mut self, code: &'static str, turnover: f64) -> u32 {
        if self.listings.len() >= MAX_LISTINGS {
            *self = Cache::default();
        }
        let next = u32::try_from(self.listings.len()).unwrap_or(u32::MAX);
        *self
            .listings
            .entry((code, turnover.to_bits()))
            .or_insert(next)
    }

    fn get(&mut self, key: Key) -> Option<Totals> {
        if let Some(t) = self.young.get(&key) {
            return Some(*t);
        }
        let t = self.old.remove(&key)?;
        self.put(key, t);
        Some(t)
    }

    fn put(&mut self, key: Key, totals: Totals) {
        if self.young.len() >= GENERATION {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, totals);
    }
}

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

fn with_cache<R>(f: impl FnOnce(&mut Cache) -> R) -> R {
    let mut guard = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    f(guard.get_or_insert_with(Cache::default))
}

/// The totals of the listing `code` (with daily turnover `turnover`) on each of `days` for the
/// model with `seed`, in order: the cached ones looked up, the others computed by `simulate`
/// (called once, with the missing days in order, outside the lock) and stored.
pub fn totals(
    seed: u64,
    code: &'static str,
    turnover: f64,
    days: &[NaiveDate],
    simulate: impl FnOnce(&[NaiveDate]) -> Vec<Totals>,
) -> Vec<Totals> {
    let key = |listing: u32, d: &NaiveDate| (seed, listing, d.num_days_from_ce());
    let mut found: Vec<Option<Totals>> = with_cache(|c| {
        let listing = c.listing(code, turnover);
        days.iter().map(|d| c.get(key(listing, d))).collect()
    });
    let missing: Vec<NaiveDate> = days
        .iter()
        .zip(&found)
        .filter(|(_, t)| t.is_none())
        .map(|(d, _)| *d)
        .collect();
    if missing.is_empty() {
        return found.into_iter().flatten().collect();
    }
    let computed = simulate(&missing);
    with_cache(|c| {
        // The side table may have been cleared meanwhile: number the listing again.
        let listing = c.listing(code, turnover);
        for (d, t) in missing.iter().zip(&computed) {
            c.put(key(listing, d), *t);
        }
    });
    let mut computed = computed.into_iter();
    for slot in found.iter_mut().filter(|t| t.is_none()) {
        *slot = computed.next();
    }
    found.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(n))
    }

    fn fake(days: &[NaiveDate]) -> Vec<Totals> {
        days.iter()
            .map(|d| [f64::from(d.num_days_from_ce()), 1.0, 2.0, 3.0])
            .collect()
    }

    #[test]
    fn a_day_is_simulated_once_then_found() {
        // A seed no other test uses: the table is shared by the whole process.
        let seed = 0xdead_0001;
        let days: Vec<NaiveDate> = (0..10).map(day).collect();
        let mut asked = Vec::new();
        let first = totals(seed, "HK.00001", 1.0, &days, |m| {
            asked.push(m.len());
            fake(m)
        });
        assert_eq!(first, fake(&days));
        // Half of them again, with new ones between: only the new ones are simulated.
        let more: Vec<NaiveDate> = (5..15).map(day).collect();
        let second = totals(seed, "HK.00001", 1.0, &more, |m| {
            assert_eq!(m, &more[5..]);
            asked.push(m.len());
            fake(m)
        });
        assert_eq!(second, fake(&more));
        assert_eq!(asked, [10, 5]);
        // Another seed, code or turnover is another listing.
        for (s, code, turnover) in [
            (seed + 1, "HK.00001", 1.0),
            (seed, "HK.00002", 1.0),
            (seed, "HK.00001", 2.0),
        ] {
            let mut n = 0;
            totals(s, code, turnover, &days, |m| {
                n = m.len();
                fake(m)
            });
            assert_eq!(n, 10, "{s} {code} {turnover}");
        }
    }

    #[test]
    fn generations_bound_the_table_and_keep_what_is_used() {
        let mut c = Cache::default();
        for i in 0..GENERATION {
            c.put((1, 0, i32::try_from(i).unwrap()), [0.0; 4]);
        }
        assert_eq!((c.young.len(), c.old.len()), (GENERATION, 0));
        c.put((1, 0, -1), [0.0; 4]);
        assert_eq!((c.young.len(), c.old.len()), (1, GENERATION));
        // Found in the old generation: moved up, so it outlives the next turn.
        assert!(c.get((1, 0, 7)).is_some());
        assert_eq!((c.young.len(), c.old.len()), (2, GENERATION - 1));
        for i in 0..GENERATION {
            c.put((2, 0, i32::try_from(i).unwrap()), [0.0; 4]);
        }
        assert!(c.young.len() + c.old.len() <= 2 * GENERATION);
        assert!(c.get((1, 0, 7)).is_some(), "used, so kept");
        assert!(c.get((1, 0, 8)).is_none(), "two turns unused: dropped");
    }
}
