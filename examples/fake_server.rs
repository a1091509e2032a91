//! Runs the fake Seam server on 127.0.0.1 until standard input closes.
//!
//! ```text
//! cargo run --example fake_server --features fake-server -- /tmp/fake-ca.pem
//! ```
//!
//! With a path argument the CA certificate is written there, and without one it is printed.
//! The endpoint, the seeded API key, personal access token, workspace id and credential ids
//! follow on standard output. Press Ctrl-D (end of input) or Ctrl-C to stop.
//!
//! A request with curl from another terminal:
//!
//! ```text
//! curl --cacert /tmp/fake-ca.pem -X PATCH https://127.0.0.1:PORT/acs/credentials/update \
//!   -H 'authorization: Bearer seam_fakekey1_token' -H 'content-type: application/json' \
//!   -d '{"acs_credential_id":"66666666-6666-6666-6666-666666666666","code":"4321"}'
//! ```

use std::io::{self, Read};
use std::process::ExitCode;

use seam_edge::fake::{FakeSeam, SEEDED_CREDENTIAL_IDS};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("fake_server: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> io::Result<()> {
    let fake = FakeSeam::start()?;

    match std::env::args_os().nth(1) {
        Some(path) => {
            std::fs::write(&path, fake.ca_pem()).map_err(|error| {
                let display_path = path.to_string_lossy();
                io::Error::new(
                    error.kind(),
                    format!("failed to write the CA certificate to {display_path}: {error}"),
                )
            })?;
            println!("CA certificate: {}", path.to_string_lossy());
        }
        None => print!("{}", fake.ca_pem()),
    }
    println!("endpoint: {}", fake.endpoint());
    println!("API key: {}", fake.api_key());
    println!("personal access token: {}", fake.personal_access_token());
    println!("workspace id: {}", fake.workspace_id());
    for id in SEEDED_CREDENTIAL_IDS {
        println!("credential: {id}");
    }
    println!("serving until standard input closes (Ctrl-D) or Ctrl-C");

    // Reading to the end blocks until the input closes; Ctrl-C ends the process directly.
    io::stdin().read_to_end(&mut Vec::new())?;
    Ok(())
}
