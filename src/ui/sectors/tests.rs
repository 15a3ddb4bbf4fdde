//! Snapshots of the grouped list, the grouped flow map and the sector table at 80×24 and
//! 160×48, and what their lines must say: the headers' sums are their members', the labels
//! name the industries, a click on a header selects its first member.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::fixture::{self, fixed_now};
use crate::app::{Action, App};
use crate::flow::human;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn grouped(size: (u16, u16)) -> App {
    let mut a = fixture::app(12, fixed_now(), size);
    a.simulated = Some("SIMULATED market (seed 1)".into());
    let resize = crate::ui::resize(&a, size);
    a.update(resize);
    fixture::industries(&mut a);
    a.update(Action::CycleSort);
    a.update(Action::ToggleGroup);
    a
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    t.draw(|f| crate::ui::render(f, f.area(), app)).unwrap();
    t
}

fn text(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn grouped_list_snapshots_and_header_sums() {
    for size in SIZES {
        let a = grouped(size);
        let t = draw(&a);
        let lines = text(&t);
        // The first group's header shows its summed net and main, in the members' columns.
        let g = &a.groups()[0];
        let header = lines
            .iter()
            .find(|l| l.contains(&format!("▾ {} · {}", g.name, g.members.len())))
            .unwrap_or_else(|| panic!("no header for {}: {lines:#?}", g.name));
        assert!(
            header.contains(&human(g.sums.net.unwrap(), a.units)),
            "{header}"
        );
        assert!(
            header.contains(&human(g.sums.main.unwrap(), a.units)),
            "{header}"
        );
        insta::assert_snapshot!(format!("grouped_list_{}x{}", size.0, size.1), t.backend());
    }
}

#[test]
fn grouped_map_snapshots_and_labels() {
    for size in SIZES {
        let mut a = grouped(size);
        a.update(Action::ToggleMap);
        let t = draw(&a);
        let lines = text(&t);
        assert!(lines[1].contains("by industry"), "{}", lines[1]);
        assert!(
            lines.iter().any(|l| l.contains("Internet")),
            "a block is labelled: {lines:#?}"
        );
        insta::assert_snapshot!(format!("grouped_map_{}x{}", size.0, size.1), t.backend());
    }
}

#[test]
fn sector_table_snapshots() {
    for size in SIZES {
        let mut a = grouped(size);
        a.update(Action::ToggleSectors);
        let t = draw(&a);
        let lines = text(&t);
        for g in a.groups() {
            let row = lines
                .iter()
                .find(|l| l.contains(g.name) && l.contains(&human(g.sums.net.unwrap(), a.units)));
            assert!(row.is_some(), "{} with its net: {lines:#?}", g.name);
        }
        if size.0 >= 160 {
            assert!(
                lines.iter().any(|l| l.contains("HK.00700 also in Media")),
                "Tencent's second industry is said: {lines:#?}"
            );
        }
        insta::assert_snapshot!(format!("sector_table_{}x{}", size.0, size.1), t.backend());
    }
}

#[test]
fn a_click_on_a_header_selects_its_first_member() {
    let a = grouped((160, 48));
    let t = draw(&a);
    let lines = text(&t);
    let group = &a.groups()[1];
    let header = lines
        .iter()
        .position(|l| l.contains(&format!("▾ {} ·", group.name)))
        .unwrap();
    let header = u16::try_from(header).unwrap();
    let row = crate::ui::watchlist::row_at(&a, 5, header).unwrap();
    assert_eq!(a.rows()[row], group.members[0]);
    let row = crate::ui::watchlist::row_at(&a, 5, header + 1).unwrap();
    assert_eq!(a.rows()[row], group.members[0], "the member's own row");
}

#[test]
fn the_detail_names_the_industry_and_the_others_where_it_fits() {
    let mut a = grouped((240, 48));
    let tencent = "HK.00700".parse().unwrap();
    let i = a.rows().iter().position(|c| **c == tencent).unwrap();
    a.update(Action::Select(i));
    let t = draw(&a);
    let lines = text(&t);
    assert!(
        lines.iter().any(|l| l.contains("Internet (also in Media)")),
        "{lines:#?}"
    );
}

#[test]
fn a_click_on_the_sector_table_selects_that_industry() {
    let mut a = grouped((160, 48));
    a.update(Action::ToggleSectors);
    let t = draw(&a);
    let lines = text(&t);
    let name = a.groups()[2].name.to_owned();
    let y = lines
        .iter()
        .position(|l| l.contains(&format!("│{name} ")))
        .unwrap();
    let row = crate::ui::sectors::row_at(&a, 3, u16::try_from(y).unwrap());
    assert_eq!(row, Some(2));
    a.update(Action::Select(2));
    assert_eq!(a.sector_row(), 2);
    assert_eq!(
        crate::ui::sectors::row_at(&a, 3, 2),
        None,
        "the column header"
    );
}

#[test]
fn the_plates_budget_shows_only_where_the_bar_has_room() {
    for (size, shown) in [((160, 48), true), ((80, 24), false)] {
        let mut a = fixture::app(12, fixed_now(), size);
        let mut st = a.status.clone().unwrap();
        st.budgets.push(crate::poller::BudgetUse {
            kind: crate::poller::Budget::Plates,
            used: 1,
            cap: 10,
            sent: 1,
            rejected: 0,
        });
        a.update(Action::Poll(crate::poller::PollEvent::Status(st)));
        let t = draw(&a);
        let lines = text(&t);
        let bar = lines.last().unwrap();
        assert!(bar.contains("flow 28/30"), "{bar}");
        assert_eq!(bar.contains("plates 1/10"), shown, "{bar}");
        assert!(
            bar.contains("14:10:00"),
            "the market's time before it: {bar}"
        );
    }
}

#[test]
fn the_k_line_budget_shows_only_where_the_bar_has_room() {
    for (size, shown) in [((160, 48), true), ((80, 24), false)] {
        let mut a = fixture::app(12, fixed_now(), size);
        let mut st = a.status.clone().unwrap();
        st.budgets.push(crate::poller::BudgetUse {
            kind: crate::poller::Budget::Kline,
            used: 3,
            cap: 60,
            sent: 3,
            rejected: 0,
        });
        a.update(Action::Poll(crate::poller::PollEvent::Status(st)));
        let t = draw(&a);
        let lines = text(&t);
        let bar = lines.last().unwrap();
        assert!(bar.contains("flow 28/30"), "{bar}");
        assert_eq!(bar.contains("kl 3/60"), shown, "{bar}");
        assert!(
            bar.contains("14:10:00"),
            "the market's time before it: {bar}"
        );
    }
}
