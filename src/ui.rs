//! Pure render functions: `render(frame, area, app)` draws the whole dashboard from `&App`.
//! They read only the app (its `now`, never the clock), hold no state and do no IO.
//!
//! ```text
//! wide (≥ 140 columns)                     narrow (< 140 columns)
//! ┌ header ─────────────────────────────┐  ┌ header ──────────────┐
//! │┌ watchlist ──┐┌ detail ────────────┐│  │┌ watchlist ─────────┐│
//! ││ rows        ││ per-minute bars    ││  ││ rows               ││
//! ││ summary     ││ five-line trend    ││  │└────────────────────┘│
//! │└─────────────┘│ split   (or history)│  │┌ detail ────────────┐│
//! │┌ overview ───┐│                    ││  ││ bars, trend        ││
//! ││ in/out/size ││                    ││  ││ trade overview     ││
//! │└─────────────┘└────────────────────┘│  │└────────────────────┘│
//! └ status bar ─────────────────────────┘  └ status bar ─────────┘
//! ```
//! The wide list is three fifths of the width (76 to 140 columns). The Trade Overview sits under
//! a wide list that leaves it [`OVERVIEW_MIN`] rows; otherwise the intraday detail shows it in
//! place of its split panel (folded to a table of figures when the detail is short).
//! Below 6 rows for the detail it is hidden: list and status stay. Until OpenD answers (or while
//! it is not logged in) the detail pane shows [`guide`]: what OpenD is and how to fix the setup.
//! While the flow map is up ([`flowmap`]), it takes the whole body between header and status bar.
//!
//! One file per panel; what several panels share sits here (counts as cells, overlay boxes, times
//! placeable in a market's zone and its label) or in a file of its own ([`text`]: cell widths,
//! [`figures`], [`theme`], the sparkline and stacked-bar widgets), so no two panels import each
//! other.

pub mod alerts;
pub mod detail;
pub mod figures;
pub mod flowmap;
pub mod groups;
pub mod guide;
pub mod header;
pub mod help;
pub mod history;
mod history_lines;
pub mod overview;
pub mod price_line;
pub mod recorded;
pub mod search;
pub mod sectors;
pub mod sparkline;
pub mod stacked;
pub mod status;
pub mod text;
pub mod theme;
mod trend_price;
pub mod watchlist;

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};

use crate::app::{App, Overlay};
use crate::flow::{Schedule, SecurityCode};

/// Narrowest watchlist in the wide layout.
pub const WIDE_LIST: u16 = 76;
/// Widest watchlist in the wide layout.
pub const WIDE_LIST_MAX: u16 = 140;
/// Fewest rows the Trade Overview panel takes under the watchlist in the wide layout; with
/// less room left under the list, the overview goes into the detail pane instead.
pub const OVERVIEW_MIN: u16 = 10;
/// From this width on, the watchlist and the detail sit side by side.
pub const WIDE_FROM: u16 = 140;
/// Header, body, status bar.
const MAIN_LAYOUT: [Constraint; 3] = [
    Constraint::Length(1),
    Constraint::Min(0),
    Constraint::Length(1),
];

/// Where each panel goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Title line.
    pub header: Rect,
    /// Watchlist panel (with borders).
    pub list: Rect,
    /// Detail panel, when there is room.
    pub detail: Option<Rect>,
    /// The Trade Overview panel under the watchlist (wide layout, when the list leaves at least
    /// [`OVERVIEW_MIN`] rows); `None`: the detail pane shows the overview itself.
    pub overview: Option<Rect>,
    /// Status bar.
    pub status: Rect,
}

/// The body of the screen in `area`: between the header and the status bar.
pub fn body(area: Rect) -> Rect {
    let [_, body, _] = Layout::vertical(MAIN_LAYOUT).areas(area);
    body
}

/// Splits `area` for a watchlist of `n` rows.
pub fn areas(area: Rect, n: usize) -> Areas {
    let [header, body, status] = Layout::vertical(MAIN_LAYOUT).areas(area);
    // Borders, column header, summary; an empty list keeps three rows for its message.
    let want = cells(if n == 0 { 3 } else { n }).saturating_add(4);
    if area.width >= WIDE_FROM {
        let [list, detail] = Layout::horizontal([
            Constraint::Length(list_width(area.width)),
            Constraint::Min(0),
        ])
        .areas(body);
        // A list shorter than the body leaves room under it: the Trade Overview takes it.
        let (list, overview) = if body.height.saturating_sub(want) >= OVERVIEW_MIN {
            let [l, o] =
                Layout::vertical([Constraint::Length(want), Constraint::Min(0)]).areas(list);
            (l, Some(o))
        } else {
            (list, None)
        };
        return Areas {
            header,
            list,
            detail: Some(detail),
            overview,
            status,
        };
    }
    // Half the body for the list on small terminals, up to all its rows on tall ones.
    let share = (body.height / 2).max(body.height.saturating_sub(20));
    let list_h = want.min(share).max(want.min(body.height).min(6));
    let [l, d] = Layout::vertical([Constraint::Length(list_h), Constraint::Min(0)]).areas(body);
    let detail = (d.height >= 6).then_some(d);
    let list = if detail.is_none() {
        Rect {
            height: body.height,
            ..l
        }
    } else {
        l
    };
    Areas {
        header,
        list,
        detail,
        overview: None,
        status,
    }
}

/// Width of the watchlist in the wide layout of a terminal `width` columns wide: three fifths
/// of it, between [`WIDE_LIST`] and [`WIDE_LIST_MAX`] (the sparkline grows with it).
pub fn list_width(width: u16) -> u16 {
    (width / 5 * 3).clamp(WIDE_LIST, WIDE_LIST_MAX)
}

/// Stock rows visible at a terminal size with `n` rows in the watchlist.
pub fn watchlist_rows(size: (u16, u16), n: usize) -> u16 {
    areas(Rect::new(0, 0, size.0, size.1), n)
        .list
        .height
        .saturating_sub(4)
}

/// Watchlist rows one page holds at a terminal size: what PgUp/PgDn move by (the tui tells the
/// app with [`crate::app::Action::Resize`]). Counted for a list taller than the terminal, so it
/// is the page of every list that does not fit; a list that fits is reached end to end by one
/// page either way, so paging is the same as with [`watchlist_rows`] of the list's own length.
pub fn page_rows(size: (u16, u16)) -> u16 {
    watchlist_rows(size, usize::from(size.1.saturating_sub(4)))
}

/// The resize action for a terminal of `size`: what a page of the watchlist holds and how the
/// help fits there (the app knows no layout: the ui says).
pub fn resize(app: &App, size: (u16, u16)) -> crate::app::Action {
    crate::app::Action::Resize {
        size,
        page_rows: page_rows(size),
        help: help::fit(app, size),
        map: flowmap::map_cells(size),
    }
}

/// A count (rows, periods, columns) as terminal cells: at most `u16::MAX`, which is more than any
/// terminal has, so a count that large only ever means "more than fit".
pub(crate) fn cells(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// An overlay's box centred in `area`: `width` columns, and room for `rows` lines inside its
/// border, both cut to `area`.
pub(crate) fn centered(area: Rect, width: u16, rows: usize) -> Rect {
    let h = cells(rows).saturating_add(2).min(area.height);
    let [v] = Layout::vertical([Constraint::Length(h)])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(v);
    r
}

/// An index as a chart coordinate: exact up to `u32::MAX` (far beyond any series that fits in
/// memory), the largest value beyond.
pub(crate) fn coord(i: usize) -> f64 {
    u32::try_from(i).map_or(f64::from(u32::MAX), f64::from)
}

/// `x` rounded to the nearest integer in `lo..=hi`; NaN is `lo`. How the charts scale a value to
/// rows or eighths of a cell, whatever OpenD sent (±inf, 1e300, NaN).
pub(crate) fn round_clamped(x: f64, lo: i32, hi: i32) -> i32 {
    if x.is_nan() {
        return lo;
    }
    let r = x.round().clamp(f64::from(lo), f64::from(hi));
    #[expect(
        clippy::cast_possible_truncation,
        reason = "r is a whole number within lo..=hi, both i32: the cast is exact"
    )]
    let v = r as i32;
    v
}

/// Whether `at` can be placed in a market's local time: not within two days of the ends of
/// chrono's range, where converting it to a time zone panics. The clock never gets there; a
/// render must not panic if it did.
pub(crate) fn placeable(at: DateTime<Utc>) -> bool {
    let margin = TimeDelta::days(2);
    at.checked_sub_signed(margin).is_some() && at.checked_add_signed(margin).is_some()
}

/// The market's time zone abbreviation at `now` ("HKT", "EST"), or "" when unknown.
pub(crate) fn tz_label(code: &SecurityCode, now: DateTime<Utc>) -> String {
    Schedule::of(code.market)
        .filter(|_| placeable(now))
        .map_or_else(String::new, |s| {
            now.with_timezone(&s.tz).format("%Z").to_string()
        })
}

/// "14:10:05 HKT": `at` in `code`'s market time ("UTC" for a market without a timetable, and
/// "--:--:--" for an instant that cannot be placed).
pub(crate) fn market_time(code: &SecurityCode, at: DateTime<Utc>) -> String {
    if !placeable(at) {
        return "--:--:--".to_owned();
    }
    Schedule::of(code.market).map_or_else(
        || at.format("%H:%M:%S UTC").to_string(),
        |s| at.with_timezone(&s.tz).format("%H:%M:%S %Z").to_string(),
    )
}

/// "as of 14:10:00 HKT" for data stamped `stamp` ("YYYY-MM-DD HH:MM:SS", market time), with
/// its date ("as of 2026-11-27 16:00:00 EST") when that is not today in the market's zone.
pub(crate) fn asof_text(app: &App, code: &SecurityCode, stamp: &str) -> String {
    let tz = tz_label(code, app.now);
    let (date, time) = (
        stamp.get(..10).unwrap_or(""),
        stamp.get(11..).unwrap_or(stamp),
    );
    let today = app
        .market(code.market)
        .map_or_else(|| app.now.date_naive(), |m| m.today);
    if today.to_string() == date {
        format!("as of {time} {tz}")
    } else {
        format!("as of {date} {time} {tz}")
    }
}

/// When today's totals are of: their own stamp's time in the market's zone ("14:10:00 HKT"),
/// else when they were fetched.
pub(crate) fn totals_time(
    code: &SecurityCode,
    t: &crate::app::Totals,
    now: DateTime<Utc>,
) -> String {
    t.stamp.as_deref().map_or_else(
        || market_time(code, t.at),
        |s| format!("{} {}", s.get(11..).unwrap_or(s), tz_label(code, now)),
    )
}

/// Draws the whole dashboard.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    // Only the part of `area` on screen: every position below is inside the buffer.
    let area = area.intersection(frame.area());
    // As many rows as codes (sorting them only to count them would cost a sort per frame).
    let a = areas(area, groups::list_len(app));
    header::render(frame, a.header, app);
    if app.map_shown() {
        flowmap::render(frame, body(area), app);
    } else if app.sectors_shown() {
        sectors::render_table(frame, body(area), app);
    } else {
        render_list(frame, &a, app);
    }
    status::render(frame, a.status, app);
    // The overlays, bottom first: the one on top takes the keys.
    for o in &app.overlays {
        match o {
            Overlay::Alerts => alerts::render(frame, area, app),
            Overlay::Help { .. } => help::render(frame, area, app),
        }
    }
    // The search box or an edit prompt, over everything: it takes the keys as text.
    search::render(frame, area, app);
}

/// The list's screen: the watchlist, the detail (or the guide) and the overview.
fn render_list(frame: &mut Frame<'_>, a: &Areas, app: &App) {
    watchlist::render(frame, a.list, app);
    if let Some(d) = a.detail {
        // Until OpenD answers (or while it is not logged in), the detail pane says how to fix it.
        if let Some(g) = guide::guide(app) {
            guide::render(frame, d, app, &g);
        } else if app.view.is_history() {
            history::render(frame, d, app);
        } else {
            detail::render_parts(frame, d, app, a.overview.is_none());
        }
    }
    if let Some(o) = a.overview {
        overview::render(frame, o, app);
    }
}

#[cfg(test)]
mod columns_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod units_tests;
