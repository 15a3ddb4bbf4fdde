//! Sectors on screen: the list's industry header rows while grouped (`g`), and the sector table
//! (`S`). Pure: reads `&App`.
//!
//! Grouped, the list draws a header line above each group's members, its summed figures in the
//! members' own columns (Net, Main, Net %), the turnover and the in/out count where the
//! sparkline goes:
//!
//! ```text
//! ▾ Software · 3                    +1.2B  +800M  +2.1%   turnover 57.1B  2▲ 1▼
//! HK.00700   Tencent     320.00 +1.2%  +1.0B  +700M  +2.5%  ▂▅█▃ ▁▆▄                    4s
//! ```
//!
//! The sector table lists every industry of the current list (the same groups, in the same
//! order), one line each: members, net, main, Net %, turnover, in/out, and which member OpenD
//! also lists in other industries (and in which).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::figures::{UNKNOWN, percent_or_unknown};
use super::text::{cut, ellipsis, fit};
use super::theme::Theme;
use super::watchlist::{Columns, cell, offset};
use crate::app::sectors::{Group, Sums};
use crate::app::{App, SortMode};
use crate::flow::human;

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

/// A figure, or "–" while unknown.
fn amount(app: &App, v: Option<f64>) -> String {
    v.map_or_else(|| UNKNOWN.to_owned(), |v| human(v, app.units))
}

/// A turnover: never signed.
fn turnover(app: &App, v: Option<f64>) -> String {
    amount(app, v).trim_start_matches('+').to_owned()
}

/// A group's header line in the list's columns.
pub(super) fn header_line(app: &App, h: &Header, cols: Columns, t: Theme) -> Line<'static> {
    let s = &h.sums;
    let signed = |v: Option<f64>| t.signed(v.unwrap_or(0.0)).add_modifier(Modifier::BOLD);
    let bold = t.title().add_modifier(Modifier::BOLD);
    // Code, name, last and chg % columns: the group's name and size.
    let label_w = 10 + 1 + cols.name_w + 1 + 9 + 1 + 6;
    let label = format!("▾ {} · {}", h.name, s.members);
    let tail = format!(
        "turnover {}  {}▲ {}▼",
        turnover(app, s.turnover),
        s.inflow,
        s.outflow
    );
    Line::from(vec![
        Span::styled(format!("{} ", cut(&label, label_w)), bold),
        Span::styled(cell(&amount(app, s.net), 7), signed(s.net)),
        Span::styled(cell(&amount(app, s.main), 7), signed(s.main)),
        Span::styled(
            cell(&percent_or_unknown(s.net_pct()), 6),
            signed(s.net_pct()),
        ),
        Span::raw("  "),
        Span::styled(ellipsis(&tail, cols.spark_w + 5), t.dim()),
    ])
}

/// Fixed columns of the table after the industry's name, each with its space.
const TABLE_FIXED: usize = 7 + 8 + 8 + 7 + 9 + 9;

/// The table's column header, the sorted column with its direction.
fn table_header(app: &App, name_w: usize) -> String {
    let head = |name: &'static str, col: &'static str| -> String {
        match app.sort.column() {
            Some((c, descending)) if c == col => {
                format!(
                    "{name}{}",
                    if descending == app.reversed {
                        "▲"
                    } else {
                        "▼"
                    }
                )
            }
            _ => name.to_owned(),
        }
    };
    format!(
        "{} {:>6} {:>7} {:>7} {:>6} {:>8} {:>8}",
        cut(&head("Industry", "Name"), name_w),
        "Stocks",
        head("Net", "Net"),
        head("Main", "Main"),
        head("Net%", "Net%"),
        "Turnover",
        "In/Out"
    )
}

/// "HK.00700 also in Media" for the first member OpenD lists in several industries, with
/// how many more there are.
fn several(app: &App, g: &Group<'_>) -> Option<String> {
    let mut with = g.members.iter().filter_map(|c| {
        app.industry(c)
            .filter(|i| !i.others.is_empty())
            .map(|i| (c, i))
    });
    let (code, industry) = with.next()?;
    let more = with.count();
    let text = format!("{code} also in {}", industry.others.join(", "));
    Some(if more > 0 {
        format!("{text} (+{more} more)")
    } else {
        text
    })
}

/// One industry's line of the table.
fn table_line(app: &App, g: &Group<'_>, name_w: usize, t: Theme) -> Line<'static> {
    let (name, s) = (g.name, &g.sums);
    let signed = |v: Option<f64>| t.signed(v.unwrap_or(0.0));
    let mut spans = vec![
        Span::raw(format!("{} ", cut(name, name_w))),
        Span::raw(cell(&s.members.to_string(), 6)),
        Span::styled(cell(&amount(app, s.net), 7), signed(s.net)),
        Span::styled(cell(&amount(app, s.main), 7), signed(s.main)),
        Span::styled(
            cell(&percent_or_unknown(s.net_pct()), 6),
            signed(s.net_pct()),
        ),
        Span::raw(cell(&turnover(app, s.turnover), 8)),
        Span::raw(fit(&format!("{}▲ {}▼", s.inflow, s.outflow), 8)),
    ];
    if let Some(text) = several(app, g) {
        spans.push(Span::styled(format!("  {text}"), t.dim()));
    }
    Line::from(spans)
}

/// Draws the sector table in `body`: a bordered panel, the column header, a line per industry
/// (the selected one reversed), and what the keys do.
pub fn render_table(frame: &mut Frame<'_>, body: Rect, app: &App) {
    let body = body.intersection(frame.area());
    let t = Theme::of(app);
    let wl = &app.watchlists[app.active];
    let sort = match app.sort {
        SortMode::Config | SortMode::Change => "list order".to_owned(),
        other => other.label().to_owned(),
    };
    let title = format!(" Sectors · {} · by {sort} ", wl.name);
    let block = Block::bordered().title(Line::styled(title, t.title()));
    let inner = block.inner(body);
    frame.render_widget(block, body);
    if inner.height < 3 || inner.width < 20 {
        return;
    }
    let width = usize::from(inner.width);
    let name_w = width.saturating_sub(TABLE_FIXED + 1).clamp(8, 28);
    let buf = frame.buffer_mut();
    buf.set_stringn(inner.x, inner.y, table_header(app, name_w), width, t.dim());
    let groups = app.groups();
    let visible = usize::from(inner.height.saturating_sub(2));
    let first = offset(app.sector_row(), visible);
    let ys = inner.y + 1..inner.bottom() - 1;
    for (y, (i, g)) in ys.zip(groups.iter().enumerate().skip(first).take(visible)) {
        let line = table_line(app, g, name_w, t);
        buf.set_line(inner.x, y, &line, inner.width);
        if i == app.sector_row() {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), t.selected());
        }
    }
    let hint = if groups.is_empty() {
        "this watchlist is empty".to_owned()
    } else {
        format!(
            "{} industries · Enter: the list grouped there · s sort · o reverse · Esc back",
            groups.len()
        )
    };
    buf.set_stringn(
        inner.x,
        inner.bottom() - 1,
        ellipsis(&hint, width),
        width,
        t.dim(),
    );
}

#[cfg(test)]
mod tests;
