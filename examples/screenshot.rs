//! Writes `assets/dashboard.svg`, the README picture (and `assets/search.svg`, the search box): the fixture dashboard rendered off-screen
//! and turned into SVG (see `screenshot/svg.rs`). `tests/it/assets.rs` checks the file is up to date.
//!
//! Run: `cargo run --example screenshot`.

#[path = "screenshot/svg.rs"]
mod svg;

use anyhow::Context as _;

fn main() -> anyhow::Result<()> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/dashboard.svg");
    std::fs::write(path, svg::dashboard()).with_context(|| format!("cannot write {path}"))?;
    println!("wrote {path}");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/search.svg");
    std::fs::write(path, svg::search()).with_context(|| format!("cannot write {path}"))?;
    println!("wrote {path}");
    Ok(())
}
