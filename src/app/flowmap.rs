//! The flow map screen (`f`, `5`): the current list as a squarified treemap, each tile a stock,
//! its area today's turnover (or the same for all: `[ui] map_size`), its colour its net inflow
//! as a share of turnover. Here: which screen is shown, the tiles' weights and layout (the same
//! [`treemap::layout`] the ui draws, over the tile area the ui reported with
//! [`Action::Resize`]), and how the selection moves on it.
//!
//! The selection is the list's own ([`App::selected`]): moving on the map moves it in the list,
//! and the poller follows the focus as ever. ←↑↓→ (and h j k l) move to the geometric neighbour
//! tile, PgUp and PgDn to the previous and next stock in the list's order (every stock, even
//! one whose tile is too small to draw); Enter opens the selected tile's intraday detail (the list's screen, focused there), from
//! which Esc comes back to the map; on the map, Esc, `f` or a view key (`i`, `d`, `w`, `m`) go
//! back to the list.

use super::{Action, App, StockData};
use crate::config::MapSize;
use crate::flow::treemap::{self, Dir, Tile};

/// What fills the body of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    /// The watchlist and the detail panes.
    #[default]
    List,
    /// The flow map of the current list.
    Map,
    /// The list's screen showing the intraday detail of a tile opened with Enter on the map:
    /// Esc goes back to the map.
    FromMap,
    /// The sector table of the current list ([`super::sectors`]).
    Sectors,
}

impl App {
    /// Whether the flow map is shown.
    pub fn map_shown(&self) -> bool {
        self.screen == Screen::Map
    }

    /// Whether Esc goes back to the flow map (the list shows a tile's detail opened there).
    pub fn from_map(&self) -> bool {
        self.screen == Screen::FromMap
    }

    /// Columns and rows of the flow map's tiles, as the ui last reported them.
    pub fn map_cells(&self) -> (u16, u16) {
        self.map_cells
    }

    /// A tile's weight for `data` (`None`: nothing known yet): today's turnover, or 1 for every
    /// stock with `map_size = "equal"`. A stock without a positive turnover yet weighs NaN: the
    /// layout gives it the floor (a small tile).
    pub fn map_weight(&self, data: Option<&StockData>) -> f64 {
        match self.map_size {
            MapSize::Equal => 1.0,
            MapSize::Turnover => data
                .and_then(|d| d.quote.as_ref())
                .map_or(f64::NAN, |q| q.turnover),
        }
    }

    /// The tiles of the current list, one per row of [`App::rows`] in its order, laid out in
    /// `area` (the ui's; the app moves in a tile area at the origin of the size it was told).
    /// Grouped (`g`), they nest in industry blocks ([`App::map_blocks_in`]).
    pub fn map_tiles_in(&self, area: Tile) -> Vec<Tile> {
        if self.grouped() {
            return self.map_grouped_in(area).0;
        }
        let weights: Vec<f64> = self
            .rows()
            .iter()
            .map(|c| self.map_weight(self.stocks.get(*c)))
            .collect();
        treemap::layout(&weights, area)
    }

    /// Grouped: each industry's block and its name, in [`App::groups`] order (empty when not
    /// grouped). A block's top row is its label when the block has at least 2 rows.
    pub fn map_blocks_in(&self, area: Tile) -> Vec<(Tile, String)> {
        if self.grouped() {
            self.map_grouped_in(area).1
        } else {
            Vec::new()
        }
    }

    /// The grouped layout: the blocks laid out by their summed weights, then each block's
    /// members inside it (below its label row) with the same [`treemap::layout`]. Weights
    /// without data count as the [`treemap::floor`] of the whole list, so a block's area follows
    /// what its members' tiles take.
    fn map_grouped_in(&self, area: Tile) -> (Vec<Tile>, Vec<(Tile, String)>) {
        let groups = self.groups();
        let raw: Vec<f64> = groups
            .iter()
            .flat_map(|g| &g.members)
            .map(|c| self.map_weight(self.stocks.get(*c)))
            .collect();
        let floor = treemap::floor(&raw);
        let weights: Vec<f64> = raw
            .iter()
            .map(|w| if w.is_finite() && *w > 0.0 { *w } else { floor })
            .collect();
        let mut sums = Vec::with_capacity(groups.len());
        let mut at = 0;
        for g in &groups {
            let n = g.members.len();
            sums.push(weights[at..at + n].iter().sum::<f64>());
            at += n;
        }
        let blocks = treemap::layout(&sums, area);
        let mut tiles = Vec::with_capacity(weights.len());
        let mut at = 0;
        let mut labelled = Vec::with_capacity(groups.len());
        for (g, block) in groups.iter().zip(&blocks) {
            let n = g.members.len();
            let inner = if block.h >= 2 {
                Tile::new(block.x, block.y + 1, block.w, block.h - 1)
            } else {
                *block
            };
            tiles.extend(treemap::layout(&weights[at..at + n], inner));
            labelled.push((*block, g.name.to_owned()));
            at += n;
        }
        (tiles, labelled)
    }

    /// The tiles as the app moves on them: [`App::map_tiles_in`] the last reported tile area.
    pub fn map_tiles(&self) -> Vec<Tile> {
        let (w, h) = self.map_cells;
        self.map_tiles_in(Tile::new(0, 0, w, h))
    }

    /// An arrow on the map: the selection goes to the neighbouring tile that way, if there is one.
    pub(super) fn map_move(&mut self, dir: Dir) {
        let tiles = self.map_tiles();
        // A selection on an empty tile (the terminal too small for it) moves from the first.
        let from = if tiles.get(self.selected).is_some_and(|t| !t.is_empty()) {
            self.selected
        } else {
            match tiles.iter().position(|t| !t.is_empty()) {
                Some(i) => i,
                None => return,
            }
        };
        if let Some(i) = treemap::neighbour(&tiles, from, dir) {
            self.selected = i;
        } else if from != self.selected {
            self.selected = from;
        }
    }

    /// The flow map's keys: `f` (either way), Enter, Esc, views and arrows while it is shown.
    /// Returns whether the map took the action (the list does nothing more with it).
    pub(super) fn map_takes(&mut self, action: &Action) -> bool {
        match action {
            Action::ToggleMap => {
                self.screen = if self.map_shown() {
                    Screen::List
                } else {
                    Screen::Map
                };
                true
            }
            Action::Open if self.map_shown() => {
                self.screen = Screen::FromMap;
                self.recorded = None;
                self.steps = None;
                // The intraday view of the tile's stock (a no-op when already there).
                self.view = crate::flow::Period::Intraday;
                self.history_back = 0;
                true
            }
            Action::Back if self.map_shown() => {
                self.screen = Screen::List;
                true
            }
            // A view key leaves the map for the list in that view.
            Action::View(_) if self.map_shown() => {
                self.screen = Screen::List;
                false
            }
            // PgUp / PgDn: the previous / next stock in the list's order, so every stock is
            // reached even when its tile is too small to draw.
            Action::PageUp if self.map_shown() => {
                self.move_up(1);
                true
            }
            Action::PageDown if self.map_shown() => {
                self.move_down(1);
                true
            }
            Action::Up | Action::Down | Action::ScrollLeft | Action::ScrollRight
                if self.map_shown() =>
            {
                let dir = match action {
                    Action::Up => Dir::Up,
                    Action::Down => Dir::Down,
                    Action::ScrollLeft => Dir::Left,
                    _ => Dir::Right,
                };
                self.map_move(dir);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
