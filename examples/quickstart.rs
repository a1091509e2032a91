//! Starts the loopback fake of Seam's API, sends one real TLS update to it through the
//! library, and prints what went over the wire and what came back, PIN codes masked.
//!
//! ```text
//! cargo run --example quickstart --features fake-server
//! ```

use std::time::{Duration, SystemTime};

use seam_edge::fake::FakeSeam;
use seam_edge::{Auth, Client, Timestamp, UpdateCredentialParams, mask_code};

const CREDENTIAL_ID: &str = "66666666-6666-6666-6666-666666666666";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The fake listens on 127.0.0.1 with a CA generated at start, so TLS is real.
    let fake = FakeSeam::start()?;
    println!("fake Seam API listening at {}", fake.endpoint());

    let client = Client::builder()
        .endpoint(fake.endpoint())
        .root_certs_pem(fake.ca_pem())
        .auth(Auth::api_key(fake.api_key()))
        .build()?;

    let in_thirty_days = SystemTime::now() + Duration::from_secs(30 * 24 * 60 * 60);
    let ends_at = Timestamp::from_system_time(in_thirty_days).ok_or("clock out of range")?;
    let params = UpdateCredentialParams::new(CREDENTIAL_ID)
        .code("7890")
        .ends_at(&ends_at);
    let credential = client.acs().credentials().update(&params)?;

    println!("\nsent:");
    for request in fake.requests() {
        println!("  {} {}", request.method, request.path);
        for (name, value) in &request.headers {
            let shown = if name == "authorization" {
                "Bearer <redacted>"
            } else {
                value
            };
            println!("  {name}: {shown}");
        }
        let body = request
            .body_text()
            .replace("\"7890\"", &format!("\"{}\"", mask_code("7890")));
        println!("  {body}");
    }
    println!("\nreceived:");
    match credential {
        Some(credential) => {
            let json = miniserde::json::to_string(&credential.to_json_value(false));
            println!("  200 {json}");
        }
        None => println!("  success, no credential in the body"),
    }
    Ok(())
}
