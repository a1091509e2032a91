//! The `seam-edge` command-line tool; see `seam-edge --help`.
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
