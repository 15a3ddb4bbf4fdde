//! #26 items 4 and 5 on screen: the close over the history bars and the price over the
//! intraday trend, with their scales; `c`'s cumulative main line; the quota's note; without
//! prices, the views as before. Snapshots at 80×24 and 160×48 from the fixture (its first stock
//! has a year of closes with one suspended day; US.TSLA has the quota's note).

use ratatui::buffer::Buffer;
use ratatui::style::Color;

use super::{SIZES, app, draw, snap};
use crate::app::fixture::QUOTA_NOTE;
use crate::app::{Action, App, Cumulative, Prices};
use crate::flow::Period;
use crate::ui::theme::Theme;

fn rows(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

fn is_braille(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| ('\u{2801}'..='\u{28FF}').contains(&c))
}

/// Cells drawn in the price's colour with a braille glyph.
fn price_dots(buf: &Buffer, t: Theme) -> usize {
    let fg = t.price().fg.unwrap_or(Color::Reset);
    buf.content()
        .iter()
        .filter(|c| is_braille(c.symbol()) && c.fg == fg)
        .count()
}

fn focused_prices(a: &mut App) -> &mut Prices {
    let code = a.focused().cloned().unwrap();
    &mut a.stocks.get_mut(&code).unwrap().prices
}

#[test]
fn day_view_with_the_cumulative_main_line() {
    snap("day_cumulative", |a| {
        a.update(Action::View(Period::Day));
        a.update(Action::ToggleCumulative);
    });
}

#[test]
fn history_with_the_quota_note() {
    snap("day_quota_note", |a| {
        *focused_prices(a) = Prices {
            note: Some(QUOTA_NOTE.into()),
            ..Prices::default()
        };
        a.update(Action::View(Period::Day));
    });
}

#[test]
fn intraday_with_the_quota_note() {
    // US.TSLA, the fixture's stock out of quota.
    snap("intraday_quota_note", |a| {
        a.update(Action::Select(8));
    });
}

/// The close line, its scale at the right edge (the shown closes' extent) and the cursor's
/// close with its change % in the up / down colour.
#[test]
fn the_history_view_draws_the_close_its_scale_and_the_readout() {
    for size in SIZES {
        let mut a = app(size);
        a.update(Action::View(Period::Day));
        let t = Theme::of(&a);
        let term = draw(&a);
        let buf = term.backend().buffer();
        let text = rows(buf);
        assert!(price_dots(buf, t) >= 10, "{size:?}\n{}", term.backend());
        // The newest close (the fixture's last price, 521.50) is the readout's.
        let readout = text
            .iter()
            .position(|r| r.contains("close 521.50 "))
            .unwrap_or_else(|| panic!("{size:?}: no readout\n{}", term.backend()));
        let x = text[readout].find("close 521.50 ").unwrap();
        let x = u16::try_from(text[readout][..x].chars().count()).unwrap() + 13;
        let y = u16::try_from(readout).unwrap();
        assert!(buf[(x, y)].symbol() == "+" || buf[(x, y)].symbol() == "-");
        let sign = if buf[(x, y)].symbol() == "+" {
            1.0
        } else {
            -1.0
        };
        assert_eq!(buf[(x, y)].fg, t.signed(sign).fg.unwrap());
        // The scale: two prices at the right edge of the bars' rows, the higher one on top.
        let labels: Vec<f64> = text
            .iter()
            .filter_map(|r| {
                let inner = r.trim_end_matches('│').trim_end();
                let last = inner.rsplit(' ').next()?;
                (inner.len() > 20 && last.contains('.') && inner.ends_with(last))
                    .then(|| last.parse().ok())
                    .flatten()
            })
            .take(2)
            .collect();
        assert_eq!(labels.len(), 2, "{size:?}\n{}", term.backend());
        assert!(labels[0] > labels[1], "{labels:?}");
        assert!(
            text.iter().any(|r| r.contains("━ close")),
            "{size:?}: legend"
        );
    }
}

/// Without prices the views are as before #26: no line, no scale, no readout of a close.
#[test]
fn without_prices_the_views_are_as_before() {
    for size in SIZES {
        for view in [Period::Intraday, Period::Day] {
            let mut a = app(size);
            *focused_prices(&mut a) = Prices::default();
            a.update(Action::View(view));
            let t = Theme::of(&a);
            let term = draw(&a);
            let buf = term.backend().buffer();
            assert_eq!(price_dots(buf, t), 0, "{size:?} {view:?}");
            let text = rows(buf).concat();
            assert!(
                !text.contains("━ close") && !text.contains("━ price"),
                "{view:?}"
            );
            // (The overview's "prev close 514.00" is the quote's, not a readout.)
            assert!(!text.contains("close –") && !text.contains("close 521.50"));
            insta::assert_snapshot!(
                format!("{}_no_prices_{}x{}", view.name(), size.0, size.1),
                term.backend()
            );
        }
    }
}

/// The intraday trend carries the price line and its key where the trend shows (not at 80×24,
/// whose detail has no room for the trend).
#[test]
fn the_intraday_trend_draws_the_price_line_with_its_scale() {
    let mut a = app((160, 48));
    let t = Theme::of(&a);
    let term = draw(&a);
    let buf = term.backend().buffer();
    assert!(price_dots(buf, t) >= 20, "{}", term.backend());
    let text = rows(buf);
    assert!(text.iter().any(|r| r.contains("━ price (right)")));
    // The intraday prices of HK.00700 end at 521.50, from 514.00.
    let scale_rows = text
        .iter()
        .filter(|r| {
            let r = r.trim_end_matches('│').trim_end();
            r.rsplit(' ')
                .next()
                .is_some_and(|p| p.parse::<f64>().is_ok_and(|v| (500.0..540.0).contains(&v)))
        })
        .count();
    assert!(scale_rows >= 2, "{}", term.backend());
    // The stock's prices gone: no line.
    *focused_prices(&mut a) = Prices::default();
    assert_eq!(price_dots(draw(&a).backend().buffer(), t), 0);
}

/// `c` outside the history views says what it does and changes nothing; inside, it toggles
/// the line (and its legend key).
#[test]
fn c_toggles_the_cumulative_line_in_the_history_views() {
    let mut a = app((160, 48));
    a.update(Action::ToggleCumulative);
    assert_eq!(a.cumulative, Cumulative::Off);
    a.update(Action::View(Period::Week));
    a.update(Action::ToggleCumulative);
    assert_eq!(a.cumulative, Cumulative::On);
    let shown = rows(draw(&a).backend().buffer()).concat();
    assert!(
        shown.contains("━ Σmain ") && shown.contains("own scale"),
        "{shown}"
    );
    a.update(Action::ToggleCumulative);
    assert!(!rows(draw(&a).backend().buffer()).concat().contains("Σmain"));
}

/// Prices no real market has (NaN, ±inf, 0, negative, 1e308, times repeated and out of
/// order, a year 9999 minute) draw without a panic at every size, in every view.
#[test]
fn hostile_prices_never_panic() {
    use crate::app::PricePoint;
    let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    let point = |t: &str, close: f64| PricePoint {
        time: at(t),
        close,
        change_rate: Some(f64::NAN),
    };
    let closes: Vec<PricePoint> = [
        ("2026-11-25 00:00:00", f64::MAX),
        ("2026-11-24 00:00:00", -5.0),
        ("2026-11-24 00:00:00", f64::NAN),
        ("2026-11-20 00:00:00", 0.0),
        ("2026-11-23 00:00:00", f64::INFINITY),
        ("2026-11-19 00:00:00", 1e-300),
        ("9999-12-31 00:00:00", 1.0),
    ]
    .into_iter()
    .map(|(t, c)| point(t, c))
    .collect();
    for (w, h) in [(20, 8), (80, 24), (120, 36), (160, 48), (300, 100)] {
        let mut a = app((w, h));
        {
            let p = focused_prices(&mut a);
            for period in Period::ALL {
                p.closes.insert(period, closes.clone());
            }
            p.minutes = vec![
                point("2026-11-25 10:00:00", 1e308),
                point("2026-11-25 09:30:00", -1.0),
                point("2026-11-25 10:00:00", f64::NAN),
                point("9999-12-31 23:59:00", 2.0),
            ];
            p.snapshots = vec![(at("2026-11-25 09:31:10"), f64::NEG_INFINITY)];
        }
        for view in Period::ALL {
            a.update(Action::View(view));
            a.update(Action::ToggleCumulative);
            let _ = draw(&a);
        }
    }
}

/// A note longer than the panel's bottom border ends in "…" where the border ends: never cut
/// without the mark, never over the corner.
#[test]
fn a_note_longer_than_the_border_ends_in_an_ellipsis() {
    let long = "no price: quota 97/100 used, 3 kept by [kline] reserve".repeat(3);
    for view in [Period::Intraday, Period::Day] {
        let mut a = app((160, 48));
        *focused_prices(&mut a) = Prices {
            note: Some(long.clone()),
            ..Prices::default()
        };
        a.update(Action::View(view));
        let t = draw(&a);
        let bottom = rows(t.backend().buffer())
            .into_iter()
            .rev()
            .find(|r| r.contains("no price"))
            .unwrap_or_else(|| panic!("{view:?}: no note on screen"));
        let note = bottom.split("no price").nth(1).unwrap();
        assert!(note.contains('…'), "{view:?}: {bottom}");
        assert!(bottom.trim_end().ends_with('┘'), "{view:?}: {bottom}");
    }
}
