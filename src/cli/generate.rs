//! `capflow completions SHELL` and `capflow man`: generated from the same clap definitions that
//! parse the command line, so they cannot drift from it.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell as Generator;

use super::{Cli, Shell};

impl From<Shell> for Generator {
    fn from(s: Shell) -> Self {
        match s {
            Shell::Bash => Generator::Bash,
            Shell::Zsh => Generator::Zsh,
            Shell::Fish => Generator::Fish,
            Shell::Powershell => Generator::PowerShell,
            Shell::Elvish => Generator::Elvish,
        }
    }
}

/// The completion script for `shell`.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(
        Generator::from(shell),
        &mut Cli::command(),
        "capflow",
        &mut out,
    );
    out
}

/// The man page (roff): the top command, its options and the list of subcommands.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out)
}

fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush())
}

/// Prints the completion script for `shell`.
pub fn completions(shell: Shell) -> std::io::Result<()> {
    write_stdout(&completion_script(shell))
}

/// Prints the man page.
pub fn man() -> std::io::Result<()> {
    write_stdout(&man_page()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_every_subcommand() {
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::Powershell,
            Shell::Elvish,
        ] {
            let s = String::from_utf8(completion_script(shell)).unwrap();
            for sub in Cli::command().get_subcommands() {
                assert!(s.contains(sub.get_name()), "{shell:?}: {}", sub.get_name());
            }
        }
    }

    #[test]
    fn the_man_page_is_roff_naming_every_subcommand() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        assert!(
            page.starts_with(".ie") || page.contains(".TH capflow"),
            "{page}"
        );
        assert!(page.contains(".SH SUBCOMMANDS"));
        for sub in Cli::command().get_subcommands() {
            assert!(page.contains(sub.get_name()), "{}", sub.get_name());
        }
    }
}
