use std::process::ExitCode;

use clap::Parser;

use ferrid::cli::{self, Cli};
use ferrid::clock::Clock;
use ferrid::config::{LogFormat, Settings};

fn main() -> ExitCode {
    // clap exits with status 2 and a usage message on bad arguments.
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref(), std::env::vars()) {
        Ok(settings) => settings,
        Err(e) => {
            ferrid::logging::init();
            eprintln!("ferrid: {e}");
            return ExitCode::from(2);
        }
    };
    // The log format is a setting, so the logger starts once the settings are read.
    let format = match settings.log.format {
        LogFormat::Text => ferrid::logging::Format::Text,
        LogFormat::Json => ferrid::logging::Format::Json,
    };
    ferrid::logging::init_with("info", format);
    match cli::run(cli.command, settings, Clock::system()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrid: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
