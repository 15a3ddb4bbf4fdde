//! The flow map's keys on the app: `f` / `5` in and out, arrows to the geometric neighbour (the
//! focus following), Enter to the tile's intraday detail and Esc back, the view keys, and the
//! tiles' weights.

use super::*;
use crate::app::fixture::{app, fixed_now};
use crate::app::keymap::{Key, KeyCode, Keymap};
use crate::flow::Period;
use crate::poller::PollCommand;

fn map_app() -> App {
    let mut a = app(12, fixed_now(), (120, 36));
    a.update(Action::ToggleMap);
    a.drain_commands();
    a
}

#[test]
fn f_and_5_show_the_map_and_f_goes_back() {
    let km = Keymap::default();
    for k in ['f', '5'] {
        assert_eq!(
            km.lookup(Key::plain(KeyCode::Char(k))),
            Some(Action::ToggleMap)
        );
    }
    assert_eq!(km.lookup(Key::plain(KeyCode::Enter)), Some(Action::Open));
    let mut a = app(12, fixed_now(), (120, 36));
    assert!(!a.map_shown());
    a.update(Action::ToggleMap);
    assert!(a.map_shown());
    assert_eq!(a.map_cells(), (120, 32));
    a.update(Action::ToggleMap);
    assert!(!a.map_shown());
}

#[test]
fn arrows_move_to_the_neighbouring_tile_and_the_focus_follows() {
    let mut a = map_app();
    let tiles = a.map_tiles();
    assert_eq!(tiles.len(), 12);
    assert!(tiles.iter().all(|t| !t.is_empty()), "{tiles:?}");
    let corner = tiles.iter().position(|t| t.x == 0 && t.y == 0).unwrap();
    a.update(Action::Select(corner));
    // Walk right, then down, then left, then up; each step is the neighbour the layout says.
    let mut moves = 0;
    for (action, dir) in [
        (Action::ScrollRight, Dir::Right),
        (Action::ScrollRight, Dir::Right),
        (Action::Down, Dir::Down),
        (Action::Down, Dir::Down),
        (Action::ScrollLeft, Dir::Left),
        (Action::Up, Dir::Up),
    ] {
        let from = a.selected;
        let want = treemap::neighbour(&tiles, from, dir);
        a.update(action.clone());
        assert_eq!(
            Some(a.selected),
            want.or(Some(from)),
            "{action:?} from {from}"
        );
        if let Some(to) = want {
            moves += 1;
            let (f, t) = (tiles[from], tiles[to]);
            let beyond = match dir {
                Dir::Right => u32::from(t.x) >= f.right(),
                Dir::Left => t.right() <= u32::from(f.x),
                Dir::Down => u32::from(t.y) >= f.bottom(),
                Dir::Up => t.bottom() <= u32::from(f.y),
            };
            assert!(beyond, "{dir:?}: {f:?} → {t:?}");
            let code = a.rows()[to].clone();
            assert!(
                a.drain_commands()
                    .contains(&PollCommand::Focus(Some(code.clone()))),
                "the poller hears the new focus {code}"
            );
        }
        assert!(a.map_shown(), "arrows stay on the map");
    }
    assert!(moves >= 4, "only {moves} moves");
    // The top left tile (the largest turnover): nothing above or left of it.
    let corner = tiles.iter().position(|t| t.x == 0 && t.y == 0).unwrap();
    a.update(Action::Select(corner));
    a.update(Action::Up);
    a.update(Action::ScrollLeft);
    assert_eq!(a.selected, corner);
    assert_eq!(
        a.view,
        Period::Intraday,
        "← on the map is not the history's"
    );
}

#[test]
fn enter_opens_the_tiles_detail_and_esc_comes_back_to_the_map() {
    let mut a = map_app();
    a.update(Action::View(Period::Day));
    assert!(!a.map_shown(), "a view key leaves the map");
    assert_eq!(a.view, Period::Day);
    a.update(Action::ToggleMap);
    let corner = a.map_tiles().iter().position(|t| t.x == 0 && t.y == 0);
    a.update(Action::Select(corner.unwrap()));
    a.update(Action::ScrollRight);
    let code = a.focused().cloned().unwrap();
    assert_ne!(Some(a.selected), corner);
    a.update(Action::Open);
    assert!(!a.map_shown());
    assert_eq!(a.view, Period::Intraday, "Enter opens the intraday detail");
    assert_eq!(a.focused(), Some(&code), "of the tile's stock");
    assert!(a.from_map());
    // Help over the detail: Esc closes it first.
    a.update(Action::ToggleHelp);
    a.update(Action::Back);
    assert!(!a.map_shown() && a.overlays.is_empty());
    a.update(Action::Back);
    assert!(a.map_shown(), "Esc goes back to the map");
    assert_eq!(a.focused(), Some(&code), "on the same tile");
    a.update(Action::Back);
    assert!(!a.map_shown(), "Esc on the map: the list");
    a.update(Action::Back);
    assert!(!a.map_shown() && !a.quit, "and Esc there does nothing more");
    // `i` leaves the map for the list's intraday view.
    a.update(Action::ToggleMap);
    a.update(Action::View(Period::Intraday));
    assert!(!a.map_shown() && !a.from_map());
    // Enter on the list: the intraday view (from the history).
    a.update(Action::View(Period::Week));
    a.update(Action::Open);
    assert_eq!(a.view, Period::Intraday);
    assert!(!a.map_shown() && !a.from_map());
}

#[test]
fn tiles_follow_turnover_or_are_equal() {
    let mut a = map_app();
    let rows: Vec<_> = a.rows().into_iter().cloned().collect();
    let tiles = a.map_tiles();
    let turnover = |i: usize| {
        a.data(&rows[i])
            .and_then(|d| d.quote.as_ref())
            .map(|q| q.turnover)
    };
    let with: Vec<usize> = (0..rows.len()).filter(|i| turnover(*i).is_some()).collect();
    let without: Vec<usize> = (0..rows.len()).filter(|i| turnover(*i).is_none()).collect();
    assert!(
        !without.is_empty(),
        "the fixture has stocks without a quote"
    );
    // A larger turnover never gets a clearly smaller tile.
    for i in &with {
        for j in &with {
            let (ti, tj) = (turnover(*i).unwrap(), turnover(*j).unwrap());
            if ti > tj * 1.5 {
                assert!(tiles[*i].area() > tiles[*j].area(), "{i} {j} {tiles:?}");
            }
        }
    }
    // Stocks without a turnover get the floor: a small tile (below the median), all alike.
    let mut areas: Vec<u32> = with.iter().map(|i| tiles[*i].area()).collect();
    areas.sort_unstable();
    let median = areas[areas.len() / 2];
    for i in &without {
        let t = tiles[*i];
        assert!(t.area() < median && !t.is_empty(), "{t:?} {areas:?}");
        assert!(t.area().abs_diff(tiles[without[0]].area()) <= t.w.max(t.h).into());
    }
    a.map_size = MapSize::Equal;
    let areas: Vec<u32> = a.map_tiles().iter().map(|t| t.area()).collect();
    let (lo, hi) = (areas.iter().min().unwrap(), areas.iter().max().unwrap());
    assert!(f64::from(*hi) <= f64::from(*lo) * 1.3, "{areas:?}");
}

#[test]
fn an_empty_list_or_a_tiny_terminal_moves_nowhere() {
    let mut a = map_app();
    a.update(Action::Resize {
        size: (4, 5),
        page_rows: 1,
        help: crate::app::HelpFit::default(),
        map: (4, 1),
    });
    for action in [
        Action::Down,
        Action::ScrollRight,
        Action::Up,
        Action::ScrollLeft,
    ] {
        a.update(action);
        assert!(a.selected < 12);
    }
    a.watchlists[0].codes.clear();
    a.selected = 0;
    for action in [Action::Down, Action::ScrollRight, Action::Open] {
        a.update(action);
    }
    assert_eq!(a.selected, 0);
}
