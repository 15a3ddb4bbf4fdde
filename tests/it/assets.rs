//! The README pictures `assets/dashboard.svg`, `assets/search.svg` and `assets/sectors.svg` are what `cargo run --example screenshot` draws
//! today (same code, included from the example). `CAPFLOW_UPDATE_ASSETS=1` rewrites them.

#[path = "../../examples/screenshot/svg.rs"]
mod svg;

#[test]
fn screenshot_svg_matches_assets() {
    let svg = svg::dashboard();
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/dashboard.svg");
    if std::env::var_os("CAPFLOW_UPDATE_ASSETS").is_some() {
        std::fs::write(path, &svg).unwrap();
    }
    let stored = std::fs::read_to_string(path).unwrap();
    assert!(
        stored == svg,
        "assets/dashboard.svg is out of date: rerun with CAPFLOW_UPDATE_ASSETS=1"
    );
}

#[test]
fn search_svg_matches_assets() {
    let svg = svg::search();
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/search.svg");
    if std::env::var_os("CAPFLOW_UPDATE_ASSETS").is_some() {
        std::fs::write(path, &svg).unwrap();
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        stored == svg,
        "assets/search.svg is out of date: rerun with CAPFLOW_UPDATE_ASSETS=1"
    );
}

#[test]
fn sectors_svg_matches_assets() {
    let svg = svg::sectors_map();
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sectors.svg");
    if std::env::var_os("CAPFLOW_UPDATE_ASSETS").is_some() {
        std::fs::write(path, &svg).unwrap();
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        stored == svg,
        "assets/sectors.svg is out of date: rerun with CAPFLOW_UPDATE_ASSETS=1"
    );
}
