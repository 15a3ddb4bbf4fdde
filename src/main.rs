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
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    demo_in_one_arena(&cli);
    let runtime = match runtime_for(&cli) {
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

/// The dashboard's runtime has one thread: it waits on OpenD, the terminal and a 1-s tick, and
/// its work (a decode, a frame) takes a few milliseconds a second; on several threads its tasks
/// hop between them, and every hop is a futex wake-up (issue 24: a tenth of the dashboard's CPU
/// time went to waking and switching threads). The store still writes on its own blocking
/// thread. Every other command keeps a thread per core (`capflow sim` and `serve` answer many
/// clients).
fn runtime_for(cli: &capflow::cli::Cli) -> std::io::Result<tokio::runtime::Runtime> {
    if cli.command.is_none() {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    }
}

/// The demo runs the simulator's tasks in the dashboard's process, and glibc's malloc gives each
/// thread that allocates its own arena: memory allocated on one worker thread and freed on
/// another stays in fragmented arenas, and the demo's anonymous memory kept growing (+208 kB over
/// minutes 5–10 with 60 stocks) where one arena holds it flat (+52 kB; issue 24, README's
/// performance notes). glibc reads `MALLOC_ARENA_MAX` only when a process starts, so the demo
/// starts itself again with it set (same process id, arguments and terminal), unless it is set
/// already. Should that fail, the demo runs as it is. Other commands and allocators are left
/// alone: against an external OpenD the dashboard's memory is flat with glibc's default.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn demo_in_one_arena(cli: &capflow::cli::Cli) {
    use std::os::unix::process::CommandExt;
    if cli.command.is_some()
        || !cli.dashboard.opend.demo
        || std::env::var_os("MALLOC_ARENA_MAX").is_some()
    {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let name = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    // Returns only when the exec failed.
    let _failed = std::process::Command::new(&exe)
        .arg0(name)
        .args(args)
        .env("MALLOC_ARENA_MAX", "1")
        .exec();
}
