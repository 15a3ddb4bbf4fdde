//! The `capflow` binary: parse the command line, run the library, map failures to exit codes.

use std::io::Write;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    // `--version` also shows the config, data and log paths in use.
    let version: &'static str = Box::leak(capflow::cli::long_version().into_boxed_str());
    let parsed = capflow::cli::Cli::command()
        .long_version(version)
        .try_get_matches()
        .and_then(|m| capflow::cli::Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!(
                "capflow: {}",
                capflow::cli::usage_error(&e, std::env::args_os())
            );
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("capflow: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(capflow::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Not eprintln!, which panics when stderr is gone (a closed terminal).
            let _ = writeln!(std::io::stderr(), "capflow: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
