//! `capflow config path|init|check` as a child process with a controlled environment: HOME,
//! XDG_CONFIG_HOME and CAPFLOW_CONFIG are set per test (everything else cleared), so the machine's
//! own config never leaks in. Checks each level of the precedence
//! `--config` > `$CAPFLOW_CONFIG` > `$XDG_CONFIG_HOME/capflow/config.toml` > built-in defaults.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] fns")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    xdg: Option<PathBuf>,
    capflow_config: Option<PathBuf>,
}

impl Env {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let home = root.join("home");
        std::fs::create_dir_all(&home).unwrap();
        Env {
            _tmp: tmp,
            root,
            home,
            xdg: None,
            capflow_config: None,
        }
    }

    fn with_xdg(mut self) -> Self {
        self.xdg = Some(self.root.join("xdg"));
        self
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_capflow"));
        cmd.env_clear()
            .env("HOME", &self.home)
            .env("PATH", "/usr/bin:/bin")
            .current_dir(&self.root)
            .args(args);
        if let Some(x) = &self.xdg {
            cmd.env("XDG_CONFIG_HOME", x);
        }
        if let Some(c) = &self.capflow_config {
            cmd.env("CAPFLOW_CONFIG", c);
        }
        cmd.output().unwrap()
    }

    fn platform_file(&self) -> PathBuf {
        match &self.xdg {
            Some(x) => x.join("capflow/config.toml"),
            None => self.home.join(".config/capflow/config.toml"),
        }
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const ONE_LIST: &str = "[[watchlist]]\nname = \"one\"\ncodes = [\"HK.00700\"]\n";

#[test]
fn without_any_file_the_defaults_are_used_and_the_home_config_dir_is_shown() {
    let env = Env::new();
    let o = env.run(&["config", "path"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{}\n", env.platform_file().display()));
    assert!(env.platform_file().starts_with(env.home.join(".config")));
    assert!(stderr(&o).contains("built-in defaults"), "{}", stderr(&o));

    let o = env.run(&["config", "check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "ok: built-in defaults (no file at {}) (3 watchlists, 14 codes)\n",
            env.platform_file().display()
        )
    );
}

#[test]
fn xdg_config_home_is_used_when_set_and_absolute() {
    let env = Env::new().with_xdg();
    let o = env.run(&["config", "path"]);
    assert_eq!(
        stdout(&o),
        format!("{}/capflow/config.toml\n", env.root.join("xdg").display())
    );
    // A relative XDG_CONFIG_HOME is invalid per the XDG spec: ~/.config is used instead.
    let mut rel = Env::new();
    rel.xdg = Some(PathBuf::from("relative/xdg"));
    let o = rel.run(&["config", "path"]);
    assert_eq!(
        stdout(&o),
        format!("{}/.config/capflow/config.toml\n", rel.home.display())
    );
}

#[test]
fn an_existing_platform_file_is_loaded() {
    let env = Env::new().with_xdg();
    write(&env.platform_file(), ONE_LIST);
    let o = env.run(&["config", "path"]);
    assert_eq!(stdout(&o), format!("{}\n", env.platform_file().display()));
    assert_eq!(stderr(&o), "", "no note when the file exists");
    let o = env.run(&["config", "check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "ok: {} (1 watchlist, 1 code)\n",
            env.platform_file().display()
        )
    );
}

#[test]
fn capflow_config_beats_the_platform_file_and_the_flag_beats_both() {
    let mut env = Env::new().with_xdg();
    write(&env.platform_file(), ONE_LIST);
    let from_env = env.root.join("env.toml");
    write(
        &from_env,
        "[[watchlist]]\nname = \"env\"\ncodes = [\"US.AAPL\", \"US.MSFT\"]\n",
    );
    env.capflow_config = Some(from_env.clone());
    let o = env.run(&["config", "path"]);
    assert_eq!(stdout(&o), format!("{}\n", from_env.display()));
    let o = env.run(&["config", "check"]);
    assert_eq!(
        stdout(&o),
        format!("ok: {} (1 watchlist, 2 codes)\n", from_env.display())
    );

    let from_flag = env.root.join("flag.toml");
    write(&from_flag, "");
    for args in [
        ["--config", from_flag.to_str().unwrap(), "config", "check"],
        ["config", "check", "--config", from_flag.to_str().unwrap()],
    ] {
        let o = env.run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            format!("ok: {} (3 watchlists, 14 codes)\n", from_flag.display())
        );
    }
    let o = env.run(&["config", "path", "--config", "flag.toml"]);
    assert_eq!(stdout(&o), "flag.toml\n");
}

#[test]
fn an_empty_capflow_config_counts_as_unset() {
    let mut env = Env::new().with_xdg();
    env.capflow_config = Some(PathBuf::new());
    let o = env.run(&["config", "path"]);
    assert_eq!(stdout(&o), format!("{}\n", env.platform_file().display()));
}

#[test]
fn a_named_file_that_does_not_exist_is_an_error_for_check_but_not_for_path() {
    let mut env = Env::new().with_xdg();
    write(&env.platform_file(), ONE_LIST);
    let missing = env.root.join("missing.toml");
    env.capflow_config = Some(missing.clone());
    let o = env.run(&["config", "check"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "capflow: {}: config file not found (named by $CAPFLOW_CONFIG); create it with `capflow config init`, or fix the path\n",
            missing.display()
        )
    );
    let o = env.run(&["config", "path"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), format!("{}\n", missing.display()));
    assert!(stderr(&o).contains("does not exist yet"), "{}", stderr(&o));

    let o = env.run(&["config", "check", "--config", "nope.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("named by --config"), "{}", stderr(&o));
}

#[test]
fn init_creates_directories_writes_the_example_and_refuses_to_overwrite() {
    let env = Env::new().with_xdg();
    let o = env.run(&["config", "init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("wrote {}\n", env.platform_file().display())
    );
    let written = std::fs::read_to_string(env.platform_file()).unwrap();
    assert_eq!(written, capflow::config::EXAMPLE);

    // The new file is now the one in use, and it is valid.
    let o = env.run(&["config", "check"]);
    assert_eq!(
        stdout(&o),
        format!(
            "ok: {} (3 watchlists, 14 codes)\n",
            env.platform_file().display()
        )
    );

    write(&env.platform_file(), ONE_LIST);
    let o = env.run(&["config", "init"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("already exists: not overwriting"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(env.platform_file()).unwrap(),
        ONE_LIST
    );

    // --config names where to write.
    let o = env.run(&["config", "init", "--config", "deep/er/mine.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(env.root.join("deep/er/mine.toml").is_file());
}

#[test]
fn check_lists_every_problem_and_exits_2() {
    let env = Env::new();
    write(
        &env.root.join("bad.toml"),
        "[budget]\nrequests_per_30s = 0\n[[watchlist]]\nname = \"x\"\ncodes = [\"HK00700\"]\n",
    );
    let o = env.run(&["config", "check", "--config", "bad.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with("capflow: bad.toml:2:20: requests_per_30s = 0 is out of range"),
        "{err}"
    );
    assert!(
        lines[1].starts_with("bad.toml:5:10: invalid security code \"HK00700\""),
        "{err}"
    );
    assert_eq!(lines[2], "2 problems found");
}

#[test]
fn check_reports_every_bad_key_of_one_table_and_suggests_padded_hk_codes() {
    let env = Env::new();
    write(
        &env.root.join("bad.toml"),
        "[opend]\nhost = 1\nport = 0\nbrnd = \"futu\"\n[[watchlist]]\nname = \"HK\"\ncodes = [\"HK.700\"]\n",
    );
    let o = env.run(&["config", "check", "--config", "bad.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            "capflow: bad.toml:2:8: host: wrong type: found integer `1`, expected a string",
            "bad.toml:3:8: port = 0 is out of range: expected 1 to 65535 (OpenD's API port, 11111 by default)",
            "bad.toml:4:1: unknown field `brnd`, expected one of `host`, `port`, `rsa_private_key`, `brand` (see config.example.toml for every option)",
            "bad.toml:7:10: invalid security code \"HK.700\": did you mean HK.00700? (Hong Kong codes have 5 digits)",
            "4 problems found",
        ],
        "{err}"
    );
}
