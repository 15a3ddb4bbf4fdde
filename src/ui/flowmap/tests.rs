//! The flow map drawn: snapshots at 80×24, 120×36 and 160×48 and without colours; the colours
//! of the tiles (the scale follows `colors`, grey without data), the selection, the legend.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};

use super::*;
use crate::app::Action;
use crate::app::fixture::{self, fixed_now};

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 36), (160, 48)];

fn map_app(size: (u16, u16)) -> App {
    let mut a = fixture::app(12, fixed_now(), size);
    a.simulated = Some("SIMULATED market (seed 1)".into());
    let resize = crate::ui::resize(&a, size);
    a.update(resize);
    a.update(Action::ToggleMap);
    a
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    t.draw(|f| crate::ui::render(f, f.area(), app)).unwrap();
    t
}

fn line(t: &Terminal<TestBackend>, y: u16) -> String {
    let buf = t.backend().buffer();
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_owned())
        .collect()
}

#[test]
fn the_ui_reports_the_tile_area_the_fixture_assumes() {
    for size in SIZES {
        assert_eq!(map_cells(size), (size.0, size.1 - 4));
    }
}

#[test]
fn flow_map_snapshots() {
    for size in SIZES {
        let a = map_app(size);
        let t = draw(&a);
        assert!(line(&t, 0).contains("SIMULATED"), "the badge stays");
        assert!(line(&t, 1).contains("Flow map · Demo"), "{}", line(&t, 1));
        let legend = line(&t, size.1 - 2);
        assert!(legend.contains("Net % of turnover") || legend.contains("Net% "));
        assert!(legend.contains("no data"), "{legend}");
        insta::assert_snapshot!(format!("flow_map_{}x{}", size.0, size.1), t.backend());
    }
}

#[test]
fn flow_map_without_colours_carries_sign_and_percent() {
    let mut a = map_app((120, 36));
    a.no_color = true;
    let t = draw(&a);
    let screen: String = (0..36).map(|y| line(&t, y) + "\n").collect();
    // Every stock with data shows a signed code, and its percent where the tile has two rows.
    for code in a.rows() {
        let pct = a.data(code).and_then(StockData::net_pct);
        let signed = match pct {
            Some(p) if p < 0.0 => format!("-{}", code.code),
            Some(_) => format!("+{}", code.code),
            None => format!("–{}", code.code),
        };
        assert!(screen.contains(&signed), "{signed}\n{screen}");
    }
    let buf = t.backend().buffer();
    for y in 2..34 {
        for x in 0..120 {
            assert_eq!(buf[(x, y)].bg, Color::Reset, "no colour at ({x}, {y})");
        }
    }
    insta::assert_snapshot!("flow_map_no_color_120x36", t.backend());
}

/// The cell at the top left of the tile of row `i`, and its inside (not the gap).
fn tile_cell(a: &App, i: usize) -> (u16, u16) {
    let r = tiles_rect(crate::ui::body(Rect::new(0, 0, a.size.0, a.size.1)));
    let tiles = a.map_tiles_in(Tile::new(r.x, r.y, r.width, r.height));
    (tiles[i].x, tiles[i].y)
}

#[test]
fn colours_follow_net_percent_and_the_scheme() {
    for scheme in [Colors::GreenUp, Colors::RedUp] {
        let mut app = map_app((160, 48));
        app.colors = scheme;
        app.selected = usize::MAX;
        let term = draw(&app);
        let buf = term.backend().buffer();
        let rows: Vec<_> = app.rows().into_iter().cloned().collect();
        let (mut ins, mut outs, mut greys) = (0, 0, 0);
        for (i, code) in rows.iter().enumerate() {
            let (x, y) = tile_cell(&app, i);
            let bg = buf[(x, y)].bg;
            match app.data(code).and_then(StockData::net_pct) {
                None => {
                    assert_eq!(bg, GREY, "{code} has no data: grey");
                    greys += 1;
                }
                Some(p) => {
                    let up_is_green = matches!(scheme, Colors::GreenUp);
                    let shades = if (p >= 0.0) == up_is_green {
                        GREENS
                    } else {
                        REDS
                    };
                    assert_eq!(bg, shades[level(p)], "{code} {p}");
                    if p >= 0.0 { ins += 1 } else { outs += 1 }
                }
            }
        }
        assert!(ins > 0 && outs > 0 && greys > 0, "{ins} {outs} {greys}");
    }
}

#[test]
fn the_selected_tile_is_reversed_and_the_title_names_it() {
    let mut a = map_app((120, 36));
    a.update(Action::ScrollRight);
    let t = draw(&a);
    let (x, y) = tile_cell(&a, a.selected);
    let buf = t.backend().buffer();
    assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
    let other = (0..12).find(|i| *i != a.selected).unwrap();
    let (ox, oy) = tile_cell(&a, other);
    assert!(!buf[(ox, oy)].modifier.contains(Modifier::REVERSED));
    let code = a.focused().unwrap().to_string();
    assert!(
        line(&t, 1).contains(&format!("▸ {code}")),
        "{}",
        line(&t, 1)
    );
}

#[test]
fn the_scale_has_five_shades_a_side() {
    assert_eq!(level(0.0), 0);
    assert_eq!(level(-0.99), 0);
    assert_eq!(level(1.0), 1);
    assert_eq!(level(-4.0), 2);
    assert_eq!(level(7.5), 3);
    assert_eq!(level(-250.0), 4);
    assert_eq!(shade(Some(f64::NAN), Colors::GreenUp, false), Some(GREY));
    assert_eq!(shade(Some(2.0), Colors::GreenUp, true), None);
    assert_eq!(shade(Some(2.0), Colors::RedUp, false), Some(REDS[1]));
    assert_eq!(shade(Some(-12.0), Colors::RedUp, false), Some(GREENS[4]));
}

#[test]
fn tile_text_is_cut_to_the_tile() {
    let code: SecurityCode = "HK.00700".parse().unwrap();
    let lines = |nc, w, h| tile_lines(&code, "Tencent Holdings", Some(3.214), nc, w, h);
    assert_eq!(lines(false, 20, 3), ["00700", "Tencent Holdings", "+3.21%"]);
    assert_eq!(lines(false, 8, 3), ["00700", "Tencent…", "+3.21%"]);
    assert_eq!(lines(false, 20, 2), ["00700", "+3.21%"]);
    // A narrow tile rounds the percentage before it cuts it.
    assert_eq!(lines(false, 5, 3), ["00700", "Tenc…", "+3.2%"]);
    assert_eq!(lines(false, 3, 2), ["00…", "+3%"]);
    assert_eq!(lines(false, 2, 2), ["0…", "+…"]);
    assert_eq!(lines(false, 20, 1), ["00700 +3.21%"]);
    assert_eq!(lines(false, 4, 1), ["007…"]);
    assert_eq!(lines(true, 4, 1), ["+00…"]);
    assert_eq!(lines(true, 20, 1), ["+00700 +3.21%"]);
    assert!(lines(false, 0, 0).is_empty());
    // A name from OpenD with escapes and controls draws only what the buffer draws, cut to fit.
    let evil = tile_lines(&code, "\u{1b}[2J\u{7}腾讯控股", Some(1.0), false, 6, 3);
    assert_eq!(evil[1], "[2J腾…");
    assert!(evil.iter().all(|l| crate::ui::text::width(l) <= 6));
    let none = tile_lines(&code, "…", None, true, 10, 3);
    assert_eq!(none, ["–00700", "…", "–"]);
}

#[test]
fn five_hundred_stocks_and_every_size_from_80x24_to_300x100_draw() {
    for size in [(80, 24), (100, 30), (200, 60), (300, 100), (20, 6), (1, 1)] {
        let mut a = fixture::app(500, fixed_now(), size);
        let resize = crate::ui::resize(&a, size);
        a.update(resize);
        a.update(Action::ToggleMap);
        a.update(Action::ScrollRight);
        a.update(Action::Down);
        let _ = draw(&a);
    }
}

/// 60 stocks at 80×24: small tiles keep their colour and as much of the code as fits; a
/// rounded percentage where the two decimals do not fit.
#[test]
fn small_tiles_snapshot() {
    let mut a = fixture::app(60, fixed_now(), (80, 24));
    let resize = crate::ui::resize(&a, (80, 24));
    a.update(resize);
    a.update(Action::ToggleMap);
    let t = draw(&a);
    let buf = t.backend().buffer();
    // Every stock has a tile with a colour at its top left.
    for (i, _) in a.rows().iter().enumerate() {
        let (x, y) = tile_cell(&a, i);
        assert_ne!(buf[(x, y)].bg, Color::Reset, "row {i}");
    }
    insta::assert_snapshot!("flow_map_60_stocks_80x24", t.backend());
}
