//! The integration tests stay in few binaries: every file directly under `tests/` is a test
//! binary of its own, linked against the whole crate on every change, so a new test goes into
//! `tests/it/` as a module. Only the binaries listed in [`OWN_BINARIES`] stand apart, each
//! saying why at its top. And every file in `tests/it/` is a module of `main.rs`: one left out
//! would never be compiled nor run.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use std::path::Path;

/// The test binaries besides `it`: a file under `tests/` or a folder with a `main.rs`.
const OWN_BINARIES: &[&str] = &["it", "interop_python.rs"];

/// What is wrong with the test layout under `tests` (one line each; empty when all is well).
fn strays(tests: &Path) -> Vec<String> {
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(tests).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let binary = if path.is_dir() {
            path.join("main.rs").is_file()
        } else {
            path.extension().is_some_and(|e| e == "rs")
        };
        if binary && !OWN_BINARIES.contains(&name.as_str()) {
            let module = name.trim_end_matches(".rs");
            wrong.push(format!(
                "tests/{name} is a test binary of its own: move it to tests/it/{module}.rs and \
                 add `mod {module};` to tests/it/main.rs (or, if it needs a process of its own, \
                 say why at its top and list it in tests/it/test_binaries.rs)"
            ));
        }
    }
    let it = tests.join("it");
    let main = std::fs::read_to_string(it.join("main.rs")).unwrap_or_default();
    let declared: Vec<&str> = main
        .lines()
        .filter_map(|l| l.strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    for entry in std::fs::read_dir(&it).into_iter().flatten() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(module) = name.strip_suffix(".rs")
            && module != "main"
            && !declared.contains(&module)
        {
            wrong.push(format!(
                "tests/it/{name} is never compiled: add `mod {module};` to tests/it/main.rs"
            ));
        }
    }
    wrong.sort();
    wrong
}

#[test]
fn integration_tests_are_modules_of_few_binaries() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let wrong = strays(&tests);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The check fails on a new top-level test file, a new test folder with a `main.rs`, and a file
/// in `tests/it/` that `main.rs` does not declare; not on data folders or declared modules.
#[test]
fn the_layout_check_finds_each_stray() {
    let dir = tempfile::tempdir().unwrap();
    let tests = dir.path();
    let write = |rel: &str, text: &str| {
        let path = tests.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("it/main.rs", "mod common;\n\nmod alpha;\n");
    write("it/alpha.rs", "");
    write("it/common/mod.rs", "");
    write("it/snapshots/it__alpha__x.snap", "");
    write("interop_python.rs", "");
    write("fixtures/valid/a.toml", "");
    write("interop/script.py", "");
    assert_eq!(strays(tests), Vec::<String>::new());

    write("rooms.rs", "");
    write("other/main.rs", "");
    write("it/beta.rs", "");
    let wrong = strays(tests);
    assert_eq!(wrong.len(), 3, "{wrong:#?}");
    assert!(
        wrong[0].starts_with("tests/it/beta.rs is never compiled"),
        "{wrong:#?}"
    );
    assert!(
        wrong[1].starts_with("tests/other is a test binary"),
        "{wrong:#?}"
    );
    assert!(
        wrong[2].starts_with("tests/rooms.rs is a test binary"),
        "{wrong:#?}"
    );
}
