//! Grouping by industry on the app: the sums equal the members', groups follow the sort, the
//! keys (`g`, `S`, `o`), the sector table's Enter and Esc, the flow map's blocks, a refusal.

use super::*;
use crate::app::fixture::{app, fixed_now, industries};
use crate::app::keymap::{Key, KeyCode, Keymap};
use crate::flow::treemap::Tile;
use crate::poller::PollEvent;

fn grouped_app() -> App {
    let mut a = app(12, fixed_now(), (120, 36));
    industries(&mut a);
    a.update(Action::ToggleGroup);
    a
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn the_keys_are_g_s_and_o() {
    let km = Keymap::default();
    let key = |c| km.lookup(Key::plain(KeyCode::Char(c)));
    assert_eq!(key('g'), Some(Action::ToggleGroup));
    assert_eq!(key('S'), Some(Action::ToggleSectors));
    assert_eq!(key('o'), Some(Action::ReverseSort));
    assert_eq!(key('s'), Some(Action::CycleSort));
}

#[test]
fn group_sums_equal_their_members() {
    let a = grouped_app();
    let groups = a.groups();
    assert_eq!(groups.len(), 4, "three industries and Other");
    assert_eq!(groups.last().map(|g| g.name), Some("Other"));
    let mut seen = 0;
    for g in &groups {
        let data: Vec<&StockData> = g.members.iter().filter_map(|c| a.data(c)).collect();
        let net: f64 = data.iter().filter_map(|d| d.net()).sum();
        let main: f64 = data.iter().filter_map(|d| d.main()).sum();
        let turnover: f64 = data
            .iter()
            .filter_map(|d| d.quote.as_ref())
            .map(|q| q.turnover)
            .sum();
        assert_eq!(g.sums.members, g.members.len());
        assert!(close(g.sums.net.unwrap(), net), "{}: net", g.name);
        assert!(close(g.sums.main.unwrap(), main), "{}: main", g.name);
        assert!(close(g.sums.turnover.unwrap(), turnover), "{}", g.name);
        let priced: f64 = data
            .iter()
            .filter(|d| d.quote.is_some())
            .filter_map(|d| d.net())
            .sum();
        assert!(close(g.sums.net_pct().unwrap(), priced / turnover * 100.0));
        let ins = data
            .iter()
            .filter(|d| d.net().is_some_and(|n| n > 0.0))
            .count();
        let outs = data
            .iter()
            .filter(|d| d.net().is_some_and(|n| n < 0.0))
            .count();
        assert_eq!((g.sums.inflow, g.sums.outflow), (ins, outs));
        seen += g.members.len();
    }
    assert_eq!(seen, 12, "every stock in one group");
    let several: usize = groups.iter().map(|g| g.sums.several).sum();
    assert_eq!(several, 1, "Tencent is in two industries");
}

#[test]
fn groups_follow_the_sort_and_members_the_sort_within() {
    let mut a = grouped_app();
    a.update(Action::CycleSort);
    assert_eq!(a.sort, SortMode::NetInflow);
    let groups = a.groups();
    let nets: Vec<f64> = groups[..3].iter().map(|g| g.sums.net.unwrap()).collect();
    assert!(
        nets.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {nets:?}"
    );
    for g in &groups {
        let m: Vec<f64> = g.members.iter().filter_map(|c| a.data(c)?.net()).collect();
        assert!(m.windows(2).all(|w| w[0] >= w[1]), "{}: {m:?}", g.name);
    }
    a.update(Action::ReverseSort);
    let groups = a.groups();
    let nets: Vec<f64> = groups[..3].iter().map(|g| g.sums.net.unwrap()).collect();
    assert!(
        nets.windows(2).all(|w| w[0] <= w[1]),
        "o turns it round: {nets:?}"
    );
    assert_eq!(groups[3].name, "Other", "Other stays last");
    // The rows are the groups' members in turn.
    let flat: Vec<&SecurityCode> = groups.iter().flat_map(|g| g.members.clone()).collect();
    assert_eq!(a.rows(), flat);
}

#[test]
fn g_keeps_the_stock_selected_and_g_again_ungroups() {
    let mut a = app(12, fixed_now(), (120, 36));
    industries(&mut a);
    a.update(Action::Select(5));
    let code = a.focused().cloned();
    a.update(Action::ToggleGroup);
    assert!(a.grouped());
    assert_eq!(a.focused().cloned(), code);
    a.update(Action::Down);
    a.update(Action::Open);
    assert_eq!(a.view, crate::flow::Period::Intraday, "Enter opens a stock");
    a.update(Action::ToggleGroup);
    assert!(!a.grouped());
    assert_eq!(a.rows(), a.sorted_rows());
}

#[test]
fn the_sector_table_opens_on_the_focused_industry_and_enter_goes_to_its_group() {
    let mut a = grouped_app();
    a.update(Action::ToggleGroup);
    assert!(!a.grouped());
    a.update(Action::Select(1));
    let focused = a.focused().cloned().unwrap();
    a.update(Action::ToggleSectors);
    assert!(a.sectors_shown());
    let groups = a.groups();
    assert!(groups[a.sector_row()].members.contains(&&focused));
    a.update(Action::End);
    let last = a.groups().len() - 1;
    assert_eq!(a.sector_row(), last);
    a.update(Action::Up);
    a.update(Action::Down);
    a.update(Action::Down);
    assert_eq!(a.sector_row(), last, "stops at the last industry");
    let first = a.groups()[last].members[0].clone();
    a.update(Action::Open);
    assert!(!a.sectors_shown() && a.grouped());
    assert_eq!(a.focused(), Some(&first), "its first member selected");
    a.update(Action::ToggleSectors);
    a.update(Action::Back);
    assert!(!a.sectors_shown(), "Esc back to the list");
    a.update(Action::ToggleSectors);
    a.update(Action::ToggleSectors);
    assert!(!a.sectors_shown(), "S again goes back");
}

#[test]
fn the_sort_keys_keep_the_same_industry_selected_in_the_table() {
    let mut a = grouped_app();
    a.update(Action::ToggleSectors);
    a.update(Action::Down);
    let plate = a.groups()[a.sector_row()].plate.map(str::to_owned);
    a.update(Action::CycleSort);
    a.update(Action::ReverseSort);
    assert!(a.sectors_shown());
    assert_eq!(a.groups()[a.sector_row()].plate.map(str::to_owned), plate);
}

#[test]
fn a_refusal_is_said_once_and_g_says_it_again_without_grouping() {
    let mut a = app(12, fixed_now(), (120, 36));
    let why = "industries (3207) refused, the list stays ungrouped: no right".to_owned();
    a.update(Action::Poll(PollEvent::IndustriesRefused(why.clone())));
    assert_eq!(a.note().map(|n| n.text.clone()), Some(why.clone()));
    for _ in 0..10 {
        a.update(Action::Tick(fixed_now()));
    }
    a.update(Action::Poll(PollEvent::IndustriesRefused(why.clone())));
    assert!(a.note().is_none(), "the same reason is not said again");
    a.update(Action::ToggleGroup);
    assert!(!a.grouped(), "nothing to group by");
    assert_eq!(a.note().map(|n| n.text.clone()), Some(why));
}

#[test]
fn grouped_map_tiles_nest_in_labelled_blocks() {
    let a = grouped_app();
    let area = Tile::new(0, 0, 120, 32);
    let tiles = a.map_tiles_in(area);
    let blocks = a.map_blocks_in(area);
    let groups = a.groups();
    assert_eq!(blocks.len(), groups.len());
    assert_eq!(tiles.len(), 12);
    let mut i = 0;
    for ((block, name), g) in blocks.iter().zip(&groups) {
        assert_eq!(name, g.name);
        for _ in &g.members {
            let t = tiles[i];
            assert!(
                t.x >= block.x
                    && t.y > block.y
                    && t.right() <= block.right()
                    && t.bottom() <= block.bottom(),
                "{name}: tile {t:?} outside {block:?} or on its label row"
            );
            i += 1;
        }
    }
    let cells: u32 = blocks.iter().map(|(b, _)| b.area()).sum();
    assert_eq!(cells, area.area(), "the blocks cover the map");
}

#[test]
fn page_keys_on_the_map_reach_every_stock_of_500_in_list_order() {
    let mut a = app(500, fixed_now(), (80, 24));
    industries(&mut a);
    a.update(Action::ToggleGroup);
    a.update(Action::ToggleMap);
    let tiles = a.map_tiles();
    assert!(
        tiles.iter().any(|t| t.is_empty()),
        "some tiles are too small to draw"
    );
    let rows: Vec<SecurityCode> = a.rows().into_iter().cloned().collect();
    let mut seen = vec![a.focused().cloned().unwrap()];
    for _ in 1..500 {
        a.update(Action::PageDown);
        seen.push(a.focused().cloned().unwrap());
    }
    assert_eq!(seen, rows, "PgDn walks the list's order");
    a.update(Action::PageUp);
    assert_eq!(a.focused(), Some(&rows[498]));
    assert!(a.map_shown());
}

#[test]
fn a_group_s_n_day_sums_are_whole_or_unknown() {
    let mut s = Sums::default();
    s.add(None, None);
    s.add_days(Some(&[Some(1.5e6), Some(-2.0e6)]), 2);
    s.add(None, None);
    s.add_days(Some(&[Some(0.5e6), None]), 2);
    let windows = [5, 20];
    assert_eq!(s.window(&windows, 5), Some(2.0e6));
    // A member without 20 days: the group has no 20-day sum, not the others' part of it.
    assert_eq!(s.window(&windows, 20), None);
    s.add(None, None);
    s.add_days(None, 2);
    assert_eq!(
        s.window(&windows, 5),
        None,
        "a member with nothing known yet"
    );
    assert_eq!(s.window(&windows, 60), None, "not a configured window");
}
