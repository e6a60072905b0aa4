//! `ops-center`: parse the command line, run it.

use std::process::ExitCode;

fn main() -> ExitCode {
    ops_center::cli::main()
}
