//! `[ui] columns`: which of the watchlist's columns are shown, and in which order, by the names
//! `capflow table` uses where the column is the same (`code`, `name`, `last`, `chg_pct`, `net`,
//! `main`, `net_pct`, `main_5d`, `streak`) and four of its own (`divergence`, the `◆` mark;
//! `sparkline`; `age`, the freshness mark). Absent, the watchlist shows every column
//! ([`Columns::all`]). The code must be among them: it names the row, and the alert mark goes
//! after it.

use std::ops::Range;

use toml::Spanned;

use super::report::Problem;
use super::windows::MAX_WINDOWS;

/// One column of the watchlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `code`: the security code (required).
    Code,
    /// `name`: the stock's name.
    Name,
    /// `last`: the last price.
    Last,
    /// `chg_pct`: the change against the previous close, in percent.
    ChgPct,
    /// `net`: today's net inflow.
    Net,
    /// `main`: today's main (super + big) net inflow.
    Main,
    /// `net_pct`: today's net inflow in percent of the turnover.
    NetPct,
    /// `divergence`: the `◆` mark of a price and main flow that disagree.
    Divergence,
    /// `main_<N>d`: main net over the last N trading days, N one of `[ui] windows`.
    Window(u16),
    /// `streak`: consecutive trading days of main inflow or outflow.
    Streak,
    /// `sparkline`: the per-minute net inflow.
    Sparkline,
    /// `age`: the freshness of the row's figures.
    Age,
}

/// The columns that are not N-day windows, in the watchlist's default order (the windows and
/// then the streak go after the divergence mark).
const FIXED: [Column; 10] = [
    Column::Code,
    Column::Name,
    Column::Last,
    Column::ChgPct,
    Column::Net,
    Column::Main,
    Column::NetPct,
    Column::Divergence,
    Column::Streak,
    Column::Sparkline,
];

/// The most columns a list can hold: every fixed one, `age` and one per window.
pub const MAX_COLUMNS: usize = FIXED.len() + 1 + MAX_WINDOWS;

impl Column {
    /// The column's name in `[ui] columns` (and in `capflow table`'s header where it has it).
    pub fn name(self) -> String {
        match self {
            Column::Code => "code".to_owned(),
            Column::Name => "name".to_owned(),
            Column::Last => "last".to_owned(),
            Column::ChgPct => "chg_pct".to_owned(),
            Column::Net => "net".to_owned(),
            Column::Main => "main".to_owned(),
            Column::NetPct => "net_pct".to_owned(),
            Column::Divergence => "divergence".to_owned(),
            Column::Window(n) => format!("main_{n}d"),
            Column::Streak => "streak".to_owned(),
            Column::Sparkline => "sparkline".to_owned(),
            Column::Age => "age".to_owned(),
        }
    }

    /// The column named `s` (`main_<N>d` for any N written without leading zeros, whether or
    /// not it is a window).
    fn parse(s: &str) -> Option<Column> {
        if let Some(n) = s.strip_prefix("main_").and_then(|r| r.strip_suffix('d')) {
            let n: u16 = n.parse().ok()?;
            return (format!("main_{n}d") == s).then_some(Column::Window(n));
        }
        FIXED
            .into_iter()
            .chain([Column::Age])
            .find(|c| c.name() == s)
    }
}

/// `[ui] columns`: 1 to [`MAX_COLUMNS`] distinct columns, the code among them, in the order
/// they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    list: [Column; MAX_COLUMNS],
    len: usize,
}

impl Columns {
    /// The columns, in order.
    pub fn as_slice(&self) -> &[Column] {
        &self.list[..self.len]
    }

    /// `list` as columns, when it has at most [`MAX_COLUMNS`] (not checked further: the
    /// config's checks are those of `[ui] columns`).
    pub fn new(list: &[Column]) -> Option<Columns> {
        let mut c = Columns {
            list: [Column::Code; MAX_COLUMNS],
            len: list.len(),
        };
        c.list.get_mut(..list.len())?.copy_from_slice(list);
        Some(c)
    }

    /// Whether `c` is shown.
    pub fn contains(&self, c: Column) -> bool {
        self.as_slice().contains(&c)
    }

    /// Every column, as the watchlist shows them without `[ui] columns`: code, name, last,
    /// chg %, net, main, net %, the divergence mark, one per N of `windows`, the streak (with
    /// a window only), the sparkline and the age.
    pub fn all(windows: &[usize]) -> Columns {
        let mut c = Columns {
            list: [Column::Code; MAX_COLUMNS],
            len: 0,
        };
        let days = windows
            .iter()
            .take(MAX_WINDOWS)
            .filter_map(|&n| u16::try_from(n).ok().map(Column::Window));
        let ordered = FIXED[..8]
            .iter()
            .copied()
            .chain(days)
            .chain(FIXED[8..].iter().copied())
            .chain([Column::Age])
            // No window, no streak: the day columns come as a whole.
            .filter(|c| *c != Column::Streak || !windows.is_empty());
        for col in ordered {
            c.list[c.len] = col;
            c.len += 1;
        }
        c
    }

    /// The names `[ui] columns` knows with `windows` as the N's, in the default order.
    pub fn known(windows: &[usize]) -> String {
        let all = Columns::all(windows);
        let names: Vec<String> = all.as_slice().iter().map(|c| c.name()).collect();
        names.join(", ")
    }
}

/// The columns of a `[ui] columns` value, checked against `windows` (`None` when `[ui] windows`
/// is itself wrong: its N's are then not checked), and every problem found, each at the name it
/// is about; `line_col` says where a span starts (for a name listed twice).
pub(super) fn columns(
    value: &Spanned<Vec<Spanned<String>>>,
    windows: Option<&[usize]>,
    line_col: impl Fn(&Range<usize>) -> String,
) -> (Option<Columns>, Vec<Problem>) {
    let known = Columns::known(windows.unwrap_or(&[5, 20]));
    let items = value.get_ref();
    if items.is_empty() {
        let m = format!(
            "columns = [] shows nothing: list the watchlist's columns in order, from {known}; or remove the key for all of them"
        );
        return (None, vec![(Some(value.span()), m)]);
    }
    let mut problems = Vec::new();
    let mut seen: Vec<(Column, Range<usize>)> = Vec::new();
    for item in items {
        let s = item.get_ref();
        let span = item.span();
        let Some(col) = Column::parse(s) else {
            problems.push((
                Some(span),
                format!("columns: {s:?} is no column: expected one of {known}"),
            ));
            continue;
        };
        if let (Column::Window(n), Some(w)) = (col, windows)
            && !w.contains(&usize::from(n))
        {
            let ns: Vec<String> = w.iter().map(ToString::to_string).collect();
            problems.push((
                Some(span),
                format!(
                    "columns: {s:?} is no window of [ui] windows = [{}]: add {n} to windows, or list one of {}",
                    ns.join(", "),
                    w.iter().map(|n| format!("main_{n}d")).collect::<Vec<_>>().join(", ")
                ),
            ));
            continue;
        }
        if let Some((_, first)) = seen.iter().find(|(c, _)| *c == col) {
            problems.push((
                Some(span),
                format!(
                    "columns: {s:?} is listed twice (first at {}): list each column once",
                    line_col(first)
                ),
            ));
            continue;
        }
        seen.push((col, span));
    }
    if problems.is_empty() && !seen.iter().any(|(c, _)| *c == Column::Code) {
        problems.push((
            Some(value.span()),
            "columns has no \"code\": it names the row (the alert mark goes after it); add \"code\", in any place".to_owned(),
        ));
    }
    if !problems.is_empty() {
        return (None, problems);
    }
    let mut c = Columns {
        list: [Column::Code; MAX_COLUMNS],
        len: 0,
    };
    // Distinct columns, windows among `[ui] windows`: never more than MAX_COLUMNS.
    for (col, _) in seen.into_iter().take(MAX_COLUMNS) {
        c.list[c.len] = col;
        c.len += 1;
    }
    (Some(c), problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `[ui] columns = <s>` against windows `w`: the columns, or each message with its
    /// "line:col" (1-based, the value written on line 1 after `c = `).
    fn parse(s: &str, w: Option<&[usize]>) -> Result<Vec<String>, Vec<String>> {
        #[derive(serde::Deserialize)]
        struct One {
            c: Spanned<Vec<Spanned<String>>>,
        }
        let text = format!("c = {s}");
        let one: One = toml::from_str(&text).unwrap();
        let (cols, problems) = columns(&one.c, w, |r| format!("column {}", r.start + 1));
        match cols {
            Some(c) => Ok(c.as_slice().iter().map(|c| c.name()).collect()),
            None => Err(problems
                .into_iter()
                .map(|(span, m)| format!("1:{}: {m}", span.unwrap().start + 1))
                .collect()),
        }
    }

    #[test]
    fn the_default_is_every_column_in_todays_order() {
        assert_eq!(
            Columns::known(&[5, 20]),
            "code, name, last, chg_pct, net, main, net_pct, divergence, main_5d, main_20d, streak, sparkline, age"
        );
        assert_eq!(Columns::all(&[1, 2, 3, 250]).as_slice().len(), MAX_COLUMNS);
    }

    #[test]
    fn the_columns_come_in_the_order_given() {
        let w: &[usize] = &[5, 20];
        assert_eq!(
            parse(r#"["streak", "code", "main_20d", "sparkline"]"#, Some(w)).unwrap(),
            ["streak", "code", "main_20d", "sparkline"]
        );
        let all = Columns::known(w);
        let listed = format!("[\"{}\"]", all.replace(", ", "\", \""));
        assert_eq!(parse(&listed, Some(w)).unwrap().join(", "), all);
        // With [ui] windows itself wrong, any N passes here: windows' own error is the one.
        assert_eq!(
            parse(r#"["code", "main_7d"]"#, None).unwrap(),
            ["code", "main_7d"]
        );
    }

    #[test]
    fn every_wrong_list_is_a_located_one_line_error() {
        let w: &[usize] = &[5, 20];
        let err = |s: &str| parse(s, Some(w)).unwrap_err();
        assert_eq!(
            err(r#"["code", "Net", "spark"]"#),
            [
                "1:14: columns: \"Net\" is no column: expected one of code, name, last, chg_pct, net, main, net_pct, divergence, main_5d, main_20d, streak, sparkline, age",
                "1:21: columns: \"spark\" is no column: expected one of code, name, last, chg_pct, net, main, net_pct, divergence, main_5d, main_20d, streak, sparkline, age",
            ]
        );
        assert_eq!(
            err(r#"["code", "net", "net"]"#),
            ["1:21: columns: \"net\" is listed twice (first at column 14): list each column once"]
        );
        assert_eq!(
            err("[]"),
            [
                "1:5: columns = [] shows nothing: list the watchlist's columns in order, from code, name, last, chg_pct, net, main, net_pct, divergence, main_5d, main_20d, streak, sparkline, age; or remove the key for all of them"
            ]
        );
        assert_eq!(
            err(r#"["code", "main_10d"]"#),
            [
                "1:14: columns: \"main_10d\" is no window of [ui] windows = [5, 20]: add 10 to windows, or list one of main_5d, main_20d"
            ]
        );
        assert_eq!(
            err(r#"["name", "net"]"#),
            [
                "1:5: columns has no \"code\": it names the row (the alert mark goes after it); add \"code\", in any place"
            ]
        );
        // Only the names written as documented.
        for bad in ["main_05d", "main_d", "main_5", "main_70000d", " code", ""] {
            let e = err(&format!(r#"["code", "{bad}"]"#));
            assert!(e[0].contains("is no column"), "{bad}: {e:?}");
        }
    }
}
