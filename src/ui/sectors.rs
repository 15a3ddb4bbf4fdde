//! The sector table (`S`); the grouped list's lines are [`super::groups`]. Pure: reads `&App`.
//!
//! The sector table lists every industry of the current list (the same groups, in the same
//! order), one line each: members, net, main, Net %, turnover, in/out, the N-day main net of `[ui] windows` (`–` once
//! a member lacks it) where they fit, and which member OpenD
//! also lists in other industries (and in which).

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::figures::{UNKNOWN, percent_or_unknown};
use super::text::{cut, ellipsis, fit};
use super::theme::Theme;
use super::watchlist::{cell, offset};
use crate::app::sectors::Group;
use crate::app::{App, SortMode};
use crate::flow::human;

/// A figure, or "–" while unknown.
fn amount(app: &App, v: Option<f64>) -> String {
    v.map_or_else(|| UNKNOWN.to_owned(), |v| human(v, app.units))
}

/// A turnover: never signed.
fn turnover(app: &App, v: Option<f64>) -> String {
    amount(app, v).trim_start_matches('+').to_owned()
}

/// Fixed columns of the table after the industry's name, each with its space.
const TABLE_FIXED: usize = 7 + 8 + 8 + 7 + 9 + 9;
/// Each N-day column with its space.
const DAY_CELL: usize = 8;

/// The table's column header, the sorted column with its direction.
fn table_header(app: &App, name_w: usize, days: usize) -> String {
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
    let mut text = format!(
        "{} {:>6} {:>7} {:>7} {:>6} {:>8} {:>8}",
        cut(&head("Industry", "Name"), name_w),
        "Stocks",
        head("Net", "Net"),
        head("Main", "Main"),
        head("Net%", "Net%"),
        "Turnover",
        "In/Out"
    );
    if days > 0 {
        text.push(' ');
    }
    for n in app.windows.as_slice().iter().take(days) {
        let label = format!("{n}D");
        let shown = match app.sort.column() {
            Some((c, descending)) if c == label => {
                format!(
                    "{label}{}",
                    if descending == app.reversed {
                        "▲"
                    } else {
                        "▼"
                    }
                )
            }
            _ => label,
        };
        let _ = write!(text, "{shown:>7} ");
    }
    text
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
fn table_line(app: &App, g: &Group<'_>, name_w: usize, days: usize, t: Theme) -> Line<'static> {
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
    if days > 0 {
        spans.push(Span::raw(" "));
    }
    for v in s.days.iter().take(days) {
        spans.push(Span::styled(cell(&amount(app, *v), 7), signed(*v)));
    }
    if let Some(text) = several(app, g) {
        spans.push(Span::styled(format!("  {text}"), t.dim()));
    }
    Line::from(spans)
}

/// The industry under a screen position of a terminal the app's size (a click), if any.
pub fn row_at(app: &App, x: u16, y: u16) -> Option<usize> {
    let body = super::body(Rect::new(0, 0, app.size.0, app.size.1));
    let inner = Block::bordered().inner(body);
    let first_y = inner.y.saturating_add(1);
    let visible = inner.height.saturating_sub(2);
    if !inner.contains(ratatui::layout::Position::new(x, y))
        || y < first_y
        || y >= first_y.saturating_add(visible)
    {
        return None;
    }
    let i = offset(app.sector_row(), usize::from(visible)) + usize::from(y - first_y);
    (i < app.groups().len()).then_some(i)
}

/// Draws the sector table in `body`: a bordered panel, the column header, a line per industry
/// (the selected one reversed), and what the keys do.
pub fn render_table(frame: &mut Frame<'_>, body: Rect, app: &App) {
    let body = body.intersection(frame.area());
    let t = Theme::of(app);
    let wl = &app.watchlists[app.active];
    let sort = match app.sort {
        SortMode::Config | SortMode::Change | SortMode::Window(_) | SortMode::Streak => {
            "list order".to_owned()
        }
        other => other.label(),
    };
    let title = format!(" Sectors · {} · by {sort} ", wl.name);
    let block = Block::bordered().title(Line::styled(title, t.title()));
    let inner = block.inner(body);
    frame.render_widget(block, body);
    if inner.height < 3 || inner.width < 20 {
        return;
    }
    let width = usize::from(inner.width);
    // The N-day columns that fit beside the longest industry name (at most 28 cells): a
    // name is not cut for them.
    let groups = app.groups();
    let longest = groups
        .iter()
        .map(|g| g.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, 28);
    let days = (0..=app.windows.as_slice().len())
        .rev()
        .find(|k| longest + TABLE_FIXED + DAY_CELL * k + usize::from(*k > 0) < width)
        .unwrap_or(0);
    let name_w = width
        .saturating_sub(TABLE_FIXED + DAY_CELL * days + usize::from(days > 0) + 1)
        .clamp(8, 28);
    let buf = frame.buffer_mut();
    buf.set_stringn(
        inner.x,
        inner.y,
        table_header(app, name_w, days),
        width,
        t.dim(),
    );
    let visible = usize::from(inner.height.saturating_sub(2));
    let first = offset(app.sector_row(), visible);
    let ys = inner.y + 1..inner.bottom() - 1;
    for (y, (i, g)) in ys.zip(groups.iter().enumerate().skip(first).take(visible)) {
        let line = table_line(app, g, name_w, days, t);
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
