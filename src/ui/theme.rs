//! Colours: the up/down convention (the config's [`Colors`]: green-up or red-up) mapped to
//! terminal colours, one shade per order size, and NO_COLOR.
//!
//! Render functions ask a [`Theme`] for styles and never pick colours themselves. With
//! `no_color` every style is plain (modifiers only), as <https://no-color.org> asks.

use ratatui::style::{Color, Modifier, Style};

use crate::app::App;
use crate::config::Colors;

const GREENS: [Color; 4] = [
    Color::Rgb(0, 150, 60),
    Color::Rgb(60, 190, 90),
    Color::Rgb(120, 215, 140),
    Color::Rgb(180, 235, 190),
];
const REDS: [Color; 4] = [
    Color::Rgb(200, 30, 40),
    Color::Rgb(235, 80, 80),
    Color::Rgb(245, 135, 130),
    Color::Rgb(250, 185, 180),
];
/// Line colours of the five-line trend: in_flow, super, big, mid, sml.
const TREND: [Color; 5] = [
    Color::Yellow,
    Color::Magenta,
    Color::Cyan,
    Color::Blue,
    Color::Gray,
];

/// The connection's state as the status bar colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnLook {
    /// Connected to OpenD.
    Connected,
    /// The first connect is in progress.
    Connecting,
    /// Lost; a reconnect is scheduled.
    Disconnected,
}

/// Styles for one dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// The convention (a config value; this module maps it to colours).
    pub scheme: Colors,
    /// No colours at all.
    pub no_color: bool,
}

impl Theme {
    /// The theme an app asks for.
    pub fn of(app: &App) -> Theme {
        Theme {
            scheme: app.colors,
            no_color: app.no_color,
        }
    }

    fn color(self, c: Color) -> Style {
        if self.no_color {
            Style::default()
        } else {
            Style::default().fg(c)
        }
    }

    /// The raw up colour (`Reset` without colours).
    pub fn up_color(self) -> Color {
        match (self.no_color, self.scheme) {
            (true, _) => Color::Reset,
            (false, Colors::GreenUp) => Color::Green,
            (false, Colors::RedUp) => Color::Red,
        }
    }

    /// The raw down colour (`Reset` without colours).
    pub fn down_color(self) -> Color {
        match (self.no_color, self.scheme) {
            (true, _) => Color::Reset,
            (false, Colors::GreenUp) => Color::Red,
            (false, Colors::RedUp) => Color::Green,
        }
    }

    /// Style of a signed amount: up colour above zero, down colour below, plain at zero.
    pub fn signed(self, v: f64) -> Style {
        if v > 0.0 {
            self.color(self.up_color())
        } else if v < 0.0 {
            self.color(self.down_color())
        } else {
            Style::default()
        }
    }

    /// Shade of an order size (0 = super … 3 = sml) for a positive or negative segment.
    pub fn size_shade(self, size: usize, positive: bool) -> Color {
        if self.no_color {
            return Color::Reset;
        }
        let up = matches!(self.scheme, Colors::GreenUp) == positive;
        if up { GREENS[size % 4] } else { REDS[size % 4] }
    }

    /// Line colour of the trend chart (0 = in_flow, 1..=4 = super..sml).
    pub fn trend(self, line: usize) -> Style {
        self.color(TREND[line % 5])
    }

    /// The price line of the charts and its scale (a colour no flow line has).
    pub fn price(self) -> Style {
        self.color(Color::White)
    }

    /// The history view's cumulative main-net line (`c`).
    pub fn cumulative(self) -> Style {
        self.color(Color::LightMagenta)
    }

    /// Titles and headers.
    pub fn title(self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    /// Secondary text.
    pub fn dim(self) -> Style {
        if self.no_color {
            Style::default()
        } else {
            Style::default().fg(Color::DarkGray)
        }
    }

    /// Warnings (stale data, a key that had nothing to do).
    pub fn warn(self) -> Style {
        self.color(Color::Yellow)
    }

    /// The connection's state, in colours that say nothing about prices (red and green mean up
    /// or down, by the scheme): connected cyan, connecting yellow, disconnected magenta and bold.
    /// Each state has its own symbol and word too (● connected, ◌ connecting, ✖ disconnected),
    /// which carry it alone under NO_COLOR.
    pub fn connection(self, state: ConnLook) -> Style {
        match state {
            ConnLook::Connected => self.color(Color::Cyan),
            ConnLook::Connecting => self.color(Color::Yellow),
            ConnLook::Disconnected => self.color(Color::Magenta).add_modifier(Modifier::BOLD),
        }
    }

    /// A row whose market does not trade: its figures are the last session's, not live.
    pub fn not_live(self) -> Style {
        Style::default().add_modifier(Modifier::DIM)
    }

    /// Errors.
    pub fn error(self) -> Style {
        self.color(Color::LightRed).add_modifier(Modifier::BOLD)
    }

    /// The selected row.
    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    /// The SIMULATED badge.
    pub fn badge(self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        }
    }
}
