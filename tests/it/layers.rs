//! The layer rule, enforced: no module of `src/` imports a module above it.
//!
//! The layers, bottom to top (the crate docs in `src/lib.rs` draw them):
//!
//! | layer | modules | may also not import |
//! |---|---|---|
//! | 0 | `wire`, `flow`, `clock`, `key`, `shutdown` | anything of capflow |
//! | 1 | `server` | only `wire`, `flow`, `clock` (the server side of the protocol, shared by `sim` and `serve`) |
//! | 2 | `opend`, `sim`, `config`, `logging` | `opend`: not `server`; `sim`: only `wire`, `flow`, `clock`, `server`; `config`: only `flow`, `key`; `logging`: nothing of capflow |
//! | 3 | `poller`, `store`, `alert` | `store`: only `flow`; `alert`: only `flow`, `clock`, `config` |
//! | 4 | `app`, `serve` | `serve`: not `sim`, `store`, `alert` (the gateway stands on the client, the poller and the server side) |
//! | 5 | `ui` | `opend` (the guidance matches on `flow::ConnProblem`, never on the client's errors) |
//! | 6 | `tui` | |
//! | 7 | `cli` | |
//! | 8 | `commands::failure` | `app`, `ui`, `tui` |
//! | 9 | `commands::target` | `app`, `ui`, `tui` |
//! | 10 | `commands::{fetch, record, sim, serve, config, dashboard, export, store, doctor}` | each other; all but `dashboard`: `app`, `ui`, `tui` (the dashboard's state is the dashboard's: what `record` shares with it sits in `flow`, `poller` and `store`) |
//!
//! A module may import modules of lower layers only (never its own layer, never a higher one),
//! narrowed by the third column: "only" lists what a module may import, otherwise the column
//! lists lower modules it may not. Exit codes are the commands' business: `commands::failure`
//! holds them, so no layer below the commands can name one. `crossterm` belongs to `tui` alone, `ratatui` to `ui` and `tui`,
//! `clap` to `cli`. The crate root (`lib.rs`) dispatches the commands and may import anything.
//!
//! The checker reads the sources as text: it drops comments and string literals, skips items
//! under `#[cfg(test)]` (unit tests may reach for what they test), and finds `crate::NAME`,
//! `crate::{NAME, ..}` and `super::` paths that climb out of a top-level module. It is small on
//! purpose; `checker_catches_upward_imports` below shows it failing on `use crate::ui` in
//! `app.rs`, in every spelling this crate uses.
//!
//! A second rule sits at the end of this file: within one folder no two files import each other
//! (no cycle among siblings); `checker_catches_sibling_cycles` shows it failing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Bottom to top. Same-layer imports are refused.
const LAYERS: &[&[&str]] = &[
    &["wire", "flow", "clock", "key", "shutdown"],
    &["server"],
    &["opend", "sim", "config", "logging"],
    &["poller", "store", "alert"],
    &["app", "serve"],
    &["ui"],
    &["tui"],
    &["cli"],
    &["commands::failure"],
    &["commands::target"],
    &[
        "commands::fetch",
        "commands::record",
        "commands::sim",
        "commands::serve",
        "commands::config",
        "commands::dashboard",
        "commands::export",
        "commands::store",
        "commands::doctor",
        "commands::search",
        "commands::table",
        "commands::watchlist",
    ],
];

/// Modules that may import less than everything below them.
const ONLY: &[(&str, &[&str])] = &[
    ("server", &["wire", "flow", "clock"]),
    ("sim", &["wire", "flow", "clock", "server"]),
    ("config", &["flow", "key"]),
    ("logging", &[]),
    ("store", &["flow"]),
    ("alert", &["flow", "clock", "config"]),
];

/// The dashboard's modules: only the dashboard command reaches them.
const DASHBOARD: &[&str] = &["app", "ui", "tui"];

/// Lower modules that a module may not import all the same.
const NOT: &[(&str, &[&str])] = &[
    ("opend", &["server"]),
    ("serve", &["sim", "store", "alert"]),
    ("ui", &["opend"]),
    ("commands::failure", DASHBOARD),
    ("commands::target", DASHBOARD),
    ("commands::fetch", DASHBOARD),
    ("commands::record", DASHBOARD),
    ("commands::sim", DASHBOARD),
    ("commands::serve", DASHBOARD),
    ("commands::config", DASHBOARD),
    ("commands::export", DASHBOARD),
    ("commands::store", DASHBOARD),
    ("commands::doctor", DASHBOARD),
    ("commands::search", DASHBOARD),
    ("commands::table", DASHBOARD),
    ("commands::watchlist", DASHBOARD),
];

/// External crates and the modules that may use them.
const EXTERNAL: &[(&str, &[&str])] = &[
    ("crossterm", &["tui"]),
    ("ratatui", &["ui", "tui"]),
    ("clap", &["cli"]),
    ("clap_complete", &["cli"]),
    ("clap_mangen", &["cli"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Whether `from` may import `to` (both top-level modules of the crate).
fn allowed(from: &str, to: &str) -> bool {
    if from == to {
        return true;
    }
    let (Some(a), Some(b)) = (layer_of(from), layer_of(to)) else {
        return false;
    };
    if b >= a {
        return false;
    }
    if NOT.iter().any(|(m, not)| *m == from && not.contains(&to)) {
        return false;
    }
    ONLY.iter()
        .find(|(m, _)| *m == from)
        .is_none_or(|(_, only)| only.contains(&to))
}

/// One upward (or sideways) import.
#[derive(Debug, PartialEq)]
struct Violation {
    file: String,
    line: usize,
    from: String,
    to: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: `{}` imports `{}`, which is not below it",
            self.file, self.line, self.from, self.to
        )
    }
}

/// The source with comments and string/char literals blanked (newlines kept, so line numbers
/// stay right).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |out: &mut String, s: &[u8]| {
        for &c in s {
            out.push(if c == b'\n' { '\n' } else { ' ' });
        }
    };
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            let mut j = 0;
            while j < rest.len() {
                if rest[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &rest[..j]);
            i += j;
        } else if rest.starts_with(b"r#\"") || rest.starts_with(b"r\"") || rest.starts_with(b"br\"")
        {
            let start = rest.iter().position(|&c| c == b'"').unwrap_or(0);
            // `r##"`: the hashes sit between the `r` and the quote.
            let hashes = rest[..start]
                .iter()
                .rposition(|&c| c == b'r')
                .map_or(0, |r| start - r - 1);
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            let end = rest[start + 1..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(rest.len(), |p| start + 1 + p + close.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == b'"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == b'\'' {
            // A char literal ('x', '\n', '\u{..}'), or a lifetime ('a): blank only the former.
            let lit = if rest.get(1) == Some(&b'\\') {
                rest.iter().skip(2).position(|&c| c == b'\'').map(|p| p + 3)
            } else {
                let ch = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                (rest.get(1 + ch) == Some(&b'\'')).then_some(2 + ch)
            };
            if let Some(n) = lit {
                blank(&mut out, &rest[..n]);
                i += n;
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            let ch = src[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Blanks every item under `#[cfg(test)]`; returns the names of `#[cfg(test)] mod NAME;` files.
fn drop_test_items(code: &str) -> (String, Vec<String>) {
    let mut out = code.to_owned();
    let mut test_files = Vec::new();
    let mut from = 0;
    while let Some(p) = out[from..].find("#[cfg(test)]") {
        let start = from + p;
        let after = start + "#[cfg(test)]".len();
        let rest = &out[after..];
        let semi = rest.find(';').unwrap_or(rest.len());
        let brace = rest.find('{').unwrap_or(rest.len());
        let end = if semi < brace {
            let item = rest[..semi].trim();
            if let Some(name) = item.strip_prefix("mod ") {
                test_files.push(name.trim().to_owned());
            }
            after + semi + 1
        } else {
            let mut depth = 0usize;
            let mut end = out.len();
            for (k, c) in out[after + brace..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = after + brace + k + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            end
        };
        let blanked: String = out[start..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(start..end, &blanked);
        from = start + blanked.len();
    }
    (out, test_files)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !is_ident(c)).unwrap_or(s.len());
    &s[..end]
}

/// The first name of each top-level entry of a `{a, b::c, d::{e}}` group; `at` is the offset
/// of the group's body.
fn group_names(at: usize, body: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut level = 0;
    let mut entry_start = true;
    for (k, c) in body.char_indices() {
        match c {
            '{' => level += 1,
            '}' => level -= 1,
            ',' if level == 0 => entry_start = true,
            c if entry_start && is_ident(c) && level == 0 => {
                found.push((at + k, ident_at(&body[k..]).to_owned()));
                entry_start = false;
            }
            c if !c.is_whitespace() => entry_start = false,
            _ => {}
        }
    }
    found
}

/// The top-level names a path starting at `at` (just after `crate::`) refers to.
fn path_names(code: &str, at: usize) -> Vec<(usize, String)> {
    let rest = &code[at..];
    if let Some(body) = rest.strip_prefix('{') {
        let mut level = 1;
        let end = body
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '{' => level += 1,
                    '}' => level -= 1,
                    _ => {}
                }
                level == 0
            })
            .map_or(body.len(), |(k, _)| k);
        group_names(at + 1, &body[..end])
    } else {
        let name = ident_at(rest);
        if name.is_empty() {
            Vec::new()
        } else if name == "commands" && rest[name.len()..].starts_with("::") {
            // A command is a module of its own: `crate::commands::fetch` names `commands::fetch`.
            let inner = at + name.len() + 2;
            path_names(code, inner)
                .into_iter()
                .map(|(k, n)| (k, format!("commands::{n}")))
                .collect()
        } else {
            vec![(at, name.to_owned())]
        }
    }
}

/// Top-level modules named by `crate::` / `super::` paths in `code`, with their byte offsets.
/// `depth` is how deep the file sits below its top-level module (0 for `src/app.rs`, 1 for
/// `src/app/keymap.rs`, ...): `super::` repeated more than `depth` times reaches the crate root,
/// or, for a command (`in_commands`), once more than `depth` reaches `src/commands.rs`.
fn referenced(code: &str, depth: usize, in_commands: bool) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let prev_ok = i == 0 || !is_ident(code[..i].chars().next_back().unwrap_or(' '));
        if prev_ok && code[i..].starts_with("crate::") {
            let at = i + "crate::".len();
            found.extend(path_names(code, at));
            i = at;
        } else if prev_ok && code[i..].starts_with("super::") {
            let mut at = i;
            let mut ups = 0;
            while code[at..].starts_with("super::") {
                ups += 1;
                at += "super::".len();
            }
            if in_commands && ups == depth + 1 {
                found.extend(
                    path_names(code, at)
                        .into_iter()
                        .map(|(k, n)| (k, format!("commands::{n}"))),
                );
            } else if ups > depth {
                found.extend(path_names(code, at));
            }
            i = at;
        } else {
            i += code[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

/// External crates named in `code` (as a path segment).
fn externals(code: &str) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for (name, _) in EXTERNAL {
        let mut from = 0;
        while let Some(p) = code[from..].find(name) {
            let at = from + p;
            let before = code[..at].chars().next_back().unwrap_or(' ');
            let after = code[at + name.len()..].chars().next().unwrap_or(' ');
            if !is_ident(before) && !is_ident(after) {
                found.push((at, *name));
            }
            from = at + name.len();
        }
    }
    found
}

fn line_of(code: &str, at: usize) -> usize {
    code[..at].matches('\n').count() + 1
}

/// Checks one file. `rel` is its path below `src/` with `/` separators.
fn check_file(rel: &str, src: &str) -> (Vec<Violation>, Vec<String>) {
    let parts: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
    if matches!(parts.as_slice(), ["lib" | "main" | "commands"]) {
        let (_, test_files) = drop_test_items(&code_only(src));
        return (Vec::new(), test_files);
    }
    let in_commands = parts[0] == "commands";
    let (module, depth) = if in_commands {
        (format!("commands::{}", parts[1]), parts.len() - 2)
    } else {
        (parts[0].to_owned(), parts.len() - 1)
    };
    let module = module.as_str();
    let (code, test_files) = drop_test_items(&code_only(src));
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (at, to) in referenced(&code, depth, in_commands) {
        if !allowed(module, &to) {
            let line = line_of(&code, at);
            if seen.insert((line, to.clone())) {
                out.push(Violation {
                    file: format!("src/{rel}"),
                    line,
                    from: module.to_owned(),
                    to,
                });
            }
        }
    }
    for (at, name) in externals(&code) {
        let ok = EXTERNAL
            .iter()
            .any(|(n, users)| *n == name && users.contains(&module));
        let line = line_of(&code, at);
        if !ok && seen.insert((line, name.to_owned())) {
            out.push(Violation {
                file: format!("src/{rel}"),
                line,
                from: module.to_owned(),
                to: name.to_owned(),
            });
        }
    }
    (out, test_files)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src/")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Checks every file under `src/`.
fn check_tree(src_dir: &Path) -> Vec<Violation> {
    let mut files = Vec::new();
    rust_files(src_dir, &mut files);
    let sources: Vec<(PathBuf, String, String)> = files
        .into_iter()
        .map(|path| {
            let rel = path
                .strip_prefix(src_dir)
                .expect("under src/")
                .to_string_lossy()
                .replace('\\', "/");
            let src = std::fs::read_to_string(&path).expect("read a source file");
            (path, rel, src)
        })
        .collect();
    // `#[cfg(test)] mod tests;` in src/a/b.rs (or src/a.rs) lives in src/a/b/tests.rs
    // (src/a/tests.rs): collect them all first, since a folder sorts before its `.rs` file.
    let mut skipped: BTreeSet<PathBuf> = BTreeSet::new();
    let mut out = Vec::new();
    for (path, rel, src) in &sources {
        let (violations, test_files) = check_file(rel, src);
        let dir = path.with_extension("");
        skipped.extend(test_files.iter().map(|n| dir.join(format!("{n}.rs"))));
        out.push((path, violations));
    }
    out.into_iter()
        .filter(|(path, _)| !skipped.contains(*path))
        .flat_map(|(_, v)| v)
        .collect()
}

#[test]
fn no_module_imports_upward() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let violations = check_tree(&src);
    let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(
        list.is_empty(),
        "{} upward imports (see tests/it/layers.rs for the layers):\n{}",
        list.len(),
        list.join("\n")
    );
}

#[test]
fn every_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut unknown = Vec::new();
    for entry in std::fs::read_dir(&src).expect("read src/") {
        let path = entry.expect("dir entry").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs")
            && !matches!(stem, "lib" | "main" | "commands")
            && layer_of(stem).is_none()
        {
            unknown.push(stem.to_owned());
        }
    }
    for entry in std::fs::read_dir(src.join("commands")).expect("read src/commands/") {
        let path = entry.expect("dir entry").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let name = format!("commands::{stem}");
        if path.extension().is_some_and(|e| e == "rs") && layer_of(&name).is_none() {
            unknown.push(name);
        }
    }
    assert!(
        unknown.is_empty(),
        "modules without a layer in tests/it/layers.rs: {unknown:?}"
    );
}

#[test]
fn checker_catches_upward_imports() {
    let bad = |rel: &str, src: &str| -> Vec<String> {
        check_file(rel, src)
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    // The case the rule exists for, in every spelling.
    assert_eq!(
        bad(
            "app.rs",
            "use crate::flow::Period;\nuse crate::ui::theme::ColorScheme;\n"
        ),
        ["src/app.rs:2: `app` imports `ui`, which is not below it"]
    );
    assert_eq!(
        bad("app.rs", "use crate::{flow, ui::watchlist_rows};").len(),
        1
    );
    assert_eq!(bad("app.rs", "fn f() { crate::ui::render(); }").len(), 1);
    assert_eq!(bad("app.rs", "use super::ui;").len(), 1);
    assert_eq!(bad("app/keymap.rs", "use super::super::ui;").len(), 1);
    assert_eq!(
        bad("app/keymap.rs", "use crossterm::event::KeyCode;").len(),
        1
    );
    assert_eq!(
        bad("app/keymap.rs", "use ratatui::crossterm::event;").len(),
        2
    );
    // Sideways and narrowed layers.
    assert_eq!(bad("sim/handler.rs", "use crate::opend::convert;").len(), 1);
    assert_eq!(
        bad("config/groups.rs", "use crate::opend::Gateway;").len(),
        1
    );
    // One key type, below both the config and the app: neither reaches the other for it.
    assert!(bad("config/keys.rs", "use crate::key::{Key, NAMED};").is_empty());
    assert!(bad("app/keymap.rs", "pub use crate::key::{Key, KeyCode};").is_empty());
    assert_eq!(
        bad("config/keys.rs", "use crate::app::keymap::KeyCode;").len(),
        1
    );
    assert_eq!(bad("key.rs", "use crate::flow::Period;").len(), 1);
    // Commands never import each other, in any spelling; what they share is beside them.
    assert_eq!(
        bad("commands/record.rs", "use crate::commands::fetch::Target;"),
        [
            "src/commands/record.rs:1: `commands::record` imports `commands::fetch`, which is not \
             below it"
        ]
    );
    assert_eq!(
        bad("commands/record/alerts.rs", "use super::super::fetch;").len(),
        1
    );
    assert_eq!(
        bad("commands/record.rs", "use super::{fetch, target};").len(),
        1
    );
    assert_eq!(
        bad(
            "commands/dashboard.rs",
            "use crate::commands::{sim, target};"
        )
        .len(),
        1
    );
    assert!(
        bad(
            "commands/record.rs",
            "use super::target; use crate::config;"
        )
        .is_empty()
    );
    assert!(
        bad(
            "commands/record/alerts.rs",
            "use super::Counts; use super::super::target;"
        )
        .is_empty()
    );
    // A lower layer never reaches a command.
    assert_eq!(
        bad("tui.rs", "use crate::commands::target::Target;").len(),
        1
    );
    assert_eq!(bad("logging.rs", "use crate::cli::Failure;").len(), 1);
    // Exit codes are the commands' business: no layer below them names one.
    assert_eq!(
        bad(
            "opend/error.rs",
            "impl From<Error> for crate::commands::failure::Failure {}"
        ),
        ["src/opend/error.rs:1: `opend` imports `commands::failure`, which is not below it"]
    );
    for layer in [
        "store/error.rs",
        "config.rs",
        "logging.rs",
        "tui.rs",
        "cli/generate.rs",
    ] {
        assert_eq!(
            bad(layer, "use crate::commands::failure::Failure;").len(),
            1,
            "{layer}"
        );
    }
    assert!(
        bad(
            "commands/target.rs",
            "use crate::commands::failure::Failure;"
        )
        .is_empty()
    );
    assert!(bad("commands/fetch.rs", "use super::failure::Failure;").is_empty());
    // Only the dashboard command reaches the dashboard's state (app, ui, tui).
    assert_eq!(
        bad(
            "commands/record/alerts.rs",
            "fn f() { crate::app::alerts::to_stored(a); }"
        ),
        [
            "src/commands/record/alerts.rs:1: `commands::record` imports `app`, which is not \
             below it"
        ]
    );
    for (file, import) in [
        ("commands/record.rs", "use crate::app::stored::batch;"),
        ("commands/fetch.rs", "use crate::ui::theme;"),
        ("commands/export.rs", "use crate::tui::DashboardStore;"),
        ("commands/store.rs", "use crate::{app, store};"),
        ("commands/doctor/probe.rs", "use crate::app::App;"),
        ("commands/sim.rs", "use crate::app::Watchlist;"),
        ("commands/config.rs", "use crate::app::keymap::Keymap;"),
        ("commands/target.rs", "use crate::app::Watchlist;"),
        ("commands/failure.rs", "use crate::tui::Error;"),
    ] {
        assert_eq!(bad(file, import).len(), 1, "{file}: {import}");
    }
    assert!(
        bad(
            "commands/dashboard.rs",
            "use crate::{app, tui}; use crate::ui::theme;"
        )
        .is_empty()
    );
    assert!(
        bad(
            "commands/record.rs",
            "use crate::{alert, flow, poller, store};"
        )
        .is_empty()
    );
    // The server side of the protocol is shared from below: the simulator stands on it, the
    // gateway above the client and the poller; neither reaches the other, nor the dashboard.
    assert!(bad("sim.rs", "use crate::server::{ServerConfig, start};").is_empty());
    for (file, import) in [
        ("server/conn.rs", "use crate::sim::handler::handle;"),
        ("server.rs", "use crate::opend::Client;"),
        ("sim/service.rs", "use crate::serve::Gateway;"),
        ("opend/client.rs", "use crate::server::error_body;"),
        ("serve.rs", "use crate::app::App;"),
        ("serve/cache.rs", "use crate::store::Store;"),
        ("serve/upstream.rs", "use crate::sim::SimHandle;"),
        ("commands/serve.rs", "use crate::tui::run;"),
        (
            "commands/serve.rs",
            "use crate::commands::record::format_budgets;",
        ),
    ] {
        assert_eq!(bad(file, import).len(), 1, "{file}: {import}");
    }
    assert!(
        bad(
            "serve/upstream.rs",
            "use crate::{opend::Client, poller::budget::SlidingLog, server::Reply};"
        )
        .is_empty()
    );
    // Lower, but ruled out: the UI matches on typed problems, not on the client's errors.
    assert_eq!(
        bad("ui/guide.rs", "use crate::opend::names_not_logged_in;"),
        ["src/ui/guide.rs:1: `ui` imports `opend`, which is not below it"]
    );
    assert_eq!(
        bad("ui.rs", "fn f() { crate::opend::Error::problem(); }").len(),
        1
    );
    assert!(
        bad(
            "ui/guide.rs",
            "use crate::{flow::ConnProblem, poller::ConnState};"
        )
        .is_empty()
    );
    // Not imports: comments, strings, unit tests, the module's own paths, lower layers.
    assert!(
        bad(
            "app.rs",
            "// use crate::ui;\n/* crate::ui */ let s = \"crate::ui\";"
        )
        .is_empty()
    );
    assert!(
        bad(
            "app.rs",
            "#[cfg(test)]\nmod tests {\n    use crate::ui;\n}\n"
        )
        .is_empty()
    );
    assert!(bad("app/keymap.rs", "use super::Action; use crate::app::App;").is_empty());
    assert!(bad("ui/watchlist.rs", "use crate::{app::App, flow::Units};").is_empty());
    assert!(bad("app.rs", "fn f<'a>(x: &'a str) -> char { 'u' }").is_empty());
    // `#[cfg(test)] mod tests;` files are skipped by the tree walk.
    assert_eq!(
        check_file("app.rs", "#[cfg(test)]\nmod tests;\n").1,
        ["tests"]
    );
}

// ---------------------------------------------------------------------------------------------
// Siblings: within one folder, no two files import each other.
//
// Two files of one folder that each use the other are one room with a wall through it: neither
// can be read, changed or moved alone. What both need goes into a third file they share (or up
// into their parent). The rule holds for every folder of `src/` (the crate root included, where
// the layers above already forbid it) and for cycles of any length (`a` → `b` → `c` → `a`).
//
// A module is a file together with its folder (`ui/detail.rs` and `ui/detail/`): an import by
// any file under `ui/detail/` of `ui/overview` counts as `detail` importing `overview`. The
// checker resolves `crate::..`, `super::..` and `self::..` paths (with `{..}` groups) to the
// modules of `src/`, on the code left once comments, strings and `#[cfg(test)]` items are
// blanked. A name re-exported by the parent (`super::Action`, defined in a sibling and `pub use`d
// by `app.rs`) counts as an import of the parent, not of that sibling.
// ---------------------------------------------------------------------------------------------

/// Sibling modules allowed to import each other while they are being separated (none today),
/// each set in its folder. Once the cycle is gone the entry must go: [`every_known_sibling_cycle_is_still_there`] fails on an entry no cycle
/// needs.
const KNOWN_SIBLING_CYCLES: &[&[&str]] = &[];

/// The module path of a file below `src/` ("ui/detail.rs" is `ui::detail`, "lib.rs" the root).
fn module_of(rel: &str) -> Vec<String> {
    let parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if matches!(parts.as_slice(), [one] if one == "lib" || one == "main") {
        Vec::new()
    } else {
        parts
    }
}

/// The full paths named by a path starting at `at` (after `crate::`, `super::` or `self::`),
/// `base` being the module that prefix names: `{a::b, c}` groups give one path per entry.
fn full_paths(code: &str, at: usize, base: &[String]) -> Vec<(usize, Vec<String>)> {
    let rest = &code[at..];
    if let Some(body) = rest.strip_prefix('{') {
        let mut out = Vec::new();
        let mut level = 0;
        let mut entry_start = true;
        for (k, c) in body.char_indices() {
            let starts = level == 0 && entry_start && (is_ident(c) || c == '{');
            if starts {
                out.extend(full_paths(code, at + 1 + k, base));
                entry_start = false;
            }
            match c {
                '{' => level += 1,
                '}' if level == 0 => break,
                '}' => level -= 1,
                ',' if level == 0 => entry_start = true,
                _ => {}
            }
        }
        return out;
    }
    let name = ident_at(rest);
    if name.is_empty() || name == "self" {
        return vec![(at, base.to_vec())];
    }
    let mut path = base.to_vec();
    path.push(name.to_owned());
    let after = at + name.len();
    if code[after..].starts_with("::") {
        full_paths(code, after + 2, &path)
    } else {
        vec![(at, path)]
    }
}

/// Every path in `code` (of the file of `module`) that starts at `crate::`, `super::` or
/// `self::`, as a full path from the crate root, with its offset.
fn module_refs(code: &str, module: &[String]) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let prev_ok = i == 0 || !is_ident(code[..i].chars().next_back().unwrap_or(' '));
        let rest = &code[i..];
        if prev_ok && rest.starts_with("crate::") {
            let at = i + "crate::".len();
            found.extend(full_paths(code, at, &[]));
            i = at;
        } else if prev_ok && rest.starts_with("self::") {
            let at = i + "self::".len();
            found.extend(full_paths(code, at, module));
            i = at;
        } else if prev_ok && rest.starts_with("super::") {
            let mut at = i;
            let mut ups = 0;
            while code[at..].starts_with("super::") {
                ups += 1;
                at += "super::".len();
            }
            if let Some(keep) = module.len().checked_sub(ups) {
                found.extend(full_paths(code, at, &module[..keep]));
            }
            i = at;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

/// One import between two sibling modules: `from` and `to` are full module paths with the same
/// parent; `at` names the first place (file and line).
#[derive(Debug, Clone, PartialEq)]
struct SiblingEdge {
    from: String,
    to: String,
    at: String,
}

/// The imports between sibling modules in `files` ((path below `src/`, source) of every
/// non-test file), the first of each pair only.
fn sibling_edges(files: &[(String, String)]) -> Vec<SiblingEdge> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(rel, _)| module_of(rel)).collect();
    let mut out: Vec<SiblingEdge> = Vec::new();
    for (rel, src) in files {
        let module = module_of(rel);
        let (code, _) = drop_test_items(&code_only(src));
        for (at, path) in module_refs(&code, &module) {
            let common = module.iter().zip(&path).take_while(|(a, b)| a == b).count();
            if common >= module.len() || common >= path.len() {
                continue; // itself, an ancestor or a descendant
            }
            let to = &path[..=common];
            if !modules.contains(to) {
                continue; // an item of the parent (`super::Action`), not a module
            }
            let (from, to) = (module[..=common].join("::"), to.join("::"));
            if !out.iter().any(|e| e.from == from && e.to == to) {
                let at = format!("src/{rel}:{}", line_of(&code, at));
                out.push(SiblingEdge { from, to, at });
            }
        }
    }
    out
}

/// The groups of sibling modules that import each other (strongly connected, two or more),
/// each sorted, with the imports that close them.
fn sibling_cycles(edges: &[SiblingEdge]) -> Vec<(Vec<String>, Vec<SiblingEdge>)> {
    let reaches = |a: &str, b: &str| {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut todo = vec![a];
        while let Some(n) = todo.pop() {
            for e in edges.iter().filter(|e| e.from == n) {
                if e.to == b {
                    return true;
                }
                if seen.insert(&e.to) {
                    todo.push(&e.to);
                }
            }
        }
        false
    };
    let mut groups: Vec<(Vec<String>, Vec<SiblingEdge>)> = Vec::new();
    for e in edges {
        if groups.iter().any(|(g, _)| g.contains(&e.from)) || !reaches(&e.from, &e.from) {
            continue;
        }
        let mut group: Vec<String> = edges
            .iter()
            .flat_map(|x| [&x.from, &x.to])
            .filter(|m| reaches(&e.from, m) && reaches(m, &e.from))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        group.sort();
        let inside = edges
            .iter()
            .filter(|x| group.contains(&x.from) && group.contains(&x.to))
            .cloned()
            .collect();
        groups.push((group, inside));
    }
    groups
}

/// Every file under `src/` but the unit tests' own (`#[cfg(test)] mod tests;`): (path below
/// `src/`, source).
fn non_test_files(src_dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(src_dir, &mut files);
    let read: Vec<(PathBuf, String, String)> = files
        .into_iter()
        .map(|path| {
            let rel = path
                .strip_prefix(src_dir)
                .expect("under src/")
                .to_string_lossy()
                .replace('\\', "/");
            let src = std::fs::read_to_string(&path).expect("read a source file");
            (path, rel, src)
        })
        .collect();
    let mut test_files: BTreeSet<PathBuf> = BTreeSet::new();
    for (path, _, src) in &read {
        let (_, names) = drop_test_items(&code_only(src));
        let dir = path.with_extension("");
        test_files.extend(names.iter().map(|n| dir.join(format!("{n}.rs"))));
    }
    read.into_iter()
        .filter(|(path, _, _)| !test_files.contains(path))
        .map(|(_, rel, src)| (rel, src))
        .collect()
}

/// The cycles of this tree: (modules, how each imports the next).
fn tree_cycles() -> Vec<(Vec<String>, Vec<SiblingEdge>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    sibling_cycles(&sibling_edges(&non_test_files(&src)))
}

/// A cycle as one line: "ui::detail, ui::overview import each other: ui::detail → ui::overview
/// (src/ui/detail.rs:139), ...".
fn describe(group: &[String], edges: &[SiblingEdge]) -> String {
    let how: Vec<String> = edges
        .iter()
        .map(|e| format!("{} → {} ({})", e.from, e.to, e.at))
        .collect();
    format!("{} import each other: {}", group.join(", "), how.join(", "))
}

/// Whether a known exception names exactly this group.
fn known_cycle(known: &[&[&str]], group: &[String]) -> bool {
    known.iter().any(|k| {
        let mut k: Vec<&str> = k.to_vec();
        k.sort_unstable();
        k == group.iter().map(String::as_str).collect::<Vec<_>>()
    })
}

#[test]
fn no_two_sibling_files_import_each_other() {
    let bad: Vec<String> = tree_cycles()
        .iter()
        .filter(|(g, _)| !known_cycle(KNOWN_SIBLING_CYCLES, g))
        .map(|(g, e)| describe(g, e))
        .collect();
    assert!(
        bad.is_empty(),
        "{} groups of sibling files import each other (move what both need to a third file \
         they share):\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn every_known_sibling_cycle_is_still_there() {
    let groups: Vec<Vec<String>> = tree_cycles().into_iter().map(|(g, _)| g).collect();
    let stale: Vec<String> = KNOWN_SIBLING_CYCLES
        .iter()
        .filter(|k| !groups.iter().any(|g| known_cycle(&[**k], g)))
        .map(|k| k.join(", "))
        .collect();
    assert!(
        stale.is_empty(),
        "no longer a cycle: remove from KNOWN_SIBLING_CYCLES in tests/layers.rs: {stale:?}"
    );
}

#[test]
fn checker_catches_sibling_cycles() {
    let files = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(r, s)| ((*r).to_owned(), (*s).to_owned()))
            .collect()
    };
    let cycles = |list: &[(&str, &str)]| -> Vec<String> {
        let edges = sibling_edges(&files(list));
        sibling_cycles(&edges)
            .iter()
            .map(|(g, e)| describe(g, e))
            .collect()
    };
    // The case the rule exists for, in every spelling.
    assert_eq!(
        cycles(&[
            ("ui.rs", "pub mod alerts;\npub mod watchlist;\n"),
            (
                "ui/alerts.rs",
                "use super::theme::Theme;\nuse super::watchlist::{cut, right};\n"
            ),
            ("ui/watchlist.rs", "fn f() { super::alerts::mark(); }\n"),
            ("ui/theme.rs", ""),
        ]),
        [
            "ui::alerts, ui::watchlist import each other: ui::alerts → ui::watchlist \
             (src/ui/alerts.rs:2), ui::watchlist → ui::alerts (src/ui/watchlist.rs:1)"
        ]
    );
    for spelling in [
        "use crate::ui::alerts;",
        "use crate::{app::App, ui::alerts::mark};",
        "use super::{alerts, theme};",
        "use super::{theme::Theme, alerts::{mark, MARK}};",
        "use super::alerts as a;",
    ] {
        let found = cycles(&[
            ("ui/alerts.rs", "use super::watchlist::cut;"),
            ("ui/watchlist.rs", spelling),
            ("ui/theme.rs", ""),
        ]);
        assert_eq!(found.len(), 1, "{spelling}");
    }
    // A longer cycle, and a file below a module counts as that module.
    let found = cycles(&[
        ("ui/detail.rs", "use super::overview::render_body;"),
        ("ui/overview.rs", "use super::recorded::shown;"),
        ("ui/recorded.rs", ""),
        (
            "ui/recorded/title.rs",
            "use super::super::detail::tz_label;",
        ),
    ]);
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("ui::detail, ui::overview, ui::recorded import each other"));
    // Deeper folders and commands, by `crate::` paths.
    assert_eq!(
        cycles(&[
            (
                "commands/record/alerts.rs",
                "use crate::commands::record::output::Out;"
            ),
            ("commands/record/output.rs", "use super::alerts::Alerting;"),
        ])
        .len(),
        1
    );
    // One way is fine; so are the parent, children, items of the parent, other folders,
    // comments, strings and unit tests.
    assert!(
        cycles(&[
            ("ui.rs", "use watchlist::offset; use self::alerts::mark;"),
            (
                "ui/alerts.rs",
                "use super::{cells, placeable}; use super::text::cut;"
            ),
            (
                "ui/watchlist.rs",
                "use super::alerts::mark; use super::text::{cut, right};"
            ),
            ("ui/text.rs", "use crate::app::App;"),
            ("app.rs", "pub use action::Action;"),
            ("app/action.rs", "use super::recorded::DayLoaded;"),
            (
                "app/recorded.rs",
                "use super::Action; use crate::flow::Period;"
            ),
            (
                "ui/detail.rs",
                "// use super::watchlist;\nconst S: &str = \"super::watchlist\";\n\
                 #[cfg(test)]\nmod tests { use super::super::watchlist; }\n"
            ),
        ])
        .is_empty()
    );
    // Known exceptions match their group whatever the order, and only it.
    let group = vec!["store::alerts".to_owned(), "store::db".to_owned()];
    assert!(known_cycle(&[&["store::db", "store::alerts"]], &group));
    assert!(!known_cycle(&[&["store::db", "store::names"]], &group));
    assert!(!known_cycle(
        &[&["store::db", "store::alerts"]],
        &[group.clone(), vec!["store::names".to_owned()]].concat()
    ));
}
