//! Alerts on screen: the log overlay (`a`), the mark on the row of a stock that alerted in the
//! last [`MARK_MINUTES`](crate::app::alerts::MARK_MINUTES) minutes, and the newest alert in the
//! status bar. Pure: reads `&App`, never the clock.
//!
//! ```text
//! ┌ alerts · 3 · SIMULATED · a or Esc closes ──────────────────────────┐
//! │ Time                Code       Name          Rule            Value │
//! │ 11-25 10:31:00 HKT  HK.00700   TENCENT       main inflow     +523M │
//! │ 11-24 21:22:18 EST  US.AAPL    APPLE         net outflow      -80M │
//! └────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::placeable;
use super::text::{cut, right};
use super::theme::Theme;
use crate::alert::Alert;
use crate::app::App;
use crate::flow::{Schedule, SecurityCode};

/// The mark drawn on an alerted stock's row.
pub const MARK: &str = "!";

/// "10:31:00 HKT": an alert's time in its market's time zone.
fn time_text(a: &Alert) -> String {
    super::market_time(&a.code, a.time)
}

/// "11-25 10:31:00 HKT": an alert's date and time in its market's time zone (the log lists
/// markets whose dates differ at one instant).
fn date_time_text(a: &Alert) -> String {
    if !placeable(a.time) {
        return "--:--:--".into();
    }
    match Schedule::of(a.code.market) {
        Some(s) => a
            .time
            .with_timezone(&s.tz)
            .format("%m-%d %H:%M:%S %Z")
            .to_string(),
        None => a.time.format("%m-%d %H:%M:%S UTC").to_string(),
    }
}

/// Cells of the log's time column: "11-25 10:31:00 HKT".
const TIME_W: usize = 18;

/// Puts the alert mark at `(x, y)` when `code` alerted in the last minutes.
pub fn mark(frame: &mut Frame<'_>, x: u16, y: u16, app: &App, code: &SecurityCode) {
    if !app.alerts.recent(code, app.now) {
        return;
    }
    let t = Theme::of(app);
    if let Some(c) = frame.buffer_mut().cell_mut((x, y)) {
        c.set_symbol(MARK).set_style(t.warn());
    }
}

/// The newest alert for the status bar, while it is recent, longest form first: with its
/// time and rule ("! 14:09:00 HKT AIA HK net flow: +167M (a: log)"), without its time, and
/// its stock and value alone ("! AIA +167M (a: log)").
pub fn newest(app: &App) -> Vec<Vec<Span<'static>>> {
    let Some(a) = app.alerts.newest() else {
        return Vec::new();
    };
    if !app.alerts.recent(&a.code, app.now) {
        return Vec::new();
    }
    let t = Theme::of(app);
    let (stock, value) = (a.stock_or_code(), a.value_text(app.units));
    let hint = if app.alert_log_open() { "" } else { "(a: log)" };
    [
        format!("{} {stock} {}: {value} {hint}", time_text(a), a.rule),
        format!("{stock} {}: {value} {hint}", a.rule),
        format!("{stock} {value} {hint}"),
    ]
    .map(|text| vec![Span::styled(format!(" {MARK} "), t.warn()), Span::raw(text)])
    .to_vec()
}

/// Draws the alert log centred in `area`, newest first (by the instant), each with its
/// market's date and time; as tall as the log is, up to
/// [`log_rows`](crate::app::alerts::log_rows), and as tall while it scrolls.
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    // Only the part of `area` on screen: every position below is inside the buffer.
    let area = area.intersection(frame.area());
    let t = Theme::of(app);
    let w = area.width.min(106);
    let inner_w = usize::from(w.saturating_sub(2));
    // Time, code, value fixed; name and rule share the rest.
    let fixed = TIME_W + 1 + 10 + 1 + 9 + 1;
    let flexible = inner_w.saturating_sub(fixed + 1);
    let name_w = (flexible * 2 / 5).max(4);
    let rule_w = flexible.saturating_sub(name_w + 1).max(4);
    let row = |time: &str, code: &str, name: &str, rule: &str| {
        format!(
            " {} {} {} {} ",
            cut(time, TIME_W),
            cut(code, 10),
            cut(name, name_w),
            cut(rule, rule_w),
        )
    };
    let mut lines = vec![Line::styled(
        format!(
            "{}{}",
            row("Time", "Code", "Name", "Rule"),
            right("Value", 9)
        ),
        t.dim(),
    )];
    let log = &app.alerts.log;
    if log.is_empty() {
        let text = if app.alerts.has_rules() {
            " no alerts yet today"
        } else {
            " no [[alert]] rules: add some to the config (see config.example.toml)"
        };
        lines.push(Line::styled(text, t.dim()));
    }
    // A fixed height: the page the app scrolls by; the first row shown keeps it full.
    let room = crate::app::alerts::log_rows((area.width, area.height));
    let first = app.alerts.scroll.min(log.len().saturating_sub(room));
    for a in log.iter().rev().skip(first).take(room) {
        let value = a.value_text(app.units);
        let style = if a.kind.is_ratio() {
            ratatui::style::Style::default()
        } else {
            t.signed(a.value)
        };
        lines.push(Line::from(vec![
            Span::raw(row(
                &date_time_text(a),
                &a.code.to_string(),
                &a.stock_or_code(),
                &a.rule,
            )),
            Span::styled(right(&value, 9), style),
        ]));
    }
    let r = super::centered(area, w, lines.len());
    let mut title = vec![Span::styled(format!(" alerts · {} ", log.len()), t.title())];
    if app.simulated.is_some() {
        title.push(Span::styled(" SIMULATED ", t.badge()));
    }
    title.push(Span::styled(" ↑↓ scroll · a or Esc closes ", t.title()));
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(Line::from(title))),
        r,
    );
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::alert::{AlertKind, AlertRule, AlertScope, Threshold};
    use crate::app::{Action, App};

    const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

    fn rules() -> Vec<AlertRule> {
        let r = |name: &str, kind: AlertKind, value: f64| AlertRule {
            name: name.into(),
            kind,
            threshold: Threshold {
                value,
                signed: true,
            },
            scope: AlertScope::Watchlist("HK".into()),
            window_minutes: None,
            cooldown_secs: 600,
            bell: false,
            command: Vec::new(),
        };
        vec![
            r("HK main in", AlertKind::MainAbove, -1e12),
            r("HK net flow", AlertKind::NetAbove, -1e12),
        ]
    }

    fn app(size: (u16, u16)) -> App {
        let mut a = crate::app::alerts::tests::alerted(rules(), &[40, 20, 9, 3, 1], size);
        a.simulated = Some("SIMULATED market (seed 1)".into());
        a
    }

    fn draw(app: &App) -> Terminal<TestBackend> {
        let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
        t.draw(|f| crate::ui::render(f, f.area(), app)).unwrap();
        t
    }

    #[test]
    fn rows_are_marked_and_the_newest_alert_is_in_the_status_bar() {
        for size in SIZES {
            let mut a = app(size);
            a.update(Action::NextWatchlist);
            let t = draw(&a);
            insta::assert_snapshot!(format!("alert_marks_{}x{}", size.0, size.1), t.backend());
        }
    }

    #[test]
    fn the_alert_log_lists_the_day_newest_first() {
        for size in SIZES {
            let mut a = app(size);
            a.update(Action::ToggleAlerts);
            let t = draw(&a);
            insta::assert_snapshot!(format!("alert_log_{}x{}", size.0, size.1), t.backend());
        }
    }

    #[test]
    fn marks_sit_after_the_code_only_on_recent_alerts() {
        let mut a = app((160, 48));
        a.update(Action::NextWatchlist);
        let t = draw(&a);
        let buf = t.backend().buffer();
        // Rows start under the column header: the list's inner area begins at x = 1, y = 3.
        let marks: Vec<String> = (0..5)
            .map(|i| buf[(11, 3 + i)].symbol().to_owned())
            .collect();
        assert_eq!(
            marks,
            [" ", " ", "!", "!", "!"],
            "40 and 20 minutes ago are not recent"
        );
    }

    #[test]
    fn the_mark_follows_the_code_wherever_the_columns_put_it() {
        use crate::config::{Column, Columns};
        let mut a = app((160, 48));
        a.update(Action::NextWatchlist);
        a.columns = Columns::new(&[Column::Name, Column::Net, Column::Code, Column::Sparkline]);
        let t = draw(&a);
        let buf = t.backend().buffer();
        let marks: Vec<String> = (0..5)
            .map(|i| {
                let cells: Vec<&str> = (0..buf.area.width)
                    .map(|x| buf[(x, 3 + i)].symbol())
                    .collect();
                let code = cells
                    .windows(3)
                    .position(|w| w == ["H", "K", "."])
                    .expect("a code on the row");
                assert!(code > 10, "the code is not first");
                cells[code + 10].to_owned()
            })
            .collect();
        assert_eq!(marks, [" ", " ", "!", "!", "!"]);
    }

    #[test]
    fn an_empty_log_says_why() {
        let mut a = crate::app::fixture::app(3, crate::app::fixture::fixed_now(), (80, 24));
        a.update(Action::ToggleAlerts);
        let text = format!("{:?}", draw(&a).backend().buffer());
        assert!(text.contains("no [[alert]] rules"), "{text}");
        a.set_alert_rules(rules());
        let text = format!("{:?}", draw(&a).backend().buffer());
        assert!(text.contains("no alerts yet today"), "{text}");
    }
}
