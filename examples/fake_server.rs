//! Runs the fake Seam server on 127.0.0.1 until standard input closes.
//!
//! ```text
//! cargo run --example fake_server --features fake-server -- /tmp/fake-ca.pem
//! ```
//!
//! With a path argument the CA certificate is written there, and without one it is printed.
//! The endpoint, the seeded API key, personal access token, workspace id and credential ids
//! follow on standard output. Press Ctrl-D (end of input) or Ctrl-C to stop. After end of
//! input, the number of requests received and of requests rejected by the rate limit are
//! printed as `requests: N` and `rate limited: N`.
//!
//! `SEAM_FAKE_RATE_LIMIT=RPS/BURST`, for example `SEAM_FAKE_RATE_LIMIT=50/10`, limits all
//! requests together to RPS per second on average with bursts of up to BURST, both whole
//! numbers of at least 1. Requests beyond the limit get 429 with `retry-after`. Unset or
//! blank means no limit.
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

use seam_edge::fake::{FakeSeam, FakeSeamBuilder, SEEDED_CREDENTIAL_IDS};

/// Environment variable that sets the optional rate limit, `RPS/BURST`.
const RATE_LIMIT_VARIABLE: &str = "SEAM_FAKE_RATE_LIMIT";

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
    let fake = builder()?.start()?;

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
    println!("requests: {}", fake.requests().len());
    println!("rate limited: {}", fake.rate_limited_count());
    Ok(())
}

/// Returns a builder with the rate limit from [`RATE_LIMIT_VARIABLE`], if set.
fn builder() -> io::Result<FakeSeamBuilder> {
    let value = std::env::var(RATE_LIMIT_VARIABLE).unwrap_or_default();
    if value.trim().is_empty() {
        return Ok(FakeSeam::builder());
    }
    let Some((rate, burst)) = parse_rate_limit(value.trim()) else {
        let message = format!(
            "invalid {RATE_LIMIT_VARIABLE} {value:?}: expected RPS/BURST, two whole numbers \
             of at least 1, such as 50/10"
        );
        return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
    };
    println!("rate limit: {rate} requests per second, burst {burst}");
    Ok(FakeSeam::builder().rate_limit(rate, burst))
}

/// Parses `RPS/BURST`, both at least 1.
fn parse_rate_limit(text: &str) -> Option<(u32, u32)> {
    let (rate, burst) = text.split_once('/')?;
    let rate: u32 = rate.parse().ok()?;
    let burst: u32 = burst.parse().ok()?;
    (rate >= 1 && burst >= 1).then_some((rate, burst))
}
