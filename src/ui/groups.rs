//! The list's lines while grouped by industry (`g`): a header above each group's members,
//! its summed figures in the members' own columns (Net, Main, Net %), the turnover and the
//! in/out count where the sparkline goes:
//!
//! ```text
//! ▾ Software · 3                    +1.2B  +800M  +2.1%   turnover 57.1B  2▲ 1▼
//! HK.00700   Tencent     320.00 +1.2%  +1.0B  +700M  +2.5%  ▂▅█▃ ▁▆▄                    4s
//! ```
//!
//! Pure: reads `&App`. The watchlist panel draws these lines; the sector table is
//! [`super::sectors`].

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::figures::{UNKNOWN, percent_or_unknown};
use super::text::{cut, ellipsis, fit};
use super::theme::Theme;
use crate::app::App;
use crate::app::sectors::Sums;
use crate::config::Column;
use crate::flow::human;

/// `text` right-aligned in `w` cells and cut to them, then a space (the list's cells).
fn cell(text: &str, w: usize) -> String {
    format!("{} ", fit(text, w))
}

/// A figure, or "–" while unknown.
fn amount(app: &App, v: Option<f64>) -> String {
    v.map_or_else(|| UNKNOWN.to_owned(), |v| human(v, app.units))
}

/// A turnover: never signed.
fn turnover(app: &App, v: Option<f64>) -> String {
    amount(app, v).trim_start_matches('+').to_owned()
}

/// A group's header in the grouped list.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The industry's name, or "Other".
    pub name: String,
    /// Its members' sums.
    pub sums: Sums,
}

/// One line of the list: a group's header (grouped only) or the stock at this index of
/// [`App::rows`].
#[derive(Debug, Clone, PartialEq)]
pub enum ListLine {
    /// A group's header.
    Header(Header),
    /// A stock's row: its index in [`App::rows`].
    Member(usize),
}

impl ListLine {
    /// The stock's index, for a stock's row.
    pub fn member(&self) -> Option<usize> {
        match self {
            ListLine::Member(i) => Some(*i),
            ListLine::Header(_) => None,
        }
    }
}

/// The list's lines: one per stock, with a header above each group while grouped.
pub fn list_lines(app: &App) -> Vec<ListLine> {
    if !app.grouped() {
        return (0..app.rows().len()).map(ListLine::Member).collect();
    }
    let mut lines = Vec::new();
    let mut i = 0;
    for g in app.groups() {
        lines.push(ListLine::Header(Header {
            name: g.name.to_owned(),
            sums: g.sums,
        }));
        for _ in &g.members {
            lines.push(ListLine::Member(i));
            i += 1;
        }
    }
    lines
}

/// The line that shows the stock at index `selected` of the rows.
pub fn line_of(lines: &[ListLine], selected: usize) -> usize {
    lines
        .iter()
        .position(|l| l.member() == Some(selected))
        .unwrap_or(selected)
}

/// Lines the list needs: its stocks, and a header per group while grouped.
pub fn list_len(app: &App) -> usize {
    let n = app.watchlists[app.active].codes.len();
    if app.grouped() {
        n + app.groups().len()
    } else {
        n
    }
}

/// A group's header line in the list's columns, `width` cells: the group's name and size in
/// the cells left of the first of the members' figure columns (`figures`: net, main and net %
/// where the list shows them, left to right), its sums in those columns, the turnover and the
/// in/out count two cells after the last. Without room on the left, the name goes before the
/// turnover.
pub(super) fn header_line(
    app: &App,
    h: &Header,
    figures: &[(Column, usize)],
    width: usize,
    t: Theme,
) -> Line<'static> {
    let s = &h.sums;
    let signed = |v: Option<f64>| t.signed(v.unwrap_or(0.0)).add_modifier(Modifier::BOLD);
    let bold = t.title().add_modifier(Modifier::BOLD);
    let label = format!("▾ {} · {}", h.name, s.members);
    let mut tail = format!(
        "turnover {}  {}▲ {}▼",
        turnover(app, s.turnover),
        s.inflow,
        s.outflow
    );
    let mut spans = Vec::new();
    let mut at_x = 0;
    match figures.first() {
        Some(&(_, first)) if first >= 2 => {
            spans.push(Span::styled(format!("{} ", cut(&label, first - 1)), bold));
            at_x = first;
        }
        _ => tail = format!("{label}  {tail}"),
    }
    for &(col, at) in figures {
        if at > at_x {
            spans.push(Span::raw(" ".repeat(at - at_x)));
        }
        let (text, value, cells) = match col {
            Column::Net => (amount(app, s.net), s.net, 7),
            Column::Main => (amount(app, s.main), s.main, 7),
            _ => (percent_or_unknown(s.net_pct()), s.net_pct(), 6),
        };
        spans.push(Span::styled(cell(&text, cells), signed(value)));
        at_x = at + cells + 1;
    }
    if !figures.is_empty() {
        spans.push(Span::raw("  "));
        at_x += 2;
    }
    spans.push(Span::styled(
        ellipsis(&tail, width.saturating_sub(at_x)),
        t.dim(),
    ));
    Line::from(spans)
}
