use std::process::ExitCode;

use clap::Parser;

use ferrid::cli::{self, Cli};
use ferrid::clock::Clock;
use ferrid::config::Settings;

fn main() -> ExitCode {
    // clap exits with status 2 and a usage message on bad arguments.
    let cli = Cli::parse();
    ferrid::logging::init();
    let settings = match Settings::load(cli.config.as_deref(), std::env::vars()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("ferrid: {e}");
            return ExitCode::from(2);
        }
    };
    match cli::run(cli.command, settings, Clock::system()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrid: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
