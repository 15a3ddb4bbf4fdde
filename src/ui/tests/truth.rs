//! The screen tells the truth at a glance: one day per screen, each market's state and the
//! data's date, the status bar's priority and a key's answer, the first run with a store, the
//! connection's colours, one figure per quantity, the alert log. Snapshots at 80×24, 120×36 and
//! 160×48, with assertions on what each must show; colours are checked on the buffer.

mod bar;
mod day;
mod log;
mod market;

use chrono::{DateTime, Duration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use super::step_back;
use crate::app::fixture::{self, fixed_now};
use crate::app::recorded::StoreState;
use crate::app::{Action, App, Watchlist};
use crate::config::Colors;
use crate::flow::{ConnProblem, Market, MarketState, Period, SecurityCode};
use crate::poller::{ConnState, PollEvent};

/// The three sizes every screen is checked at.
const SIZES: [(u16, u16); 3] = [(80, 24), (120, 36), (160, 48)];

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    t.draw(|f| crate::ui::render(f, f.area(), app)).unwrap();
    t
}

/// The screen's lines as text.
fn lines(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Snapshots `name` at the three sizes after `setup`; `check` gets the size and the lines.
fn snap(name: &str, setup: impl Fn(&mut App), check: impl Fn((u16, u16), &[String])) {
    for size in SIZES {
        let mut a = fixture::app(12, fixed_now(), size);
        setup(&mut a);
        let t = draw(&a);
        check(size, &lines(t.backend().buffer()));
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), t.backend());
    }
}
