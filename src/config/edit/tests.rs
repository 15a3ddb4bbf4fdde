use super::*;

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn add(list: &str, codes: &[&str], after: Option<&str>) -> Edit {
    Edit::Add {
        list: list.into(),
        codes: codes.iter().map(|c| code(c)).collect(),
        after: after.map(code),
    }
}

fn remove(list: &str, codes: &[&str]) -> Edit {
    Edit::Remove {
        list: list.into(),
        codes: codes.iter().map(|c| code(c)).collect(),
    }
}

fn run(text: &str, e: &Edit) -> String {
    apply(text, e, "config.toml").unwrap().text
}

fn err(text: &str, e: &Edit) -> String {
    apply(text, e, "config.toml").unwrap_err().to_string()
}

const COMMENTED: &str = r#"# my capflow setup
[opend]
host = "127.0.0.1"   # local OpenD
port = 11111

# tech first
[[watchlist]]
name = "HK tech"
codes = [
    "HK.00700", # Tencent
    "HK.09988", # Alibaba
    "HK.03690",
] # end of codes

[[watchlist]]
name = "US"
codes = ["US.AAPL", "US.MSFT"]

[[watchlist]]
name = "App"
opend_group = "Tech"

# keys after the lists
[keys]
quit = ["q"]
"#;

/// `after` with the array of `list` cut out equals `before` with the same cut.
fn same_outside(before: &str, after: &str, start: &str, end: &str) {
    let cut = |s: &str| {
        let a = s.find(start).unwrap();
        let b = a + s[a..].find(end).unwrap();
        format!("{}{}", &s[..a], &s[b..])
    };
    assert_eq!(cut(before), cut(after));
}

#[test]
fn a_multiline_array_keeps_its_comments_and_layout() {
    let out = run(COMMENTED, &add("HK tech", &["HK.00005"], None));
    assert!(
        out.contains(
            "codes = [\n    \"HK.00700\", # Tencent\n    \"HK.09988\", # Alibaba\n    \"HK.03690\",\n    \"HK.00005\",\n] # end of codes\n"
        ),
        "{out}"
    );
    same_outside(COMMENTED, &out, "codes = [\n", "] # end");
    let out = run(
        COMMENTED,
        &add("HK tech", &["HK.00005", "HK.00011"], Some("HK.00700")),
    );
    assert!(
        out.contains(
            "    \"HK.00700\", # Tencent\n    \"HK.00005\",\n    \"HK.00011\",\n    \"HK.09988\", # Alibaba\n"
        ),
        "{out}"
    );
    let out = run(COMMENTED, &remove("HK tech", &["HK.09988"]));
    assert!(
        out.contains("codes = [\n    \"HK.00700\", # Tencent\n    \"HK.03690\",\n] # end"),
        "the removed line goes with its own comment, the line above keeps its: {out}"
    );
    let out = run(COMMENTED, &remove("HK tech", &["HK.03690"]));
    assert!(
        out.contains("    \"HK.09988\", # Alibaba\n] # end of codes"),
        "{out}"
    );
    same_outside(COMMENTED, &out, "codes = [\n", "] # end");
    let back = run(&out, &add("HK tech", &["HK.03690"], None));
    assert_eq!(back, COMMENTED, "remove then add back restores the bytes");
}

#[test]
fn crlf_files_keep_crlf_on_the_lines_added() {
    let crlf = COMMENTED.replace('\n', "\r\n");
    let out = run(&crlf, &add("HK tech", &["HK.00005"], Some("HK.00700")));
    let out = run(
        &out,
        &Edit::New {
            name: "B".into(),
            codes: vec![code("HK.00011")],
        },
    );
    assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
    assert_eq!(
        out.replace("\r\n", "\n"),
        run(
            &run(COMMENTED, &add("HK tech", &["HK.00005"], Some("HK.00700"))),
            &Edit::New {
                name: "B".into(),
                codes: vec![code("HK.00011")]
            }
        )
    );
}

#[test]
fn a_one_line_array_stays_on_one_line() {
    let out = run(COMMENTED, &add("US", &["US.NVDA"], None));
    assert!(
        out.contains("codes = [\"US.AAPL\", \"US.MSFT\", \"US.NVDA\"]\n"),
        "{out}"
    );
    let out = run(COMMENTED, &add("US", &["US.NVDA"], Some("US.AAPL")));
    assert!(
        out.contains("codes = [\"US.AAPL\", \"US.NVDA\", \"US.MSFT\"]\n"),
        "{out}"
    );
    let out = run(COMMENTED, &remove("US", &["US.AAPL"]));
    assert!(out.contains("codes = [\"US.MSFT\"]\n"), "{out}");
    same_outside(
        COMMENTED,
        &out,
        "codes = [\"US",
        "]\n\n[[watchlist]]\nname = \"App\"",
    );
}

#[test]
fn adding_a_code_twice_skips_it() {
    let a = apply(
        COMMENTED,
        &add("US", &["US.AAPL", "US.NVDA", "US.NVDA"], None),
        "c",
    )
    .unwrap();
    assert_eq!(a.skipped, [code("US.AAPL"), code("US.NVDA")]);
    assert!(
        a.text
            .contains("codes = [\"US.AAPL\", \"US.MSFT\", \"US.NVDA\"]\n")
    );
}

#[test]
fn moves_swap_values_and_leave_comments_on_their_lines() {
    let mv = |c: &str, by| Edit::Move {
        list: "HK tech".into(),
        code: code(c),
        by,
    };
    let out = run(COMMENTED, &mv("HK.00700", 1));
    assert!(
        out.contains("    \"HK.09988\", # Tencent\n    \"HK.00700\", # Alibaba\n"),
        "{out}"
    );
    let out = run(COMMENTED, &mv("HK.00700", 10));
    assert!(
        out.contains("    \"HK.00700\",\n] # end"),
        "stops at the end: {out}"
    );
    assert_eq!(
        run(COMMENTED, &mv("HK.00700", -1)),
        COMMENTED,
        "already first"
    );
    assert!(err(COMMENTED, &mv("HK.00005", 1)).contains("HK.00005 is not in watchlist"));
}

#[test]
fn lists_are_created_renamed_and_deleted_in_place() {
    let new = Edit::New {
        name: "港股 银行".into(),
        codes: vec![code("HK.00005"), code("HK.00011")],
    };
    let out = run(COMMENTED, &new);
    assert!(
        out.contains(
            "opend_group = \"Tech\"\n\n[[watchlist]]\nname = \"港股 银行\"\ncodes = [\"HK.00005\", \"HK.00011\"]\n\n# keys after the lists\n[keys]"
        ),
        "after the last list, before [keys]: {out}"
    );
    Config::from_toml(&out, None).unwrap();
    let out = run(
        &out,
        &Edit::Rename {
            list: "港股 银行".into(),
            to: "Banks".into(),
        },
    );
    assert!(out.contains("name = \"Banks\"\n"), "{out}");
    let out = run(
        &out,
        &Edit::Delete {
            list: "Banks".into(),
        },
    );
    assert_eq!(out, COMMENTED);
    let out = run(COMMENTED, &Edit::Delete { list: "US".into() });
    assert!(
        !out.contains("US.AAPL") && out.contains("# tech first") && out.contains("name = \"App\"")
    );
    assert!(
        err(
            COMMENTED,
            &Edit::Rename {
                list: "US".into(),
                to: "HK tech".into()
            }
        )
        .contains("already exists")
    );
    let one = "[[watchlist]]\nname = \"A\"\ncodes = [\"HK.00700\"]\n";
    assert!(err(one, &Edit::Delete { list: "A".into() }).contains("last watchlist"));
    assert!(
        err(
            COMMENTED,
            &Edit::New {
                name: "X".into(),
                codes: vec![]
            }
        )
        .contains("needs its first code")
    );
}

#[test]
fn refusals_name_the_list_and_what_to_do() {
    let e = err(COMMENTED, &add("Nope", &["HK.00700"], None));
    assert!(
        e.contains("no watchlist named \"Nope\"") && e.contains("HK tech, US, App"),
        "{e}"
    );
    let e = err(COMMENTED, &add("App", &["HK.00700"], None));
    assert!(
        e.contains("OpenD group \"Tech\"") && e.contains("Futu/moomoo app"),
        "{e}"
    );
    let plate = "[[watchlist]]\nname = \"HSI\"\nplate = \"HK.BK1910\"\n";
    let e = err(plate, &remove("HSI", &["HK.00700"]));
    assert!(
        e.contains("the plate HK.BK1910") && e.contains("read-only"),
        "{e}"
    );
    let e = err(COMMENTED, &remove("US", &["US.AAPL", "US.MSFT"]));
    assert!(e.contains("would leave watchlist \"US\" empty"), "{e}");
    let e = err(COMMENTED, &remove("US", &["US.TSLA"]));
    assert_eq!(e, "US.TSLA is not in watchlist \"US\"");
    let e = err("[[watchlist]\n", &add("A", &["HK.00700"], None));
    assert!(e.starts_with("config.toml: not valid TOML"), "{e}");
}

#[test]
fn inline_tables_and_odd_toml() {
    let inline = "watchlist = [{ name = \"A\", codes = [\"HK.00700\"] }, { name = \"B\", codes = [\n  \"US.AAPL\", # apple\n] }]\n";
    let out = run(inline, &add("A", &["HK.00005"], None));
    assert_eq!(
        out,
        "watchlist = [{ name = \"A\", codes = [\"HK.00700\", \"HK.00005\"] }, { name = \"B\", codes = [\n  \"US.AAPL\", # apple\n] }]\n"
    );
    let out = run(inline, &add("B", &["US.MSFT"], None));
    assert!(
        out.contains("\"US.AAPL\", # apple\n  \"US.MSFT\",\n]"),
        "{out}"
    );
    let out = run(
        inline,
        &Edit::New {
            name: "C".into(),
            codes: vec![code("SH.600519")],
        },
    );
    Config::from_toml(&out, None).unwrap();
    assert!(
        out.contains("{ name = \"C\", codes = [\"SH.600519\"] }"),
        "{out}"
    );
}

#[test]
fn a_file_without_lists_gets_the_built_in_ones_first() {
    let text = "# only opend\n[opend]\nport = 11112\n";
    let out = run(text, &add("US", &["US.META"], None));
    assert!(out.starts_with(text), "{out}");
    let c = Config::from_toml(&out, None).unwrap();
    let names: Vec<&str> = c.watchlists.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["HK", "US", "A-shares"]);
    assert_eq!(
        c.watchlist("US").unwrap().source,
        WatchlistSource::Codes(
            [
                "US.AAPL", "US.MSFT", "US.NVDA", "US.TSLA", "US.AMZN", "US.META"
            ]
            .map(code)
            .to_vec()
        )
    );
}

#[test]
fn names_and_codes_are_checked() {
    assert!(
        check_name(&"x".repeat(10_000))
            .unwrap_err()
            .to_string()
            .contains("10000 characters")
    );
    assert!(
        check_name("a\nb")
            .unwrap_err()
            .to_string()
            .contains("control characters")
    );
    assert!(check_name("  ").unwrap_err().to_string().contains("empty"));
    assert_eq!(check_name(" 港股 ").unwrap(), "港股");
    let e = check_code(&"HK.00700".repeat(1250))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("10000 characters is no code") && e.len() < 100,
        "{e}"
    );
    assert!(
        check_code("HK.00700\u{1b}[A")
            .unwrap_err()
            .to_string()
            .contains("control")
    );
    assert!(
        check_code("HK.700")
            .unwrap_err()
            .to_string()
            .contains("HK.00700")
    );
    assert!(check_code("XX.00700").is_err());
    assert_eq!(check_code(" US.AAPL ").unwrap(), code("US.AAPL"));
}

mod file {
    use super::*;
    use std::path::Path;

    fn names(p: &Path) -> Vec<String> {
        crate::config::load(Some(p))
            .unwrap()
            .watchlists
            .into_iter()
            .map(|w| w.name)
            .collect()
    }

    #[test]
    fn the_first_edit_creates_the_commented_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("capflow").join("config.toml");
        let w = edit_file(&path, &add("HK", &["HK.00011"], None)).unwrap();
        assert!(w.created);
        let text = std::fs::read_to_string(&path).unwrap();
        for line in crate::config::EXAMPLE
            .lines()
            .filter(|l| l.starts_with('#'))
        {
            assert!(text.contains(line), "comment lost: {line}");
        }
        assert!(text.contains("\"HK.00941\", \"HK.00011\"]"), "{text}");
        let w = edit_file(&path, &add("HK", &["HK.00012"], None)).unwrap();
        assert!(!w.created);
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn an_edit_saved_meanwhile_is_kept_and_a_list_gone_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, COMMENTED).unwrap();
        edit_file(&path, &add("US", &["US.NVDA"], None)).unwrap();
        // The user saves from an editor: a comment and a list of their own.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("\n# mine\n[[watchlist]]\nname = \"Mine\"\ncodes = [\"SZ.300750\"]\n");
        std::fs::write(&path, &text).unwrap();
        edit_file(&path, &add("US", &["US.TSLA"], None)).unwrap();
        let now = std::fs::read_to_string(&path).unwrap();
        assert!(now.contains("# mine\n[[watchlist]]\nname = \"Mine\""));
        assert!(now.contains("\"US.NVDA\", \"US.TSLA\"]"));
        assert_eq!(names(&path), ["HK tech", "US", "App", "Mine"]);
        // The user deletes "US" in the editor; the dashboard's edit on it is refused.
        let cut = now.replace("[[watchlist]]\nname = \"US\"\ncodes = [\"US.AAPL\", \"US.MSFT\", \"US.NVDA\", \"US.TSLA\"]\n\n", "");
        std::fs::write(&path, &cut).unwrap();
        let e = edit_file(&path, &add("US", &["US.AMZN"], None)).unwrap_err();
        assert!(matches!(e, EditError::NoList { .. }), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), cut, "unchanged");
    }

    #[test]
    fn an_invalid_result_is_refused_and_the_file_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        // A bad key elsewhere: the edit itself is fine, the file as a whole is not.
        let bad = format!("{COMMENTED}\n[ui]\ncolours = \"red-up\"\n");
        std::fs::write(&path, &bad).unwrap();
        let e = edit_file(&path, &add("US", &["US.NVDA"], None)).unwrap_err();
        assert!(
            e.to_string().contains("nothing was written") && e.to_string().contains("colours"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
    }

    #[cfg(unix)]
    #[test]
    fn read_only_files_and_failed_writes_leave_the_file_unchanged() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, COMMENTED).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let e = edit_file(&path, &add("US", &["US.NVDA"], None)).unwrap_err();
        assert!(matches!(e, EditError::ReadOnlyFile(_)), "{e}");
        assert!(e.to_string().contains("read-only"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), COMMENTED);
        // Permissions are kept by an edit.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        edit_file(&path, &add("US", &["US.NVDA"], None)).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A directory that cannot take the temporary file (root writes anywhere: then this
        // part cannot be shown and is skipped).
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        let probe = std::fs::write(dir.path().join("probe"), b"");
        if probe.is_err() {
            let e = edit_file(&path, &add("US", &["US.TSLA"], None)).unwrap_err();
            assert!(
                e.to_string().contains("cannot create a temporary file"),
                "{e}"
            );
            assert!(e.to_string().ends_with("the file is unchanged"), "{e}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        }
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn a_plate_list_is_added_after_the_others_and_validates() {
    let plate = Edit::NewPlate {
        name: "Tencent concept".into(),
        plate: code("HK.BK1910"),
    };
    let out = run(COMMENTED, &plate);
    assert_eq!(
        out,
        COMMENTED.replace(
            "opend_group = \"Tech\"\n",
            "opend_group = \"Tech\"\n\n[[watchlist]]\nname = \"Tencent concept\"\nplate = \"HK.BK1910\"\n"
        )
    );
    let cfg = Config::from_toml(&out, None).unwrap();
    let last = cfg.watchlists.last().unwrap();
    assert_eq!(
        last.source,
        WatchlistSource::Plate(code("HK.BK1910")),
        "{out}"
    );
    // Inline tables get an inline one.
    let inline = "watchlist = [{ name = \"A\", codes = [\"HK.00700\"] }]\n";
    let out = run(inline, &plate);
    assert!(
        out.contains("{ name = \"Tencent concept\", plate = \"HK.BK1910\" }"),
        "{out}"
    );
    // A name taken is refused.
    let taken = Edit::NewPlate {
        name: "A".into(),
        plate: code("HK.BK1910"),
    };
    assert!(err(inline, &taken).contains("already exists"));
}
