//! Runs seam-edge's fake Seam server on 127.0.0.1 and reports its request log by phase.
//!
//! ```text
//! fake-logged /tmp/fake-ca.pem
//! ```
//!
//! It writes the CA certificate to the path given, prints `endpoint: https://127.0.0.1:PORT`
//! and then reads standard input line by line. Each line names the phase that just ended:
//! the fake prints the requests logged since the previous line and empties the log.
//! At end of input it reports the rest as phase `final` and exits.
//!
//! A report is `phase NAME`, one line per method, path and user agent with
//! `requests=N connections=M` (distinct TCP connections), `total=N`, then `end NAME`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use seam_edge::fake::{FakeSeam, RecordedRequest};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("fake-logged: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> io::Result<()> {
    let Some(ca_path) = std::env::args_os().nth(1) else {
        return Err(io::Error::other("usage: fake-logged CA_PEM_PATH"));
    };
    let fake = FakeSeam::start()?;
    std::fs::write(&ca_path, fake.ca_pem())?;
    println!("endpoint: {}", fake.endpoint());
    println!("API key: {}", fake.api_key());
    io::stdout().flush()?;

    for line in io::stdin().lock().lines() {
        let phase = line?;
        report(phase.trim(), &fake.requests())?;
        fake.clear_requests();
    }
    report("final", &fake.requests())
}

/// Prints the requests grouped by method, path and user agent.
fn report(phase: &str, requests: &[RecordedRequest]) -> io::Result<()> {
    let mut groups: BTreeMap<(&str, &str, &str), (u64, BTreeSet<u64>)> = BTreeMap::new();
    for request in requests {
        let user_agent = request.header("user-agent").unwrap_or("-");
        let key = (request.method.as_str(), request.path.as_str(), user_agent);
        let (count, connections) = groups.entry(key).or_default();
        *count += 1;
        connections.insert(request.connection);
    }

    let mut out = io::stdout().lock();
    writeln!(out, "phase {phase}")?;
    for ((method, path, user_agent), (count, connections)) in &groups {
        let connection_count = connections.len();
        writeln!(
            out,
            "{method} {path} [{user_agent}] requests={count} connections={connection_count}"
        )?;
    }
    writeln!(out, "total={}", requests.len())?;
    writeln!(out, "end {phase}")?;
    out.flush()
}
