//! Small rooms, enforced: no source file of `src/` holds more than [`MAX_FILE_LINES`] lines
//! before its `#[cfg(test)]`, and no function more than [`MAX_FN_LINES`] lines. A room that
//! grows past what one can hold in mind is split by responsibility (`foo.rs` + `foo/`), a
//! function past it into one function per step or per case.
//!
//! What counts: every line of the file (code, docs, blank lines) except the items under
//! `#[cfg(test)]` (a `mod tests { .. }` at the end, a test-only helper in the middle); a
//! function from its `fn` line to its closing brace (its signature and body, not the doc
//! above it). The checker reads the sources as text: comments and string literals are blanked
//! first, so a brace in them never ends a function. Files that are all tests or test doubles
//! are not counted: see [`not_counted`].

use std::path::{Path, PathBuf};

/// Most lines a source file may hold outside `#[cfg(test)]`.
const MAX_FILE_LINES: usize = 600;
/// Most lines a function may take, from `fn` to its closing brace.
const MAX_FN_LINES: usize = 100;

/// Files allowed over [`MAX_FILE_LINES`] while they are being split (none today). An entry must
/// go once its file is small again: [`every_known_exception_is_still_needed`] fails on an entry
/// no longer over.
const KNOWN_LONG_FILES: &[&str] = &[];

/// Functions allowed over [`MAX_FN_LINES`] (file, name) while they are being split (none today);
/// kept honest the same way as [`KNOWN_LONG_FILES`].
const KNOWN_LONG_FNS: &[(&str, &str)] = &[];

/// Whether a file (its path below `src/`) is left out of the count, and why:
/// - `tests.rs`: a module's unit tests moved to a file of their own (`#[cfg(test)] mod tests;`):
///   test code, as the `#[cfg(test)]` part of any other file;
/// - `poller/fake.rs`: the fake gateway, a test double (compiled only for tests and the
///   `test-util` feature) whose scripted replies mirror the whole `Gateway` trait;
/// - `app/fixture.rs`: the app fixture, test data for the render and update tests (also only
///   for tests and `test-util`).
fn not_counted(rel: &str) -> bool {
    rel == "tests.rs"
        || rel.ends_with("/tests.rs")
        || rel == "poller/fake.rs"
        || rel == "app/fixture.rs"
}

/// A room too big.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Finding {
    /// A file over [`MAX_FILE_LINES`].
    File { file: String, lines: usize },
    /// A function over [`MAX_FN_LINES`].
    Fn {
        file: String,
        line: usize,
        name: String,
        lines: usize,
    },
}

/// The known exceptions: files, and functions by file and name.
struct Known<'a> {
    files: &'a [&'a str],
    fns: &'a [(&'a str, &'a str)],
}

/// The exceptions of this tree.
const KNOWN: Known<'static> = Known {
    files: KNOWN_LONG_FILES,
    fns: KNOWN_LONG_FNS,
};

impl Known<'_> {
    /// Whether `f` is one of them.
    fn covers(&self, f: &Finding) -> bool {
        match f {
            Finding::File { file, .. } => self.files.contains(&file.as_str()),
            Finding::Fn { file, name, .. } => {
                self.fns.iter().any(|(kf, kn)| kf == file && kn == name)
            }
        }
    }

    /// The exceptions that no finding needs any more.
    fn stale(&self, found: &[Finding]) -> Vec<String> {
        let mut out: Vec<String> = self
            .files
            .iter()
            .filter(|f| {
                !found
                    .iter()
                    .any(|x| matches!(x, Finding::File { file, .. } if file == *f))
            })
            .map(|f| format!("{f} (KNOWN_LONG_FILES)"))
            .collect();
        out.extend(
            self.fns
                .iter()
                .filter(|(f, n)| {
                    !found.iter().any(
                        |x| matches!(x, Finding::Fn { file, name, .. } if file == f && name == n),
                    )
                })
                .map(|(f, n)| format!("{f}: fn {n} (KNOWN_LONG_FNS)")),
        );
        out
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::File { file, lines } => write!(
                f,
                "{file}: {lines} lines before its #[cfg(test)], more than {MAX_FILE_LINES}: \
                 split it by responsibility"
            ),
            Finding::Fn {
                file,
                line,
                name,
                lines,
            } => write!(
                f,
                "{file}:{line}: fn {name} is {lines} lines, more than {MAX_FN_LINES}: split it"
            ),
        }
    }
}

/// The source with comments and string/char literals blanked (newlines kept, so line numbers
/// and byte offsets stay right). The same reading as `tests/layers.rs`.
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
            // A char literal ('x', '\n', '{'), or a lifetime ('a): blank only the former.
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

/// The byte range of the item starting at `start` (its attributes included): up to its `;`,
/// or its closing brace.
fn item_end(code: &str, start: usize) -> usize {
    let rest = &code[start..];
    let semi = rest.find(';').unwrap_or(rest.len());
    let brace = rest.find('{').unwrap_or(rest.len());
    if semi < brace {
        return start + semi + 1;
    }
    matching_brace(code, start + brace).map_or(code.len(), |e| e + 1)
}

/// The offset of the `}` closing the `{` at `open`.
fn matching_brace(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(open + k);
                }
            }
            _ => {}
        }
    }
    None
}

/// The byte ranges of the items under `#[cfg(test)]` in `code` (already [`code_only`]).
fn test_items(code: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = code[from..].find("#[cfg(test)]") {
        let start = from + p;
        let end = item_end(code, start + "#[cfg(test)]".len());
        out.push((start, end));
        from = end;
    }
    out
}

fn line_of(code: &str, at: usize) -> usize {
    code[..at].matches('\n').count() + 1
}

/// Lines of `src` outside its `#[cfg(test)]` items: a line whose first character (its start,
/// when blank) lies inside one is not counted.
fn counted_lines(src: &str) -> usize {
    let code = code_only(src);
    let tests = test_items(&code);
    let mut at = 0;
    let mut n = 0;
    for line in src.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let first = if line.trim().is_empty() {
            at
        } else {
            at + indent
        };
        if !tests.iter().any(|&(s, e)| (s..e).contains(&first)) {
            n += 1;
        }
        at += line.len();
    }
    n
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every function with a body in `code` (comments and strings blanked, test items blanked):
/// (offset of `fn`, name, offset of its closing brace).
fn functions(code: &str) -> Vec<(usize, String, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = code[from..].find("fn") {
        let at = from + p;
        from = at + 2;
        let before = code[..at].chars().next_back().unwrap_or(' ');
        let rest = &code[at + 2..];
        // `fn name`, not `fn(u8)` (a pointer type) nor `Fn`, `fn_name`, `defn`.
        if is_ident(before) || !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let rest = rest.trim_start();
        let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
        if name.is_empty() {
            continue;
        }
        // The body's `{`, or the `;` of a declaration without one, outside the parameters'
        // parentheses and any array type's brackets (`[u8; 4]`).
        let mut depth = 0i32;
        let mut body = None;
        for (k, c) in code[from..].char_indices() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                ';' if depth == 0 => break,
                '{' if depth == 0 => {
                    body = Some(from + k);
                    break;
                }
                _ => {}
            }
        }
        if let Some(close) = body.and_then(|open| matching_brace(code, open)) {
            out.push((at, name, close));
        }
    }
    out
}

/// Checks one file; `rel` is its path below `src/` with `/` separators.
fn check_source(rel: &str, src: &str) -> Vec<Finding> {
    if not_counted(rel) {
        return Vec::new();
    }
    let file = format!("src/{rel}");
    let mut out = Vec::new();
    let lines = counted_lines(src);
    if lines > MAX_FILE_LINES {
        out.push(Finding::File {
            file: file.clone(),
            lines,
        });
    }
    let mut code = code_only(src);
    for (s, e) in test_items(&code) {
        let blanked: String = code[s..e]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        code.replace_range(s..e, &blanked);
    }
    for (at, name, close) in functions(&code) {
        let line = line_of(&code, at);
        let lines = line_of(&code, close) - line + 1;
        if lines > MAX_FN_LINES {
            out.push(Finding::Fn {
                file: file.clone(),
                line,
                name,
                lines,
            });
        }
    }
    out
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

/// Every finding under `src/`, known exceptions included.
fn check_tree() -> Vec<Finding> {
    let src_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src_dir, &mut files);
    files
        .iter()
        .flat_map(|path| {
            let rel = path
                .strip_prefix(&src_dir)
                .expect("under src/")
                .to_string_lossy()
                .replace('\\', "/");
            let src = std::fs::read_to_string(path).expect("read a source file");
            check_source(&rel, &src)
        })
        .collect()
}

#[test]
fn no_room_is_too_big() {
    let found: Vec<String> = check_tree()
        .iter()
        .filter(|f| !KNOWN.covers(f))
        .map(ToString::to_string)
        .collect();
    assert!(
        found.is_empty(),
        "{} rooms too big (see tests/rooms.rs):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn every_known_exception_is_still_needed() {
    let stale = KNOWN.stale(&check_tree());
    assert!(
        stale.is_empty(),
        "no longer too big: remove them from the known exceptions in tests/rooms.rs:\n{}",
        stale.join("\n")
    );
}

/// `n` lines of code.
fn lines(n: usize) -> String {
    (0..n).map(|_| "const C: u8 = 0;\n").collect()
}

/// A function taking `n` lines, `fn` to closing brace.
fn function(name: &str, n: usize) -> String {
    let mut s = format!("pub fn {name}(a: [u8; 2], f: fn(u8) -> u8) -> u8 {{\n");
    for _ in 0..n - 2 {
        s.push_str("    let _ = f(a[0]);\n");
    }
    s.push_str("}\n");
    s
}

#[test]
fn checker_catches_big_files() {
    assert_eq!(
        check_source("app.rs", &lines(601)),
        [Finding::File {
            file: "src/app.rs".into(),
            lines: 601
        }]
    );
    assert_eq!(
        check_source("app.rs", &lines(601))[0].to_string(),
        "src/app.rs: 601 lines before its #[cfg(test)], more than 600: split it by \
         responsibility"
    );
    assert!(check_source("app.rs", &lines(600)).is_empty());
    // Docs and blank lines count as the code does.
    let with_docs = format!("//! A module.\n\n{}", lines(599));
    assert_eq!(check_source("app.rs", &with_docs).len(), 1);
    // Tests do not count, at the end or in the middle, in a block or a file of their own.
    let tested = format!(
        "{}#[cfg(test)]\nmod tests {{\n{}}}\n",
        lines(600),
        lines(300)
    );
    assert!(check_source("app.rs", &tested).is_empty());
    let helper = format!(
        "{}\n    #[cfg(test)]\n    fn helper() {{\n{}    }}\n{}",
        lines(300),
        lines(50),
        lines(299)
    );
    assert!(check_source("app.rs", &helper).is_empty());
    let moved = format!("{}#[cfg(test)]\nmod tests;\n", lines(600));
    assert!(check_source("app.rs", &moved).is_empty());
    // `cfg(test)` in a comment or a string hides nothing.
    let fake = format!("// #[cfg(test)]\n{}", lines(600));
    assert_eq!(check_source("app.rs", &fake).len(), 1);
    // Tests and test doubles are not counted at all.
    for rel in [
        "tests.rs",
        "app/tests.rs",
        "poller/fake.rs",
        "app/fixture.rs",
    ] {
        assert!(check_source(rel, &lines(700)).is_empty(), "{rel}");
    }
    assert_eq!(check_source("poller/fake_more.rs", &lines(601)).len(), 1);
}

#[test]
fn checker_catches_long_functions() {
    let src = format!("{}{}", lines(3), function("update", 101));
    let found = check_source("app/update.rs", &src);
    assert_eq!(
        found,
        [Finding::Fn {
            file: "src/app/update.rs".into(),
            line: 4,
            name: "update".into(),
            lines: 101
        }]
    );
    assert_eq!(
        found[0].to_string(),
        "src/app/update.rs:4: fn update is 101 lines, more than 100: split it"
    );
    assert!(check_source("app.rs", &function("update", 100)).is_empty());
    // Methods, nested functions and generic signatures over several lines.
    let method = format!(
        "impl App {{\n    fn small(&self) {{}}\n    pub(crate) async fn run<B>(\n        b: B,\n    ) \
         -> Result<(), E>\n    where\n        B: Backend,\n    {{\n{}    }}\n}}\n",
        function("inner", 97)
    );
    let found = check_source("tui.rs", &method);
    let names: Vec<(&str, usize)> = found
        .iter()
        .map(|f| match f {
            Finding::Fn { name, lines, .. } => (name.as_str(), *lines),
            Finding::File { .. } => ("file", 0),
        })
        .collect();
    assert_eq!(names, [("run", 104)]);
    // Braces in strings, chars and comments do not end (or extend) a function.
    let tricky = format!(
        "fn f() {{\n    let _ = \"}}\";\n    let _ = '}}';\n    // }}\n{}}}\n",
        "    let _ = 1;\n".repeat(97)
    );
    assert_eq!(check_source("a.rs", &tricky).len(), 1);
    // Declarations without a body, pointer types and closures are not functions.
    let decls = "trait T { fn a(&self); fn b(x: [u8; 4]); }\ntype F = fn(u8) -> u8;\n";
    assert!(functions(&code_only(decls)).is_empty());
    // Tests do not count.
    let tested = format!("#[cfg(test)]\nmod tests {{\n{}}}\n", function("long", 200));
    assert!(check_source("a.rs", &tested).is_empty());
}

#[test]
fn known_exceptions_cover_their_finding_and_no_more_and_go_stale() {
    let known = Known {
        files: &["src/store/db.rs"],
        fns: &[("src/config/alert.rs", "rules")],
    };
    let file = |f: &str| Finding::File {
        file: f.into(),
        lines: 617,
    };
    let func = |f: &str, n: &str| Finding::Fn {
        file: f.into(),
        line: 9,
        name: n.into(),
        lines: 240,
    };
    assert!(known.covers(&file("src/store/db.rs")));
    assert!(!known.covers(&file("src/store/query.rs")));
    assert!(known.covers(&func("src/config/alert.rs", "rules")));
    assert!(!known.covers(&func("src/config/alert.rs", "other")));
    assert!(!known.covers(&func("src/config/validate.rs", "rules")));
    // Every exception still needed: nothing stale.
    let all = [
        file("src/store/db.rs"),
        func("src/config/alert.rs", "rules"),
    ];
    assert!(known.stale(&all).is_empty());
    // Split (or shrunk) since: the entry must go.
    assert_eq!(
        known.stale(&all[..1]),
        ["src/config/alert.rs: fn rules (KNOWN_LONG_FNS)"]
    );
    assert_eq!(
        known.stale(&[]),
        [
            "src/store/db.rs (KNOWN_LONG_FILES)",
            "src/config/alert.rs: fn rules (KNOWN_LONG_FNS)"
        ]
    );
}
