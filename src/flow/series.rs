//! Capital-flow results: what `get_capital_flow` returns, plus per-minute deltas.
//!
//! Intraday values are cumulative from the open; the flow of one minute is the difference of
//! neighbours. `in_flow = super + big + mid + sml`; `main_in_flow` (= super + big) is sent by
//! OpenD only for day/week/month and is `None` for intraday.

use super::{Period, SecurityCode};

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
    pub time: String,
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
    /// Rows in server order.
    pub items: Vec<FlowItem>,
    /// `lastValidTime` (intraday only), e.g. "2026-11-25 10:43:44".
    pub last_valid_time: Option<String>,
    /// `lastValidTimestamp`, when sent.
    pub last_valid_timestamp: Option<f64>,
}

/// The flow of one minute (difference of neighbouring cumulative items).
#[derive(Debug, Clone, PartialEq)]
pub struct MinuteFlow {
    /// The minute ("2026-11-25 09:31:00").
    pub time: String,
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
