//! The README pictures as SVG: [`dashboard`] renders the fixture dashboard, [`sectors_map`]
//! its flow map grouped by industry, and
//! [`buffer_to_svg`] turns a rendered `Buffer` into an SVG picture (block glyphs become exact
//! rectangles, other text runs become `<text>` in a monospace font, colours and reverse video are
//! kept). Pure string building, no IO: `examples/screenshot.rs` writes the file and
//! `tests/it/assets.rs` checks it, both with this code. A tool for the README, not part of the
//! library.

use std::fmt::Write as _;

use capflow::app::fixture::{self, fixed_now};
use capflow::config::Colors;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use capflow::ui::sparkline::LEVELS;

/// Terminal size of the picture (columns, rows).
pub const SIZE: (u16, u16) = (160, 48);

/// The SVG of the README picture: the fixture dashboard (12 demo stocks at the fixed clock,
/// simulated, green up) at [`SIZE`].
pub fn dashboard() -> String {
    let mut app = fixture::app(12, fixed_now(), SIZE);
    app.simulated = Some("SIMULATED market".into());
    app.colors = Colors::GreenUp;
    let Ok(mut terminal) = Terminal::new(TestBackend::new(SIZE.0, SIZE.1));
    let Ok(_) = terminal.draw(|f| capflow::ui::render(f, f.area(), &app));
    buffer_to_svg(terminal.backend().buffer())
}

/// Terminal size of the search picture.
pub const SEARCH_SIZE: (u16, u16) = (120, 30);

/// The SVG of the README's search picture: the fixture dashboard at [`SEARCH_SIZE`] with the
/// search box open on `tenc`, OpenD's answer shown, the second result chosen.
pub fn search() -> String {
    use capflow::app::Action;
    use capflow::app::edit::TextKey;
    use capflow::flow::search::Tier;
    use capflow::poller::search::{Hit, Source};
    let mut app = fixture::app(12, fixed_now(), SEARCH_SIZE);
    app.simulated = Some("SIMULATED market".into());
    app.colors = Colors::GreenUp;
    let hit = |code: &str, name: &str, sec_type: i32, in_list: bool| {
        let c: capflow::flow::SecurityCode = code.parse().ok()?;
        Some(Hit {
            market: c.market,
            code: Some(c.code),
            name: Some(name.into()),
            sec_type: Some(sec_type),
            is_watched: Some(false),
            in_list,
            tier: Tier::Name,
            source: Source::OpenD,
        })
    };
    app.update(Action::OpenSearch);
    for c in "tenc".chars() {
        app.update(Action::Text(TextKey::Char(c)));
    }
    app.update(Action::SearchBudget(Some((3, 10))));
    let hits = [
        hit("HK.00700", "TENCENT", 3, true),
        hit("HK.01698", "TENCENT MUSIC-SW", 3, false),
        hit("US.TME", "Tencent Music Entertainment Group", 3, false),
        hit("HK.18001", "HS-TENCT@EC2612A", 5, false),
    ];
    app.update(Action::SearchFound {
        query: "tenc".into(),
        hits: hits.into_iter().flatten().collect(),
    });
    app.update(Action::Text(TextKey::Down));
    let Ok(mut terminal) = Terminal::new(TestBackend::new(SEARCH_SIZE.0, SEARCH_SIZE.1));
    let Ok(_) = terminal.draw(|f| capflow::ui::render(f, f.area(), &app));
    buffer_to_svg(terminal.backend().buffer())
}

/// The SVG of the README's sectors picture: the same fixture with industries, its flow map
/// grouped by industry (`f`, `g`) at [`SIZE`].
pub fn sectors_map() -> String {
    let mut app = fixture::app(12, fixed_now(), SIZE);
    app.simulated = Some("SIMULATED market".into());
    app.colors = Colors::GreenUp;
    fixture::industries(&mut app);
    app.update(capflow::app::Action::ToggleGroup);
    app.update(capflow::app::Action::ToggleMap);
    let Ok(mut terminal) = Terminal::new(TestBackend::new(SIZE.0, SIZE.1));
    let Ok(_) = terminal.draw(|f| capflow::ui::render(f, f.area(), &app));
    buffer_to_svg(terminal.backend().buffer())
}

/// Cell size in pixels.
const CW: f64 = 9.0;
const CH: f64 = 18.0;
const DEFAULT_FG: &str = "#d4d4d4";
const DEFAULT_BG: &str = "#1e1e1e";

/// CSS colour of a terminal colour (`None` = the default).
fn css(c: Color) -> Option<String> {
    let named = match c {
        Color::Reset => return None,
        Color::Black => "#000000",
        Color::Red => "#e03b3b",
        Color::Green => "#23c45e",
        Color::Yellow => "#e5c310",
        Color::Blue => "#3b82f6",
        Color::Magenta => "#c04fc0",
        Color::Cyan => "#22b8cf",
        Color::Gray => "#b0b0b0",
        Color::DarkGray => "#6b6b6b",
        Color::LightRed => "#f87171",
        Color::LightGreen => "#86efac",
        Color::LightYellow => "#fde68a",
        Color::LightBlue => "#93c5fd",
        Color::LightMagenta => "#f0abfc",
        Color::LightCyan => "#a5f3fc",
        Color::White => "#ffffff",
        Color::Rgb(r, g, b) => return Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Indexed(i) => return Some(format!("#{i:02x}{i:02x}{i:02x}")),
    };
    Some(named.to_string())
}

/// A count of cells as an f64 coordinate factor (a row holds a few hundred cells: exact).
fn count(n: usize) -> f64 {
    u32::try_from(n).map_or(f64::from(u32::MAX), f64::from)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The SVG of a buffer.
pub fn buffer_to_svg(buf: &Buffer) -> String {
    let a = buf.area;
    let (w, h) = (f64::from(a.width) * CW, f64::from(a.height) * CH);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"15\">\n\
<rect width=\"100%\" height=\"100%\" fill=\"{DEFAULT_BG}\"/>\n"
    );
    for y in a.top()..a.bottom() {
        let py = f64::from(y - a.y) * CH;
        let mut run = String::new();
        let mut run_x = 0.0;
        let mut run_style: Option<(String, bool)> = None;
        let flush = |out: &mut String, run: &mut String, x: f64, st: &Option<(String, bool)>| {
            if !run.trim().is_empty()
                && let Some((fill, bold)) = st
            {
                let weight = if *bold { " font-weight=\"bold\"" } else { "" };
                let _ = writeln!(
                    out,
                    "<text x=\"{x}\" y=\"{}\" fill=\"{fill}\"{weight} textLength=\"{}\" lengthAdjust=\"spacing\" xml:space=\"preserve\">{}</text>",
                    py + CH * 0.75,
                    count(run.chars().count()) * CW,
                    esc(run)
                );
            }
            run.clear();
        };
        for x in a.left()..a.right() {
            let cell = &buf[(x, y)];
            let px = f64::from(x - a.x) * CW;
            let (mut fg, mut bg) = (
                css(cell.fg).unwrap_or_else(|| DEFAULT_FG.into()),
                css(cell.bg),
            );
            if cell.modifier.contains(Modifier::REVERSED) {
                let old_fg = fg.clone();
                fg = bg.unwrap_or_else(|| DEFAULT_BG.into());
                bg = Some(old_fg);
            }
            if let Some(bg) = &bg {
                let _ = writeln!(
                    out,
                    "<rect x=\"{px}\" y=\"{py}\" width=\"{CW}\" height=\"{CH}\" fill=\"{bg}\"/>"
                );
            }
            let sym = cell.symbol();
            if let Some(k) = LEVELS.iter().position(|l| *l == sym).filter(|k| *k > 0) {
                let fh = CH * count(k) / 8.0;
                let _ = writeln!(
                    out,
                    "<rect x=\"{px}\" y=\"{}\" width=\"{CW}\" height=\"{fh}\" fill=\"{fg}\"/>",
                    py + CH - fh
                );
                flush(&mut out, &mut run, run_x, &run_style);
                run_style = None;
                continue;
            }
            let style = Some((fg, cell.modifier.contains(Modifier::BOLD)));
            if style != run_style {
                flush(&mut out, &mut run, run_x, &run_style);
                run_style = style;
                run_x = px;
            }
            if run.is_empty() {
                run_x = px;
            }
            run.push_str(sym);
        }
        flush(&mut out, &mut run, run_x, &run_style);
    }
    out.push_str("</svg>\n");
    out
}
