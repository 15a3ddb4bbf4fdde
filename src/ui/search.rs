//! The search box (`/`) and the edit prompts (`n`, `R`, `D`) over the dashboard. The box: the
//! line typed with its cursor, then one row per result (market, code, name, type, `✓` when it is
//! already in the current list), the chosen one highlighted; its title names the list it adds
//! to and, while OpenD's search is used, its budget. A prompt is a one-line box at the bottom.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::text::{cut, ellipsis, width};
use super::theme::Theme;
use crate::app::App;
use crate::app::search::SearchBox;
use crate::flow::security::sec_type_name;
use crate::poller::search::Hit;

/// The box's width at most.
const MAX_W: u16 = 84;
/// Result rows shown at most.
const MAX_ROWS: usize = 12;

/// Draws the search box or the prompt, when one is open.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let area = area.intersection(frame.area());
    if area.width < 8 || area.height < 4 {
        return;
    }
    if let Some(b) = &app.editing.search {
        render_search(frame, area, app, b);
    } else if let Some(p) = &app.editing.prompt {
        let t = Theme::of(app);
        let (ask, typed) = p.text();
        let w = area.width.min(MAX_W);
        let inner = usize::from(w.saturating_sub(2));
        let line = format!("{ask}{typed}");
        let shown = ellipsis(&line, inner);
        let r = Rect {
            x: area.x + (area.width - w) / 2,
            y: area.y + area.height.saturating_sub(4),
            width: w,
            height: 3,
        };
        frame.render_widget(Clear, r);
        let keys = match p {
            crate::app::edit::Prompt::ConfirmDelete(_) => " y deletes · n or Esc keeps it ",
            _ => " Enter confirms · Esc cancels ",
        };
        let title = Span::styled(keys, t.title());
        frame.render_widget(
            Paragraph::new(Line::raw(shown.clone())).block(Block::bordered().title(title)),
            r,
        );
        place_cursor(frame, r, width(&shown));
    }
}

fn render_search(frame: &mut Frame<'_>, area: Rect, app: &App, b: &SearchBox) {
    let t = Theme::of(app);
    let w = area.width.min(MAX_W);
    let inner = usize::from(w.saturating_sub(2));
    let room = usize::from(area.height.saturating_sub(5)).clamp(1, MAX_ROWS);
    let mut lines = vec![Line::from(vec![
        Span::styled("/ ", t.title()),
        Span::raw(cut(b.input.value(), inner.saturating_sub(2))),
    ])];
    if let Some(m) = &b.message {
        lines.push(Line::styled(ellipsis(m, inner), t.warn()));
    } else if b.hits.is_empty() {
        let text = match &b.answered {
            Some(_) => "no match: a code (700, HK.00700, aapl) or a name (tencent, 腾讯)",
            None => "type a code (700, HK.00700, aapl) or a name (tencent, 腾讯)",
        };
        lines.push(Line::styled(ellipsis(text, inner), t.dim()));
    }
    let first = b.selected.saturating_sub(room.saturating_sub(1));
    for (i, h) in b.hits.iter().enumerate().skip(first).take(room) {
        let text = row(h, inner);
        if i == b.selected {
            lines.push(Line::styled(text, t.selected()));
        } else {
            lines.push(Line::raw(text));
        }
    }
    let list = &app.watchlists[app.active].name;
    let mut title = vec![Span::styled(
        format!(" add to {} ", ellipsis(list, 20)),
        t.title(),
    )];
    if let Some((used, cap)) = app.editing.budget {
        let style = if used >= cap { t.warn() } else { t.dim() };
        title.push(Span::styled(format!("search {used}/{cap} "), style));
    }
    let help = Span::styled(" ↑↓ choose · Enter adds · Esc closes ", t.dim());
    let r = super::centered(area, w, lines.len());
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Line::from(title))
                .title_bottom(Line::from(help)),
        ),
        r,
    );
    let typed = width(b.input.value()).min(b.input.visual_cursor());
    place_cursor(frame, r, typed.saturating_add(2));
}

/// One result: mark, market, code, name, type, in `w` cells.
fn row(h: &Hit, w: usize) -> String {
    let mark = if h.in_list { "✓" } else { " " };
    let code = h.code.as_deref().unwrap_or("?");
    let kind = h.sec_type.map_or("N/A", sec_type_name);
    let name_w = w.saturating_sub(2 + 3 + 10 + 8 + 4);
    cut(
        &format!(
            "{mark} {} {} {} {}",
            cut(h.market.prefix(), 3),
            cut(code, 10),
            cut(h.name.as_deref().unwrap_or(""), name_w),
            cut(kind, 8),
        ),
        w,
    )
}

/// The terminal's cursor after `col` cells of the box's first line.
fn place_cursor(frame: &mut Frame<'_>, r: Rect, col: usize) {
    let x =
        r.x.saturating_add(1)
            .saturating_add(super::cells(col))
            .min(r.right().saturating_sub(2));
    frame.set_cursor_position(Position::new(x, r.y + 1));
}

#[cfg(test)]
mod tests;
