//! The layout's properties over random weights and areas (cover, no overlap, proportional
//! areas, odd weights, 500 tiles, empty areas), and the neighbour rule on known maps.

use proptest::prelude::*;

use super::*;

/// Checks that `tiles` cover `area` exactly once: every cell of it in exactly one tile, no
/// tile outside it.
fn assert_tiles_area(tiles: &[Tile], area: Tile) {
    let (w, h) = (usize::from(area.w), usize::from(area.h));
    let mut seen = vec![0u8; w * h];
    for (i, t) in tiles.iter().enumerate() {
        if t.is_empty() {
            continue;
        }
        assert!(
            t.x >= area.x
                && t.right() <= area.right()
                && t.y >= area.y
                && t.bottom() <= area.bottom(),
            "tile {i} {t:?} outside {area:?}"
        );
        for y in t.y..t.y + t.h {
            for x in t.x..t.x + t.w {
                let c = usize::from(y - area.y) * w + usize::from(x - area.x);
                seen[c] += 1;
                assert_eq!(seen[c], 1, "tile {i} {t:?} overlaps another at ({x}, {y})");
            }
        }
    }
    if let Some(c) = seen.iter().position(|s| *s == 0) {
        panic!("cell {c} of {area:?} not covered: {tiles:?}");
    }
}

fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => 1.0f64..1e9,
        1 => Just(0.0),
        1 => Just(-5.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN_POSITIVE),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn tiles_cover_the_area_and_never_overlap(
        weights in prop::collection::vec(weight(), 0..80),
        x in 0u16..50, y in 0u16..50, w in 0u16..300, h in 0u16..100,
    ) {
        let area = Tile::new(x, y, w, h);
        let tiles = layout(&weights, area);
        prop_assert_eq!(tiles.len(), weights.len());
        if !weights.is_empty() {
            assert_tiles_area(&tiles, area);
        }
    }

    #[test]
    fn areas_follow_the_weights_within_rounding(
        weights in prop::collection::vec(1.0f64..20.0, 1..30),
        w in 60u16..300, h in 20u16..100,
    ) {
        let area = Tile::new(0, 0, w, h);
        let tiles = layout(&weights, area);
        let total: f64 = weights.iter().sum();
        let cells = f64::from(area.area());
        for (t, wt) in tiles.iter().zip(&weights) {
            let want = wt / total * cells;
            let got = f64::from(t.area());
            // Each edge is rounded to a whole cell, and a strip's rounding moves the cells
            // left for the next: a tile is off by at most about its perimeter (and the
            // strips' share of the remainder).
            let slack = f64::from(t.w) + f64::from(t.h) + 0.1 * want + 4.0;
            prop_assert!((got - want).abs() <= slack,
                "weight {} of {}: {} cells, wanted {:.1} ({:?})", wt, total, got, want, t);
        }
    }

    #[test]
    fn five_hundred_tiles_tile_any_terminal(
        weights in prop::collection::vec(weight(), 500),
        w in 0u16..=300, h in 0u16..=100,
    ) {
        let area = Tile::new(0, 0, w, h);
        let tiles = layout(&weights, area);
        prop_assert_eq!(tiles.len(), 500);
        assert_tiles_area(&tiles, area);
    }
}

#[test]
fn an_empty_area_gives_empty_tiles_and_no_panic() {
    for area in [
        Tile::new(0, 0, 0, 0),
        Tile::new(3, 4, 0, 10),
        Tile::new(3, 4, 10, 0),
    ] {
        let tiles = layout(&[1.0, f64::NAN, 3.0], area);
        assert_eq!(tiles.len(), 3);
        assert!(tiles.iter().all(|t| t.is_empty()), "{tiles:?}");
    }
    assert!(layout(&[], Tile::new(0, 0, 10, 10)).is_empty());
    // At the far edge of u16: no overflow.
    let edge = Tile::new(u16::MAX - 10, u16::MAX - 10, 10, 10);
    assert_tiles_area(&layout(&[1.0; 7], edge), edge);
}

#[test]
fn invalid_weights_get_the_floor_and_valid_ones_their_share() {
    // Two valid weights, mean 2: the floor is a quarter of it.
    assert_eq!(floor(&[1.0, 3.0, f64::NAN, -1.0, 0.0]), 0.5);
    assert_eq!(floor(&[f64::NAN, 0.0]), 1.0);
    assert_eq!(floor(&[]), 1.0);
    assert!(floor(&[f64::MAX; 500]).is_finite());
    // Nothing valid: every tile the same size.
    let tiles = layout(&[f64::NAN; 4], Tile::new(0, 0, 40, 10));
    assert!(tiles.iter().all(|t| t.area() == 100), "{tiles:?}");
    // One huge weight among NaNs: it takes most, the others still get a tile.
    let tiles = layout(&[f64::NAN, 100.0, 0.0], Tile::new(0, 0, 80, 20));
    // 100 against two floors of 25: two thirds of the 1600 cells.
    assert!(tiles[1].area().abs_diff(1067) <= 20, "{tiles:?}");
    assert!(tiles.iter().all(|t| !t.is_empty()), "{tiles:?}");
}

#[test]
fn equal_weights_are_near_square_and_keep_their_order() {
    // 4 equal tiles in 80×20 cells (a 80×40 look): 2×2 tiles of 40×10, read left to right.
    let tiles = layout(&[1.0; 4], Tile::new(0, 0, 80, 20));
    let mut sorted = tiles.clone();
    sorted.sort_by_key(|t| (t.x, t.y));
    assert_eq!(
        tiles, sorted,
        "largest (here: first) top left, then down the strip"
    );
    for t in &tiles {
        assert_eq!((t.w, t.h), (40, 10), "{tiles:?}");
    }
}

#[test]
fn a_larger_weight_gets_a_larger_tile() {
    let tiles = layout(&[1.0, 6.0, 3.0, 2.0], Tile::new(0, 0, 120, 36));
    let areas: Vec<u32> = tiles.iter().map(|t| t.area()).collect();
    assert!(
        areas[1] > areas[2] && areas[2] > areas[3] && areas[3] > areas[0],
        "{areas:?}"
    );
    assert_eq!(tiles[1].x, 0, "the largest sits on the left");
}

/// ```text
/// +----+----+----+
/// | 0  | 1  |    |
/// +----+----+ 3  |
/// |   2     |    |
/// +---------+----+
/// ```
#[test]
fn neighbours_are_the_adjacent_tiles() {
    let tiles = [
        Tile::new(0, 0, 10, 5),
        Tile::new(10, 0, 10, 5),
        Tile::new(0, 5, 20, 5),
        Tile::new(20, 0, 10, 10),
    ];
    assert_eq!(neighbour(&tiles, 0, Dir::Right), Some(1));
    assert_eq!(neighbour(&tiles, 1, Dir::Right), Some(3));
    assert_eq!(neighbour(&tiles, 0, Dir::Down), Some(2));
    assert_eq!(neighbour(&tiles, 1, Dir::Down), Some(2));
    assert_eq!(
        neighbour(&tiles, 2, Dir::Up),
        Some(1),
        "the one over its middle (column 10)"
    );
    assert_eq!(neighbour(&tiles, 2, Dir::Right), Some(3));
    assert_eq!(
        neighbour(&tiles, 3, Dir::Left),
        Some(2),
        "the one beside its middle (row 5)"
    );
    assert_eq!(neighbour(&tiles, 0, Dir::Up), None, "the edge");
    assert_eq!(neighbour(&tiles, 0, Dir::Left), None);
    assert_eq!(neighbour(&tiles, 3, Dir::Right), None);
    assert_eq!(neighbour(&tiles, 9, Dir::Right), None, "no such tile");
    assert_eq!(tile_at(&tiles, 25, 9), Some(3));
    assert_eq!(tile_at(&tiles, 30, 0), None);
}

#[test]
fn empty_tiles_are_never_a_neighbour() {
    let tiles = [
        Tile::new(0, 0, 10, 5),
        Tile::new(10, 0, 0, 0),
        Tile::new(10, 0, 5, 5),
    ];
    assert_eq!(neighbour(&tiles, 0, Dir::Right), Some(2));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// From any tile of a laid-out map, every move lands on a different non-empty tile that
    /// lies wholly that way; and a move is only refused at the map's edge.
    #[test]
    fn moves_land_beyond_the_edge(
        weights in prop::collection::vec(1.0f64..100.0, 1..40),
        w in 20u16..200, h in 8u16..60,
    ) {
        let area = Tile::new(0, 0, w, h);
        let tiles = layout(&weights, area);
        for (i, f) in tiles.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
            for dir in [Dir::Up, Dir::Down, Dir::Left, Dir::Right] {
                if let Some(j) = neighbour(&tiles, i, dir) {
                        let t = tiles[j];
                        prop_assert!(j != i && !t.is_empty());
                        let beyond = match dir {
                            Dir::Right => u32::from(t.x) >= f.right(),
                            Dir::Left => t.right() <= u32::from(f.x),
                            Dir::Down => u32::from(t.y) >= f.bottom(),
                            Dir::Up => t.bottom() <= u32::from(f.y),
                        };
                        prop_assert!(beyond, "{:?} from {:?} to {:?}", dir, f, t);
                } else {
                        let at_edge = match dir {
                            Dir::Right => f.right() == area.right(),
                            Dir::Left => f.x == area.x,
                            Dir::Down => f.bottom() == area.bottom(),
                            Dir::Up => f.y == area.y,
                        };
                        prop_assert!(at_edge, "{:?} from {:?} refused inside the map", dir, f);
                }
            }
        }
    }
}
