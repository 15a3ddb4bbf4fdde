//! Sectors: the current list grouped by industry (`g`), and the sector table (`S`).
//!
//! Each stock's industry is the first industry plate OpenD lists for it (3207, through the
//! poller's [`PollEvent::Industries`](crate::poller::PollEvent::Industries)); a stock without
//! one, or whose industry is not known yet, is in "Other". A group's figures are its members'
//! sums ([`Sums`]): net, main, turnover, Net % (summed net over summed turnover, both over the
//! members that have a quote) and how many members take money in or send it out.
//!
//! Grouped, [`App::rows`] lists the members group by group, so the selection, Enter, the detail
//! and the poller's focus all stay on stocks: header rows are drawn by the ui and skipped by the
//! selection (a demanding user moves through stocks; the sector table is where industries are
//! picked). Groups follow the current sort by their own figures (Chg % and the config's order:
//! the order of each group's first member), "Other" always last; members follow the sort within.
//!
//! The sector table ([`Screen::Sectors`]) lists the same groups with their own selection; `s`
//! and `o` sort it, Enter goes back to the list grouped with the first member of that group
//! selected, Esc (or `S`) back to the list as it was.

use std::collections::HashMap;

use super::{Action, App, Screen, SortMode, StockData};
use crate::flow::SecurityCode;
use crate::flow::industry::{Industry, OTHER};

/// The sectors' part of the app's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SectorState {
    /// The list and the map are grouped by industry (`g`).
    grouped: bool,
    /// The selected row of the sector table (`S`).
    row: usize,
    /// OpenD's last refusal of 3207, said once on the status bar.
    refusal: Option<String>,
}

/// The summed figures of a group of stocks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sums {
    /// Stocks in the group.
    pub members: usize,
    /// Summed net inflow of the members that have one (`None`: none has).
    pub net: Option<f64>,
    /// Summed main inflow.
    pub main: Option<f64>,
    /// Summed turnover of the members that have a quote.
    pub turnover: Option<f64>,
    /// Summed net inflow of the members that have both a net inflow and a turnover (what
    /// [`Sums::net_pct`] divides, so a member without a quote does not skew it).
    pub priced_net: Option<f64>,
    /// Members with a positive net inflow.
    pub inflow: usize,
    /// Members with a negative net inflow.
    pub outflow: usize,
    /// Members OpenD lists in several industries (grouped under their first).
    pub several: usize,
    /// Main net over each `[ui] windows` N, summed over the members; `None` (shown `–`) once a
    /// member has no figure for it: never a partial sum shown as the group's.
    pub days: Vec<Option<f64>>,
}

/// A group's figure the sort orders by.
type Figure<'a> = Box<dyn Fn(&Sums) -> Option<f64> + 'a>;

fn add(sum: &mut Option<f64>, v: Option<f64>) {
    if let Some(v) = v.filter(|v| v.is_finite()) {
        *sum = Some(sum.unwrap_or(0.0) + v);
    }
}

impl Sums {
    /// Adds one member.
    pub fn add(&mut self, data: Option<&StockData>, industry: Option<&Industry>) {
        self.members += 1;
        let net = data.and_then(StockData::net);
        add(&mut self.net, net);
        add(&mut self.main, data.and_then(StockData::main));
        let turnover = data
            .and_then(|d| d.quote.as_ref())
            .map(|q| q.turnover)
            .filter(|t| t.is_finite());
        add(&mut self.turnover, turnover);
        add(&mut self.priced_net, net.filter(|_| turnover.is_some()));
        match net {
            Some(n) if n > 0.0 => self.inflow += 1,
            Some(n) if n < 0.0 => self.outflow += 1,
            _ => {}
        }
        if industry.is_some_and(|i| !i.others.is_empty()) {
            self.several += 1;
        }
    }

    /// Adds one member's N-day figures (`windows` of them; `None`: nothing known of it yet).
    pub fn add_days(&mut self, sums: Option<&[Option<f64>]>, windows: usize) {
        if self.members == 1 {
            self.days = vec![Some(0.0); windows];
        }
        for (i, total) in self.days.iter_mut().enumerate() {
            match sums.and_then(|s| s.get(i).copied().flatten()) {
                Some(v) if v.is_finite() => *total = total.map(|t| t + v),
                _ => *total = None,
            }
        }
    }

    /// Main net over the window of `n` days among `windows`, if every member has it.
    pub fn window(&self, windows: &[usize], n: usize) -> Option<f64> {
        let i = windows.iter().position(|&w| w == n)?;
        self.days.get(i).copied().flatten()
    }

    /// Net % of turnover: the summed net of the members with a turnover over their summed
    /// turnover, in percent (`None` without both, or no turnover).
    pub fn net_pct(&self) -> Option<f64> {
        let (net, turnover) = (self.priced_net?, self.turnover?);
        (turnover > 0.0).then(|| net / turnover * 100.0)
    }
}

/// One industry of the current list.
#[derive(Debug, Clone, PartialEq)]
pub struct Group<'a> {
    /// The industry's name, or "Other".
    pub name: &'a str,
    /// The industry plate's code; `None` for "Other".
    pub plate: Option<&'a str>,
    /// The members, in the current sort.
    pub members: Vec<&'a SecurityCode>,
    /// Their summed figures.
    pub sums: Sums,
}

impl App {
    /// The industry OpenD lists first for `code`, if known and it has one.
    pub fn industry(&self, code: &SecurityCode) -> Option<&Industry> {
        self.industries.get(code).and_then(|e| e.industry.as_ref())
    }

    /// Whether the list (and the map) show industry groups (`g`).
    pub fn grouped(&self) -> bool {
        self.sectors.grouped
    }

    /// Whether the sector table is shown (`S`).
    pub fn sectors_shown(&self) -> bool {
        self.screen == Screen::Sectors
    }

    /// The selected row of the sector table.
    pub fn sector_row(&self) -> usize {
        self.sectors.row
    }

    /// The industries of the active list, ordered by the current sort on their sums ("Other"
    /// last), each with its members in the current sort.
    pub fn groups(&self) -> Vec<Group<'_>> {
        let mut groups: Vec<Group<'_>> = Vec::new();
        let mut at: HashMap<Option<&str>, usize> = HashMap::new();
        for code in self.sorted_rows() {
            let industry = self.industry(code);
            let key = industry.map(|i| i.plate.as_str());
            let i = *at.entry(key).or_insert_with(|| {
                groups.push(Group {
                    name: industry.map_or(OTHER, |i| i.name.as_str()),
                    plate: key,
                    members: Vec::new(),
                    sums: Sums::default(),
                });
                groups.len() - 1
            });
            groups[i].members.push(code);
            groups[i].sums.add(self.stocks.get(code), industry);
            let days = self.day_columns(code).map(|d| d.sums);
            groups[i]
                .sums
                .add_days(days.as_deref(), self.windows.as_slice().len());
        }
        self.order_groups(&mut groups);
        groups
    }

    /// Orders groups by the current sort on their sums, "Other" last (a stable sort: ties keep
    /// the order of their first member).
    fn order_groups(&self, groups: &mut [Group<'_>]) {
        let reversed = self.reversed;
        let windows = self.windows.as_slice();
        let figure: Option<Figure<'_>> = match self.sort {
            SortMode::NetInflow => Some(Box::new(|s: &Sums| s.net)),
            SortMode::MainInflow => Some(Box::new(|s: &Sums| s.main)),
            SortMode::NetPct => Some(Box::new(Sums::net_pct)),
            SortMode::Window(n) => {
                Some(Box::new(move |s: &Sums| s.window(windows, usize::from(n))))
            }
            SortMode::Config | SortMode::Change | SortMode::Streak | SortMode::Name => None,
        };
        if let Some(f) = figure {
            groups.sort_by(|a, b| match (f(&a.sums), f(&b.sums)) {
                (Some(x), Some(y)) if reversed => x.total_cmp(&y),
                (Some(x), Some(y)) => y.total_cmp(&x),
                (x, y) => y.is_some().cmp(&x.is_some()),
            });
        } else if self.sort == SortMode::Name {
            groups.sort_by_cached_key(|g| g.name.to_lowercase());
            if reversed {
                groups.reverse();
            }
        }
        groups.sort_by_key(|g| g.plate.is_none());
    }

    /// The rows grouped: every group's members in turn.
    pub(super) fn grouped_rows(&self) -> Vec<&SecurityCode> {
        self.groups().into_iter().flat_map(|g| g.members).collect()
    }

    /// OpenD refused 3207: said once per distinct reason; `g` says it again.
    pub(super) fn industries_refused(&mut self, why: String) {
        if self.sectors.refusal.as_ref() != Some(&why) {
            self.say(why.clone(), true);
            self.sectors.refusal = Some(why);
        }
    }

    /// `g`: groups or ungroups, the same stock selected. Without any industry known and OpenD
    /// refusing 3207, it stays ungrouped and says why.
    fn toggle_group(&mut self) {
        let before = self.focused().cloned();
        if !self.sectors.grouped && self.industries.is_empty() {
            if let Some(why) = self.sectors.refusal.clone() {
                self.say(why, true);
                return;
            }
            self.say(
                "industries not read from OpenD yet: the list is one group, Other, until they come",
                false,
            );
        }
        self.sectors.grouped = !self.sectors.grouped;
        self.reselect(before.as_ref());
    }

    /// Selects `code` again after the rows changed order.
    pub(super) fn reselect(&mut self, code: Option<&SecurityCode>) {
        if let Some(code) = code {
            self.selected = self.rows().iter().position(|c| *c == code).unwrap_or(0);
        }
    }

    /// `S`: opens the sector table on the focused stock's industry, or goes back.
    fn toggle_sectors(&mut self) {
        if self.sectors_shown() {
            self.screen = Screen::List;
            return;
        }
        let focused = self.focused().cloned();
        let groups = self.groups();
        self.sectors.row = focused
            .and_then(|c| groups.iter().position(|g| g.members.contains(&&c)))
            .unwrap_or(0);
        self.screen = Screen::Sectors;
    }

    /// Enter on the sector table: the list, grouped, on the group's first member.
    fn open_sector(&mut self) {
        let first = self
            .groups()
            .get(self.sectors.row)
            .and_then(|g| g.members.first().map(|c| (*c).clone()));
        self.sectors.grouped = true;
        self.screen = Screen::List;
        self.reselect(first.as_ref());
    }

    /// Moves the sector table's selection, within its rows.
    fn sector_move(&mut self, action: &Action) {
        let last = self.groups().len().saturating_sub(1);
        let page = self.page();
        let row = self.sectors.row;
        self.sectors.row = match action {
            Action::Up => row.saturating_sub(1),
            Action::Down => row.saturating_add(1),
            Action::PageUp => row.saturating_sub(page),
            Action::PageDown => row.saturating_add(page),
            Action::Home => 0,
            Action::End => last,
            Action::Select(i) => *i,
            _ => row,
        }
        .min(last);
    }

    /// The sector keys: `g` and `S` anywhere, and on the sector table its moves, Enter, Esc
    /// and the sort (kept on the same industry). Returns whether they took the action.
    pub(super) fn sectors_takes(&mut self, action: &Action) -> bool {
        match action {
            Action::ToggleGroup => {
                self.toggle_group();
                true
            }
            Action::ToggleSectors => {
                self.toggle_sectors();
                true
            }
            _ if !self.sectors_shown() => false,
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Home
            | Action::End
            | Action::Select(_) => {
                self.sector_move(action);
                true
            }
            Action::Open => {
                self.open_sector();
                true
            }
            Action::Back => {
                self.screen = Screen::List;
                true
            }
            Action::CycleSort | Action::ReverseSort => {
                let plate = self
                    .groups()
                    .get(self.sectors.row)
                    .map(|g| g.plate.map(str::to_owned));
                // The list's own sort (and its selection) follows the key as ever.
                let focused = self.focused().cloned();
                self.on_family(action.clone(), focused.as_ref());
                if let Some(plate) = plate {
                    self.sectors.row = self
                        .groups()
                        .iter()
                        .position(|g| g.plate.map(str::to_owned) == plate)
                        .unwrap_or(0);
                }
                true
            }
            // A view key, the map or another watchlist leave the table.
            Action::View(_) | Action::ToggleMap | Action::NextWatchlist | Action::PrevWatchlist => {
                self.screen = Screen::List;
                self.sectors.row = 0;
                false
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
