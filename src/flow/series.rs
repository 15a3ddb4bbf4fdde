//! Capital-flow results: what `get_capital_flow` returns, plus per-minute deltas.
//!
//! Intraday values are cumulative from the open; the flow of one minute is the difference of
//! neighbours. `in_flow = super + big + mid + sml`; `main_in_flow` (= super + big) is sent by
//! OpenD only for day/week/month and is `None` for intraday.
//!
//! OpenD's items are taken as they come (`capflow fetch` prints them in server order, like the
//! SDK); where a reply becomes a series (the poller), [`CapitalFlow::put_in_order`] sorts them
//! by time and keeps one item per time, the last one received, which is also what the store keeps
//! of a repeated key. Without it a repeated minute would make a zero bar and an out-of-order one
//! a bar of the wrong sign.

use super::{Period, SecurityCode};

/// A row's time as OpenD sends it: the text itself, held inline up to 23 bytes (OpenD's
/// `YYYY-MM-DD HH:MM:SS` is 19), so a reply of 332 rows costs no allocation per row and a copy
/// costs none either. Any other text (longer, odd, empty) is kept exactly as it came: a longer one
/// on the heap, shared by its copies. It reads as a `&str` (`Deref`) and prints as one.
pub type TimeText = smol_str::SmolStr;

/// Net inflow by order size.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SizeSplit {
    /// Extra-large orders.
    pub super_: f64,
    /// Large orders.
    pub big: f64,
    /// Medium orders.
    pub mid: f64,
    /// Small orders.
    pub sml: f64,
}

impl SizeSplit {
    /// Sum of all four sizes.
    pub fn total(&self) -> f64 {
        self.super_ + self.big + self.mid + self.sml
    }

    /// Main force: super + big.
    pub fn main(&self) -> f64 {
        self.super_ + self.big
    }

    /// The four values, largest order size first.
    pub fn as_array(&self) -> [f64; 4] {
        [self.super_, self.big, self.mid, self.sml]
    }

    /// From the four values, largest order size first (the inverse of [`SizeSplit::as_array`]).
    pub fn from_array([super_, big, mid, sml]: [f64; 4]) -> Self {
        SizeSplit {
            super_,
            big,
            mid,
            sml,
        }
    }

    fn minus(&self, o: &SizeSplit) -> SizeSplit {
        SizeSplit {
            super_: self.super_ - o.super_,
            big: self.big - o.big,
            mid: self.mid - o.mid,
            sml: self.sml - o.sml,
        }
    }
}

/// One row of a capital-flow response (`CapitalFlowItem`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlowItem {
    /// Bucket start as OpenD sends it ("2026-11-25 09:31:00"); "" when absent.
    pub time: TimeText,
    /// Bucket start in Unix seconds, when sent.
    pub timestamp: Option<f64>,
    /// Total net inflow.
    pub in_flow: f64,
    /// Main-force net inflow; only for day/week/month.
    pub main_in_flow: Option<f64>,
    /// Split by order size (0.0 where OpenD omits a size, as the SDK shows it).
    pub split: SizeSplit,
}

/// A capital-flow result for one security and period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CapitalFlow {
    /// The security.
    pub code: Option<SecurityCode>,
    /// The period asked for.
    pub period: Period,
    /// Rows in server order, or in time order once [`CapitalFlow::put_in_order`] ran.
    pub items: Vec<FlowItem>,
    /// `lastValidTime` (intraday only), e.g. "2026-11-25 10:43:44".
    pub last_valid_time: Option<String>,
    /// `lastValidTimestamp`, when sent.
    pub last_valid_timestamp: Option<f64>,
}

/// What [`CapitalFlow::put_in_order`] changed in a reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reordered {
    /// Items that came after a later one (each place where the time went back).
    pub out_of_order: usize,
    /// Items dropped because a later-received item had the same time.
    pub repeated: usize,
}

impl Reordered {
    /// Nothing changed: the reply was already in time order, one item per time.
    pub fn is_empty(&self) -> bool {
        *self == Reordered::default()
    }
}

/// The flow of one minute (difference of neighbouring cumulative items).
#[derive(Debug, Clone, PartialEq)]
pub struct MinuteFlow {
    /// The minute ("2026-11-25 09:31:00").
    pub time: TimeText,
    /// Net inflow in that minute.
    pub in_flow: f64,
    /// Split of that minute's flow.
    pub split: SizeSplit,
}

impl CapitalFlow {
    /// The latest (cumulative) item, if any.
    pub fn latest(&self) -> Option<&FlowItem> {
        self.items.last()
    }

    /// The time an item is kept under: the minute's full text for intraday, the date for
    /// day/week/month (the store's keys). OpenD writes times as fixed-width
    /// `YYYY-MM-DD HH:MM:SS`, so the text's order is the time's order.
    fn order_key(period: Period, item: &FlowItem) -> &str {
        if period.is_history() {
            item.time.get(..10).unwrap_or(&item.time)
        } else {
            &item.time
        }
    }

    /// Sorts the items by time (stable) and keeps one per time: the last one received, as the
    /// store does (a later write of the same key replaces the row). Returns what it changed.
    pub fn put_in_order(&mut self) -> Reordered {
        let period = self.period;
        let (mut out_of_order, mut ties) = (0, 0);
        for w in self.items.windows(2) {
            match Self::order_key(period, &w[1]).cmp(Self::order_key(period, &w[0])) {
                std::cmp::Ordering::Less => out_of_order += 1,
                std::cmp::Ordering::Equal => ties += 1,
                std::cmp::Ordering::Greater => {}
            }
        }
        if out_of_order == 0 && ties == 0 {
            return Reordered::default();
        }
        let mut items = std::mem::take(&mut self.items);
        items.sort_by_cached_key(|it| TimeText::new(Self::order_key(period, it)));
        let mut kept: Vec<FlowItem> = Vec::with_capacity(items.len());
        let mut repeated = 0;
        for it in items {
            match kept.last_mut() {
                Some(last) if Self::order_key(period, last) == Self::order_key(period, &it) => {
                    *last = it;
                    repeated += 1;
                }
                _ => kept.push(it),
            }
        }
        self.items = kept;
        Reordered {
            out_of_order,
            repeated,
        }
    }

    /// Per-minute flows of a cumulative intraday series: the first minute is its own value (flow
    /// since the open), every later minute the difference from the previous one.
    pub fn minute_deltas(&self) -> Vec<MinuteFlow> {
        let zero = FlowItem::default();
        self.items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let prev = if i == 0 { &zero } else { &self.items[i - 1] };
                MinuteFlow {
                    time: it.time.clone(),
                    in_flow: it.in_flow - prev.in_flow,
                    split: it.split.minus(&prev.split),
                }
            })
            .collect()
    }
}

/// Capital distribution (3212): inflow and outflow per order size for the day.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Distribution {
    /// Inflow per size.
    pub inflow: SizeSplit,
    /// Outflow per size.
    pub outflow: SizeSplit,
    /// `updateTime`, when sent.
    pub update_time: Option<String>,
    /// OpenD omitted the (optional) super fields: `super_` is then 0.0 in both splits and means
    /// "not known" (`N/A` in the SDK's DataFrame and in exports).
    pub super_omitted: bool,
}

impl Distribution {
    /// Net inflow per size (in − out).
    pub fn net(&self) -> SizeSplit {
        self.inflow.minus(&self.outflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(time: &str, s: [f64; 4]) -> FlowItem {
        let split = SizeSplit::from_array(s);
        FlowItem {
            time: time.into(),
            in_flow: split.total(),
            split,
            ..FlowItem::default()
        }
    }

    #[test]
    fn deltas_are_differences_of_neighbours() {
        let f = CapitalFlow {
            items: vec![
                item("09:30", [10.0, 5.0, -1.0, 2.0]),
                item("09:31", [12.0, 4.0, -3.0, 2.0]),
                item("09:32", [9.0, 4.0, -3.0, 7.0]),
            ],
            ..CapitalFlow::default()
        };
        let d = f.minute_deltas();
        assert_eq!(
            d.iter().map(|m| m.in_flow).collect::<Vec<_>>(),
            [16.0, -1.0, 2.0]
        );
        assert_eq!(d[1].split.as_array(), [2.0, -1.0, -2.0, 0.0]);
        assert_eq!(d[2].time, "09:32");
        // Summing the deltas gives back the cumulative value.
        let sum: f64 = d.iter().map(|m| m.in_flow).sum();
        assert_eq!(sum, f.latest().unwrap().in_flow);
        assert!(CapitalFlow::default().minute_deltas().is_empty());
    }

    fn intraday(items: Vec<FlowItem>) -> CapitalFlow {
        CapitalFlow {
            items,
            ..CapitalFlow::default()
        }
    }

    #[test]
    fn a_repeated_and_an_out_of_order_minute_give_the_sorted_series() {
        let sorted = intraday(vec![
            item("2026-11-25 09:30:00", [10.0, 5.0, -1.0, 2.0]),
            item("2026-11-25 09:31:00", [12.0, 4.0, -3.0, 2.0]),
            item("2026-11-25 09:32:00", [9.0, 4.0, -3.0, 7.0]),
            item("2026-11-25 09:33:00", [11.0, 4.0, -3.0, 7.0]),
        ]);
        // 09:32 comes before 09:31, and 09:33 twice: the earlier copy is stale, the later one
        // is the minute as the store keeps it (the last received).
        let mut stale = sorted.items[3].clone();
        stale.in_flow = -99.0;
        let mut disordered = intraday(vec![
            sorted.items[0].clone(),
            sorted.items[2].clone(),
            sorted.items[1].clone(),
            stale,
            sorted.items[3].clone(),
        ]);
        let changed = disordered.put_in_order();
        assert_eq!(
            changed,
            Reordered {
                out_of_order: 1,
                repeated: 1
            }
        );
        assert_eq!(disordered, sorted);
        assert_eq!(disordered.minute_deltas(), sorted.minute_deltas());
        // No delta of the wrong sign, no zero bar.
        assert!(disordered.minute_deltas().iter().all(|m| m.in_flow != 0.0));
        // A series in order is left alone.
        let mut again = sorted.clone();
        assert!(again.put_in_order().is_empty());
        assert_eq!(again, sorted);
        assert!(CapitalFlow::default().put_in_order().is_empty());
    }

    #[test]
    fn history_rows_are_kept_one_per_date() {
        let mut f = CapitalFlow {
            period: Period::Day,
            items: vec![
                item("2026-11-25 00:00:00", [1.0, 0.0, 0.0, 0.0]),
                item("2026-11-24 00:00:00", [2.0, 0.0, 0.0, 0.0]),
                item("2026-11-25", [3.0, 0.0, 0.0, 0.0]),
            ],
            ..CapitalFlow::default()
        };
        let r = f.put_in_order();
        assert_eq!((r.out_of_order, r.repeated), (1, 1));
        let times: Vec<&str> = f.items.iter().map(|i| i.time.as_str()).collect();
        assert_eq!(times, ["2026-11-24 00:00:00", "2026-11-25"]);
    }

    #[test]
    fn distribution_net_is_in_minus_out() {
        let d = Distribution {
            inflow: SizeSplit {
                super_: 5.0,
                big: 4.0,
                mid: 3.0,
                sml: 2.0,
            },
            outflow: SizeSplit {
                super_: 1.0,
                big: 6.0,
                mid: 3.0,
                sml: 0.5,
            },
            update_time: None,
            super_omitted: false,
        };
        assert_eq!(d.net().as_array(), [4.0, -2.0, 0.0, 1.5]);
    }
}
