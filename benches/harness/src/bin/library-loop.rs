//! Updates one credential COUNT times through one `seam_edge::Client`, so the connection is
//! reused, and prints the CPU and wall time per update.

use std::process::ExitCode;

use seam_edge::{Auth, Client, UpdateCredentialParams};
use seam_edge_bench_harness::{LoopArgs, measure_loop};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("library-loop: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args = LoopArgs::from_process("library-loop")?;
    let client = Client::builder()
        .endpoint(args.endpoint)
        .root_certs_pem_file(args.ca_file)
        .auth(Auth::api_key(args.api_key))
        .build()
        .map_err(|error| error.to_string())?;
    let params = UpdateCredentialParams::new(args.credential_id).code("1234");

    measure_loop(args.count, || {
        client.acs().credentials().update(&params).map(|_| ())
    })
}
