//! Updates a credential's PIN and end date with the credentials from the environment.
//!
//! ```text
//! SEAM_API_KEY=seam_... cargo run --example update_credential -- CREDENTIAL_ID 4821 2030-01-31T18:00:00Z
//! ```
//!
//! Errors are matched by kind, as a gateway's own code would do to decide what to do next.

use seam_edge::{Client, Error, UpdateCredentialParams};

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(id), Some(code), Some(ends_at)) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: update_credential CREDENTIAL_ID PIN ENDS_AT");
        return std::process::ExitCode::from(64);
    };

    let result = Client::from_env().and_then(|client| {
        let params = UpdateCredentialParams::new(id).code(code).ends_at(ends_at);
        client.acs().credentials().update(&params)
    });

    match result {
        Ok(Some(credential)) => println!("updated, ends_at is now {:?}", credential.ends_at),
        Ok(None) => println!("updated"),
        Err(error @ Error::InvalidInput(_)) => {
            eprintln!("fix the input: {error}");
            return std::process::ExitCode::from(65);
        }
        Err(error) if error.is_temporary() => {
            eprintln!("try again later: {error}");
            return std::process::ExitCode::from(75);
        }
        Err(error) => {
            eprintln!("update failed: {error}");
            return std::process::ExitCode::from(1);
        }
    }
    std::process::ExitCode::SUCCESS
}
