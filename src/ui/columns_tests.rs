//! `[ui] columns` on screen: the watchlist in a custom order at 80×24 and 160×48, a column left
//! out really absent from the list, the grouped list's sums in the columns shown, the alert
//! mark after the code wherever the code is.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::fixture::{self, fixed_now};
use crate::app::{Action, App};
use crate::config::{Column, Columns};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn app(size: (u16, u16), columns: &[Column]) -> App {
    let mut a = fixture::app(12, fixed_now(), size);
    a.columns = Columns::new(columns);
    a
}

fn text(app: &App) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    t.draw(|f| super::render(f, f.area(), app)).unwrap();
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect()
        })
        .collect()
}

/// The watchlist panel's lines: from its column header to its summary line, inside its borders.
fn list(screen: &[String]) -> Vec<String> {
    let start = screen
        .iter()
        .position(|l| l.contains("Code"))
        .expect("a column header");
    screen[start..]
        .iter()
        .take_while(|l| !l.contains('└'))
        .map(|l| {
            // The list's own cells: up to its right border (the detail may sit beside it).
            let inner: String = l.chars().skip(1).collect();
            inner.split('│').next().unwrap_or_default().to_owned()
        })
        .collect()
}

const CUSTOM: [Column; 8] = [
    Column::Streak,
    Column::Window(5),
    Column::Code,
    Column::Name,
    Column::Main,
    Column::NetPct,
    Column::Sparkline,
    Column::Age,
];

#[test]
fn a_custom_order_at_each_size() {
    for size in SIZES {
        let mut a = app(size, &CUSTOM);
        a.update(Action::CycleSort);
        let t = text(&a).join("\n");
        insta::assert_snapshot!(format!("custom_order_{}x{}", size.0, size.1), t);
        let list = list(&text(&a));
        // In the order given, the sort on the first sortable column shown (main).
        let h = &list[0];
        let at = |s: &str| h.find(s).unwrap_or_else(|| panic!("{s} in {h}"));
        assert!(at("Code") < at("Name") && at("Name") < at("Main▼"), "{h}");
        assert!(at("Main▼") < at("Net%") && at("Net%") < at("Age"), "{h}");
        assert!(!h.contains("Last") && !h.contains("Chg%") && !h.contains(" Net "));
    }
}

#[test]
fn a_column_left_out_is_absent_from_the_list() {
    let shown = [Column::Code, Column::Name, Column::Main, Column::Sparkline];
    for size in SIZES {
        let every = list(&text(&app(size, Columns::all(&[5, 20]).as_slice())));
        let some = list(&text(&app(size, &shown)));
        let row = |l: &[String]| l.iter().find(|r| r.contains("HK.00005")).cloned().unwrap();
        // HSBC: last 98.65, chg +1.34%, net -52.7M, main -72.3M, net % -6.66%, ◆, age 22s.
        for figure in ["98.65", "+1.34%", "-52.7M", "-6.66%", "◆", "22s"] {
            assert!(row(&every).contains(figure), "{figure}: {}", row(&every));
            assert!(!row(&some).contains(figure), "{figure}: {}", row(&some));
        }
        assert!(row(&some).contains("-72.3M"), "{}", row(&some));
        for head in ["Last", "Chg%", "Net%", "Age"] {
            assert!(every[0].contains(head), "{head}: {}", every[0]);
            assert!(!some[0].contains(head), "{head}: {}", some[0]);
        }
    }
}

#[test]
fn group_headers_put_their_sums_in_the_columns_shown() {
    for size in SIZES {
        let mut a = app(
            size,
            &[Column::Main, Column::Code, Column::Name, Column::Age],
        );
        fixture::industries(&mut a);
        a.update(Action::ToggleGroup);
        let list = list(&text(&a));
        let header = list
            .iter()
            .find(|l| l.contains('▾'))
            .expect("a group header");
        // No room left of main: the group's name goes before its turnover, after its main.
        let (main, name) = (header.find(['+', '-', '–']), header.find('▾'));
        assert!(main < name, "{header}");
        assert!(header.contains("turnover"), "{header}");
        assert!(!header.contains('…') || header.trim_end().ends_with('…'));
    }
}
