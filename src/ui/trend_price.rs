//! The price line of the intraday capital trend (#26): today's price per minute, each minute
//! placed at the flow's row of the same minute (a minute without a row, or a row without a
//! price, is left out), drawn on its own scale inside the trend's: the lowest price shown at
//! the trend's lowest value, the highest at its highest, labelled at the chart's right edge.
//! Pure.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::coord;
use super::figures;
use super::price_line::{SCALE_W, Scale, minute_matches};
use super::text::right;
use super::theme::Theme;
use crate::app::Prices;
use crate::flow::CapitalFlow;

/// The price line's points in the trend chart's coordinates and its scale: x the middle of the
/// flow row's minute (as the trend's lines), y mapped from the prices' extent onto `lo..=hi`
/// (the trend's extent, in the chart's units). Only rows `keep` accepts are drawn (the trend's
/// sampling of long series). `None` when no minute matches.
pub fn series(
    prices: &Prices,
    flow: &CapitalFlow,
    keep: impl Fn(usize) -> bool,
    (lo, hi): (f64, f64),
) -> Option<(Vec<(f64, f64)>, Scale)> {
    let minutes = prices.minute_prices();
    let matched = || minute_matches(&flow.items, &minutes).filter(|(i, _)| keep(*i));
    let scale = Scale::of(matched().map(|(_, p)| p))?;
    let points = matched()
        .map(|(i, p)| (coord(i) + 0.5, lo + scale.frac(p) * (hi - lo)))
        .filter(|(_, y)| y.is_finite())
        .collect();
    Some((points, scale))
}

/// The price scale at the right edge of the trend chart drawn in `area` (its title row on top,
/// its time axis in the two bottom rows): the highest price on the plot's first row, the
/// lowest on its last.
pub fn labels(buf: &mut Buffer, area: Rect, scale: Scale, t: Theme) {
    if area.height < 5 || area.width < SCALE_W * 2 {
        return;
    }
    let w = usize::from(SCALE_W - 1);
    let x = area.right() - SCALE_W + 1;
    let top = area.y + 1;
    let bottom = area.bottom() - 3;
    buf.set_stringn(x, top, right(&figures::price(scale.hi), w), w, t.price());
    buf.set_stringn(x, bottom, right(&figures::price(scale.lo), w), w, t.price());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::PricePoint;
    use crate::flow::{FlowItem, SizeSplit};
    use chrono::NaiveDateTime;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn flow(times: &[&str]) -> CapitalFlow {
        CapitalFlow {
            items: times
                .iter()
                .map(|t| FlowItem {
                    time: (*t).into(),
                    timestamp: None,
                    in_flow: 0.0,
                    main_in_flow: None,
                    split: SizeSplit::default(),
                })
                .collect(),
            ..CapitalFlow::default()
        }
    }

    fn minute(t: &str, close: f64) -> PricePoint {
        PricePoint {
            time: at(t),
            close,
            change_rate: None,
        }
    }

    #[test]
    fn minutes_are_placed_at_their_rows_on_the_trends_extent() {
        let f = flow(&[
            "2026-11-25 09:30:00",
            "2026-11-25 09:31:00",
            "2026-11-25 09:32:00",
        ]);
        let p = Prices {
            minutes: vec![
                minute("2026-11-25 09:30:00", 10.0),
                minute("2026-11-25 09:32:00", 12.0),
            ],
            // A snapshot after the K-lines: its minute has no row, left out.
            snapshots: vec![(at("2026-11-25 09:33:10"), 99.0)],
            ..Prices::default()
        };
        let (pts, scale) = series(&p, &f, |_| true, (-4.0, 6.0)).unwrap();
        assert_eq!(pts, vec![(0.5, -4.0), (2.5, 6.0)]);
        assert_eq!(scale, Scale { lo: 10.0, hi: 12.0 });
        // Sampled rows only.
        let (pts, _) = series(&p, &f, |i| i == 2, (-4.0, 6.0)).unwrap();
        assert_eq!(pts, vec![(2.5, 1.0)], "one price: the middle");
        // No prices, or none matching: no line.
        assert_eq!(series(&Prices::default(), &f, |_| true, (0.0, 1.0)), None);
        assert_eq!(series(&p, &flow(&[]), |_| true, (0.0, 1.0)), None);
    }

    #[test]
    fn labels_sit_at_the_plots_first_and_last_rows() {
        let area = Rect::new(0, 0, 30, 8);
        let mut buf = Buffer::empty(area);
        let t = Theme::of(&crate::app::App::default());
        labels(&mut buf, area, Scale { lo: 9.5, hi: 521.5 }, t);
        let row = |y: u16| -> String { (0..30).map(|x| buf[(x, y)].symbol()).collect() };
        assert!(row(1).ends_with("   521.50"), "{}", row(1));
        assert!(row(5).ends_with("     9.50"), "{}", row(5));
        // Too small: nothing, no panic.
        labels(
            &mut buf,
            Rect::new(0, 0, 12, 3),
            Scale { lo: 1.0, hi: 2.0 },
            t,
        );
    }
}
