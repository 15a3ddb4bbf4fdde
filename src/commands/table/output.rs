//! `capflow table`'s output: aligned with human units, CSV (through [`crate::flow::csv`]) or
//! JSON, numbers unscaled in the last two. The aligned table shows the columns of `[ui] columns`
//! it has, in their order; CSV and JSON always carry every field. An unknown figure is `–` in the table, empty in CSV,
//! `null` in JSON: never a zero.

use crate::cli::Format;
use crate::commands::failure::Failure;
use crate::config::Columns;
use crate::flow::{Units, human, py_float};

use super::Row;

/// Terminal cells of `s`: East Asian wide characters (CJK names) take two.
fn text_width(s: &str) -> usize {
    s.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// The column names, one `main_{N}d` per window.
pub fn header(windows: &[usize]) -> Vec<String> {
    let mut h: Vec<String> = ["code", "name", "last", "chg_pct", "net", "main", "net_pct"]
        .map(str::to_owned)
        .to_vec();
    h.extend(windows.iter().map(|n| format!("main_{n}d")));
    h.push("streak".to_owned());
    h
}

/// The rows as `format`.
pub fn render(
    rows: &[Row],
    windows: &[usize],
    format: Format,
    units: Units,
    columns: Option<&Columns>,
) -> Result<String, Failure> {
    match format {
        Format::Csv => csv(rows, windows),
        Format::Json => json(rows, windows),
        Format::Table => Ok(table(rows, windows, units, columns)),
    }
}

/// Keeps, of `head` and each row of `cells`, the columns `columns` names, in its order (its
/// columns the table has not, the sparkline, the divergence mark and the age, are skipped).
fn choose(head: &mut Vec<String>, cells: &mut [Vec<String>], columns: &Columns) {
    let order: Vec<usize> = columns
        .as_slice()
        .iter()
        .filter_map(|c| head.iter().position(|h| *h == c.name()))
        .collect();
    let pick = |v: &[String]| -> Vec<String> { order.iter().map(|&i| v[i].clone()).collect() };
    *head = pick(head);
    for c in cells.iter_mut() {
        *c = pick(c);
    }
}

/// A row's figures in the header's order after code and name (`None`: unknown).
fn figures(r: &Row) -> Vec<Option<f64>> {
    let mut v = vec![
        r.quote.as_ref().map(|q| q.price),
        r.chg_pct(),
        r.today.map(|t| t.0),
        r.today.map(|t| t.1),
        r.net_pct(),
    ];
    v.extend(r.days.sums.iter().copied());
    v
}

fn csv(rows: &[Row], windows: &[usize]) -> Result<String, Failure> {
    let lines = rows.iter().map(|r| {
        let mut f = vec![r.code.to_string(), r.name.clone().unwrap_or_default()];
        f.extend(
            figures(r)
                .into_iter()
                .map(|v| v.map_or_else(String::new, py_float)),
        );
        f.push(r.streak().map_or_else(String::new, |n| n.to_string()));
        f
    });
    crate::flow::csv::frame_csv(&header(windows).join(","), lines).map_err(Failure::other)
}

fn json(rows: &[Row], windows: &[usize]) -> Result<String, Failure> {
    let names = header(windows);
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let mut m = serde_json::Map::new();
            m.insert(names[0].clone(), r.code.to_string().into());
            m.insert(
                names[1].clone(),
                r.name.clone().map_or(serde_json::Value::Null, Into::into),
            );
            for (k, v) in names[2..].iter().zip(figures(r)) {
                m.insert(k.clone(), v.map_or(serde_json::Value::Null, Into::into));
            }
            m.insert(
                "streak".to_owned(),
                r.streak().map_or(serde_json::Value::Null, Into::into),
            );
            serde_json::Value::Object(m)
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&list).map_err(Failure::other)?;
    s.push('\n');
    Ok(s)
}

fn table(rows: &[Row], windows: &[usize], units: Units, columns: Option<&Columns>) -> String {
    let mut head = header(windows);
    let mut cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let f = figures(r);
            let pct = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |p| format!("{p:+.2}%"));
            let amount = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |a| human(a, units));
            let mut c = vec![
                r.code.to_string(),
                r.name.as_deref().map_or_else(
                    || "…".to_owned(),
                    |n| crate::flow::text::clean(n).into_owned(),
                ),
                f[0].map_or_else(|| "–".to_owned(), |p| format!("{p:.2}")),
                pct(f[1]),
                amount(f[2]),
                amount(f[3]),
                pct(f[4]),
            ];
            c.extend(f[5..].iter().map(|v| amount(*v)));
            c.push(
                r.days
                    .streak
                    .map_or_else(|| "–".to_owned(), |s| s.to_string()),
            );
            c
        })
        .collect();
    if let Some(columns) = columns {
        choose(&mut head, &mut cells, columns);
    }
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| text_width(&c[i]))
            .chain([head[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..head.len()).map(width).collect();
    let line = |c: &[String]| {
        let mut s = String::new();
        for (i, (text, w)) in c.iter().zip(&widths).enumerate() {
            let pad = " ".repeat(w.saturating_sub(text_width(text)));
            if i > 0 {
                s.push_str("  ");
            }
            // The code and the name left-aligned, the figures right-aligned.
            if matches!(head[i].as_str(), "code" | "name") {
                s.push_str(text);
                s.push_str(&pad);
            } else {
                s.push_str(&pad);
                s.push_str(text);
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(&head);
    for c in &cells {
        out.push_str(&line(c));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::Column;
    use crate::flow::days::{DayColumns, Streak};

    fn rows() -> Vec<Row> {
        vec![Row {
            code: "HK.00700".parse().unwrap(),
            name: Some("Tencent".into()),
            quote: None,
            today: Some((1.5e8, -2e7)),
            days: DayColumns {
                sums: vec![Some(3e7), None],
                streak: Some(Streak(-2)),
            },
        }]
    }

    #[test]
    fn the_table_follows_ui_columns_and_csv_and_json_keep_every_field() {
        let w = [5, 20];
        let every = table(&rows(), &w, Units::Western, None);
        assert_eq!(
            every.lines().next().unwrap(),
            "code      name     last  chg_pct    net    main  net_pct  main_5d  main_20d  streak"
        );
        let cols = Columns::new(&[
            Column::Streak,
            Column::Sparkline,
            Column::Main,
            Column::Code,
            Column::Age,
        ])
        .unwrap();
        let some = table(&rows(), &w, Units::Western, Some(&cols));
        assert_eq!(
            some, "streak    main  code\n    −2  -20.0M  HK.00700\n",
            "{some}"
        );
        for format in [Format::Csv, Format::Json] {
            let all = render(&rows(), &w, format, Units::Western, None).unwrap();
            let chosen = render(&rows(), &w, format, Units::Western, Some(&cols)).unwrap();
            assert_eq!(all, chosen, "{format:?}");
        }
    }

    #[test]
    fn wide_names_take_two_cells() {
        assert_eq!(text_width("TENCENT"), 7);
        assert_eq!(text_width("腾讯控股"), 8);
        assert_eq!(text_width("–"), 1);
    }
}
