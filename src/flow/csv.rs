//! CSV rows as the Python SDK's DataFrames print them (`to_csv(index=False)`), shared by every
//! command that writes them (`capflow fetch`, `capflow export`, `capflow search`), which must not
//! import each other; [`frame_csv`] writes a frame of strings. Values use Python float formatting
//! ([`py_float`]); absent values are `N/A`. The JSON of a flow item ([`flow_item_json`]) carries
//! the same field names.

use std::fmt::Write as _;

use super::{CapitalFlow, Distribution, FlowItem, py_float};

/// The capital-flow header: the SDK's `get_capital_flow` DataFrame columns, in its order.
pub const FLOW_HEADER: &str = "last_valid_time,in_flow,super_in_flow,big_in_flow,mid_in_flow,sml_in_flow,main_in_flow,capital_flow_item_time";

/// The capital-distribution header: the SDK's `get_capital_distribution` DataFrame columns.
pub const DISTRIBUTION_HEADER: &str = "capital_in_super,capital_in_big,capital_in_mid,capital_in_small,capital_out_super,capital_out_big,capital_out_mid,capital_out_small,update_time";

/// One capital-flow row (no newline); `last_valid_time` is `None` for day/week/month (`N/A`).
pub fn flow_row(last_valid_time: Option<&str>, item: &FlowItem) -> String {
    let mut s = String::with_capacity(120);
    let _ = write!(
        s,
        "{},{},{},{},{},{},{},{}",
        last_valid_time.unwrap_or("N/A"),
        py_float(item.in_flow),
        py_float(item.split.super_),
        py_float(item.split.big),
        py_float(item.split.mid),
        py_float(item.split.sml),
        item.main_in_flow.map_or_else(|| "N/A".to_owned(), py_float),
        item.time
    );
    s
}

/// One capital-flow item as JSON fields, named like the CSV's columns (plus `timestamp`);
/// absent values are `null`. Callers add what identifies the row (code, period, ...).
pub fn flow_item_json(it: &FlowItem) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("in_flow".into(), it.in_flow.into());
    m.insert("super_in_flow".into(), it.split.super_.into());
    m.insert("big_in_flow".into(), it.split.big.into());
    m.insert("mid_in_flow".into(), it.split.mid.into());
    m.insert("sml_in_flow".into(), it.split.sml.into());
    m.insert("main_in_flow".into(), it.main_in_flow.into());
    m.insert("capital_flow_item_time".into(), it.time.as_str().into());
    m.insert("timestamp".into(), it.timestamp.into());
    m
}

/// A whole capital-flow result: the header, then one row per item.
pub fn flow_csv(flow: &CapitalFlow) -> String {
    let mut s = String::from(FLOW_HEADER);
    s.push('\n');
    for it in &flow.items {
        s.push_str(&flow_row(flow.last_valid_time.as_deref(), it));
        s.push('\n');
    }
    s
}

/// One capital-distribution row (no newline), every size present.
pub fn distribution_row(d: &Distribution) -> String {
    let mut s = String::with_capacity(120);
    for v in d.inflow.as_array().into_iter().chain(d.outflow.as_array()) {
        s.push_str(&py_float(v));
        s.push(',');
    }
    s.push_str(d.update_time.as_deref().unwrap_or(""));
    s
}

/// A frame of strings as pandas' `to_csv(index=False)` writes it: the header (comma-separated
/// names), then the rows, minimal quoting (the csv crate's `Necessary`: fields free of control
/// characters are quoted exactly where pandas quotes), `\n` line ends. `capflow search` and
/// `capflow fetch --plates` share it.
pub fn frame_csv<R, F>(
    header: &str,
    rows: impl IntoIterator<Item = R>,
) -> Result<String, csv::Error>
where
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    w.write_record(header.split(','))?;
    for r in rows {
        w.write_record(r)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::SizeSplit;

    #[test]
    fn rows_use_python_floats_and_na() {
        let split = SizeSplit::from_array([0.1, 0.2, 0.0, -3.0]);
        let it = FlowItem {
            time: "2026-11-25 09:31:00".into(),
            in_flow: split.total(),
            split,
            ..FlowItem::default()
        };
        assert_eq!(
            flow_row(Some("2026-11-25 09:31:12"), &it),
            "2026-11-25 09:31:12,-2.7,0.1,0.2,0.0,-3.0,N/A,2026-11-25 09:31:00"
        );
        assert!(flow_row(None, &it).starts_with("N/A,"));
        let d = Distribution {
            inflow: SizeSplit::from_array([1.0, 2.0, 3.0, 4.0]),
            outflow: SizeSplit::from_array([5.0, 6.0, 7.0, 8.5]),
            update_time: Some("2026-11-25 10:00:00".into()),
            super_omitted: false,
        };
        assert_eq!(
            distribution_row(&d),
            "1.0,2.0,3.0,4.0,5.0,6.0,7.0,8.5,2026-11-25 10:00:00"
        );
        assert_eq!(
            DISTRIBUTION_HEADER.split(',').count(),
            distribution_row(&d).split(',').count()
        );
    }
}
