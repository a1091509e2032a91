//! Sends COUNT `PATCH /acs/credentials/update` requests through one ureq agent, so the
//! connection is reused, and prints the CPU and wall time per update: the floor under
//! `library-loop`. Like `bare-ureq`, it checks no input and does not parse the reply.

use std::process::ExitCode;

use seam_edge_bench_harness::{LoopArgs, bare_agent, bare_update, measure_loop};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ureq-loop: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args = LoopArgs::from_process("ureq-loop")?;
    let agent = bare_agent(&args.ca_file, false)?;
    measure_loop(args.count, || bare_update(&agent, &args))
}
