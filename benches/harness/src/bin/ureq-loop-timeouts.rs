//! Runs the same loop as `ureq-loop`, but with seam-edge's default timeouts set on the
//! agent. The difference between the two programs is the cost of ureq's timeouts.

use std::process::ExitCode;

use seam_edge_bench_harness::{LoopArgs, bare_agent, bare_update, measure_loop};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ureq-loop-timeouts: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args = LoopArgs::from_process("ureq-loop-timeouts")?;
    let agent = bare_agent(&args.ca_file, true)?;
    measure_loop(args.count, || bare_update(&agent, &args))
}
