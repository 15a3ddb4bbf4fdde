//! Writes `assets/dashboard.svg`, `assets/search.svg` and `assets/sectors.svg`, the README
//! pictures: the fixture dashboard, its search box on `tenc`, and its flow map grouped by
//! industry, rendered off-screen and turned into SVG (see `screenshot/svg.rs`).
//! `tests/it/assets.rs` checks the files are up to date.
//!
//! Run: `cargo run --example screenshot`.

#[path = "screenshot/svg.rs"]
mod svg;

use anyhow::Context as _;

fn main() -> anyhow::Result<()> {
    let pictures = [
        (
            concat!(env!("CARGO_MANIFEST_DIR"), "/assets/dashboard.svg"),
            svg::dashboard(),
        ),
        (
            concat!(env!("CARGO_MANIFEST_DIR"), "/assets/search.svg"),
            svg::search(),
        ),
        (
            concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sectors.svg"),
            svg::sectors_map(),
        ),
    ];
    for (path, svg) in pictures {
        std::fs::write(path, svg).with_context(|| format!("cannot write {path}"))?;
        println!("wrote {path}");
    }
    Ok(())
}
