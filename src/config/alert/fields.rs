//! One `[[alert]]` table under check: one function per field (name, kind, threshold, window,
//! cooldown, scope, command), each reporting its own problems at the value's line and column, so
//! every problem of a table is found, not only the first. A required key that is missing is
//! reported at the table, unless it was set aside (a wrong type or a misspelling already has its
//! message). Pure: no IO.

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use super::scope::scope;
use super::{
    AlertFile, AlertKind, AlertRule, AlertScope, DEFAULT_COOLDOWN_SECS, DEFAULT_FLIP_BAND,
    DEFAULT_WINDOW_MINUTES, MAX_COOLDOWN_SECS, MAX_WINDOW_MINUTES, PLACEHOLDERS, Threshold,
    parse_span, parse_threshold, substitute,
};
use crate::config::WatchlistConfig;
use crate::config::aside::{SetAside, set_aside};
use crate::config::report::Problem;

/// The rule names seen so far, each with where it was first written.
pub(super) type Names = HashMap<String, Range<usize>>;

/// One `[[alert]]` table under check.
pub(super) struct Table<'a> {
    /// 1-based, in file order.
    number: usize,
    /// The whole table.
    span: Range<usize>,
    /// The keys set aside in every table of the file.
    aside: &'a SetAside,
    /// How messages name the rule: its name quoted once known, else `#n`.
    label: String,
    /// Where problems go (those of every table).
    problems: &'a mut Vec<Problem>,
}

impl<'a> Table<'a> {
    /// The table numbered `number` (1-based), written at `span`.
    pub(super) fn new(
        number: usize,
        span: Range<usize>,
        aside: &'a SetAside,
        problems: &'a mut Vec<Problem>,
    ) -> Self {
        Table {
            number,
            span,
            aside,
            label: format!("#{number}"),
            problems,
        }
    }
}

impl Table<'_> {
    /// Checks every field (so every problem is reported), then makes the rule if all of them
    /// checked out.
    pub(super) fn rule(
        &mut self,
        a: AlertFile,
        watchlists: &[WatchlistConfig],
        names: &mut Names,
        line_col: &impl Fn(&Range<usize>) -> String,
    ) -> Option<AlertRule> {
        let name = self.name(a.name, names, line_col);
        let kind = self.kind(a.kind);
        let threshold = self.threshold(kind, a.threshold);
        let window_minutes = self.window(kind, a.window);
        let cooldown_secs = self.cooldown(a.cooldown);
        let scope = self.scope(a.codes, a.watchlist, watchlists);
        let command = self.command(a.command);
        Some(AlertRule {
            name: name?,
            kind: kind?,
            threshold: threshold?,
            scope: scope?,
            window_minutes: window_minutes?,
            cooldown_secs: cooldown_secs?,
            bell: a.bell.is_some_and(Spanned::into_inner),
            command: command?,
        })
    }

    /// A problem at `span`.
    fn err(&mut self, span: Range<usize>, message: String) {
        self.problems.push((Some(span), message));
    }

    /// A required key is missing: a problem at the table.
    fn missing(&mut self, message: String) {
        self.problems.push((Some(self.span.clone()), message));
    }

    /// Whether `key` was set aside (a wrong type, a misspelling): it has its message already,
    /// so it is not missing too.
    fn set_aside(&self, key: &str) -> bool {
        set_aside(self.aside, &self.span, key)
    }

    /// `name`: required, not empty, unique in the file. A valid name becomes the label of the
    /// table's other messages.
    fn name(
        &mut self,
        name: Option<Spanned<String>>,
        names: &mut Names,
        line_col: &impl Fn(&Range<usize>) -> String,
    ) -> Option<String> {
        let n = match name {
            None if self.set_aside("name") => return None,
            None => {
                self.missing(format!(
                    "alert #{} has no name: add name = \"...\" (shown with each alert)",
                    self.number
                ));
                return None;
            }
            Some(n) => n,
        };
        if n.get_ref().trim().is_empty() {
            self.err(
                n.span(),
                format!(
                    "alert #{} has an empty name: expected a short unique name, e.g. name = \"Tencent main inflow\"",
                    self.number
                ),
            );
            return None;
        }
        if let Some(first) = names.get(n.get_ref()) {
            self.err(
                n.span(),
                format!(
                    "duplicate alert name {:?} (first at {}): names must be unique",
                    n.get_ref(),
                    line_col(first)
                ),
            );
        } else {
            names.insert(n.get_ref().clone(), n.span());
        }
        self.label = format!("{:?}", n.get_ref());
        Some(n.into_inner())
    }

    /// `kind`: required, one of [`AlertKind::ALL`]'s names.
    fn kind(&mut self, kind: Option<Spanned<String>>) -> Option<AlertKind> {
        let kinds = AlertKind::ALL.map(AlertKind::name).join(", ");
        let label = &self.label;
        match kind {
            None if self.set_aside("kind") => None,
            None => {
                let m = format!("alert {label} has no kind: add kind = \"...\", one of {kinds}");
                self.missing(m);
                None
            }
            Some(k) => {
                let kind = AlertKind::from_name(k.get_ref());
                if kind.is_none() {
                    let m = format!(
                        "alert {label}: kind = {:?} is not known: expected one of {kinds}",
                        k.get_ref()
                    );
                    self.err(k.span(), m);
                }
                kind
            }
        }
    }

    /// `threshold`: an amount or a percentage as `kind` compares; required except for `flip`
    /// (default band [`DEFAULT_FLIP_BAND`]). Without a valid kind, only a threshold that is
    /// neither an amount nor a percentage is wrong.
    fn threshold(
        &mut self,
        kind: Option<AlertKind>,
        threshold: Option<Spanned<String>>,
    ) -> Option<Threshold> {
        match (kind, threshold) {
            (None, Some(t)) => {
                let amount = parse_threshold(t.get_ref(), false);
                if let (Err(m), Err(_)) = (amount, parse_threshold(t.get_ref(), true)) {
                    let m = format!("alert {}: {m}", self.label);
                    self.err(t.span(), m);
                }
                None
            }
            (Some(k), Some(t)) => self.given_threshold(k, &t),
            (Some(AlertKind::Flip), None) => Some(Threshold {
                value: DEFAULT_FLIP_BAND,
                signed: false,
            }),
            (Some(_), None) if self.set_aside("threshold") => None,
            (Some(k), None) => {
                self.missing(format!(
                    "alert {} has no threshold: add threshold = {}",
                    self.label,
                    if k.is_ratio() { "\"2%\"" } else { "\"500M\"" }
                ));
                None
            }
            (None, None) => None,
        }
    }

    /// A threshold written for a known `kind`: of its unit, and not negative for the kinds that
    /// take a size (`flip`'s band, `divergence`'s price move).
    fn given_threshold(&mut self, kind: AlertKind, t: &Spanned<String>) -> Option<Threshold> {
        let label = &self.label;
        let message = match parse_threshold(t.get_ref(), kind.is_ratio()) {
            Ok(th) if th.value < 0.0 && matches!(kind, AlertKind::Flip | AlertKind::Divergence) => {
                format!(
                    "alert {label}: threshold {:?} is negative: {} takes a size (the {}), write it without a sign",
                    t.get_ref(),
                    kind.name(),
                    if kind == AlertKind::Flip {
                        "hysteresis band around zero"
                    } else {
                        "price move in percent"
                    }
                )
            }
            Ok(th) => return Some(th),
            Err(m) => format!("alert {label}: {m}"),
        };
        self.err(t.span(), message);
        None
    }

    /// `window`: `burst` only, whole minutes from 1 to [`MAX_WINDOW_MINUTES`] (default
    /// [`DEFAULT_WINDOW_MINUTES`]). `Some(None)`: no window, rightly.
    #[expect(
        clippy::option_option,
        reason = "like every field check, `None` means a problem was reported; the value checked is itself optional"
    )]
    fn window(
        &mut self,
        kind: Option<AlertKind>,
        window: Option<Spanned<String>>,
    ) -> Option<Option<u32>> {
        let label = &self.label;
        match (kind, window) {
            (Some(AlertKind::Burst), None) => Some(Some(DEFAULT_WINDOW_MINUTES)),
            (Some(AlertKind::Burst), Some(w)) => {
                let minutes = parse_span(w.get_ref())
                    .filter(|s| s % 60 == 0)
                    .map(|s| s / 60)
                    .and_then(|m| u32::try_from(m).ok())
                    .filter(|m| (1..=MAX_WINDOW_MINUTES).contains(m));
                if minutes.is_none() {
                    let m = format!(
                        "alert {label}: window = {:?} is not a window: expected whole minutes from 1m to {MAX_WINDOW_MINUTES}m, e.g. \"5m\" or \"1h\"",
                        w.get_ref()
                    );
                    self.err(w.span(), m);
                }
                minutes.map(Some)
            }
            (Some(k), Some(w)) => {
                let m = format!(
                    "alert {label}: kind {} has no window (only burst does): remove window",
                    k.name()
                );
                self.err(w.span(), m);
                None
            }
            (_, None) => Some(None),
            (None, Some(_)) => None,
        }
    }

    /// `cooldown`: a duration up to [`MAX_COOLDOWN_SECS`], in seconds (default
    /// [`DEFAULT_COOLDOWN_SECS`]).
    fn cooldown(&mut self, cooldown: Option<Spanned<String>>) -> Option<u32> {
        let Some(c) = cooldown else {
            return Some(DEFAULT_COOLDOWN_SECS);
        };
        let secs = parse_span(c.get_ref())
            .and_then(|s| u32::try_from(s).ok())
            .filter(|s| *s <= MAX_COOLDOWN_SECS);
        if secs.is_none() {
            let m = format!(
                "alert {}: cooldown = {:?} is not a duration: expected a whole number with s, m or h up to 24h, e.g. \"10m\"",
                self.label,
                c.get_ref()
            );
            self.err(c.span(), m);
        }
        secs
    }

    /// `codes` or `watchlist` (or neither: every stock), checked by [`scope`] unless one was
    /// set aside.
    fn scope(
        &mut self,
        codes: Option<Spanned<Vec<Spanned<String>>>>,
        watchlist: Option<Spanned<String>>,
        watchlists: &[WatchlistConfig],
    ) -> Option<AlertScope> {
        if self.set_aside("codes") || self.set_aside("watchlist") {
            return None;
        }
        let Table {
            label, problems, ..
        } = self;
        scope(codes, watchlist, watchlists, label, &mut |s, m| {
            problems.push((Some(s), m));
        })
    }

    /// `command`: a program and its arguments, each with known `{placeholders}` only; none by
    /// default.
    fn command(&mut self, command: Option<Spanned<Vec<Spanned<String>>>>) -> Option<Vec<String>> {
        let Some(c) = command else {
            return Some(Vec::new());
        };
        if c.get_ref().is_empty() || c.get_ref()[0].get_ref().trim().is_empty() {
            let m = format!(
                "alert {}: command is empty: expected the program and its arguments, e.g. command = [\"notify-send\", \"capflow\", \"{{code}} {{rule}}\"], or remove command",
                self.label
            );
            self.err(c.span(), m);
            return None;
        }
        let mut good = true;
        for arg in c.get_ref() {
            let known = |p: &str| PLACEHOLDERS.contains(&p).then(String::new);
            if let Err(m) = substitute(arg.get_ref(), known) {
                let m = format!("alert {}: {m}", self.label);
                self.err(arg.span(), m);
                good = false;
            }
        }
        good.then(|| {
            c.into_inner()
                .into_iter()
                .map(Spanned::into_inner)
                .collect()
        })
    }
}
