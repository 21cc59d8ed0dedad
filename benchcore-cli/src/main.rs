//! The `benchcore` command: parse, run, print the error chain, exit with a documented code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before parsing, so `.env` also feeds the options read from the environment.
    benchcore_cli::load_dotenv();
    let cli = benchcore_cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(benchcore_cli::EXIT_ERROR);
        }
    };
    match runtime.block_on(benchcore_cli::run(cli)) {
        Ok(code) => code,
        Err(e) if benchcore_cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(benchcore_cli::EXIT_ERROR)
        }
    }
}
