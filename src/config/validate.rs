//! [`ConfigFile`] → [`Config`]: parse the TOML, check every value, and report every problem found
//! with the file, line and column it comes from.
//!
//! Every problem found is reported, sorted by position: all TOML syntax errors (the parser
//! recovers); else every unknown key and wrong type (each key of each section is deserialized on
//! its own) plus every semantic problem (codes, ranges, duplicates, missing or conflicting keys,
//! the key file) of every key that typed fine, also in a table where another key did not (a key
//! set aside, or misspelt, is not also reported missing: [`SetAside`](super::aside::SetAside)). Values not given take the built-in defaults of
//! [`Config::default`]; a value given but wrong is always an error, never replaced by a default.
//! No IO except checking that `rsa_private_key` is a readable file.
//!
//! The steps, each in its own file of `config/`: `decompose` reads the TOML into a
//! [`ConfigFile`], section by section; `sections` checks `[opend]`, `[budget]`, `[ui]` and
//! `[store]` (with `paths` for the files they name); `watchlist`, [`super::keys`] and
//! [`super::alert`] check their tables; every problem lands in the file's `Report`.

use std::path::Path;

use toml::Spanned;

use super::decompose::decompose;
use super::file::ConfigFile;
use super::report::Report;
use super::sections::{budget_section, opend_section, store_section, ui_section};
use super::{Config, Diagnostic};

/// The display name of a config file in messages.
pub fn file_label(path: Option<&Path>) -> String {
    path.map_or_else(|| "<config>".to_owned(), |p| p.display().to_string())
}

/// Parses and validates `text` (the content of `path`).
pub fn parse(text: &str, path: Option<&Path>) -> Result<Config, Vec<Diagnostic>> {
    let mut r = Report::new(text, file_label(path));
    let Some(file) = decompose(text, &mut r) else {
        return Err(r.finish());
    };
    let base = path.and_then(Path::parent);
    let config = build(file, base, &mut r);
    let diags = r.finish();
    if diags.is_empty() {
        Ok(Config {
            path: path.map(Path::to_path_buf),
            ..config
        })
    } else {
        Err(diags)
    }
}

/// The defaults, with every value of `file` that checks out in their place.
fn build(file: ConfigFile, base: Option<&Path>, r: &mut Report<'_>) -> Config {
    let mut c = Config::default();
    if let Some(opend) = file.opend.map(Spanned::into_inner) {
        opend_section(opend, base, &mut c, r);
    }
    if let Some(budget) = file.budget.map(Spanned::into_inner) {
        budget_section(budget, &mut c, r);
    }
    if let Some(ui) = file.ui.map(Spanned::into_inner) {
        ui_section(ui, &mut c, r);
    }
    if let Some(store) = file.store.map(Spanned::into_inner) {
        store_section(store, base, &mut c, r);
    }
    if let Some(serve) = file.serve.map(Spanned::into_inner) {
        super::serve::section(serve, &mut c, r);
    }
    if let Some(kline) = file.kline.map(Spanned::into_inner) {
        super::kline::section(kline, &mut c, r);
    }
    if let Some(lists) = file.watchlist {
        c.watchlists = super::watchlist::watchlists(lists.into_inner(), r);
    }
    if let Some(table) = file.keys {
        let (keys, problems) = super::keys::keys(table, |s| r.line_col(s));
        c.keys = keys;
        r.all(problems);
    }
    if let Some(tables) = file.alert {
        let (rules, problems) =
            super::alert::rules(tables, &c.watchlists, &r.aside, |s| r.line_col(s));
        c.alerts = rules;
        r.all(problems);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::paths::expand;
    use crate::config::{Colors, WatchlistConfig, WatchlistSource};
    use crate::flow::Units;

    fn errs(text: &str) -> Vec<String> {
        parse(text, Some(Path::new("c.toml")))
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn parser_messages_name_the_key() {
        assert_eq!(
            errs("[opend]\nport = \"1\"\n"),
            ["c.toml:2:8: port: wrong type: found string \"1\", expected an integer"]
        );
        assert_eq!(
            errs("[opend]\nport = 1\nport = 2\n"),
            ["c.toml:3:1: duplicate key `port`: each key may appear once in a table"]
        );
    }

    #[test]
    fn a_type_error_in_one_section_does_not_hide_the_others() {
        let e = errs(
            "[opend]\nport = \"x\"\nhots = 1\n[ui]\ncolors = 1\n[budget]\nrequests_per_30s = 99\n[[watchlist]]\nname = 1\n[[watchlist]]\nname = \"ok\"\ncodes = [\"HK\"]\n[nope]\n",
        );
        assert_eq!(
            e,
            [
                "c.toml:2:8: port: wrong type: found string \"x\", expected an integer",
                "c.toml:3:1: unknown field `hots`, expected one of `host`, `port`, `rsa_private_key`, `brand` (see config.example.toml for every option)",
                "c.toml:5:10: colors: wrong type: found integer `1`, expected a string",
                "c.toml:7:20: requests_per_30s = 99 is out of range: expected 1 to 30 (OpenD allows 30 capital-flow requests per 30 s; lower it if other programs share your OpenD)",
                // The watchlist's name has the wrong type, and it has no codes either.
                "c.toml:8:1: watchlist #1 has neither codes, opend_group nor plate: add codes = [\"HK.00700\", ...], opend_group = \"<group in your app>\" or plate = \"HK.BK1910\"",
                "c.toml:9:8: name: wrong type: found integer `1`, expected a string",
                "c.toml:12:10: invalid security code \"HK\": expected MARKET.CODE such as HK.00700, US.AAPL or SH.600519",
                "c.toml:13:2: unknown field `nope`, expected one of `opend`, `budget`, `ui`, `store`, `serve`, `kline`, `watchlist`, `alert`, `keys` (see config.example.toml for every option)",
            ]
        );
    }

    #[test]
    fn every_syntax_error_is_reported() {
        let e = errs("a = \nb = [1,\n[c\n");
        assert!(e.len() >= 2, "{e:#?}");
        assert!(e.iter().all(|l| l.starts_with("c.toml:")), "{e:#?}");
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        let c = parse("", Some(Path::new("c.toml"))).unwrap();
        assert_eq!(c.path.as_deref(), Some(Path::new("c.toml")));
        assert_eq!(Config { path: None, ..c }, Config::default());
    }

    #[test]
    fn partial_sections_keep_the_other_defaults() {
        let c = parse("[opend]\nport = 22222\n[ui]\nunits = \"cjk\"\n", None).unwrap();
        assert_eq!(c.opend_addr(), "127.0.0.1:22222");
        assert_eq!(c.ui.units, Units::Cjk);
        assert_eq!(c.ui.colors, Colors::GreenUp);
        assert_eq!(c.watchlists, Config::default().watchlists);
    }

    #[test]
    fn all_semantic_errors_are_reported_in_file_order() {
        let e = errs(
            "[budget]\nrequests_per_30s = 0\n[opend]\nport = 70000\n[[watchlist]]\nname = \"a\"\ncodes = [\"HK.00001\", \"XX.2\", \"HK.00001\"]\n",
        );
        assert_eq!(e.len(), 4, "{e:#?}");
        assert!(
            e[0].starts_with("c.toml:2:20: requests_per_30s = 0"),
            "{e:#?}"
        );
        assert!(e[1].starts_with("c.toml:4:8: port = 70000"), "{e:#?}");
        assert!(
            e[2].starts_with("c.toml:7:22: invalid security code \"XX.2\""),
            "{e:#?}"
        );
        assert!(
            e[3].starts_with(
                "c.toml:7:30: duplicate code HK.00001 in watchlist \"a\" (first at line 7, column 10)"
            ),
            "{e:#?}"
        );
    }

    #[test]
    fn columns_are_checked_against_the_windows_wherever_either_is_written() {
        // Written before the windows they name.
        let c = parse(
            "[ui]\ncolumns = [\"code\", \"main_10d\"]\nwindows = [10]\n",
            None,
        )
        .unwrap();
        let names: Vec<String> =
            c.ui.columns
                .unwrap()
                .as_slice()
                .iter()
                .map(|c| c.name())
                .collect();
        assert_eq!(names, ["code", "main_10d"]);
        // Without the key: every column, as before.
        assert_eq!(
            parse("[ui]\nwindows = [10]\n", None).unwrap().ui.columns,
            None
        );
        // Wrong windows: their own error only, not one more for each main_<N>d.
        assert_eq!(
            errs("[ui]\ncolumns = [\"code\", \"main_10d\"]\nwindows = [0]\n"),
            [
                "c.toml:3:11: windows = [0]: 0 is out of range: expected 1 to 4 distinct numbers of trading days from 1 to 250, like [5, 20]"
            ]
        );
        // The default windows when the key is absent.
        assert_eq!(
            errs("[ui]\ncolumns = [\"code\", \"main_10d\"]\n"),
            [
                "c.toml:2:20: columns: \"main_10d\" is no window of [ui] windows = [5, 20]: add 10 to windows, or list one of main_5d, main_20d"
            ]
        );
    }

    #[test]
    fn hosts_with_a_port_are_refused() {
        let e = errs("[opend]\nhost = \"127.0.0.1:11111\"\n");
        assert!(e[0].contains("includes a port"), "{e:?}");
        assert!(parse("[opend]\nhost = \"::1\"\n", None).is_ok());
        assert!(parse("[opend]\nhost = \"opend.lan\"\n", None).is_ok());
    }

    #[test]
    fn key_paths_expand_and_resolve_against_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.pem"), "x").unwrap();
        let cfg = dir.path().join("config.toml");
        let c = parse("[opend]\nrsa_private_key = \"k.pem\"\n", Some(&cfg)).unwrap();
        assert_eq!(c.opend.rsa_private_key, Some(dir.path().join("k.pem")));
        let e = parse("[opend]\nrsa_private_key = \".\"\n", Some(&cfg)).unwrap_err();
        assert!(e[0].message.contains("is a directory"), "{e:?}");
        if let Some(home) = directories::BaseDirs::new() {
            assert_eq!(
                expand("~/x.pem", None).unwrap(),
                home.home_dir().join("x.pem")
            );
        }
    }

    #[test]
    fn a_plate_watchlist_parses_and_takes_no_other_source() {
        let c = parse(
            "[[watchlist]]\nname = \"HSI\"\nplate = \"HK.BK1910\"\n",
            Some(Path::new("c.toml")),
        )
        .unwrap();
        assert_eq!(
            c.watchlists[0].source,
            WatchlistSource::Plate("HK.BK1910".parse().unwrap())
        );
        let e = parse(
            "[[watchlist]]\nname = \"HSI\"\nplate = \"HK.BK1910\"\nopend_group = \"Tech\"\n",
            Some(Path::new("c.toml")),
        )
        .unwrap_err();
        assert!(
            e[0].to_string()
                .contains("more than one of codes, opend_group and plate"),
            "{e:?}"
        );
        let e = parse(
            "[[watchlist]]\nname = \"HSI\"\nplate = \"BK1910\"\n",
            Some(Path::new("c.toml")),
        )
        .unwrap_err();
        assert!(
            e[0].to_string()
                .contains("c.toml:3:9: watchlist \"HSI\": plate \"BK1910\" is no plate code"),
            "{e:?}"
        );
    }

    #[test]
    fn an_opend_group_watchlist_parses() {
        let c = parse(
            "[[watchlist]]\nname = \"app\"\nopend_group = \"Tech\"\n",
            None,
        )
        .unwrap();
        assert_eq!(
            c.watchlists,
            vec![WatchlistConfig {
                name: "app".into(),
                source: WatchlistSource::OpendGroup("Tech".into())
            }]
        );
        assert_eq!(c.code_count(), 0);
    }
}
